import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CALLBACK, REQUEST_BLOCK } from '../../src/slack/ids.js';
import type { AccessRequest } from '../../src/store/spoke-store.js';
import { startServiceNowStandIn } from '../standins/servicenow.js';
import { manifestBotScopes, startSlackStandIn, type SlackStandIn } from '../standins/slack-api.js';
import { appHomeOpened, sendInteraction, sendSlashCommand, viewSubmission } from '../standins/slack-driver.js';
import { sendNewConnectionRequest } from '../support/request-steps.js';
import { mark, runCommand } from '../support/setup-steps.js';
import { childEnv } from '../support/bot-process.js';
import { ADMIN, APPROVAL_CHANNEL, BOT_TOKEN, MEMBER, OTHER_ADMIN, SIGNING_SECRET, startWorld, type World } from '../support/world.js';

/**
 * The outbox of access requests (README, "Access requests and the audit log"): a saved request
 * always reaches the approvers' channel, or its requester hears why not.
 */
const REASON = 'Our support team needs to sync tickets with Jira.';
const HOUR = 3_600_000;
const answers = (site: string, team = 'Support') => ({ [REQUEST_BLOCK.spoke]: 'jira', [REQUEST_BLOCK.site]: site, [REQUEST_BLOCK.team]: team, [REQUEST_BLOCK.reason]: REASON });

