import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { expect } from 'vitest';
import { SPOKES } from '../../src/core/spoke-catalogue.js';
import { ACTION, CALLBACK, REQUEST_BLOCK, SETUP_BLOCK } from '../../src/slack/ids.js';
import { startAtlassianStandIn, type AtlassianSite, type AtlassianStandIn } from '../standins/atlassian.js';
import { startServiceNowStandIn, type Row, type ServiceNowStandIn } from '../standins/servicenow.js';
import { startSlackStandIn, type SlackCall, type SlackStandIn, type SlackUser } from '../standins/slack-api.js';
import { blockAction, postToBot, slashCommandPayload, viewSubmission, type BotResponse } from '../standins/slack-driver.js';
import { childEnv, startBotChild, type BotChild } from './bot-process.js';
import { acceptConsentWithoutBrowser } from './consent.js';
import { freshDatabase, type FreshDatabase } from './postgres.js';
export { duplicateRows } from './servicenow-duplicates.js';
import { consentUrl, expectFastAck, waitForPlanView } from './setup-steps.js';
import {
  ADMIN,
  APPROVAL_CHANNEL,
  BOT_TOKEN,
  CLIENT_ID,
  CLIENT_SECRET,
  MEMBER,
  OTHER_ADMIN,
  REPORT_CHANNEL,
  SERVICENOW_PASSWORD,
  SIGNING_SECRET,
  type SlackTransport,
  type World,
} from './world.js';

/**
 * Several spokebot processes (src/main.ts, as `npm start` runs it) on one PostgreSQL database,
 * sharing one set of stand-ins: one Slack Web API, one ServiceNow instance, one Atlassian.
 * Slack's requests are spread over the replicas round robin, as a load balancer would; what the
 * bots say lands on the one Slack stand-in, what they write on the one ServiceNow stand-in, and
 * what they keep in the one database, so a test asserts there.
 *
 * Every bot runs with test/support/clock-preload.ts: its wall clock is the test's shared clock,
 * which the test moves (days at a time) for all replicas at once. ServiceNow and Slack stamp on
 * the same clock, as time passes for everyone on a real instance.
 */

const CLOCK_PRELOAD = './test/support/clock-preload.ts';
const DAY_MS = 86_400_000;
export const ENCRYPTION_KEY = Buffer.alloc(32, 42);

/** Admins beside ADMIN and OTHER_ADMIN, so setups can run side by side each in its own admin's DM. */
export const LANE_ADMINS = ['UADMIN03', 'UADMIN04', 'UADMIN05', 'UADMIN06'];
export const REQUESTERS = [MEMBER, 'UMEMBER2', 'UMEMBER3'];

/** The test's wall clock, which every replica, ServiceNow and Slack read: real time plus an offset. */
export class SharedClock {
  offsetMs = 0;
  now = (): Date => new Date(Date.now() + this.offsetMs);
  nowMs = (): number => Date.now() + this.offsetMs;
}

export interface ReplicaWorldOptions {
  /** How many bot processes (default 3). */
  replicas?: number;
  /** Environment over the defaults, for every replica (SPOKE_CHECK_INTERVAL…). */
  env?: Record<string, string>;
  /** Atlassian sites besides the first. */
  extraSites?: number;
}

