import { afterEach, describe, expect, it } from 'vitest';
import { ACTION } from '../../src/slack/ids.js';
import { acceptConsentWithoutBrowser } from '../support/consent.js';
import { apiTokenConnection, serviceAccountConnection } from '../support/connections.js';
import { consentUrl, runCommand, setupUntilConsent, waitForMessage } from '../support/setup-steps.js';
import { ADMIN, REPORT_CHANNEL, startWorld, type World } from '../support/world.js';

const EMAIL = 'integration@acme.test';
const TOKEN = 'ATATT3xFfGF0-health-token-9999';
const DAY = 86_400_000;

let world: World;
afterEach(async () => {
  await world.close();
});

const channelPosts = (pattern: RegExp) => world.slack.calls.filter((c) => c.method === 'chat.postMessage' && c.args.channel === REPORT_CHANNEL && pattern.test(String(c.args.text)));
const dmPosts = (pattern: RegExp) => world.slack.calls.filter((c) => c.method === 'chat.postMessage' && c.args.channel === world.slack.dmChannelFor(ADMIN) && pattern.test(String(c.args.text)));
const health = (name: string) => world.bot.store.getHealth(name)!;
const check = (name: string, which: string) => health(name).checks.find((c) => c.check === which)!;

async function tokenConnection(expiresOn: string): Promise<void> {
  world.atlassian.addApiToken({ email: EMAIL, token: TOKEN });
  await apiTokenConnection(world, { name: 'Jira token', email: EMAIL, token: TOKEN, expiresOn });
}

async function oauthConnection(): Promise<void> {
  const consent = await setupUntilConsent(world);
  await acceptConsentWithoutBrowser(consentUrl(consent));
  await waitForMessage(world, /is connected/);
  await world.bot.tasks.idle();
}

/** Moves the clock past the check interval (1h) and runs the scheduled sweep. */
async function nextSweep(days = 0): Promise<void> {
  world.clock.advance(days * DAY + 3_600_000 + 1000);
  await world.bot.monitor.sweep();
}

describe('expiry reminders', () => {
  it('at 30, 14, 7, 3 and 1 days, each exactly once, to the channel and the admin, across a restart', async () => {
    world = await startWorld();
    const expiry = new Date(world.clock.now().getTime() + 40 * DAY).toISOString().slice(0, 10);
    await tokenConnection(expiry);
    const expiresAt = Date.parse(`${expiry}T00:00:00Z`);
    /** Puts the clock `days` (and an hour) before the expiry, then sweeps twice. */
    const at = async (days: number) => {
      world.clock.offsetMs = expiresAt - (days * DAY - 3_600_000) - Date.now();
      await world.bot.monitor.sweep();
      world.clock.advance(3_600_000 + 1000);
      await world.bot.monitor.sweep();
    };
    await world.bot.monitor.sweep();
    expect(channelPosts(/API token expires/)).toHaveLength(0);
    await at(30);
    await at(14);
    expect(channelPosts(/API token expires/).map((c) => String(c.args.text).match(/in (\d+) day/)![1])).toEqual(['30', '14']);

    // Down from 13 days left until 6: the 7-day reminder comes once, late; nothing twice.
    await world.restartBot(async () => {
      world.clock.offsetMs = expiresAt - (6 * DAY - 3_600_000) - Date.now();
    });
    await world.bot.monitor.sweep();
    await world.bot.monitor.sweep();
    await at(3);
    await at(1);
    const days = channelPosts(/API token expires/).map((c) => Number(String(c.args.text).match(/in (\d+) day/)![1]));
    expect(days).toEqual([30, 14, 6, 3, 1]);
    expect(dmPosts(/API token expires/)).toHaveLength(5);
    expect((await world.bot.store.auditTrail()).filter((e) => e.action === 'reminder.sent')).toHaveLength(5);
  });
});

