/**
 * Plays the Slack platform towards the bot: signed slash commands, interactions
 * (view_submission, view_closed, block_actions) and Events API envelopes, with payloads
 * shaped like the ones Slack sends, so Bolt's receiver and our listeners see the real thing.
 */
import { createHmac } from 'node:crypto';
import { APP_ID, BOT_ID, BOT_USER_ID, TEAM_ID, dmChannelFor, isObject } from './slack-views.js';
import type { Json } from './slack-views.js';

const VERIFICATION_TOKEN = 'vErIfIcAtIoNtOkEn0001';
const TEAM_DOMAIN = 'acme';

export function signSlackRequest(
  signingSecret: string,
  rawBody: string,
  timestamp: number = Math.floor(Date.now() / 1000),
): { 'x-slack-signature': string; 'x-slack-request-timestamp': string } {
  const digest = createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`).digest('hex');
  return { 'x-slack-signature': `v0=${digest}`, 'x-slack-request-timestamp': String(timestamp) };
}

export interface BotResponse {
  status: number;
  text: string;
  json: unknown;
  elapsedMs: number;
}

export async function postToBot(
  url: string,
  signingSecret: string,
  rawBody: string,
  contentType: string,
  opts: { timestamp?: number; unsigned?: boolean } = {},
): Promise<BotResponse> {
  const headers: Record<string, string> = { 'content-type': contentType };
  if (opts.unsigned !== true) Object.assign(headers, signSlackRequest(signingSecret, rawBody, opts.timestamp));
  const started = performance.now();
  const res = await fetch(url, { method: 'POST', headers, body: rawBody });
  const text = await res.text();
  const elapsedMs = performance.now() - started;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, elapsedMs };
}

export interface SlashCommand {
  text: string;
  userId: string;
  triggerId: string;
  userName?: string;
  channelId?: string;
  channelName?: string;
  teamId?: string;
  command?: string;
  /** Use the Slack stand-in's newResponseUrl(); the default points at a closed local port. */
  responseUrl?: string;
}

export function sendSlashCommand(botEventsUrl: string, secret: string, cmd: SlashCommand): Promise<BotResponse> {
  return postToBot(botEventsUrl, secret, new URLSearchParams(slashCommandPayload(cmd)).toString(), 'application/x-www-form-urlencoded');
}

/** A slash command's fields: the form body over HTTP, the envelope's payload in Socket Mode. */
export function slashCommandPayload(cmd: SlashCommand): Record<string, string> {
  const teamId = cmd.teamId ?? TEAM_ID;
  // Field order as Slack sends it.
  return {
    token: VERIFICATION_TOKEN,
    team_id: teamId,
    team_domain: TEAM_DOMAIN,
    channel_id: cmd.channelId ?? 'C0ADMIN',
    channel_name: cmd.channelName ?? 'spoke-admins',
    user_id: cmd.userId,
    user_name: cmd.userName ?? cmd.userId.toLowerCase(),
    command: cmd.command ?? '/spoke',
    text: cmd.text,
    api_app_id: APP_ID,
    is_enterprise_install: 'false',
    response_url: cmd.responseUrl ?? `http://127.0.0.1:9/commands/${teamId}/1/unused`,
    trigger_id: cmd.triggerId,
  };
}

export function sendInteraction(botEventsUrl: string, secret: string, payload: unknown): Promise<BotResponse> {
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  return postToBot(botEventsUrl, secret, body, 'application/x-www-form-urlencoded');
}

export function sendEvent(botEventsUrl: string, secret: string, envelope: unknown): Promise<BotResponse> {
  return postToBot(botEventsUrl, secret, JSON.stringify(envelope), 'application/json');
}

/**
 * An answer for one input block: a string (text value, option value, conversation/user/channel
 * id, date), a list of those for multi-selects and checkboxes, or null for "left empty".
 */
export type AnswerValue = string | string[] | null;

