/**
 * The Slack workspace behind the Web API stand-in: users, user groups, messages, views and
 * trigger ids, and the Web API methods the bot calls, each returning Slack's JSON answer.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  APP_ID,
  BOT_ID,
  BOT_USER_ID,
  TEAM_ID,
  ViewRegistry,
  checkBlocks,
  dmChannelFor,
  validateView,
} from './slack-views.js';
import type { Json } from './slack-views.js';

/** Seconds the zone is ahead of UTC at that moment, as Slack's tz_offset. */
function tzOffsetSeconds(zone: string, at: number): number {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(new Date(at)).map((p) => [p.type, p.value]));
  const wall = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return Math.round((wall - Math.floor(at / 1000) * 1000) / 1000);
}

export interface SlackUser {
  id: string;
  name: string;
  real_name?: string;
  is_admin?: boolean;
  is_owner?: boolean;
  is_bot?: boolean;
  deleted?: boolean;
  /** IANA time zone, as users.info gives it (default UTC). */
  tz?: string;
}

/** A channel the workspace knows, as conversations.info describes it to the bot. */
export interface SlackChannel {
  id: string;
  name: string;
  is_private?: boolean;
  /** Whether the bot user is in it. */
  is_member?: boolean;
  is_archived?: boolean;
}

export interface StoredMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: unknown[] | undefined;
  thread_ts: string | undefined;
  user: string;
  bot_id: string;
  /** Number of chat.update calls applied. */
  edits: number;
  /** chat.postMessage's `metadata` (event_type, event_payload), shown by conversations.history with include_all_metadata. */
  metadata?: unknown;
}

export interface EphemeralMessage {
  channel: string;
  user: string;
  text: string;
  blocks: unknown[] | undefined;
  message_ts: string;
}

export type Result = Json & { ok: boolean };

export const fail = (error: string, messages?: string[]): Result =>
  messages === undefined ? { ok: false, error } : { ok: false, error, response_metadata: { messages } };

const TRIGGER_TTL_MS = 3000;

const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));
const blocksOf = (v: unknown): unknown[] | undefined => (Array.isArray(v) ? v : undefined);
const isObjectJson = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function messageProblem(a: Json): string | undefined {
  const hasText = typeof a.text === 'string' && a.text !== '';
  const hasBlocks = Array.isArray(a.blocks) && a.blocks.length > 0;
  if (!hasText && !hasBlocks) return 'no_text';
  if (a.blocks !== undefined) {
    const problems: string[] = [];
    checkBlocks(a.blocks, 50, '/blocks', problems);
    if (problems.length > 0) return 'invalid_blocks';
  }
  return undefined;
}

function messageJson(m: StoredMessage, withMetadata = false): Json {
  return {
    ...(withMetadata && m.metadata !== undefined ? { metadata: m.metadata } : {}),
    type: 'message',
    text: m.text,
    ...(m.blocks !== undefined ? { blocks: m.blocks } : {}),
    ts: m.ts,
    ...(m.thread_ts !== undefined ? { thread_ts: m.thread_ts } : {}),
    user: m.user,
    bot_id: m.bot_id,
    app_id: APP_ID,
    team: TEAM_ID,
  };
}

/** Posting to a user id lands in the DM with that user, and Slack answers with the D id. */
function channelOf(c: unknown): string {
  const id = str(c);
  return /^[UW]/.test(id) ? dmChannelFor(id) : id;
}

export class SlackWorkspace {
  readonly messages: StoredMessage[] = [];
  readonly ephemerals: EphemeralMessage[] = [];
  readonly registry: ViewRegistry;
  private readonly users: Map<string, SlackUser>;
  private readonly homes = new Map<string, string>();
  private readonly triggers = new Map<string, { issuedAt: number; viewId: string | undefined; used: boolean }>();
  /** conversations.info answers from these; an unknown id is channel_not_found. */
  readonly channels = new Map<string, SlackChannel>();
  /** The bot token's granted scopes (the Web API answer's x-oauth-scopes), set by the stand-in. */
  scopes: string[] = [];
  private tsCounter = 0;
  private triggerCounter = 0;

  constructor(
    users: SlackUser[],
    private readonly usergroups: Record<string, string[]>,
    private readonly now: () => number,
  ) {
    this.users = new Map(users.map((u) => [u.id, u]));
    this.registry = new ViewRegistry(now);
  }

  addUser(user: SlackUser): void {
    this.users.set(user.id, user);
  }

