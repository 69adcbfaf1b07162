import { childEnv, freePort } from '../support/bot-process.js';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION, REQUEST_BLOCK } from '../../src/slack/ids.js';
import { startServiceNowStandIn, type ServiceNowStandIn } from '../standins/servicenow.js';
import { startSlackStandIn, type SlackStandIn } from '../standins/slack-api.js';
import { appHomeOpened, blockAction, postToBot, sendSlashCommand, slashCommandPayload } from '../standins/slack-driver.js';
import { submitRequest } from '../support/request-steps.js';
import { mark, runCommand } from '../support/setup-steps.js';
import { ADMIN, APPROVAL_CHANNEL, BOT_TOKEN, MEMBER, SIGNING_SECRET, startWorld, type World } from '../support/world.js';

const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';
/** Put in every malformed body: the logs must never show it. */
const MARKER = 'MALFORMED-MARKER-5c1d';

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const payload = (value: unknown) => form({ payload: JSON.stringify(value) });
const user = { id: ADMIN, username: 'ada', name: 'ada', team_id: 'T0001' };
const view = { id: 'V0MALFORMED', callback_id: 'spoke_setup', private_metadata: MARKER, hash: 'h', state: { values: {} } };

interface Row {
  name: string;
  body: string | (() => string);
  contentType: string;
  status: number;
}

/** Validly signed, each of them: only the body (or its content type) is wrong. */
const ROWS: Row[] = [
  { name: 'payload=null', body: 'payload=null', contentType: FORM, status: 400 },
  { name: 'payload= (empty)', body: 'payload=', contentType: FORM, status: 400 },
  { name: 'payload=[]', body: 'payload=[]', contentType: FORM, status: 400 },
  { name: 'payload={}', body: 'payload={}', contentType: FORM, status: 400 },
  { name: 'payload given twice', body: `${payload({ type: 'view_closed', user, view })}&${payload({ type: 'view_closed', user, view })}`, contentType: FORM, status: 400 },
  { name: 'block_actions with actions: null', body: payload({ type: 'block_actions', user, trigger_id: 't', container: { type: 'message' }, actions: null, marker: MARKER }), contentType: FORM, status: 400 },
  { name: 'block_actions without user', body: payload({ type: 'block_actions', trigger_id: 't', container: { type: 'message' }, actions: [{ type: 'button', action_id: ACTION.checkNow, block_id: 'b', value: MARKER }] }), contentType: FORM, status: 400 },
  { name: 'view_submission without view', body: payload({ type: 'view_submission', user, trigger_id: 't', marker: MARKER }), contentType: FORM, status: 400 },
  { name: 'view_submission that also names an event', body: payload({ type: 'view_submission', user, view, event: { type: 'app_home_opened' } }), contentType: FORM, status: 400 },
  { name: 'an interaction type spokebot has no listener for', body: payload({ type: 'shortcut', user, callback_id: MARKER, trigger_id: 't' }), contentType: FORM, status: 400 },
  { name: 'event_callback with event: null', body: JSON.stringify({ type: 'event_callback', event_id: 'Ev1', team_id: 'T0001', event: null, marker: MARKER }), contentType: JSON_TYPE, status: 400 },
  { name: 'app_home_opened without user', body: JSON.stringify({ ...appHomeOpened({ userId: ADMIN }), event: { type: 'app_home_opened', tab: 'home', channel: 'D1', marker: MARKER } }), contentType: JSON_TYPE, status: 400 },
  { name: 'app_home_opened with item: null', body: JSON.stringify({ ...appHomeOpened({ userId: ADMIN }), event: { ...(appHomeOpened({ userId: ADMIN }).event as Record<string, unknown>), item: null } }), contentType: JSON_TYPE, status: 400 },
  { name: 'JSON null', body: 'null', contentType: JSON_TYPE, status: 400 },
  { name: 'truncated JSON', body: JSON.stringify(appHomeOpened({ userId: ADMIN })).slice(0, 40), contentType: JSON_TYPE, status: 400 },
  { name: '1 MB body', body: () => payload({ type: 'view_closed', user, marker: MARKER.repeat(Math.ceil(1_048_576 / MARKER.length)) }), contentType: FORM, status: 400 },
  { name: 'body over the 4 MB limit', body: () => 'x'.repeat(4 * 1024 * 1024 + 1), contentType: FORM, status: 413 },
  { name: 'wrong content type (a command as text/plain)', body: form({ ...slashCommandPayload({ text: 'help', userId: ADMIN, triggerId: 't' }), marker: MARKER }), contentType: 'text/plain', status: 400 },
  { name: 'form without payload or command', body: form({ marker: MARKER }), contentType: FORM, status: 400 },
  { name: 'a command spokebot does not own', body: form(slashCommandPayload({ text: MARKER, userId: ADMIN, triggerId: 't', command: '/other' })), contentType: FORM, status: 400 },
  { name: 'a command without user_id', body: form({ command: '/spoke', text: MARKER, trigger_id: 't', team_id: 'T0001', channel_id: 'C1', response_url: 'http://127.0.0.1:9/x' }), contentType: FORM, status: 400 },
  // Shapes Slack may send that need nothing done: answered 200, nothing runs.
  { name: 'app_rate_limited', body: JSON.stringify({ token: 't', type: 'app_rate_limited', team_id: 'T0001', minute_rate_limited: 1518467820, api_app_id: 'A0SPOKEBOT' }), contentType: JSON_TYPE, status: 200 },
];