export interface ReplicaWorld {
  clock: SharedClock;
  slack: SlackStandIn;
  serviceNow: ServiceNowStandIn;
  atlassian: AtlassianStandIn;
  site: AtlassianSite;
  sites: AtlassianSite[];
  db: FreshDatabase;
  /** The test's own connection to the replicas' database, for assertions. */
  sql: pg.Pool;
  /** The replicas, by index; a replaced one (restart) takes its index. */
  replicas: BotChild[];
  /** Commands, interactions and events, round robin over the replicas alive. */
  deliver: SlackTransport;
  /** Which replica each delivery went to, in order. */
  deliveries: number[];
  /** Commands, interactions and events to one replica. */
  deliverTo(index: number): SlackTransport;
  /** What the setup and request helpers in setup-steps.ts need of a world, over `deliver`. */
  world: World;
  /** Moves every replica's clock (and ServiceNow's and Slack's) to `offsetMs` past real time; resolves once each replica has it. */
  setClockOffset(offsetMs: number): Promise<void>;
  /**
   * Each move of the clock, as shared-clock times: `from`, when the stand-ins' clock moved, to
   * `to`, when the last replica said its clock had. In between the replicas disagree on the time.
   */
  clockMoves: Array<{ from: number; to: number }>;
  advance(ms: number): Promise<void>;
  advanceDays(days: number): Promise<void>;
  /** kill -9 of one replica (it stays in `replicas`, dead, and gets no more deliveries). */
  kill9(index: number): Promise<void>;
  /** A fresh process in that replica's place, on the clock as it is now. */
  restart(index: number): Promise<BotChild>;
  alive(): number[];
  /** The last lines of every replica's output, for a failing assertion's message. */
  output(chars?: number): string;
  /** Every replica's log lines about one connection (its name in `connection`), oldest first within each replica. */
  linesAbout(connection: string): string;
  close(): Promise<void>;
}