function optionsOf(el: Json): Json[] {
  const flat = Array.isArray(el.options) ? el.options.filter(isObject) : [];
  const groups = Array.isArray(el.option_groups) ? el.option_groups.filter(isObject) : [];
  return [...flat, ...groups.flatMap((g) => (Array.isArray(g.options) ? g.options.filter(isObject) : []))];
}

function pickOption(el: Json, value: string, blockId: string): Json {
  const option = optionsOf(el).find((o) => o.value === value);
  if (option === undefined) throw new Error(`block ${blockId}: no option with value "${value}"`);
  return option;
}

const asList = (v: AnswerValue): string[] => (v === null ? [] : Array.isArray(v) ? v : [v]);
const asOne = (v: AnswerValue): string | null => (Array.isArray(v) ? (v[0] ?? null) : v);

/** The element's state as Slack reports it; `answer` undefined means "user left the initial value". */
function elementState(el: Json, answer: AnswerValue | undefined, blockId: string): Json {
  const type = String(el.type);
  const given = answer !== undefined;
  const one = (key: string, initialKey: string): Json => ({
    type,
    [key]: given ? asOne(answer) : ((el[initialKey] as unknown) ?? null),
  });
  const many = (key: string, initialKey: string): Json => ({
    type,
    [key]: given ? asList(answer) : ((el[initialKey] as unknown) ?? []),
  });
  switch (type) {
    case 'plain_text_input':
    case 'email_text_input':
    case 'url_text_input':
    case 'number_input': {
      const value = given ? asOne(answer) : ((el.initial_value as unknown) ?? null);
      return { type, value: value === '' ? null : value };
    }
    case 'static_select':
    case 'external_select':
    case 'radio_buttons': {
      const v = given ? asOne(answer) : null;
      const selected = given ? (v === null ? null : pickOption(el, v, blockId)) : ((el.initial_option as unknown) ?? null);
      return { type, selected_option: selected };
    }
    case 'multi_static_select':
    case 'multi_external_select':
    case 'checkboxes': {
      const selected = given ? asList(answer).map((v) => pickOption(el, v, blockId)) : ((el.initial_options as unknown) ?? []);
      return { type, selected_options: selected };
    }
    case 'conversations_select':
      return one('selected_conversation', 'initial_conversation');
    case 'multi_conversations_select':
      return many('selected_conversations', 'initial_conversations');
    case 'channels_select':
      return one('selected_channel', 'initial_channel');
    case 'multi_channels_select':
      return many('selected_channels', 'initial_channels');
    case 'users_select':
      return one('selected_user', 'initial_user');
    case 'multi_users_select':
      return many('selected_users', 'initial_users');
    case 'datepicker':
      return one('selected_date', 'initial_date');
    case 'timepicker':
      return one('selected_time', 'initial_time');
    default:
      throw new Error(`block ${blockId}: fillViewState does not know element type ${type}`);
  }
}

/** state.values for every input block of the view, keyed block_id → action_id. */
export function fillViewState(view: Json, answers: Record<string, AnswerValue>): Record<string, Record<string, Json>> {
  const values: Record<string, Record<string, Json>> = {};
  const blocks = Array.isArray(view.blocks) ? view.blocks.filter(isObject) : [];
  const inputIds = new Set<string>();
  for (const block of blocks) {
    if (block.type !== 'input' || typeof block.block_id !== 'string' || !isObject(block.element)) continue;
    inputIds.add(block.block_id);
    const el = block.element;
    // Slack generates an action_id when the view gives none; a fixed one keeps tests readable.
    const actionId = typeof el.action_id === 'string' ? el.action_id : `${block.block_id}_action`;
    values[block.block_id] = { [actionId]: elementState(el, answers[block.block_id], block.block_id) };
  }
  const stray = Object.keys(answers).filter((k) => !inputIds.has(k));
  if (stray.length > 0) throw new Error(`answers for blocks that are not inputs of the view: ${stray.join(', ')}`);
  return values;
}