describe('states, reasons and advice', () => {
  it('scope drift: a warning with both lists, fixed by re-consent, told once', async () => {
    world = await startWorld();
    await oauthConnection();
    await world.bot.monitor.sweep();
    expect(health('Confluence acme').state).toBe('ok');
    const sn = world.serviceNow;
    const search = sn.rows('oauth_entity_scope').find((s) => s.oauth_entity_scope === 'search:confluence')!;
    sn.remove('oauth_entity_scope', search.sys_id!);
    sn.insert('oauth_entity_scope', { name: 'read:space:confluence', oauth_entity_scope: 'read:space:confluence', oauth_entity: search.oauth_entity! });
    await nextSweep();
    expect(health('Confluence acme').state).toBe('warning');
    expect(check('Confluence acme', 'scopes')).toMatchObject({ status: 'warning', fix: 'reconsent', summary: expect.stringContaining('Missing: search:confluence; added: read:space:confluence') });
    // A new state is told once a second check confirms it.
    expect(channelPosts(/is warning/)).toHaveLength(0);
    await nextSweep();
    const alerts = channelPosts(/is warning/);
    expect(alerts).toHaveLength(1);
    expect(JSON.stringify(alerts[0]!.args.blocks)).toContain(ACTION.fixReconsent);
    await nextSweep();
    expect(channelPosts(/is warning/)).toHaveLength(1);
  });

  it('a renamed site fails, and recovering produces one "recovered" message', async () => {
    world = await startWorld();
    await oauthConnection();
    await world.bot.monitor.sweep();
    const cloudId = world.site.cloudId;
    world.site.setCloudId('99999999-0000-4000-8000-000000000000');
    await nextSweep();
    await nextSweep();
    expect(check('Confluence acme', 'site')).toMatchObject({ status: 'failing', fix: 'setup', summary: expect.stringContaining('renamed, moved or deleted') });
    expect(channelPosts(/is failing/)).toHaveLength(1);
    world.site.setCloudId(cloudId);
    await nextSweep();
    await nextSweep();
    expect(health('Confluence acme').state).toBe('ok');
    expect(channelPosts(/has recovered/)).toHaveLength(1);
  });

  it('no refresh token in ServiceNow fails, fixed by re-consent', async () => {
    world = await startWorld();
    await oauthConnection();
    for (const row of world.serviceNow.rows('oauth_credential')) world.serviceNow.remove('oauth_credential', row.sys_id!);
    await world.bot.monitor.sweep();
    expect(check('Confluence acme', 'refresh_token')).toMatchObject({ status: 'failing', fix: 'reconsent' });
  });

  it('a refresh token unused for 80 days warns; at 91 days it has died', async () => {
    world = await startWorld();
    await oauthConnection();
    await nextSweep(80);
    expect(check('Confluence acme', 'refresh_token')).toMatchObject({ status: 'warning', summary: expect.stringContaining('dies in') });
    await nextSweep(11);
    expect(check('Confluence acme', 'refresh_token')).toMatchObject({ status: 'failing', summary: expect.stringContaining('expired') });
  });

  it('an expired API token fails, fixed by rotating', async () => {
    world = await startWorld();
    const expiry = new Date(world.clock.now().getTime() + 5 * DAY).toISOString().slice(0, 10);
    await tokenConnection(expiry);
    await nextSweep(7);
    await nextSweep();
    expect(check('Jira token', 'credential')).toMatchObject({ status: 'failing', fix: 'rotate', summary: expect.stringContaining(`expired on ${expiry}`) });
    expect(JSON.stringify(channelPosts(/is failing/)[0]!.args.blocks)).toContain(ACTION.fixRotate);
  });

  it('invalid_grant for a service account fails with rotate advice, and the next live sign-in waits hours', async () => {
    world = await startWorld();
    await serviceAccountConnection(world, 'Jira robot');
    world.atlassian.faults.next({ path: '/oauth/token', status: 403, body: { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' } });
    await world.bot.monitor.sweep();
    expect(check('Jira robot', 'credential')).toMatchObject({ status: 'failing', fix: 'rotate', summary: expect.stringContaining('invalid_grant') });
    const tokenCalls = () => world.atlassian.requests.filter((r) => r.path === '/oauth/token').length;
    const before = tokenCalls();
    await nextSweep();
    await nextSweep();
    expect(tokenCalls()).toBe(before);
    expect(health('Jira robot').state).toBe('failing');
    world.clock.advance(6 * 3_600_000);
    await world.bot.monitor.sweep();
    expect(tokenCalls()).toBe(before + 1);
    expect(health('Jira robot').state).toBe('ok');
  });
});

describe('no flood', () => {
  it('a check that flaps on every scheduled sweep posts nothing; once it settles, one alert', async () => {
    world = await startWorld();
    await oauthConnection();
    await world.bot.monitor.sweep();
    const cloudId = world.site.cloudId;
    for (let i = 0; i < 8; i++) {
      world.site.setCloudId(i % 2 === 0 ? '99999999-0000-4000-8000-000000000000' : cloudId);
      await nextSweep();
    }
    expect(channelPosts(/is failing|has recovered/)).toHaveLength(0);
    world.site.setCloudId('99999999-0000-4000-8000-000000000000');
    await nextSweep();
    await nextSweep();
    await nextSweep();
    expect(channelPosts(/is failing/)).toHaveLength(1);
  });

  it('a check that fails, passes and fails within one interval posts no alert', async () => {
    world = await startWorld();
    await oauthConnection();
    await world.bot.monitor.sweep();
    const connection = world.bot.store.getConnection('Confluence acme')!;
    const cloudId = world.site.cloudId;
    world.site.setCloudId('99999999-0000-4000-8000-000000000000');
    await world.bot.monitor.check(connection);
    world.site.setCloudId(cloudId);
    world.clock.advance(60_000);
    await world.bot.monitor.check(connection);
    world.site.setCloudId('99999999-0000-4000-8000-000000000000');
    world.clock.advance(60_000);
    await world.bot.monitor.check(connection);
    expect(channelPosts(/is failing|has recovered/)).toHaveLength(0);
  });
});

describe('one state, three views', () => {
  it('/spoke list, /spoke status and App Home show the same state and checks', async () => {
    world = await startWorld();
    await oauthConnection();
    world.site.setCloudId('99999999-0000-4000-8000-000000000000');
    await world.bot.monitor.sweep();
    const list = await runCommand(world, 'list');
    expect(JSON.stringify(list.json)).toContain(':red_circle: failing');
    const { sendEvent, appHomeOpened } = await import('../standins/slack-driver.js');
    const { SIGNING_SECRET } = await import('../support/world.js');
    await sendEvent(world.eventsUrl, SIGNING_SECRET, appHomeOpened({ userId: ADMIN }));
    const home = await world.slack.waitForCall('views.publish');
    expect(JSON.stringify(home.args.view)).toContain(':red_circle: failing');
    await runCommand(world, 'status Confluence acme');
    const status = await world.slack.waitForCall('response_url', (c) => /Health of 1/.test(String(c.args.text)));
    const text = JSON.stringify(status.args.blocks);
    expect(text).toContain(':red_circle: *Confluence acme*');
    expect(text).toContain('renamed, moved or deleted');
    // And a state change redraws the Home of whoever opened it, after the sweep.
    world.site.setCloudId(world.bot.store.getConnection('Confluence acme')!.cloudId);
    const publishes = world.slack.calls.length;
    await nextSweep();
    const redrawn = await world.slack.waitForCall('views.publish', (c) => world.slack.calls.indexOf(c) >= publishes && c.args.user_id === ADMIN);
    expect(JSON.stringify(redrawn.args.view)).toContain(':large_green_circle: ok');
  });
});

describe('a ServiceNow outage', () => {
  it('is not mistaken for health: a warning that says ServiceNow could not be read', async () => {
    world = await startWorld();
    await oauthConnection();
    await world.bot.monitor.sweep();
    for (let i = 0; i < 40; i++) world.serviceNow.faults.next({ method: 'GET', status: 401 });
    await nextSweep();
    expect(health('Confluence acme').state).toBe('warning');
    expect(check('Confluence acme', 'records')).toMatchObject({ status: 'warning', summary: expect.stringContaining('ServiceNow could not be read') });
    expect(channelPosts(/has recovered/)).toHaveLength(0);
  });
});

describe('concurrent checks', () => {
  it('a Check now during a sweep joins it: one alert, one reminder', async () => {
    world = await startWorld();
    const expiry = new Date(world.clock.now().getTime() + 5 * DAY).toISOString().slice(0, 10);
    await tokenConnection(expiry);
    const connection = world.bot.store.getConnection('Jira token')!;
    await Promise.all([world.bot.monitor.sweep(), world.bot.monitor.check(connection), world.bot.monitor.check(connection)]);
    expect(channelPosts(/API token expires/)).toHaveLength(1);
  });
});

describe('a sweep stalled past its claims', () => {
  const names = ['Jira token 1', 'Jira token 2', 'Jira token 3', 'Jira token 4', 'Jira token 5'];

  /**
   * Five API-token connections on one site, checked once; then, an interval on, a sweep whose
   * sign-ins take 600 ms each, so the fifth check waits for one of the site's four slots, and
   * meanwhile the host stalls for six minutes (the clock jumps) past the sweep's claims (five
   * minutes with an hourly interval). `during` runs just after the jump.
   */
  async function stalledSweep<T>(during?: () => Promise<T>): Promise<{ before: Map<string, string>; jumpedAt: number; during: T | undefined }> {
    world = await startWorld();
    const expiry = new Date(world.clock.now().getTime() + 200 * DAY).toISOString().slice(0, 10);
    for (const [i, name] of names.entries()) {
      world.atlassian.addApiToken({ email: `robot${i}@acme.test`, token: `${TOKEN}-${i}` });
      await apiTokenConnection(world, { name, email: `robot${i}@acme.test`, token: `${TOKEN}-${i}`, expiresOn: expiry });
    }
    await world.bot.monitor.sweep();
    world.clock.advance(3_600_000 + 1000);
    const before = new Map(names.map((n) => [n, health(n).checkedAt]));
    world.atlassian.faults.setLatency(600);
    const signIns = () => world.atlassian.requests.filter((r) => r.path === '/rest/api/3/myself').length;
    const signedInBefore = signIns();
    const sweep = world.bot.monitor.sweep();
    // The jump comes once four sign-ins hold the site's slots (the stand-in logs each as it
    // arrives, then waits its latency), not after a guessed pause a loaded host could outrun.
    while (signIns() < signedInBefore + 4) await new Promise((resolve) => setTimeout(resolve, 10));
    world.clock.advance(6 * 60_000);
    const jumpedAt = world.clock.now().getTime();
    const [, result] = await Promise.all([sweep, during?.()]);
    world.atlassian.faults.clear();
    return { before, jumpedAt, during: result };
  }

  const leftBySweep = () => world.logs.filter((line) => /ran out before the check began/.test(line));

  it('leaves a check whose claim ran out before its turn to whoever holds it now, and the next sweep checks it', async () => {
    const { before } = await stalledSweep();
    const checkedNow = names.filter((n) => health(n).checkedAt !== before.get(n));
    expect(checkedNow).toHaveLength(4);
    const leftAlone = names.find((n) => !checkedNow.includes(n))!;
    expect(leftBySweep().join('\n')).toContain(`the claim on ${leftAlone}'s due check ran out`);

    // Still due: the next sweep, with nothing stalled, checks it and only it.
    expect(await world.bot.monitor.sweep()).toBe(1);
    expect(health(leftAlone).checkedAt).not.toBe(before.get(leftAlone));
  });

  it('a Check now that joined the check the sweep left still gets a fresh check', async () => {
    const { jumpedAt, during } = await stalledSweep(() => Promise.all(names.map((n) => world.bot.monitor.check(world.bot.store.getConnection(n)!))));
    expect(leftBySweep()).toHaveLength(1);
    expect(during).toHaveLength(names.length);
    for (const record of during!) expect(Date.parse(record.checkedAt)).toBeGreaterThanOrEqual(jumpedAt);
  });
});

describe('adopting a connection made by hand', () => {
  it('reads its records from ServiceNow and checks it like its own', async () => {
    world = await startWorld();
    const sn = world.serviceNow;
    const shipped = sn.rows('sys_alias').find((a) => a.name === 'Jira')!;
    const credential = sn.insert('basic_auth_credentials', { name: 'Jira (legal)', user_name: EMAIL, password: 'unknown-to-us', active: 'true' });
    sn.insert('http_connection', { name: 'Jira (legal)', connection_alias: shipped.sys_id!, credential: credential.sys_id!, connection_url: world.site.url, active: 'true' });
    await runCommand(world, `adopt ${world.site.url} Jira (legal)`);
    const reply = await world.slack.waitForCall('response_url', (c) => /keeps watch/.test(String(c.args.text)));
    expect(String(reply.args.text)).toContain('api_token');
    expect(world.bot.store.getConnection('Jira (legal)')).toMatchObject({ spoke: 'jira', method: 'api_token', cloudId: world.site.cloudId, email: EMAIL });
    await world.bot.monitor.sweep();
    expect(health('Jira (legal)').state).toBe('ok');
    expect(check('Jira (legal)', 'credential')).toMatchObject({ status: 'skipped' });
    sn.edit('http_connection', sn.rows('http_connection')[0]!.sys_id!, { active: 'false' });
    await nextSweep();
    expect(check('Jira (legal)', 'records')).toMatchObject({ status: 'failing', summary: expect.stringContaining('Inactive in ServiceNow: http_connection') });
  });
});