describe('validly signed requests spokebot cannot handle', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld({ logLevel: 'info' });
  });
  afterAll(async () => {
    await world.close();
  });

  /** The bot still answers a real command: nothing stopped or wedged. */
  async function stillAnswersHelp(): Promise<void> {
    const help = await runCommand(world, 'help');
    expect(help.json).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('/spoke') });
  }

  it.each(ROWS)('$name → $status, and /spoke help still works', async ({ body, contentType, status }) => {
    const since = mark(world);
    const logsBefore = world.logs.length;
    const response = await postToBot(world.eventsUrl, SIGNING_SECRET, typeof body === 'function' ? body() : body, contentType);
    expect(response.status).toBe(status);
    if (status === 400) {
      expect(response.text).toBe('malformed Slack request\n');
      const refusals = world.logs.slice(logsBefore).filter((line) => line.includes('refused a signed Slack request spokebot does not handle'));
      expect(refusals).toHaveLength(1);
      expect(JSON.parse(refusals[0]!)).toMatchObject({ level: 40, status: 400, problem: expect.any(String) });
    }
    // Nothing ran: no Slack call came of it.
    expect(world.slack.calls.slice(since)).toEqual([]);
    await stillAnswersHelp();
  });

  it('never logged a body, never failed a listener, never crashed', () => {
    expect(world.logs.filter((line) => line.includes(MARKER))).toEqual([]);
    expect(world.logs.filter((line) => /slack listener failed|unhandled|uncaught|request guard failed/.test(line))).toEqual([]);
  });

  it('refuses a signature dated more than 5 minutes ahead with 401, and accepts one inside the window', async () => {
    const body = form(slashCommandPayload({ text: 'help', userId: ADMIN, triggerId: world.slack.issueTriggerId() }));
    const now = Math.floor(Date.now() / 1000);
    for (const ahead of [600, 365 * 86_400]) {
      const logsBefore = world.logs.length;
      const response = await postToBot(world.eventsUrl, SIGNING_SECRET, body, FORM, { timestamp: now + ahead });
      expect(response.status, `+${ahead} s`).toBe(401);
      expect(world.logs.slice(logsBefore).some((line) => line.includes(`dated ${ahead} s ahead`) || line.includes('s ahead of this host'))).toBe(true);
    }
    // Slack's and this host's clocks may differ by a little.
    const skewed = await postToBot(world.eventsUrl, SIGNING_SECRET, body, FORM, { timestamp: now + 200 });
    expect(skewed.status).toBe(200);
    expect(skewed.json).toMatchObject({ response_type: 'ephemeral' });
  });

  it('still refuses unsigned and stale requests with 401', async () => {
    const body = form(slashCommandPayload({ text: 'help', userId: ADMIN, triggerId: 't' }));
    expect((await postToBot(world.eventsUrl, SIGNING_SECRET, body, FORM, { unsigned: true })).status).toBe(401);
    expect((await postToBot(world.eventsUrl, SIGNING_SECRET, 'payload=null', FORM, { unsigned: true })).status).toBe(401);
    expect((await postToBot(world.eventsUrl, 'another-secret', 'payload=null', FORM)).status).toBe(401);
    expect((await postToBot(world.eventsUrl, SIGNING_SECRET, body, FORM, { timestamp: Math.floor(Date.now() / 1000) - 600 })).status).toBe(401);
  });
});