export async function startReplicaWorld(options: ReplicaWorldOptions = {}): Promise<ReplicaWorld> {
  const count = options.replicas ?? 3;
  const clock = new SharedClock();
  const admins = [ADMIN, OTHER_ADMIN, ...LANE_ADMINS];
  const users: SlackUser[] = [
    { id: ADMIN, name: 'ada', is_admin: false },
    { id: OTHER_ADMIN, name: 'grace', is_admin: false },
    ...LANE_ADMINS.map((id, i) => ({ id, name: `admin${i + 3}`, is_admin: false })),
    ...REQUESTERS.map((id, i) => ({ id, name: `member${i + 1}`, is_admin: false })),
  ];
  const slack = await startSlackStandIn({
    botToken: BOT_TOKEN,
    now: clock.nowMs,
    users,
    channels: [
      { id: APPROVAL_CHANNEL, name: 'spoke-approvals', is_member: true },
      { id: REPORT_CHANNEL, name: 'it-integrations', is_member: true },
    ],
  });
  const atlassian = await startAtlassianStandIn();
  const sites = [await atlassian.createSite()];
  for (let i = 0; i < (options.extraSites ?? 0); i++) sites.push(await atlassian.createSite());
  const serviceNow = await startServiceNowStandIn({ username: 'spokebot.integration', password: SERVICENOW_PASSWORD, now: clock.now });
  atlassian.registerApp({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    callbackUrl: `${serviceNow.url}/oauth_redirect.do`,
    scopes: [...new Set(Object.values(SPOKES).flatMap((spoke) => [...spoke.defaultScopes, ...spoke.serviceAccountScopes]))],
    name: 'ServiceNow integration',
  });
  const dataDir = await mkdtemp(join(tmpdir(), 'spokebot-replicas-'));
  const db = await freshDatabase();
  const sql = new pg.Pool({ connectionString: db.url, max: 4 });

  const env = (): Record<string, string> => ({
    ...childEnv({ slackApiUrl: slack.apiUrl, serviceNowUrl: serviceNow.url, dbPath: join(dataDir, 'not-used.json'), key: ENCRYPTION_KEY, port: 0 }),
    SERVICENOW_USERNAME: 'spokebot.integration',
    SERVICENOW_PASSWORD,
    SPOKE_DATABASE_URL: db.url,
    ATLASSIAN_AUTH_URL: atlassian.authUrl,
    ATLASSIAN_API_URL: atlassian.apiUrl,
    ATLASSIAN_SITE_ALLOWLIST: 'http://127.0.0.1:*',
    SPOKE_ADMINS: admins.join(','),
    SPOKE_APPROVERS: `${ADMIN},${OTHER_ADMIN}`,
    SPOKE_APPROVAL_CHANNEL: APPROVAL_CHANNEL,
    SPOKE_CONSENT_TIMEOUT: '2m',
    LOG_LEVEL: 'info',
    SPOKEBOT_TEST_CLOCK_OFFSET_MS: String(clock.offsetMs),
    ...options.env,
  });
  const start = () => startBotChild(env(), { imports: [CLOCK_PRELOAD], ipc: true, readyWithinMs: 60_000, outputLimit: 400_000 });

  const replicas: BotChild[] = [];
  const closeAll = async () => {
    await Promise.all(replicas.map((r) => r.kill9()));
    await sql.end().catch(() => undefined);
    await db.drop().catch(() => undefined);
    await Promise.all([slack.close(), serviceNow.close(), atlassian.close(), ...sites.map((s) => s.close())]);
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    // All at once, as an orchestrator starts them: the migrations race under the advisory lock.
    replicas.push(...(await Promise.all(Array.from({ length: count }, start))));
  } catch (error) {
    await closeAll();
    throw error;
  }

  const alive = () => replicas.flatMap((r, i) => (r.alive() ? [i] : []));
  const timestamp = () => Math.floor(clock.nowMs() / 1000);
  const deliveries: number[] = [];
  const transportTo = (pick: () => number): SlackTransport => {
    const send = (body: string, type: string): Promise<BotResponse> => {
      const index = pick();
      deliveries.push(index);
      // Signed at the shared clock's time: a replica whose clock moved on refuses an older stamp, as Bolt does.
      return postToBot(replicas[index]!.eventsUrl, SIGNING_SECRET, body, type, { timestamp: timestamp() });
    };
    const form = 'application/x-www-form-urlencoded';
    return {
      command: (cmd) => send(new URLSearchParams(slashCommandPayload(cmd)).toString(), form),
      interaction: (payload) => send(new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), form),
      event: (body) => send(JSON.stringify(body), 'application/json'),
    };
  };
  let turn = 0;
  const nextAlive = (): number => {
    const live = alive();
    if (live.length === 0) throw new Error('no replica is alive');
    return live[turn++ % live.length]!;
  };
  const deliver = transportTo(nextAlive);

  const clockMoves: Array<{ from: number; to: number }> = [];
  const setClockOffset = async (offsetMs: number) => {
    clock.offsetMs = offsetMs;
    const from = clock.nowMs();
    await Promise.all(
      alive().map((i) => replicas[i]!.ask({ spokebotClock: offsetMs }, (reply) => ((reply as { spokebotClockSet?: number }).spokebotClockSet === offsetMs ? true : undefined))),
    );
    clockMoves.push({ from, to: clock.nowMs() });
  };

  const world = {
    clock,
    slack,
    serviceNow,
    atlassian,
    site: sites[0]!,
    deliver,
    get eventsUrl() {
      return replicas[nextAlive()]!.eventsUrl;
    },
  } as unknown as World;

  return {
    clock,
    slack,
    serviceNow,
    atlassian,
    site: sites[0]!,
    sites,
    db,
    sql,
    replicas,
    deliver,
    deliveries,
    deliverTo: (index) => transportTo(() => index),
    world,
    setClockOffset,
    clockMoves,
    advance: (ms) => setClockOffset(clock.offsetMs + ms),
    advanceDays: (days) => setClockOffset(clock.offsetMs + days * DAY_MS),
    async kill9(index) {
      await replicas[index]!.kill9();
    },
    async restart(index) {
      await replicas[index]!.kill9();
      replicas[index] = await start();
      return replicas[index]!;
    },
    alive,
    output: (chars = 4000) => replicas.map((r, i) => `--- replica ${i} (pid ${r.pid}${r.alive() ? '' : ', dead'}) ---\n${r.output().slice(-chars)}`).join('\n'),
    linesAbout: (connection) => {
      const mark = `"connection":${JSON.stringify(connection)}`;
      return replicas.map((r, i) => `--- replica ${i}, about ${connection} ---\n${r.output().split('\n').filter((line) => line.includes(mark)).join('\n')}`).join('\n');
    },
    close: closeAll,
  };
}

