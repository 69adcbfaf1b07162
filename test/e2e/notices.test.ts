import { readFile, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { ACTION, REQUEST_BLOCK } from '../../src/slack/ids.js';
import type { SlackCall } from '../standins/slack-api.js';
import { CONFLUENCE_GROUPS_TABLE } from '../standins/servicenow-tables.js';
import { appHomeOpened, blockAction } from '../standins/slack-driver.js';
import { acceptConsentWithoutBrowser } from '../support/consent.js';
import { apiTokenConnection } from '../support/connections.js';
import { latestCard, submitRequest } from '../support/request-steps.js';
import { clickButton, consentUrl, mark, setupUntilConsent, waitForMessage } from '../support/setup-steps.js';
import { ADMIN, CLIENT_SECRET, MEMBER, OTHER_ADMIN, REPORT_CHANNEL, startWorld, type World, type WorldOptions } from '../support/world.js';

/**
 * Notices that must reach someone: a follow-up that failed after approval, health news when the
 * report channel refuses the bot, and App Home redraws after a state change.
 */

const DAY = 86_400_000;
const EMAIL = 'integration@acme.test';
const TOKEN = 'ATATT3xFfGF0-notices-token-4242';
const REASON = 'The support team needs this for its knowledge base.';

let world: World;
afterEach(async () => {
  await world.close();
});

const since = (from: number) => (c: SlackCall) => world.slack.calls.indexOf(c) >= from;
const dmTo = (user: string, pattern: RegExp, from = 0) =>
  world.slack.waitForCall('chat.postMessage', (c) => since(from)(c) && c.args.channel === world.slack.dmChannelFor(user) && pattern.test(String(c.args.text)));
const posted = (channel: string, pattern: RegExp) =>
  world.slack.calls.filter((c) => c.method === 'chat.postMessage' && c.response.ok === true && c.args.channel === channel && pattern.test(String(c.args.text)));
const attempts = (channel: string, pattern: RegExp) => world.slack.calls.filter((c) => c.method === 'chat.postMessage' && c.args.channel === channel && pattern.test(String(c.args.text)));
const answered = (pattern: RegExp, from: number) => world.slack.calls.filter((c) => since(from)(c) && c.method === 'response_url' && pattern.test(String(c.args.text)));

async function until(what: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!what()) {
    if (Date.now() > end) throw new Error(`not within ${timeoutMs} ms`);
    await sleep(25);
  }
}

async function confluenceConnection(): Promise<void> {
  const consent = await setupUntilConsent(world);
  await acceptConsentWithoutBrowser(consentUrl(consent));
  await waitForMessage(world, /is connected/);
  await world.bot.tasks.idle();
}

/** An API-token connection reporting to REPORT_CHANNEL whose token expires `days` from the bot's today. */
async function tokenConnection(days: number): Promise<void> {
  world.atlassian.addApiToken({ email: EMAIL, token: TOKEN });
  const expiresOn = new Date(world.clock.now().getTime() + days * DAY).toISOString().slice(0, 10);
  await apiTokenConnection(world, { name: 'Jira token', email: EMAIL, token: TOKEN, expiresOn });
}

/** The clock past the check interval (1h), then the scheduled sweep. */
async function nextSweep(): Promise<void> {
  world.clock.advance(3_600_000 + 1000);
  await world.bot.monitor.sweep();
}

