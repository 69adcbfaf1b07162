import { afterEach, describe, expect, it, vi } from 'vitest';
import { connectionUrlForMethod, SPOKES } from '../../src/core/spoke-catalogue.js';
import { RECORD_KEYS } from '../../src/core/record-keys.js';
import { ACTION } from '../../src/slack/ids.js';
import type { SlackCall } from '../standins/slack-api.js';
import { acceptConsentWithoutBrowser } from '../support/consent.js';
import { apiTokenConnection } from '../support/connections.js';
import { clickButton, consentUrl, mark, runCommand, setupUntilConsent, waitForMessage } from '../support/setup-steps.js';
import { ADMIN, CLIENT_ID, REPORT_CHANNEL, startWorld, type World } from '../support/world.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const NAME = 'Confluence acme';

let world: World;
afterEach(async () => {
  await world.close();
});

const glide = (d: Date) => d.toISOString().slice(0, 19).replace('T', ' ');
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const store = () => world.bot.store;
const check = (name: string, which: string) => store().getHealth(name)!.checks.find((c) => c.check === which)!;
const channelPosts = (pattern: RegExp, since = 0) => world.slack.calls.filter((c) => world.slack.calls.indexOf(c) >= since && c.method === 'chat.postMessage' && c.args.channel === REPORT_CHANNEL && pattern.test(String(c.args.text)));
const threadPosts = (root: SlackCall, pattern: RegExp, since = 0) => world.slack.calls.filter((c) => world.slack.calls.indexOf(c) >= since && c.method === 'chat.postMessage' && c.args.thread_ts === root.args.thread_ts && pattern.test(String(c.args.text)));

/** The credential and profile ServiceNow files the connection's tokens under. */
function owner(name = NAME): { credential: string; profile: string } {
  const records = store().getConnection(name)!.records;
  return { credential: records[RECORD_KEYS.credential]!, profile: records[RECORD_KEYS.profile]! };
}

async function connect(): Promise<SlackCall> {
  const consent = await setupUntilConsent(world);
  await acceptConsentWithoutBrowser(consentUrl(consent));
  await waitForMessage(world, /is connected/);
  await world.bot.tasks.idle();
  return consent;
}

/** Until the bot has read the token rows `times` more times: whatever changed before was judged. */
async function looks(times = 2): Promise<void> {
  const from = world.serviceNow.requests.length;
  await vi.waitFor(() => expect(world.serviceNow.requests.slice(from).filter((r) => r.method === 'GET' && r.table === 'oauth_credential').length).toBeGreaterThanOrEqual(times), { timeout: 20_000, interval: 50 });
}

async function checkNow(name = NAME): Promise<void> {
  await world.bot.monitor.check(store().getConnection(name)!);
}