/* ------------------------------------------------------------------------------------------------
 * Steps that run side by side. The helpers in setup-steps.ts wait for "the next views.open" or
 * "the next message after a mark", which is ambiguous when several setups run at once; these tie
 * each wait to its own trigger id, view id, or admin's DM.
 * ---------------------------------------------------------------------------------------------- */

const afterIndex = (slack: SlackStandIn, since: number) => (c: SlackCall) => slack.calls.indexOf(c) >= since;

/** `/spoke <text>` as `userId`: resolves with the views.open made for this command's trigger. */
export async function commandOpeningView(w: ReplicaWorld, text: string, userId: string, callbackId: string): Promise<Record<string, unknown>> {
  const triggerId = w.slack.issueTriggerId();
  const opened = w.slack.waitForCall('views.open', (c) => c.args.trigger_id === triggerId, 15_000);
  expectFastAck(await w.deliver.command({ text, userId, triggerId, channelId: REPORT_CHANNEL, responseUrl: w.slack.newResponseUrl() }));
  const call = await opened;
  expect(call.response.ok, JSON.stringify(call.response)).toBe(true);
  const view = call.response.view as Record<string, unknown>;
  expect(view.callback_id).toBe(callbackId);
  return view;
}

/** Picks a radio that redraws the modal (dispatch_action), as Slack sends it; resolves with the redrawn view. */
export async function pickRadio(w: ReplicaWorld, view: Record<string, unknown>, blockId: string, actionId: string, value: string, userId: string): Promise<Record<string, unknown>> {
  const since = w.slack.calls.length;
  const option = { value, text: { type: 'plain_text', text: value } };
  const payload = {
    type: 'block_actions',
    user: { id: userId, username: userId.toLowerCase(), name: userId.toLowerCase(), team_id: 'T0001' },
    api_app_id: 'A0SPOKEBOT',
    token: 'vErIfIcAtIoNtOkEn0001',
    trigger_id: w.slack.issueTriggerId(String(view.id)),
    team: { id: 'T0001', domain: 'acme' },
    container: { type: 'view', view_id: view.id },
    view: { ...view, state: { values: { [blockId]: { [actionId]: { type: 'radio_buttons', selected_option: option } } } } },
    actions: [{ type: 'radio_buttons', action_id: actionId, block_id: blockId, selected_option: option, action_ts: '1' }],
  };
  const redrawn = w.slack.waitForCall('views.update', (c) => afterIndex(w.slack, since)(c) && c.args.view_id === view.id, 15_000);
  expectFastAck(await w.deliver.interaction(payload));
  const call = await redrawn;
  expect(call.response.ok, JSON.stringify(call.response)).toBe(true);
  return call.response.view as Record<string, unknown>;
}

export async function submit(w: ReplicaWorld, view: Record<string, unknown>, answers: Record<string, string | string[] | null>, userId: string, via: SlackTransport = w.deliver): Promise<BotResponse> {
  const response = await via.interaction(viewSubmission({ userId, view, answers }));
  expectFastAck(response);
  return response;
}

/** A bot message posted to `userId`'s DM after `since` whose text matches. */
export async function dmMessage(w: ReplicaWorld, userId: string, pattern: RegExp, since: number, timeoutMs = 15_000): Promise<SlackCall> {
  const channel = w.slack.dmChannelFor(userId);
  try {
    return await w.slack.waitForCall('chat.postMessage', (c) => afterIndex(w.slack, since)(c) && c.args.channel === channel && pattern.test(String(c.args.text ?? '')), timeoutMs);
  } catch {
    const seen = w.slack.calls.slice(since).filter((c) => c.args.channel === channel).map((c) => `  ${c.method}: ${String(c.args.text ?? '').slice(0, 200)}`);
    throw new Error(`no DM to ${userId} matching ${pattern} within ${timeoutMs} ms; what the DM got meanwhile:\n${seen.join('\n')}\n${w.output(3000)}`);
  }
}

export type SetupMethod = 'oauth_3lo' | 'api_token' | 'service_account';

