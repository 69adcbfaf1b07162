import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { appHomeOpened, signSlackRequest } from '../standins/slack-driver.js';
import type { SocketAck } from '../standins/slack-socket.js';
import { acceptConsentWithoutBrowser } from '../support/consent.js';
import { ACK_DEADLINE_MS, consentUrl, expectFastAck, mark, openSetupModal, runCommand, setupAnswers, submitView, waitForMessage, waitForPlanView } from '../support/setup-steps.js';
import { ADMIN, APP_TOKEN, CLIENT_SECRET, REPORT_CHANNEL, SIGNING_SECRET, startWorld, type World } from '../support/world.js';

let world: World;
afterEach(async () => {
  await world.close();
});

const socket = () => world.socket!;
const opens = () => world.slack.calls.filter((c) => c.method === 'apps.connections.open');

/** `/spoke setup confluence` → form → submit (the ack swaps in the lookup view) → the plan view. */
async function untilPlan(): Promise<Record<string, unknown>> {
  const form = await openSetupModal(world);
  const submitted = await submitView(world, form, setupAnswers(world));
  expect(submitted.json).toMatchObject({ response_action: 'update' });
  return waitForPlanView(world, String(form.id));
}

/** After Confirm: the consent link, accepted, then "connected" in the DM thread. */
async function consentAndConnected(since: number): Promise<void> {
  const consent = await waitForMessage(world, /One click left/, 10_000, since);
  await acceptConsentWithoutBrowser(consentUrl(consent));
  const connected = await waitForMessage(world, /is connected: ServiceNow holds a refresh token/, 10_000, since);
  expect(connected.args.thread_ts).toBe(consent.args.thread_ts);
  await world.slack.waitForCall('chat.postMessage', (c) => world.slack.calls.indexOf(c) >= since && c.args.channel === REPORT_CHANNEL && /is connected/.test(String(c.args.text)));
}

/** The HTTP status a WebSocket upgrade to `link` gets (101 when it is accepted). */
function upgradeStatus(link: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(link);
    ws.once('open', () => {
      ws.terminate();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', reject);
  });
}

function expectEveryEnvelopeAckedOnce(): void {
  const { sent, acks } = socket();
  expect(acks.map((a) => a.envelopeId)).toEqual(sent.map((e) => e.envelope_id));
}