function actor(userId: string, teamId: string): Json {
  return { id: userId, username: userId.toLowerCase(), name: userId.toLowerCase(), team_id: teamId };
}

export function viewSubmission(o: {
  userId: string;
  view: Json;
  answers: Record<string, AnswerValue>;
  teamId?: string;
  triggerId?: string;
}): Json {
  const teamId = o.teamId ?? TEAM_ID;
  return {
    type: 'view_submission',
    team: { id: teamId, domain: TEAM_DOMAIN },
    user: actor(o.userId, teamId),
    api_app_id: APP_ID,
    token: VERIFICATION_TOKEN,
    trigger_id: o.triggerId ?? `${Date.now()}.1.submission`,
    view: { ...o.view, state: { values: fillViewState(o.view, o.answers) } },
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  };
}

export function viewClosed(o: { userId: string; view: Json; teamId?: string }): Json {
  const teamId = o.teamId ?? TEAM_ID;
  return {
    type: 'view_closed',
    team: { id: teamId, domain: TEAM_DOMAIN },
    user: actor(o.userId, teamId),
    api_app_id: APP_ID,
    token: VERIFICATION_TOKEN,
    view: o.view,
    is_cleared: false,
    is_enterprise_install: false,
    enterprise: null,
  };
}

export function blockAction(o: {
  userId: string;
  actionId: string;
  blockId: string;
  value?: string;
  triggerId: string;
  message?: { channel: string; ts: string; text?: string; blocks?: unknown[]; thread_ts?: string };
  view?: Json;
  teamId?: string;
  responseUrl?: string;
}): Json {
  const teamId = o.teamId ?? TEAM_ID;
  const actionTs = (Date.now() / 1000).toFixed(6);
  const payload: Json = {
    type: 'block_actions',
    user: actor(o.userId, teamId),
    api_app_id: APP_ID,
    token: VERIFICATION_TOKEN,
    trigger_id: o.triggerId,
    team: { id: teamId, domain: TEAM_DOMAIN },
    enterprise: null,
    is_enterprise_install: false,
    actions: [
      { type: 'button', action_id: o.actionId, block_id: o.blockId, ...(o.value !== undefined ? { value: o.value } : {}), action_ts: actionTs },
    ],
  };
  if (o.message !== undefined) {
    const { channel, ts, ...rest } = o.message;
    payload.container = { type: 'message', message_ts: ts, channel_id: channel, is_ephemeral: false };
    payload.channel = { id: channel, name: channel.startsWith('D') ? 'directmessage' : channel };
    payload.message = { type: 'message', ts, user: BOT_USER_ID, bot_id: BOT_ID, text: '', ...rest };
    payload.response_url = o.responseUrl ?? `http://127.0.0.1:9/actions/${teamId}/1/unused`;
  }
  if (o.view !== undefined) {
    payload.container = { type: 'view', view_id: o.view.id };
    payload.view = { state: { values: {} }, ...o.view };
  }
  return payload;
}

export function appHomeOpened(o: { userId: string; teamId?: string; tab?: 'home' | 'messages'; view?: Json }): Json {
  const teamId = o.teamId ?? TEAM_ID;
  const now = Date.now();
  return {
    token: VERIFICATION_TOKEN,
    team_id: teamId,
    api_app_id: APP_ID,
    event: {
      type: 'app_home_opened',
      user: o.userId,
      channel: dmChannelFor(o.userId),
      tab: o.tab ?? 'home',
      event_ts: (now / 1000).toFixed(6),
      ...(o.view !== undefined ? { view: o.view } : {}),
    },
    type: 'event_callback',
    event_id: `Ev${now.toString(36).toUpperCase()}`,
    event_time: Math.floor(now / 1000),
    authorizations: [{ enterprise_id: null, team_id: teamId, user_id: BOT_USER_ID, is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false,
  };
}