export interface SetupSpec {
  name: string;
  spoke: 'jira' | 'jsm' | 'confluence';
  method: SetupMethod;
  site: AtlassianSite;
  /** API tokens: the account and the token (added to the Atlassian stand-in by the caller). */
  email?: string;
  token?: string;
  /** API tokens: YYYY-MM-DD. */
  expiresOn?: string;
}

export function setupAnswersFor(spec: SetupSpec): Record<string, string | string[] | null> {
  const base = { [SETUP_BLOCK.connectionName]: spec.name, [SETUP_BLOCK.site]: spec.site.url, [SETUP_BLOCK.channel]: REPORT_CHANNEL };
  if (spec.method === 'api_token') {
    return { ...base, [SETUP_BLOCK.email]: spec.email!, [SETUP_BLOCK.apiToken]: spec.token!, [SETUP_BLOCK.tokenExpiry]: spec.expiresOn!, [SETUP_BLOCK.tokenScoped]: [] };
  }
  const scopes = spec.method === 'service_account' ? SPOKES[spec.spoke].serviceAccountScopes : SPOKES[spec.spoke].defaultScopes;
  // Confluence's form has no scopes field (its defaults are fixed).
  return { ...base, [SETUP_BLOCK.clientId]: CLIENT_ID, [SETUP_BLOCK.clientSecret]: CLIENT_SECRET, ...(spec.spoke === 'confluence' ? {} : { [SETUP_BLOCK.scopes]: scopes.join(' ') }) };
}

/**
 * Form → plan → Confirm, each request to whichever replica is next, and, for 3LO, the consent
 * accepted in a browser's place: resolves with the "is connected" DM. The admin must have no
 * other setup running (waits are on their DM).
 */
export async function setUpConnection(w: ReplicaWorld, spec: SetupSpec, adminId: string, o: { confirmVia?: SlackTransport } = {}): Promise<SlackCall> {
  const since = w.slack.calls.length;
  const consent = await setupUntilWritten(w, spec, adminId, o);
  if (spec.method === 'oauth_3lo') await acceptConsentWithoutBrowser(consentUrl(consent));
  return dmMessage(w, adminId, new RegExp(`^${escapeRegExp(spec.name)} is connected`), since, 20_000);
}

/** Form → plan → Confirm: resolves with the consent-link DM (3LO) or the "is connected" DM. */
export async function setupUntilWritten(w: ReplicaWorld, spec: SetupSpec, adminId: string, o: { confirmVia?: SlackTransport } = {}): Promise<SlackCall> {
  const plan = await setupUntilPlan(w, spec, adminId);
  const since = w.slack.calls.length;
  await submit(w, plan, {}, adminId, o.confirmVia);
  const done = spec.method === 'oauth_3lo' ? /One click left/ : new RegExp(`^${escapeRegExp(spec.name)} is connected`);
  return dmMessage(w, adminId, done, since, 20_000);
}

/** Form → the plan modal, not confirmed yet. */
export async function setupUntilPlan(w: ReplicaWorld, spec: SetupSpec, adminId: string): Promise<Record<string, unknown>> {
  let form = await commandOpeningView(w, `setup ${spec.spoke}`, adminId, CALLBACK.setupModal);
  if (spec.method !== 'oauth_3lo') form = await pickRadio(w, form, SETUP_BLOCK.method, ACTION.chooseMethod, spec.method, adminId);
  const ack = await submit(w, form, setupAnswersFor(spec), adminId);
  expect(ack.json, `the form of ${spec.name} was refused: ${ack.text}`).toMatchObject({ response_action: 'update' });
  return waitForPlanView(w.world, String(form.id), 20_000);
}