/** The cards in the approvers' channel (top-level messages Slack kept), for one request or all. */
function cards(slack: SlackStandIn, id?: number) {
  return slack.messages.filter((m) => m.channel === APPROVAL_CHANNEL && m.thread_ts === undefined && (id === undefined ? /^Request #\d+:/ : new RegExp(`^Request #${id}:`)).test(m.text));
}

function dms(slack: SlackStandIn, user: string, pattern: RegExp) {
  return slack.calls.filter((c) => c.method === 'chat.postMessage' && c.response.ok === true && c.args.channel === slack.dmChannelFor(user) && pattern.test(String(c.args.text)));
}

const RECEIPT = /^Your request #\d+ .* is with the approvers/;
const BLOCKED = /could not be put in front of the approvers yet/;

describe('in one process', () => {
  let world: World;
  beforeEach(async () => {
    world = await startWorld({ logLevel: 'warn' });
  });
  afterEach(async () => {
    await world.close();
  });

  const dmTo = (user: string, pattern: RegExp) => world.slack.waitForCall('chat.postMessage', (c) => c.args.channel === world.slack.dmChannelFor(user) && pattern.test(String(c.args.text)));
  const audited = async (action: string) => (await world.bot.store.auditTrail()).filter((e) => e.action === action);

  it('not_in_channel: the requester and the admins hear the fix once; once the bot is in, the sweep posts the card once; nothing expires meanwhile', async () => {
    for (let i = 0; i < 20; i++) world.slack.faults.next({ method: 'chat.postMessage', channel: APPROVAL_CHANNEL, error: 'not_in_channel' });
    await sendNewConnectionRequest(world, MEMBER, answers(world.site.url));
    const told = String((await dmTo(MEMBER, BLOCKED)).args.text);
    expect(told).toContain(`the approvers' channel <#${APPROVAL_CHANNEL}> does not have spokebot in it`);
    expect(told).toContain('`/invite @spokebot`');
    expect(told).toContain('Your request is saved and will be announced as soon as it can.');
    await dmTo(ADMIN, /Request #1 from <@UMEMBER1> could not be posted/);
    await dmTo(OTHER_ADMIN, /Request #1 from <@UMEMBER1> could not be posted/);
    await world.bot.tasks.idle();
    expect(world.bot.store.getRequest(1)).toMatchObject({ state: 'open', announce: { attempts: 1, lastError: 'not_in_channel', channel: APPROVAL_CHANNEL } });

    const since = mark(world);
    await runCommand(world, 'requests', MEMBER);
    const listed = await world.slack.waitForCall('response_url', (c) => world.slack.calls.indexOf(c) >= since && /Your requests/.test(String(c.args.text)));
    expect(JSON.stringify(listed.args.blocks)).toContain('not yet announced: the approvers');
    await world.deliver.event(appHomeOpened({ userId: ADMIN }));
    const home = await world.slack.waitForCall('views.publish', (c) => world.slack.calls.indexOf(c) >= since && c.args.user_id === ADMIN);
    expect(JSON.stringify(home.args.view)).toContain(`not yet announced: the approvers' channel <#${APPROVAL_CHANNEL}> does not have spokebot in it`);

    // Ten days with the bot kept out: tried again at a slow pace, nobody told twice, nothing expired.
    for (let day = 0; day < 10; day++) {
      world.clock.advance(24 * HOUR);
      await world.bot.sweepRequests();
    }
    expect(world.bot.store.getRequest(1)).toMatchObject({ state: 'open', announce: { attempts: 11 } });
    expect(dms(world.slack, MEMBER, BLOCKED)).toHaveLength(1);
    expect(dms(world.slack, ADMIN, /could not be posted/)).toHaveLength(1);
    expect(await audited('request.announce_blocked')).toHaveLength(1);
    expect(await audited('request.expired')).toHaveLength(0);
    expect(cards(world.slack)).toHaveLength(0);

    // Someone invited the bot: the next try (at most 30 minutes on) posts the card.
    world.slack.faults.clear();
    world.clock.advance(30 * 60_000 + 1000);
    await world.bot.sweepRequests();
    await world.bot.sweepRequests();
    expect(cards(world.slack, 1)).toHaveLength(1);
    expect(world.bot.store.getRequest(1)!.card?.ts).toBe(cards(world.slack, 1)[0]!.ts);
    expect(world.bot.store.getRequest(1)!.announce).toBeUndefined();
    expect(dms(world.slack, MEMBER, RECEIPT)).toHaveLength(1);

    // The expiry clock starts at the card: a day on, the approvers are reminded, nothing expires.
    world.clock.advance(24 * HOUR + 1000);
    await world.bot.sweepRequests();
    expect(world.bot.store.getRequest(1)).toMatchObject({ state: 'open', reannounced: 1 });
    expect(cards(world.slack, 1)).toHaveLength(1);
  });

  it('429 then success: the next try waits for Retry-After, and there is one card', async () => {
    world.slack.faults.next({ method: 'chat.postMessage', channel: APPROVAL_CHANNEL, status: 429, headers: { 'retry-after': '3' } });
    const since = mark(world);
    await sendNewConnectionRequest(world, MEMBER, answers(world.site.url));
    await world.slack.waitForCall('chat.postMessage', (c) => world.slack.calls.indexOf(c) >= since && c.args.channel === APPROVAL_CHANNEL);
    await world.bot.tasks.idle();
    const owed = world.bot.store.getRequest(1)!.announce!;
    expect(owed).toMatchObject({ attempts: 1, lastError: 'ratelimited' });
    expect(Date.parse(owed.nextAttemptAt) - world.clock.now().getTime()).toBeGreaterThan(2000);

    await world.bot.sweepRequests();
    expect(cards(world.slack)).toHaveLength(0);
    world.clock.advance(3000);
    await world.bot.sweepRequests();
    await world.bot.sweepRequests();
    expect(cards(world.slack, 1)).toHaveLength(1);
    expect(dms(world.slack, MEMBER, RECEIPT)).toHaveLength(1);
    expect(dms(world.slack, MEMBER, BLOCKED)).toHaveLength(0);
  });

  it('a crash between saving and posting: the restart announces it, once (and a card a cut-off try posted is found, not posted again)', async () => {
    const at = world.clock.now().toISOString();
    const saved = (team: string, announce?: AccessRequest['announce']) =>
      world.bot.store.createRequest({ requester: MEMBER, details: { kind: 'new_connection', spoke: 'jira', site: world.site.url, team }, reason: REASON, state: 'open', createdAt: at, lastAnnouncedAt: at, reannounced: 0, ...(announce ? { announce } : {}) });
    // Saved, then the process died before any try.
    await saved('Saved', { attempts: 0, nextAttemptAt: at });
    // Saved before the outbox existed: open, no card, no outbox record.
    await saved('Legacy');
    // A try that Slack took, cut off before the store recorded its card.
    await saved('Cut off', { attempts: 0, nextAttemptAt: at, claim: { run: 'a-run-that-was-killed', at } });
    const lost = await fetch(`${world.slack.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${BOT_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel: APPROVAL_CHANNEL, text: 'Request #3: A new connection (open)', metadata: { event_type: 'spoke_request', event_payload: { request_id: '3' } } }),
    }).then((r) => r.json() as Promise<{ ts: string }>);
    // Finding it takes reading the channel, which manifest.yml does not ask for.
    world.slack.scopes.set([...manifestBotScopes(), 'channels:history']);

    await world.restartBot();
    await world.bot.tasks.idle();
    await world.restartBot();
    await world.bot.tasks.idle();
    for (const id of [1, 2, 3]) expect(cards(world.slack, id), `request #${id}`).toHaveLength(1);
    expect(world.bot.store.getRequest(3)!.card?.ts).toBe(lost.ts);
    expect(dms(world.slack, MEMBER, RECEIPT)).toHaveLength(3);
    expect((await audited('request.announced')).map((e) => e.detail?.card)).toEqual(['posted', 'posted', 'found']);
  });

  it('a burst of 50 requests with every third card post failing: after sweeps, exactly 50 cards', async () => {
    for (let i = 0; i < 60; i++) world.slack.faults.next({ method: 'chat.postMessage', channel: APPROVAL_CHANNEL, status: 503, skip: 2 });
    const since = mark(world);
    // Sweeps run while the requests come in, racing the try each one gets after it is saved.
    const sweeps: Promise<void>[] = [];
    for (let i = 1; i <= 50; i++) {
      await sendNewConnectionRequest(world, MEMBER, answers(world.site.url, `Team ${i}`));
      if (i % 5 === 0) sweeps.push(world.bot.sweepRequests());
    }
    await Promise.all(sweeps);
    await expect.poll(() => world.slack.calls.filter((c) => world.slack.calls.indexOf(c) >= since && c.method === 'chat.postMessage' && c.args.channel === APPROVAL_CHANNEL).length).toBeGreaterThanOrEqual(50);
    await world.bot.tasks.idle();
    const owed = () => world.bot.store.listRequests((r) => r.card === undefined);
    expect(owed().length).toBeGreaterThan(10);
    for (let round = 0; round < 10 && owed().length > 0; round++) {
      world.clock.advance(31 * 60_000);
      await world.bot.sweepRequests();
    }
    world.slack.faults.clear();
    expect(owed()).toHaveLength(0);
    const posted = cards(world.slack);
    expect(posted).toHaveLength(50);
    expect(new Set(posted.map((m) => /^Request #(\d+):/.exec(m.text)![1])).size).toBe(50);
    expect(new Set(world.bot.store.listRequests().map((r) => r.card!.ts))).toEqual(new Set(posted.map((m) => m.ts)));
    expect(dms(world.slack, MEMBER, RECEIPT)).toHaveLength(50);
  });
});

describe('as a process', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  });

  it('kill -9 while the card is being posted, then a restart: the card exists once and the requester is told', async () => {
    const slack = await startSlackStandIn({
      botToken: BOT_TOKEN,
      users: [{ id: MEMBER, name: 'bob' }],
      channels: [{ id: APPROVAL_CHANNEL, name: 'spoke-approvals', is_member: true }],
      // With the channel's history readable, a restart can find a card whose post it never saw answered.
      scopes: [...manifestBotScopes(), 'channels:history'],
    });
    const serviceNow = await startServiceNowStandIn({ username: 'u', password: 'p' });
    const dataDir = await mkdtemp(join(tmpdir(), 'spokebot-outbox-'));
    const db = join(dataDir, 'db.json');
    const port = await freePort();
    const start = () => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
        env: {
          ...childEnv({ slackApiUrl: slack.apiUrl, serviceNowUrl: serviceNow.url, dbPath: db, key: Buffer.alloc(32, 5), port }),
          SPOKE_APPROVAL_CHANNEL: APPROVAL_CHANNEL,
          SPOKE_APPROVERS: ADMIN,
          ATLASSIAN_SITE_ALLOWLIST: 'https://*.atlassian.net',
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      let output = '';
      child.stdout!.on('data', (chunk) => (output += chunk));
      child.stderr!.on('data', (chunk) => (output += chunk));
      return { child, output: () => output, exited: new Promise<void>((resolve) => child.on('exit', () => resolve())) };
    };
    const healthy = async (output: () => string) => {
      await expect.poll(() => fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status, () => 0), { timeout: 15_000, interval: 100 }).toBe(200);
      return output;
    };
    const stored = (): AccessRequest | undefined => {
      try {
        return (JSON.parse(readFileSync(db, 'utf8')) as { requests: AccessRequest[] }).requests[0];
      } catch {
        return undefined;
      }
    };
    try {
      const first = start();
      await healthy(first.output);
      const events = `http://127.0.0.1:${port}/slack/events`;
      await sendSlashCommand(events, SIGNING_SECRET, { text: 'request', userId: MEMBER, triggerId: slack.issueTriggerId(), responseUrl: slack.newResponseUrl() });
      const opened = await slack.waitForCall('views.open', (c) => (c.args.view as { callback_id?: string }).callback_id === CALLBACK.requestModal, 10_000);
      // From here every Slack answer takes 3 s: the card's post is in flight when the bot dies.
      slack.faults.setLatency(3000);
      const ack = await sendInteraction(events, SIGNING_SECRET, viewSubmission({ userId: MEMBER, view: opened.response.view as Record<string, unknown>, answers: answers('https://acme.atlassian.net') }));
      expect(ack.json).toMatchObject({ response_action: 'clear' });
      await expect.poll(() => stored()?.announce?.claim, { timeout: 5000, interval: 20 }).toBeDefined();
      await new Promise((resolve) => setTimeout(resolve, 500));
      first.child.kill('SIGKILL');
      await first.exited;
      // Slack still takes the post the dead process sent; the store never heard of it.
      await slack.waitForCall('chat.postMessage', (c) => c.args.channel === APPROVAL_CHANNEL, 10_000);
      expect(stored()?.card).toBeUndefined();
      slack.faults.setLatency(0);

      const second = start();
      await healthy(second.output);
      await slack.waitForCall('chat.postMessage', (c) => c.args.channel === slack.dmChannelFor(MEMBER) && RECEIPT.test(String(c.args.text)), 10_000);
      await expect.poll(() => stored()?.announce, { timeout: 5000, interval: 20 }).toBeUndefined();
      expect(cards(slack, 1), second.output()).toHaveLength(1);
      expect(stored()?.card?.ts).toBe(cards(slack, 1)[0]!.ts);
      expect(dms(slack, MEMBER, RECEIPT)).toHaveLength(1);
      expect(readFileSync(`${db}.audit.jsonl`, 'utf8')).toMatch(/"action":"request\.announced".*"card":"found"/);
      second.child.kill('SIGTERM');
      await second.exited;
    } finally {
      await Promise.all([slack.close(), serviceNow.close()]);
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 40_000);
});

/** A port nothing listens on now, for the bot that is started twice on it. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