describe('the 365-day clock', () => {
  it('of an adopted connection counts from its token row, not from the adoption', async () => {
    world = await startWorld();
    const sn = world.serviceNow;
    const name = 'Confluence (ops)';
    // Set up by hand in ServiceNow, its consent 340 days ago, used yesterday.
    const entity = sn.insert('oauth_entity', { name, client_id: CLIENT_ID, default_grant_type: 'authorization_code', type: 'oauth_provider', active: 'true' });
    const profile = sn.rows('oauth_entity_profile').find((p) => p.oauth_entity === entity.sys_id)!;
    const credential = sn.insert('oauth_2_0_credentials', { name, oauth_entity_profile: profile.sys_id!, active: 'true' });
    const shipped = sn.rows('sys_alias').find((a) => a.name === 'Confluence Cloud')!;
    const url = connectionUrlForMethod('oauth_3lo', false, SPOKES.confluence, world.config.ATLASSIAN_API_URL, world.site.url, world.site.cloudId);
    sn.insert('http_connection', { name, connection_alias: shipped.sys_id!, credential: credential.sys_id!, connection_url: url, active: 'true' });
    const requestor = sn.insert('oauth_requestor_profile', { requestor_id: credential.sys_id!, requestor_context: 'oauth_2_0_credentials', oauth_entity_profile: profile.sys_id! });
    const token = sn.insert('oauth_credential', { type: 'refresh_token', oauth_requestor_profile: requestor.sys_id!, peer: entity.sys_id!, scopes: 'offline_access read:me', token_received: 'kept-by-servicenow' });
    const now = world.clock.now().getTime();
    const created = Math.floor((now - 340 * DAY) / 1000) * 1000;
    sn.edit('oauth_credential', token.sys_id!, { sys_created_on: glide(new Date(created)), sys_updated_on: glide(new Date(now - DAY)) });

    await runCommand(world, `adopt ${world.site.url} ${name}`);
    await world.slack.waitForCall('response_url', (c) => /keeps watch/.test(String(c.args.text)));
    expect(store().getConnection(name)).toMatchObject({ method: 'oauth_3lo', state: 'connected' });

    await world.bot.monitor.sweep();
    const capAt = created + 365 * DAY;
    expect(store().getHealth(name)!.expiries.find((e) => e.kind === 'refresh_cap')!.at).toBe(new Date(capAt).toISOString());
    expect(check(name, 'refresh_token').summary).toContain(`counted from the token row's creation on ${day(created)}; ServiceNow does not say when consent was given`);
    // 25 days left: the 30-day reminder goes now, with the day and what it was counted from.
    const reminders = channelPosts(/reaches 365 days/);
    expect(reminders).toHaveLength(1);
    expect(String(reminders[0]!.args.text)).toContain(`on ${day(capAt - 1)}, in 25 days.`);
    expect(String(reminders[0]!.args.text)).toContain("counted from the token row's creation");
    // Adopting gave it no fresh year: nothing says spokebot saw it connect or consent.
    const adopted = store().getConnection(name)!;
    expect(adopted.watchedConsent).toBeUndefined();
    expect(adopted.connectedAt).toBeUndefined();
  });

  it('moves with a consent given in ServiceNow that spokebot did not watch', async () => {
    world = await startWorld({ serviceNowOnBotClock: true });
    const consent = await connect();
    const watched = store().getConnection(NAME)!.watchedConsent;

    // 200 days of flows: ServiceNow refreshes the tokens, keeping its row.
    world.clock.advanceDays(200);
    await world.serviceNow.refreshTokens(owner().credential, owner().profile, 'in_place');
    await checkNow();
    expect(check(NAME, 'refresh_token').summary).toContain('consented 200 days ago.');

    // A day later an admin consents again in ServiceNow itself: a new refresh-token row.
    world.clock.advanceDays(1);
    await acceptConsentWithoutBrowser(consentUrl(consent));
    await checkNow();
    const summary = check(NAME, 'refresh_token').summary;
    expect(summary).toContain('consented 0 days ago.');
    expect(summary).toContain('a consent spokebot did not watch');
    const cap = store().getHealth(NAME)!.expiries.find((e) => e.kind === 'refresh_cap')!;
    expect(Date.parse(cap.at) - world.clock.now().getTime()).toBeGreaterThan(364 * DAY);
    // What spokebot itself watched is kept as it was.
    expect(watched).toMatchObject({ change: 'new_row' });
    expect(store().getConnection(NAME)!.watchedConsent).toEqual(watched);
  });
});