/** `/spoke request` for Confluence groups on a connection, sent: resolves with the card posted to the approvers. */
export async function requestGroups(w: ReplicaWorld, requester: string, connection: string, group: string, reason: string): Promise<SlackCall> {
  let view = await commandOpeningView(w, 'request', requester, CALLBACK.requestModal);
  view = await pickRadio(w, view, REQUEST_BLOCK.kind, ACTION.chooseRequestKind, 'confluence_group', requester);
  const card = w.slack.waitForCall(
    'chat.postMessage',
    (c) => c.args.channel === APPROVAL_CHANNEL && /^Request #/.test(String(c.args.text)) && JSON.stringify(c.args.blocks ?? '').includes(group),
    20_000,
  );
  const ack = await submit(w, view, { [REQUEST_BLOCK.connection]: connection, [REQUEST_BLOCK.groups]: group, [REQUEST_BLOCK.reason]: reason }, requester);
  expect(ack.json, ack.text).toMatchObject({ response_action: 'clear' });
  return card;
}

/** A click on a button of a message the bot posted, sent through `via`. */
export async function click(w: ReplicaWorld, message: SlackCall, actionId: string, userId: string, via: SlackTransport = w.deliver): Promise<BotResponse> {
  const blocks = (message.args.blocks ?? []) as Array<{ block_id?: string; elements?: Array<{ action_id?: string; value?: string }> }>;
  const block = blocks.find((b) => b.elements?.some((e) => e.action_id === actionId));
  const element = block?.elements?.find((e) => e.action_id === actionId);
  expect(element, `button ${actionId} in the message "${String(message.args.text)}"`).toBeDefined();
  const response = await via.interaction(
    blockAction({
      userId,
      actionId,
      blockId: block!.block_id ?? 'b',
      ...(element!.value !== undefined ? { value: element!.value } : {}),
      triggerId: w.slack.issueTriggerId(),
      message: { channel: String(message.response.channel), ts: String(message.response.ts) },
      responseUrl: w.slack.newResponseUrl(),
    }),
  );
  expectFastAck(response);
  return response;
}

/* ------------------------------------------------------------------------------------------------
 * What the replicas left behind: ServiceNow's records and the database.
 * ---------------------------------------------------------------------------------------------- */

export interface AuditRow {
  seq: number;
  at: Date;
  connection: string | null;
  action: string;
  event: { actor?: string; action: string; outcome?: string; connection?: string; detail?: Record<string, unknown>; [key: string]: unknown };
}

/** The audit trail as the replicas wrote it to the database, oldest first (optionally of some actions). */
export async function auditRows(w: ReplicaWorld, actions?: string[]): Promise<AuditRow[]> {
  const result = actions
    ? await w.sql.query('SELECT seq, at, connection, action, line FROM audit_log WHERE action = ANY($1) ORDER BY seq', [actions])
    : await w.sql.query('SELECT seq, at, connection, action, line FROM audit_log ORDER BY seq');
  return result.rows.map((r: { seq: string; at: Date; connection: string | null; action: string; line: string }) => ({
    seq: Number(r.seq),
    at: r.at,
    connection: r.connection,
    action: r.action,
    event: JSON.parse(r.line) as AuditRow['event'],
  }));
}

/** A stored document of one of the store's tables (setups, connections, health, requests), by key. */
export async function storedDocs<T = Record<string, unknown>>(w: ReplicaWorld, table: 'setups' | 'connections' | 'health' | 'requests'): Promise<T[]> {
  const result = await w.sql.query(`SELECT doc FROM ${table}`);
  return result.rows.map((r: { doc: T }) => r.doc);
}

/** Polls until `probe` gives a value (not undefined/false), or fails with `what` and the replicas' last output. */
export async function until<T>(w: ReplicaWorld, what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 15_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${w.output(2500)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Runs `work` over `items`, at most `concurrency` at a time, in order of the items. After a
 * failure no lane takes another item (the rest would run on in the background, into the next
 * test); it rejects with the first failure once the lanes are idle.
 */
export async function inLanes<T, R>(items: readonly T[], concurrency: number, work: (item: T, lane: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async (_, lane) => {
      while (failure === undefined) {
        const i = next++;
        if (i >= items.length) return;
        try {
          results[i] = await work(items[i]!, lane);
        } catch (error) {
          failure ??= { error };
        }
      }
    }),
  );
  if (failure) throw failure.error;
  return results;
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export type { Row };