  issueTriggerId(fromViewId?: string): string {
    this.triggerCounter += 1;
    const id = `${this.triggerCounter}${Math.floor(this.now() / 1000)}.${randomBytes(4).readUInt32BE()}.${randomBytes(16).toString('hex')}`;
    this.triggers.set(id, { issuedAt: this.now(), viewId: fromViewId, used: false });
    return id;
  }

  /** trigger_id rules shared by views.open and views.push: known, unused, under 3 s old. */
  private takeTrigger(id: unknown): { viewId: string | undefined } | { error: Result } {
    const t = this.triggers.get(str(id));
    if (t === undefined || t.used) return { error: fail('invalid_trigger_id') };
    t.used = true;
    if (this.now() - t.issuedAt > TRIGGER_TTL_MS) return { error: fail('expired_trigger_id') };
    return { viewId: t.viewId };
  }

  private nextTs(): string {
    this.tsCounter += 1;
    return `${Math.floor(this.now() / 1000)}.${String(this.tsCounter % 1_000_000).padStart(6, '0')}`;
  }

  readonly methods: Record<string, (a: Json) => Result> = {
    'auth.test': () => ({
      ok: true,
      url: 'https://acme.slack.com/',
      team: 'Acme',
      user: 'spokebot',
      team_id: TEAM_ID,
      user_id: BOT_USER_ID,
      bot_id: BOT_ID,
      is_enterprise_install: false,
    }),

    'views.open': (a) => {
      const problems = validateView(a.view, 'modal');
      if (problems.length > 0) return fail('invalid_arguments', problems);
      const t = this.takeTrigger(a.trigger_id);
      if ('error' in t) return t.error;
      const view = a.view as Json;
      if (this.registry.externalInUse(view.external_id)) return fail('duplicate_external_id');
      return { ok: true, view: this.registry.open(view) };
    },

    'views.push': (a) => {
      const problems = validateView(a.view, 'modal');
      if (problems.length > 0) return fail('invalid_arguments', problems);
      const t = this.takeTrigger(a.trigger_id);
      if ('error' in t) return t.error;
      // A trigger from inside a modal names its stack; otherwise the latest modal is the target.
      const root = (t.viewId === undefined ? undefined : this.registry.rootOf(t.viewId)) ?? this.registry.lastRoot;
      const pushed = root === undefined ? 'not_found' : this.registry.push(root, a.view as Json);
      return typeof pushed === 'string' ? fail(pushed) : { ok: true, view: pushed };
    },

    'views.update': (a) => {
      const current = this.registry.resolve(a.view_id, a.external_id);
      if (current === undefined) return fail('not_found');
      const problems = validateView(a.view, current.type === 'home' ? 'home' : 'modal');
      if (problems.length > 0) return fail('invalid_arguments', problems);
      if (str(a.hash) !== '' && a.hash !== current.hash) return fail('hash_conflict');
      return { ok: true, view: this.registry.update(current, a.view as Json) };
    },

    'views.publish': (a) => {
      const userId = str(a.user_id);
      if (userId === '') return fail('invalid_arguments', ['[ERROR] missing required field: user_id [json-pointer:/user_id]']);
      if (this.users.size > 0 && !this.users.has(userId)) return fail('user_not_found');
      const problems = validateView(a.view, 'home');
      if (problems.length > 0) return fail('invalid_arguments', problems);
      const current = this.registry.views.get(this.homes.get(userId) ?? '');
      if (str(a.hash) !== '' && current !== undefined && a.hash !== current.hash) return fail('hash_conflict');
      return { ok: true, view: this.registry.publish(userId, a.view as Json, this.homes) };
    },

    'chat.postMessage': (a) => {
      const channel = channelOf(a.channel);
      if (channel === '') return fail('channel_not_found');
      // Slack takes no new messages in an archived channel.
      if (this.channels.get(channel)?.is_archived === true) return fail('is_archived');
      const problem = messageProblem(a);
      if (problem !== undefined) return fail(problem);
      const msg: StoredMessage = {
        channel,
        ts: this.nextTs(),
        text: str(a.text),
        blocks: blocksOf(a.blocks),
        thread_ts: a.thread_ts === undefined ? undefined : str(a.thread_ts),
        user: BOT_USER_ID,
        bot_id: BOT_ID,
        edits: 0,
        ...(isObjectJson(a.metadata) ? { metadata: a.metadata } : {}),
      };
      this.messages.push(msg);
      return { ok: true, channel, ts: msg.ts, message: messageJson(msg) };
    },

    'chat.postEphemeral': (a) => {
      const channel = channelOf(a.channel);
      if (channel === '') return fail('channel_not_found');
      const user = str(a.user);
      if (user === '' || (this.users.size > 0 && !this.users.has(user))) return fail('user_not_found');
      const problem = messageProblem(a);
      if (problem !== undefined) return fail(problem);
      const message_ts = this.nextTs();
      this.ephemerals.push({ channel, user, text: str(a.text), blocks: blocksOf(a.blocks), message_ts });
      return { ok: true, message_ts };
    },

    'chat.update': (a) => {
      const channel = channelOf(a.channel);
      const msg = this.messages.find((m) => m.channel === channel && m.ts === str(a.ts));
      if (msg === undefined) return fail('message_not_found');
      if (a.blocks !== undefined) {
        const problems: string[] = [];
        checkBlocks(a.blocks, 50, '/blocks', problems);
        if (problems.length > 0) return fail('invalid_blocks');
        msg.blocks = blocksOf(a.blocks);
      }
      if (a.text !== undefined) msg.text = str(a.text);
      msg.edits += 1;
      return { ok: true, channel, ts: msg.ts, text: msg.text, message: messageJson(msg) };
    },

    'users.info': (a) => {
      const u = this.users.get(str(a.user));
      if (u === undefined) return fail('user_not_found');
      const user = {
        id: u.id,
        team_id: TEAM_ID,
        name: u.name,
        real_name: u.real_name ?? u.name,
        is_admin: u.is_admin ?? false,
        is_owner: u.is_owner ?? false,
        is_bot: u.is_bot ?? false,
        deleted: u.deleted ?? false,
        tz: u.tz ?? 'UTC',
        tz_offset: tzOffsetSeconds(u.tz ?? 'UTC', this.now()),
      };
      return { ok: true, user };
    },

    'usergroups.users.list': (a) => {
      const members = this.usergroups[str(a.usergroup)];
      return members === undefined ? fail('no_such_subteam') : { ok: true, users: [...members] };
    },

    // Reached only with the app-level token (the stand-in checks the token kind); the socket itself is never served.
    'apps.connections.open': () => ({ ok: true, url: `wss://wss-primary.slack.com/link/?ticket=${randomBytes(8).toString('hex')}&app_id=${APP_ID}` }),

    'conversations.info': (a) => {
      const channel = this.channels.get(str(a.channel));
      // Slack asks for the read scope of the conversation's kind before it says anything about it.
      const needed = channel?.is_private === true ? 'groups:read' : 'channels:read';
      if (!this.scopes.includes(needed)) return { ...fail('missing_scope'), needed, provided: this.scopes.join(',') };
      // A private channel the bot is not in is invisible to it, exactly like one that does not exist.
      if (channel === undefined || (channel.is_private === true && channel.is_member !== true)) return fail('channel_not_found');
      return {
        ok: true,
        channel: {
          id: channel.id,
          name: channel.name,
          is_channel: channel.is_private !== true,
          is_group: channel.is_private === true,
          is_private: channel.is_private === true,
          is_archived: channel.is_archived === true,
          is_member: channel.is_member === true,
          context_team_id: TEAM_ID,
        },
      };
    },

    // The channel's top-level messages, newest first; metadata only when asked for, as Slack does.
    'conversations.history': (a) => {
      const id = str(a.channel);
      const channel = this.channels.get(id);
      const needed = channel?.is_private === true ? 'groups:history' : 'channels:history';
      if (!this.scopes.includes(needed)) return { ...fail('missing_scope'), needed, provided: this.scopes.join(',') };
      if (channel === undefined || (channel.is_private === true && channel.is_member !== true)) return fail('channel_not_found');
      if (channel.is_member !== true) return fail('not_in_channel');
      const limit = Math.min(Number(a.limit ?? 100) || 100, 999);
      const withMetadata = a.include_all_metadata === true || a.include_all_metadata === 'true';
      const messages = this.messages
        .filter((m) => m.channel === id && (m.thread_ts === undefined || m.thread_ts === m.ts))
        .reverse()
        .slice(0, limit)
        .map((m) => messageJson(m, withMetadata));
      return { ok: true, messages, has_more: false };
    },

    'conversations.open': (a) => {
      const ids = str(a.users)
        .split(',')
        .map((u) => u.trim())
        .filter((u) => u !== '');
      if (ids.length === 0) return fail('users_list_not_supplied');
      const group = () => `G${createHash('sha1').update([...ids].sort().join(',')).digest('hex').slice(0, 10).toUpperCase()}`;
      return { ok: true, channel: { id: ids.length === 1 ? dmChannelFor(ids[0] ?? '') : group() } };
    },
  };
}