describe('a signed request replayed within the window', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld({ logLevel: 'info' });
  });
  afterAll(async () => {
    await world.close();
  });

  it('is processed once: one modal for two identical /spoke setup requests, the same answer to both', async () => {
    const since = mark(world);
    const body = form(slashCommandPayload({ text: 'setup confluence', userId: ADMIN, triggerId: world.slack.issueTriggerId(), responseUrl: world.slack.newResponseUrl() }));
    const timestamp = Math.floor(Date.now() / 1000);
    const first = await postToBot(world.eventsUrl, SIGNING_SECRET, body, FORM, { timestamp });
    const replay = await postToBot(world.eventsUrl, SIGNING_SECRET, body, FORM, { timestamp });
    expect(first.status).toBe(200);
    expect(replay.status).toBe(200);
    expect(replay.text).toBe(first.text);
    const opened = await world.slack.waitForCall('views.open', (c) => world.slack.calls.indexOf(c) >= since);
    await world.bot.tasks.idle();
    expect(world.slack.calls.slice(since).filter((c) => c.method === 'views.open')).toEqual([opened]);
    expect(world.logs.some((line) => line.includes('or a request was replayed as it was'))).toBe(true);

    // The same command signed anew is a second request, and runs.
    const again = mark(world);
    await runCommand(world, 'setup confluence');
    await world.slack.waitForCall('views.open', (c) => world.slack.calls.indexOf(c) >= again);
  });

  it('is processed once: one decision for an Approve click sent twice', async () => {
    const card = await submitRequest(world, MEMBER, 'new_connection', { [REQUEST_BLOCK.spoke]: 'jira', [REQUEST_BLOCK.site]: world.site.url, [REQUEST_BLOCK.team]: 'Support', [REQUEST_BLOCK.reason]: 'We need Jira issues in ServiceNow.' });
    const since = mark(world);
    const click = payload(
      blockAction({ userId: ADMIN, actionId: ACTION.approveRequest, blockId: 'b', value: '1', triggerId: world.slack.issueTriggerId(), message: { channel: APPROVAL_CHANNEL, ts: String(card.response.ts) }, responseUrl: world.slack.newResponseUrl() }),
    );
    const timestamp = Math.floor(Date.now() / 1000);
    expect((await postToBot(world.eventsUrl, SIGNING_SECRET, click, FORM, { timestamp })).status).toBe(200);
    expect((await postToBot(world.eventsUrl, SIGNING_SECRET, click, FORM, { timestamp })).status).toBe(200);
    await world.bot.tasks.idle();
    expect((await world.bot.store.auditTrail()).filter((e) => e.action === 'request.approved')).toHaveLength(1);
    // The replay did not even reach the decision ("already approved" would have answered it).
    expect(world.slack.calls.slice(since).filter((c) => c.method === 'response_url' && /already/.test(String(c.args.text)))).toEqual([]);
  });
});

describe('the bot as a process', () => {
  let slack: SlackStandIn;
  let serviceNow: ServiceNowStandIn;
  let dataDir: string;
  beforeAll(async () => {
    slack = await startSlackStandIn({ botToken: BOT_TOKEN });
    serviceNow = await startServiceNowStandIn({ username: 'u', password: 'p' });
    dataDir = await mkdtemp(join(tmpdir(), 'spokebot-malformed-'));
  });
  afterAll(async () => {
    await Promise.all([slack.close(), serviceNow.close()]);
    await rm(dataDir, { recursive: true, force: true });
  });

  /**
   * `npm start`'s entry point against the stand-ins. With `fault`, a test-only module loaded
   * before it (test/support/fault-on-signal.ts) makes that fault on SIGUSR2.
   */
  async function startBot(name: string, fault?: 'rejection' | 'exception') {
    const port = await freePort();
    const child: ChildProcessWithoutNullStreams = spawn(process.execPath, ['--import', 'tsx', ...(fault ? ['--import', './test/support/fault-on-signal.ts'] : []), 'src/main.ts'], {
      env: {
        ...childEnv({ slackApiUrl: slack.apiUrl, serviceNowUrl: serviceNow.url, dbPath: join(dataDir, `${name}.json`), key: Buffer.alloc(32, 5), port }),
        LOG_LEVEL: 'info',
        ...(fault ? { SPOKEBOT_TEST_FAULT: fault } : {}),
      },
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const deadline = Date.now() + 15_000;
    let health: Response | undefined;
    while (Date.now() < deadline && health?.status !== 200) {
      health = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
      if (health?.status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(health?.status, output).toBe(200);
    const events = `http://127.0.0.1:${port}/slack/events`;
    const help = async () => (await sendSlashCommand(events, SIGNING_SECRET, { text: 'help', userId: 'U1', triggerId: 't' })).json;
    return { child, events, exited, help, output: () => output };
  }

  it('answers a signed null body with 400 and keeps serving', async () => {
    const bot = await startBot('null-body');
    expect((await postToBot(bot.events, SIGNING_SECRET, 'payload=null', FORM)).status).toBe(400);
    expect((await postToBot(bot.events, SIGNING_SECRET, 'null', JSON_TYPE)).status).toBe(400);
    expect(await bot.help()).toMatchObject({ response_type: 'ephemeral' });
    expect(bot.child.exitCode).toBeNull();
    bot.child.kill('SIGTERM');
    expect(await bot.exited).toBe(0);
    expect(bot.output()).not.toMatch(/uncaught|unhandled/);
  }, 30_000);

  it('survives an unhandled rejection, logging it, and keeps serving', async () => {
    const bot = await startBot('rejection', 'rejection');
    bot.child.kill('SIGUSR2');
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && !bot.output().includes('unhandled promise rejection')) await new Promise((r) => setTimeout(r, 50));
    expect(bot.output()).toContain('unhandled promise rejection: logged and survived');
    expect(await bot.help()).toMatchObject({ response_type: 'ephemeral' });
    bot.child.kill('SIGTERM');
    expect(await bot.exited).toBe(0);
  }, 30_000);

  it('stops cleanly and exits 70 after an uncaught exception, for its supervisor to restart it', async () => {
    const bot = await startBot('exception', 'exception');
    bot.child.kill('SIGUSR2');
    expect(await bot.exited).toBe(70);
    const output = bot.output();
    expect(output).toContain('uncaught exception: the process state is unknown');
    expect(output).toContain('test fault: thrown out of a signal handler');
    expect(output).not.toContain('without it');
  }, 30_000);
});