describe('a refresh is not a consent', () => {
  for (const style of ['in_place', 'replace'] as const) {
    it(`during a re-consent watch, whether ServiceNow refreshes ${style === 'in_place' ? 'in place' : 'by replacing its rows'}`, async () => {
      world = await startWorld({ serviceNowOnBotClock: true, env: { SPOKE_CONSENT_TIMEOUT: '1d' } });
      await connect();
      const before = store().getConnection(NAME)!.watchedConsent;
      // Two hours on, the access token has lapsed; an admin asks for a fresh consent.
      world.clock.advance(2 * HOUR);
      const since = mark(world);
      await runCommand(world, `rotate ${NAME}`);
      const dm = await world.slack.waitForCall('chat.postMessage', (c) => world.slack.calls.indexOf(c) >= since && /Fresh consent for/.test(String(c.args.text)));
      await looks(1);

      // A flow uses the connection: ServiceNow refreshes the tokens.
      await world.serviceNow.refreshTokens(owner().credential, owner().profile, style);
      await looks(2);
      expect(world.slack.calls.some((c) => /fresh refresh token|re-consented/.test(String(c.args.text)))).toBe(false);
      expect(store().getConnection(NAME)!.watchedConsent).toEqual(before);
      expect(store().listRotations()).toHaveLength(1);

      // The admin consents half a minute later: that is seen.
      world.clock.advance(30_000);
      await acceptConsentWithoutBrowser(consentUrl(dm));
      await waitForMessage(world, /fresh refresh token/, 20_000, since);
      const after = store().getConnection(NAME)!.watchedConsent!;
      expect(after.row).not.toBe(before?.row);
      expect(Date.parse(after.at)).toBeGreaterThan(Date.parse(before!.at));
    });
  }

  it('a setup run again for a 3LO name that has tokens is not "connected" by the old ones', async () => {
    world = await startWorld({ serviceNowOnBotClock: true, env: { SPOKE_CONSENT_TIMEOUT: '1d' } });
    await connect();
    world.clock.advance(2 * HOUR);
    const since = mark(world);
    const again = await setupUntilConsent(world);
    await looks(1);
    await world.serviceNow.refreshTokens(owner().credential, owner().profile, 'in_place');
    await looks(2);
    expect(threadPosts(again, /is connected/, since)).toHaveLength(0);
    expect(store().getConnection(NAME)!.state).toBe('awaiting_consent');

    world.clock.advance(30_000);
    await acceptConsentWithoutBrowser(consentUrl(again));
    const connected = await waitForMessage(world, /is connected/, 20_000, since);
    expect(connected.args.thread_ts).toBe(again.args.thread_ts);
  });
});

describe('a consent after the watch gave up', () => {
  it('is picked up by the sweep and reported "connected" in the thread', async () => {
    world = await startWorld({ env: { SPOKE_CONSENT_TIMEOUT: '1500ms' } });
    const consent = await setupUntilConsent(world);
    await waitForMessage(world, /No refresh token reached ServiceNow/);
    expect(store().getConnection(NAME)!.state).toBe('awaiting_consent');

    await acceptConsentWithoutBrowser(consentUrl(consent));
    const since = mark(world);
    await world.bot.sweepSetups();
    const connected = await waitForMessage(world, /is connected/, 5_000, since);
    expect(connected.args.thread_ts).toBe(consent.args.thread_ts);
    await world.slack.waitForCall('chat.postMessage', (c) => world.slack.calls.indexOf(c) >= since && c.args.channel === REPORT_CHANNEL);
    expect(store().getConnection(NAME)).toMatchObject({ state: 'connected', watchedConsent: { change: 'new_row' } });
    await world.bot.sweepSetups();
    expect(threadPosts(consent, /is connected/, since)).toHaveLength(1);
  });

  it('"Try again" still works once the setup has expired: a fresh link and a fresh watch', async () => {
    world = await startWorld({ serviceNowOnBotClock: true, env: { SPOKE_CONSENT_TIMEOUT: '3s' } });
    const consent = await setupUntilConsent(world);
    const timedOut = await waitForMessage(world, /No refresh token reached ServiceNow/);
    world.clock.advance(25 * HOUR);
    await world.bot.sweepSetups();
    expect(store().listSetups((s) => s.connectionName === NAME)[0]!.status).toBe('expired');

    const since = mark(world);
    await clickButton(world, timedOut, ACTION.retryConsent);
    const again = await world.slack.waitForCall('chat.postMessage', (c) => world.slack.calls.indexOf(c) >= since && /One click left/.test(String(c.args.text)));
    expect(again.args.thread_ts).toBe(consent.args.thread_ts);
    await acceptConsentWithoutBrowser(consentUrl(again));
    await waitForMessage(world, /is connected/, 10_000, since);
    expect(store().getConnection(NAME)!.state).toBe('connected');
  });
});