describe('a follow-up that fails after approval', () => {
  it('a failed Confluence group write: the requester is told, the approver gets a Retry that works once the fault is gone, and a second Retry does nothing', async () => {
    world = await startWorld();
    await confluenceConnection();
    const card = await submitRequest(world, MEMBER, 'confluence_group', { [REQUEST_BLOCK.connection]: 'Confluence acme', [REQUEST_BLOCK.groups]: 'support-agents', [REQUEST_BLOCK.reason]: REASON });
    world.serviceNow.faults.next({ method: 'POST', table: CONFLUENCE_GROUPS_TABLE, status: 403 });
    const from = mark(world);
    await clickButton(world, card, ACTION.approveRequest, OTHER_ADMIN);
    await world.bot.tasks.idle();
    expect(world.serviceNow.rows(CONFLUENCE_GROUPS_TABLE)).toHaveLength(0);

    // The requester heard "approved", and now hears that it is not done, why, and who can retry it.
    const told = await dmTo(MEMBER, /#1.*not done yet/, from);
    expect(String(told.args.text)).toContain('HTTP 403');
    expect(String(told.args.text)).toContain(`<@${OTHER_ADMIN}> can retry`);
    const failed = await dmTo(OTHER_ADMIN, /follow-up failed/, from);
    expect(JSON.stringify(failed.args.blocks)).toContain(ACTION.retryFollowUp);
    expect(JSON.stringify(latestCard(world, card).blocks)).toContain('failed:');

    // Someone who is neither approver nor admin is refused, and nothing is written.
    const refusedFrom = mark(world);
    await clickButton(world, failed, ACTION.retryFollowUp, MEMBER);
    await world.slack.waitForCall('response_url', (c) => since(refusedFrom)(c) && /Only .* can retry/.test(String(c.args.text)));
    await world.bot.tasks.idle();
    expect(world.serviceNow.rows(CONFLUENCE_GROUPS_TABLE)).toHaveLength(0);

    // The fault was one-shot: Retry now writes the group, the card shows it, the requester hears it is done.
    await clickButton(world, failed, ACTION.retryFollowUp, OTHER_ADMIN);
    await world.bot.tasks.idle();
    expect(world.serviceNow.rows(CONFLUENCE_GROUPS_TABLE).map((r) => r.group_name)).toEqual(['support-agents']);
    const cardText = JSON.stringify(latestCard(world, card).blocks);
    expect(cardText).toContain('support-agents (added');
    expect(cardText).not.toContain('failed:');
    await dmTo(MEMBER, /request #1 \(.*\) is done/, from);

    // Retry after success, twice at once and by two people: nothing is written or said twice.
    const inserts = () => world.serviceNow.requests.filter((r) => r.method === 'POST' && r.table === CONFLUENCE_GROUPS_TABLE).length;
    const before = inserts();
    const again = mark(world);
    await Promise.all([clickButton(world, failed, ACTION.retryFollowUp, OTHER_ADMIN), clickButton(world, failed, ACTION.retryFollowUp, ADMIN)]);
    await world.bot.tasks.idle();
    await until(() => answered(/nothing to retry/, again).length === 2, 5000);
    expect(inserts()).toBe(before);
    expect(world.serviceNow.rows(CONFLUENCE_GROUPS_TABLE)).toHaveLength(1);
    expect(world.slack.calls.filter((c) => since(again)(c) && c.args.channel === world.slack.dmChannelFor(MEMBER))).toHaveLength(0);
    expect((await world.bot.store.auditTrail()).filter((e) => e.action === 'request.follow_up' && e.outcome === 'failed')).toHaveLength(1);
  });

  it('a failed scope write after Confirm: the requester is told, and Retry writes the scopes and sends the fresh consent link', async () => {
    world = await startWorld();
    await confluenceConnection();
    world.atlassian.registerApp({ clientId: 'spokebot-client-id-7f3a', clientSecret: CLIENT_SECRET, callbackUrl: `${world.serviceNow.url}/oauth_redirect.do`, scopes: [...world.bot.store.getConnection('Confluence acme')!.scopes, 'write:page:confluence'] });
    const card = await submitRequest(world, MEMBER, 'more_scopes', { [REQUEST_BLOCK.connection]: 'Confluence acme', [REQUEST_BLOCK.scopes]: 'write:page:confluence', [REQUEST_BLOCK.reason]: REASON });
    const from = mark(world);
    await clickButton(world, card, ACTION.approveRequest, ADMIN);
    const plan = await dmTo(ADMIN, /Scope change for Confluence acme/, from);
    world.serviceNow.faults.next({ method: 'POST', table: 'oauth_entity_scope', status: 403 });
    await clickButton(world, plan, ACTION.confirmScopeChange, ADMIN);
    await world.bot.tasks.idle();
    await dmTo(MEMBER, /#1.*not done yet/, from);
    const failed = await dmTo(ADMIN, /scope change of request #1 failed/, from);
    expect(world.serviceNow.rows('oauth_entity_scope').some((s) => s.oauth_entity_scope === 'write:page:confluence')).toBe(false);

    await clickButton(world, failed, ACTION.retryFollowUp, ADMIN);
    await dmTo(ADMIN, /Fresh consent for Confluence acme/, from);
    expect(world.serviceNow.rows('oauth_entity_scope').filter((s) => s.oauth_entity_scope === 'write:page:confluence')).toHaveLength(1);
    await dmTo(MEMBER, /request #1 \(.*\) is done/, from);
  });
});

describe('a report channel that refuses the bot', () => {
  it('reminder and alert reach the admin by DM, saying why and how to fix it; each is sent once', async () => {
    world = await startWorld();
    await tokenConnection(10);
    world.slack.addChannel({ id: REPORT_CHANNEL, name: 'it-integrations', is_member: true, is_archived: true });

    await world.bot.monitor.sweep();
    expect(attempts(REPORT_CHANNEL, /API token expires/)).toHaveLength(1);
    expect(posted(REPORT_CHANNEL, /API token expires/)).toHaveLength(0);
    const dm = await dmTo(ADMIN, /API token expires/);
    const said = JSON.stringify(dm.args.blocks);
    expect(said).toContain(`I could not post this in <#${REPORT_CHANNEL}>`);
    expect(said).toContain('archived');
    expect(said).toContain(ACTION.pickReportChannel);
    expect((await world.bot.store.auditTrail()).filter((e) => e.action === 'reminder.sent')).toHaveLength(1);

    // Ten days left is a warning: the second check in a row alerts; the DM carries it too.
    await nextSweep();
    const alert = await dmTo(ADMIN, /is warning/);
    expect(JSON.stringify(alert.args.blocks)).toContain(`<#${REPORT_CHANNEL}>`);
    await nextSweep();
    await nextSweep();
    expect(attempts(REPORT_CHANNEL, /API token expires/)).toHaveLength(1);
    expect(world.slack.calls.filter((c) => c.method === 'chat.postMessage' && /API token expires/.test(String(c.args.text)))).toHaveLength(2);
    expect(world.slack.calls.filter((c) => c.method === 'chat.postMessage' && /is warning/.test(String(c.args.text)))).toHaveLength(2);
    const refused = (await world.bot.store.auditTrail()).filter((e) => e.action === 'health.channel_refused');
    expect(refused).toHaveLength(1);
    expect(refused[0]!.detail).toMatchObject({ channel: REPORT_CHANNEL, error: 'is_archived' });

    // Picking another channel from the DM moves the reports there.
    const NEW_CHANNEL = 'C0NEWREPORT';
    world.slack.addChannel({ id: NEW_CHANNEL, name: 'jira-health', is_member: true });
    const payload = blockAction({ userId: ADMIN, actionId: ACTION.pickReportChannel, blockId: 'x', triggerId: world.slack.issueTriggerId(), message: { channel: String(dm.response.channel), ts: String(dm.response.ts) }, responseUrl: world.slack.newResponseUrl() });
    const select = (dm.args.blocks as Array<{ block_id?: string; elements?: Array<{ action_id?: string }> }>).find((b) => b.elements?.some((e) => e.action_id === ACTION.pickReportChannel))!;
    payload.actions = [{ type: 'conversations_select', action_id: ACTION.pickReportChannel, block_id: select.block_id, selected_conversation: NEW_CHANNEL, action_ts: '1' }];
    await world.deliver.interaction(payload);
    await world.bot.tasks.idle();
    expect(world.bot.store.getConnection('Jira token')!.channel).toBe(NEW_CHANNEL);
    expect(posted(NEW_CHANNEL, /Jira token/)).toHaveLength(1);
  });

  it('when the channel and the DM both refuse, the reminder is tried again with a growing wait, five times, then given up', async () => {
    world = await startWorld();
    await tokenConnection(20);
    world.slack.addChannel({ id: REPORT_CHANNEL, name: 'it-integrations', is_member: true, is_archived: true });
    for (let i = 0; i < 30; i++) world.slack.faults.next({ method: 'conversations.open', error: 'user_disabled' });
    const triedAt: number[] = [];
    for (let hour = 0; hour < 20; hour++) {
      const before = attempts(REPORT_CHANNEL, /API token expires/).length;
      if (hour === 0) await world.bot.monitor.sweep();
      else await nextSweep();
      if (attempts(REPORT_CHANNEL, /API token expires/).length > before) triedAt.push(hour);
    }
    expect(triedAt).toEqual([0, 1, 3, 7, 15]);
    const trail = (await world.bot.store.auditTrail());
    expect(trail.filter((e) => e.action === 'reminder.sent')).toHaveLength(0);
    expect(trail.filter((e) => e.action === 'reminder.undelivered' && e.outcome === 'failed')).toHaveLength(1);
  });
});

describe('App Home redraws after a state change', () => {
  const headers = (view: unknown) => ((view as { blocks: Array<{ type: string; text?: { text: string } }> }).blocks ?? []).filter((b) => b.type === 'header').map((b) => b.text!.text);
  const shape = (view: unknown) => ((view as { blocks: Array<{ type: string }> }).blocks ?? []).map((b) => b.type);

  /** A healthy token connection, checked once, and the store holding these Home viewers (user → opened how long ago) as a previous run left it. */
  async function worldWithViewers(viewers: Record<string, number>, tuning: WorldOptions['tuning']): Promise<void> {
    world = await startWorld({ tuning });
    await tokenConnection(200);
    await world.bot.monitor.sweep();
    for (const id of Object.keys(viewers)) world.slack.addUser({ id, name: id.toLowerCase() });
    const now = world.clock.now().getTime();
    await world.restartBot(async () => {
      const path = world.config.SPOKE_DB_PATH;
      const data = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
      data.homeOpens = Object.fromEntries(Object.entries(viewers).map(([user, ago]) => [user, new Date(now - ago).toISOString()]));
      await writeFile(path, JSON.stringify(data));
    });
  }

  /** The site answers another Cloud ID: the next check fails, a state change. */
  async function breakAndSweep(): Promise<{ ms: number; from: number }> {
    const from = mark(world);
    world.site.setCloudId('99999999-0000-4000-8000-000000000000');
    world.clock.advance(3_600_000 + 1000);
    const started = performance.now();
    expect(await world.bot.monitor.sweep()).toBe(1);
    const ms = performance.now() - started;
    expect(world.bot.store.getHealth('Jira token')!.state).toBe('failing');
    return { ms, from };
  }

  it('500 viewers: the sweep does not wait for them; four at a time after it, recent viewers only, with the sections opening Home shows', async () => {
    const recent = Array.from({ length: 450 }, (_, i) => `UVIEW${String(i).padStart(4, '0')}`);
    const old = Array.from({ length: 50 }, (_, i) => `UGONE${String(i).padStart(4, '0')}`);
    await worldWithViewers(
      { ...Object.fromEntries(recent.map((u, i) => [u, (i + 1) * 60_000])), ...Object.fromEntries(old.map((u) => [u, 40 * DAY])) },
      // No rate cap here: what is measured is the sweep and the concurrency.
      { homeRedraws: { max: 100_000, perMs: 60_000 } },
    );
    // An approver with an open request in front of them opens Home.
    await submitRequest(world, MEMBER, 'new_connection', { [REQUEST_BLOCK.spoke]: 'jira', [REQUEST_BLOCK.site]: world.site.url, [REQUEST_BLOCK.team]: 'Support', [REQUEST_BLOCK.reason]: REASON });
    const openedFrom = mark(world);
    await world.deliver.event(appHomeOpened({ userId: ADMIN }));
    const opened = await world.slack.waitForCall('views.publish', (c) => since(openedFrom)(c) && c.args.user_id === ADMIN);
    expect(headers(opened.args.view)).toContain('Requests');

    world.slack.setMethodLatency('views.publish', 20);
    const { ms, from } = await breakAndSweep();
    const redraws = () => world.slack.calls.filter((c) => since(from)(c) && c.method === 'views.publish');
    const atReturn = redraws().length;
    console.log(`sweep with ${recent.length + old.length + 1} Home viewers: ${ms.toFixed(0)} ms; ${atReturn} redraws done when it returned`);
    // 451 publishes of 20 ms one after another would be 9 s; the sweep is its check alone.
    expect(ms).toBeLessThan(2000);
    expect(atReturn).toBeLessThan(recent.length + 1);

    const started = performance.now();
    await until(() => redraws().length >= recent.length + 1, 20_000);
    console.log(`redraws finished ${(performance.now() - started).toFixed(0)} ms after the sweep; at most ${world.slack.maxInFlight('views.publish')} views.publish in flight`);
    await sleep(200);
    const users = redraws().map((c) => String(c.args.user_id));
    expect(new Set(users).size).toBe(users.length);
    expect(new Set(users)).toEqual(new Set([...recent, ADMIN]));
    expect(world.slack.maxInFlight('views.publish')).toBeLessThanOrEqual(4);
    expect(world.slack.maxInFlight('views.publish')).toBeGreaterThan(1);
    // Viewers past the window are forgotten.
    expect(world.bot.store.homeViewers()).not.toContain(old[0]);
    expect(world.bot.store.homeViewers()).toContain(recent[0]);

    const redrawn = redraws().find((c) => c.args.user_id === ADMIN)!;
    expect(headers(redrawn.args.view)).toEqual(headers(opened.args.view));
    expect(shape(redrawn.args.view)).toEqual(shape(opened.args.view));
    expect(JSON.stringify(redrawn.args.view)).toContain(':red_circle: failing');
    expect(JSON.stringify(redrawn.args.view)).toContain(`#1 from <@${MEMBER}>`);
  });

  it("are spread to stay within views.publish's rate", async () => {
    const viewers = Array.from({ length: 30 }, (_, i) => `UVIEW${String(i).padStart(4, '0')}`);
    await worldWithViewers(Object.fromEntries(viewers.map((u, i) => [u, (i + 1) * 60_000])), { homeRedraws: { max: 10, perMs: 1000 } });
    const { from } = await breakAndSweep();
    const redraws = () => world.slack.calls.filter((c) => since(from)(c) && c.method === 'views.publish');
    await until(() => redraws().length >= viewers.length, 10_000);
    const at = redraws().map((c) => c.at);
    // No eleven within a second. The stand-in stamps a call when it answers, which on a busy machine
    // can lag its start by tens of milliseconds: hence 800. Unspread, all 30 would take a few dozen.
    for (let i = 10; i < at.length; i++) expect(at[i]! - at[i - 10]!).toBeGreaterThanOrEqual(800);
    expect(at.at(-1)! - at[0]!).toBeGreaterThanOrEqual(1800);
  });
});