describe('Socket Mode', () => {
  beforeEach(async () => {
    world = await startWorld({ socketMode: true });
  });

  it('carries the whole Confluence setup over the WebSocket, every ack well inside 3 s', async () => {
    // One link from apps.connections.open, asked for with the app token, and one greeted connection.
    expect(opens()).toHaveLength(1);
    expect(opens()[0]!.response).toMatchObject({ ok: true, url: expect.stringMatching(/^ws:\/\/127\.0\.0\.1:\d+\/link\?ticket=[0-9a-f]+$/) });
    expect(socket().connections).toHaveLength(1);
    expect(world.config.SLACK_SIGNING_SECRET).toBeUndefined();
    expect(world.config.SLACK_APP_TOKEN).toBe(APP_TOKEN);

    // No events URL in Socket Mode, but /healthz still answers on PORT.
    const health = await fetch(`${world.botUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true });

    const since = mark(world);
    const plan = await untilPlan();
    const confirmed = await submitView(world, plan, {});
    await consentAndConnected(since);

    await world.bot.tasks.idle();
    expect(world.bot.store.getConnection('Confluence acme')).toMatchObject({ state: 'connected', createdBy: ADMIN });
    expect(socket().sent.map((e) => e.type)).toEqual(['slash_commands', 'interactive', 'interactive']);
    expect(socket().sent.map((e) => e.accepts_response_payload)).toEqual([true, true, true]);
    expectEveryEnvelopeAckedOnce();
    expect((confirmed as SocketAck).connection).toBe(1);
    expect(socket().connections).toHaveLength(1);
    expect(socket().refusedTickets).toEqual([]);
    // A link is good for one connection: the bot's own link again, or a made-up one, is refused.
    const used = String(opens()[0]!.response.url);
    for (const link of [used, used.replace(/ticket=\w+/, 'ticket=0123abcd')]) expect(await upgradeStatus(link)).toBe(401);
    expect(socket().refusedTickets).toHaveLength(2);
    // The socket client logs whole envelopes at debug; the form's secret must not reach the log.
    expect(world.logs.join('\n')).not.toContain(CLIENT_SECRET);
  });

  it('reconnects after the socket drops between the plan and Confirm, and the setup completes', async () => {
    const since = mark(world);
    const plan = await untilPlan();

    const dropped = await socket().drop();
    expect(dropped.number).toBe(1);
    const second = await socket().waitForConnection(2);
    // A fresh link: the first one's ticket was good for one connection only.
    expect(opens()).toHaveLength(2);
    expect(second.ticket).not.toBe(dropped.ticket);

    const confirmed = (await submitView(world, plan, {})) as SocketAck;
    expect(confirmed.connection).toBe(2);
    await consentAndConnected(since);
    await world.bot.tasks.idle();
    expect(world.bot.store.getConnection('Confluence acme')).toMatchObject({ state: 'connected' });
    expect(world.serviceNow.rows('http_connection')).toHaveLength(1);
  });

  it('opens a new connection when Slack asks it to (refresh_requested, then warning) and carries on', async () => {
    for (const [i, reason] of (['refresh_requested', 'warning'] as const).entries()) {
      const closed = await socket().disconnect(reason);
      // The bot closed it itself, cleanly, rather than waiting to be cut off.
      expect(closed.closeCode).toBe(1000);
      await socket().waitForConnection(i + 2);
      expect(opens()).toHaveLength(i + 2);
      const help = (await runCommand(world, 'help')) as SocketAck;
      expect(help.connection).toBe(i + 2);
      expect(help.json).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('/spoke setup jira|jsm|confluence') });
    }
    expect(socket().refusedTickets).toEqual([]);
  });

  it('a redelivered Confirm (same envelope, retry_attempt 1) is processed once: one set of records, one "connected"', async () => {
    const since = mark(world);
    const plan = await untilPlan();
    const confirmed = (await submitView(world, plan, {})) as SocketAck;
    // Slack did not see that ack (say the socket dropped just after it) and delivers the envelope again.
    const again = await socket().redeliver(confirmed.envelopeId);
    expectFastAck(again);
    expect(socket().sent.at(-1)).toMatchObject({ envelope_id: confirmed.envelopeId, retry_attempt: 1, retry_reason: 'timeout' });
    // The same answer as the first time: Slack was still waiting for it.
    expect(again.payload).toEqual(confirmed.payload);

    await consentAndConnected(since);
    await world.bot.tasks.idle();
    const sn = world.serviceNow;
    for (const table of ['oauth_entity', 'oauth_entity_profile', 'oauth_2_0_credentials', 'http_connection']) expect(sn.rows(table), table).toHaveLength(1);
    const posted = (pattern: RegExp) => world.slack.calls.filter((c) => c.method === 'chat.postMessage' && pattern.test(String(c.args.text ?? '')));
    expect(posted(/One click left/)).toHaveLength(1);
    expect(posted(/is connected: ServiceNow holds a refresh token/)).toHaveLength(1);
    expect((await world.bot.store.auditTrail()).filter((e) => e.action === 'setup.records_written')).toHaveLength(1);
    expect(world.logs.some((line) => line.includes('slack redelivered what was already handled'))).toBe(true);
  });

  it('a slash command delivered twice at once (same envelope) opens one modal', async () => {
    const cmd = { text: 'setup confluence', userId: ADMIN, triggerId: world.slack.issueTriggerId(), channelId: REPORT_CHANNEL, responseUrl: world.slack.newResponseUrl() };
    const envelopeId = 'env-command-twice';
    const [first, second] = await Promise.all([
      socket().command(cmd, { envelopeId }),
      socket().command(cmd, { envelopeId, retryAttempt: 1, retryReason: 'timeout' }),
    ]);
    for (const ack of [first, second]) expect(ack.elapsedMs).toBeLessThan(ACK_DEADLINE_MS);
    expect(second.payload).toEqual(first.payload);
    await world.slack.waitForCall('views.open');
    await world.bot.tasks.idle();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(world.slack.calls.filter((c) => c.method === 'views.open')).toHaveLength(1);
  });

  it('an event that comes again in a new envelope (same event_id) is handled once', async () => {
    const body = appHomeOpened({ userId: ADMIN });
    expectFastAck(await world.deliver.event(body));
    expectFastAck(await socket().event(body, { retryAttempt: 1, retryReason: 'timeout' }));
    await world.slack.waitForCall('views.publish');
    await world.bot.tasks.idle();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(world.slack.calls.filter((c) => c.method === 'views.publish')).toHaveLength(1);
  });
});

describe('Events API over HTTP', () => {
  beforeEach(async () => {
    world = await startWorld();
  });

  it('an event Slack retries (x-slack-retry-num, same event_id) is handled once', async () => {
    const raw = JSON.stringify(appHomeOpened({ userId: ADMIN }));
    const post = (retry?: number) =>
      fetch(world.eventsUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...signSlackRequest(SIGNING_SECRET, raw), ...(retry !== undefined ? { 'x-slack-retry-num': String(retry), 'x-slack-retry-reason': 'http_timeout' } : {}) },
        body: raw,
      });
    expect((await post()).status).toBe(200);
    expect((await post(1)).status).toBe(200);
    await world.slack.waitForCall('views.publish');
    await world.bot.tasks.idle();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(world.slack.calls.filter((c) => c.method === 'views.publish')).toHaveLength(1);
  });
});