describe('a connection whose setup expired waiting for consent', () => {
  it('can still be re-consented', async () => {
    world = await startWorld({ serviceNowOnBotClock: true, env: { SPOKE_CONSENT_TIMEOUT: '1500ms' } });
    await setupUntilConsent(world);
    await waitForMessage(world, /No refresh token reached ServiceNow/);
    world.clock.advance(25 * HOUR);
    await world.bot.sweepSetups();
    expect(store().listSetups((s) => s.connectionName === NAME)[0]!.status).toBe('expired');

    const since = mark(world);
    await runCommand(world, `rotate ${NAME}`);
    const dm = await world.slack.waitForCall('chat.postMessage', (c) => world.slack.calls.indexOf(c) >= since && /Fresh consent for/.test(String(c.args.text)));
    await acceptConsentWithoutBrowser(consentUrl(dm));
    await waitForMessage(world, /fresh refresh token/, 10_000, since);
    expect(store().getConnection(NAME)).toMatchObject({ state: 'connected', watchedConsent: { change: 'new_row' } });
  });
});

describe('an API token date is a day in its admin\'s calendar', () => {
  const EMAIL = 'integration@acme.test';
  const TOKEN = 'ATATT3xFfGF0-calendar-token-4242';
  const admins = [
    // 08:30 on 10 March in Sydney, still 9 March in UTC: Atlassian's 365th day is 10 March 2027.
    { zone: 'Australia/Sydney', typedAt: '2026-03-09T21:30:00Z', ends: '2027-03-10T13:00:00.000Z', fortnight: '2027-02-24T12:00:00Z' },
    // 22:00 on 10 March in Los Angeles, already 11 March in UTC.
    { zone: 'America/Los_Angeles', typedAt: '2026-03-11T05:00:00Z', ends: '2027-03-11T08:00:00.000Z', fortnight: '2027-02-24T18:00:00Z' },
  ];
  for (const admin of admins) {
    it(`in ${admin.zone}: the 365th day is accepted, valid to its end there, the check and the reminder agree`, async () => {
      world = await startWorld();
      const at = (iso: string) => void (world.clock.offsetMs = Date.parse(iso) - Date.now());
      world.slack.addUser({ id: ADMIN, name: 'ada', tz: admin.zone });
      world.atlassian.addApiToken({ email: EMAIL, token: TOKEN });
      at(admin.typedAt);
      await apiTokenConnection(world, { name: 'Jira token', email: EMAIL, token: TOKEN, expiresOn: '2027-03-10' });

      // Two weeks before the last day: the same 14 in the check and in the reminder.
      at(admin.fortnight);
      await checkNow('Jira token');
      expect(check('Jira token', 'credential')).toMatchObject({ status: 'warning', summary: expect.stringContaining(`expires in 14 days: it is valid until the end of 2027-03-10 (${admin.zone})`) });
      const reminder = channelPosts(/API token expires/);
      expect(reminder).toHaveLength(1);
      expect(String(reminder[0]!.args.text)).toContain(`on 2027-03-10 (end of day, ${admin.zone}), in 14 days.`);

      // The last half hour of the day there: still valid; a second after: expired.
      at(new Date(Date.parse(admin.ends) - HOUR / 2).toISOString());
      await checkNow('Jira token');
      expect(check('Jira token', 'credential')).toMatchObject({ status: 'warning', summary: expect.stringContaining('expires at the end of today') });
      at(new Date(Date.parse(admin.ends) + 1000).toISOString());
      await checkNow('Jira token');
      expect(check('Jira token', 'credential')).toMatchObject({ status: 'failing', summary: expect.stringContaining('expired on 2027-03-10') });
      // Kept: the instant it died, and the day and zone it was typed in, for display.
      expect(store().getConnection('Jira token')).toMatchObject({ tokenExpiresOn: '2027-03-10', tokenExpiresAt: admin.ends, tokenExpiryZone: admin.zone });
    });
  }
});
