import { readFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SPOKES } from '../../src/core/spoke-catalogue.js';
import { CALLBACK, ROTATE_BLOCK, SETUP_BLOCK } from '../../src/slack/ids.js';
import { acceptConsentWithoutBrowser } from '../support/consent.js';
import { apiTokenConnection, serviceAccountConnection } from '../support/connections.js';
import { consentUrl, mark, runCommand, setupWith, submitView, waitForMessage } from '../support/setup-steps.js';
import { CLIENT_ID, CLIENT_SECRET, MEMBER, REPORT_CHANNEL, SERVICENOW_PASSWORD, daysFromNow, startWorld, type World } from '../support/world.js';

const EMAIL = 'integration@acme.test';
const OLD_TOKEN = 'ATATT3xFfGF0-old-token-1111';
const NEW_TOKEN = 'ATATT3xFfGF0-new-token-2222';
const BAD_TOKEN = 'ATATT3xFfGF0-bad-token-3333';
const NEW_SECRET = 'rotated-client-secret-4444';
const SCOPED_TOKEN = 'ATATT3xFfGF0-scoped-token-5555';
const FIRST_EXPIRY = daysFromNow(60);
const NEXT_EXPIRY = daysFromNow(300);

let world: World;
beforeEach(async () => {
  world = await startWorld();
  world.atlassian.addApiToken({ email: EMAIL, token: OLD_TOKEN });
  world.atlassian.addApiToken({ email: EMAIL, token: NEW_TOKEN });
});
afterEach(async () => {
  await world.close();
});

async function tokenConnection(name = 'Jira token'): Promise<void> {
  await apiTokenConnection(world, { name, email: EMAIL, token: OLD_TOKEN, expiresOn: FIRST_EXPIRY });
}

async function openModal(text: string, callbackId: string): Promise<Record<string, unknown>> {
  const since = mark(world);
  await runCommand(world, text);
  const opened = await world.slack.waitForCall('views.open', (c) => world.slack.calls.indexOf(c) >= since && (c.args.view as { callback_id?: string }).callback_id === callbackId);
  return opened.response.view as Record<string, unknown>;
}

const snapshot = (table: string) => world.serviceNow.rows(table).map(({ sys_updated_on: _u, ...row }) => row);

describe('/spoke rotate', () => {
  it('an API token: the new token is verified, then written over the same ServiceNow credential', async () => {
    await tokenConnection();
    const before = snapshot('basic_auth_credentials');
    const modal = await openModal('rotate Jira token', CALLBACK.rotateModal);
    const ack = await submitView(world, modal, { [ROTATE_BLOCK.secret]: NEW_TOKEN, [ROTATE_BLOCK.tokenExpiry]: NEXT_EXPIRY });
    expect(ack.json).toMatchObject({ response_action: 'update' });
    await world.slack.waitForCall('views.update', (c) => c.args.view_id === modal.id && JSON.stringify(c.args.view).includes('now uses the new credential'));

    const after = snapshot('basic_auth_credentials');
    expect(after.map((r) => r.sys_id)).toEqual(before.map((r) => r.sys_id));
    expect(world.serviceNow.secretOf('basic_auth_credentials', after[0]!.sys_id!)).toEqual({ value: NEW_TOKEN, wellFormed: true });
    const kept = world.bot.store.getConnection('Jira token')!;
    expect(kept.tokenExpiresOn).toBe(NEXT_EXPIRY);
    expect(world.bot.store.revealCredential(kept)).toBe(NEW_TOKEN);
    await world.slack.waitForCall('chat.postMessage', (c) => c.args.channel === REPORT_CHANNEL && /rotated by/.test(String(c.args.text)));
    expect((await world.bot.store.auditTrail())).toContainEqual(expect.objectContaining({ action: 'connection.rotate', outcome: 'ok', connection: 'Jira token' }));
  });

  it('switching from a classic to a scoped token repoints the connection through the gateway', async () => {
    world.atlassian.addApiToken({ email: EMAIL, token: SCOPED_TOKEN, scopes: ['read:jira-user', 'read:jira-work'] });
    await tokenConnection();
    expect(world.serviceNow.rows('http_connection')[0]!.connection_url).toBe(world.site.url);
    const modal = await openModal('rotate Jira token', CALLBACK.rotateModal);
    await submitView(world, modal, { [ROTATE_BLOCK.secret]: SCOPED_TOKEN, [ROTATE_BLOCK.tokenExpiry]: NEXT_EXPIRY, [ROTATE_BLOCK.tokenScoped]: ['scoped'] } as never);
    await world.slack.waitForCall('views.update', (c) => c.args.view_id === modal.id && JSON.stringify(c.args.view).includes('now uses the new credential'));
    expect(world.serviceNow.rows('http_connection')[0]!.connection_url).toBe(`${world.atlassian.apiUrl}/ex/jira/${world.site.cloudId}`);
    expect(world.bot.store.getConnection('Jira token')).toMatchObject({ scopedToken: true });
  });

  it('a token that does not work is refused on the token field, tried once, and ServiceNow keeps the old one', async () => {
    await tokenConnection();
    const credential = world.serviceNow.rows('basic_auth_credentials')[0]!;
    const modal = await openModal('rotate Jira token', CALLBACK.rotateModal);
    await submitView(world, modal, { [ROTATE_BLOCK.secret]: BAD_TOKEN, [ROTATE_BLOCK.tokenExpiry]: NEXT_EXPIRY });
    const back = await world.slack.waitForCall('views.update', (c) => c.args.view_id === modal.id && JSON.stringify(c.args.view).includes(':x:'));
    expect(JSON.stringify(back.args.view)).toContain('Atlassian refused this email and token');
    expect(world.atlassian.failedLogins(EMAIL)).toBe(1);
    expect(world.serviceNow.secretOf('basic_auth_credentials', credential.sys_id!).value).toBe(OLD_TOKEN);
    expect(world.bot.store.revealCredential(world.bot.store.getConnection('Jira token')!)).toBe(OLD_TOKEN);
  });

  it('a service account: the new client secret replaces the old in the application registry', async () => {
    await serviceAccountConnection(world, 'Jira robot');
    // The admin rotated the secret at Atlassian; now ServiceNow needs it.
    world.atlassian.registerApp({ clientId: CLIENT_ID, clientSecret: NEW_SECRET, callbackUrl: `${world.serviceNow.url}/oauth_redirect.do`, scopes: [...SPOKES.jira.serviceAccountScopes] });
    const entity = world.serviceNow.rows('oauth_entity')[0]!;
    const modal = await openModal('rotate Jira robot', CALLBACK.rotateModal);
    await submitView(world, modal, { [ROTATE_BLOCK.secret]: NEW_SECRET });
    await world.slack.waitForCall('views.update', (c) => c.args.view_id === modal.id && JSON.stringify(c.args.view).includes('now uses the new credential'));
    expect(world.serviceNow.rows('oauth_entity').map((r) => r.sys_id)).toEqual([entity.sys_id]);
    expect(world.serviceNow.secretOf('oauth_entity', entity.sys_id!)).toEqual({ value: NEW_SECRET, wellFormed: true });
    expect(world.bot.store.revealCredential(world.bot.store.getConnection('Jira robot')!)).toBe(NEW_SECRET);
  });

  it('3LO: a fresh consent link in a DM, and a report once ServiceNow has the new refresh token', async () => {
    const { setupUntilConsent } = await import('../support/setup-steps.js');
    const first = await setupUntilConsent(world);
    await acceptConsentWithoutBrowser(consentUrl(first));
    await waitForMessage(world, /is connected/);
    const tokensBefore = world.serviceNow.rows('oauth_credential').filter((t) => t.type === 'refresh_token').map((t) => t.sys_id);

    const since = mark(world);
    await runCommand(world, 'rotate Confluence acme');
    const fresh = await waitForMessage(world, /Fresh consent for Confluence acme/, 10_000, since);
    // The old refresh token, written moments ago, must not pass for the new one.
    await new Promise((r) => setTimeout(r, 300));
    expect(world.slack.calls.slice(since).some((c) => /has a fresh refresh token/.test(String(c.args.text)))).toBe(false);
    await acceptConsentWithoutBrowser(consentUrl(fresh));
    await waitForMessage(world, /has a fresh refresh token/, 10_000, since);
    expect(world.serviceNow.rows('oauth_credential').filter((t) => t.type === 'refresh_token').map((t) => t.sys_id)).not.toEqual(tokensBefore);
    expect((await world.bot.store.auditTrail()).map((e) => e.action)).toEqual(expect.arrayContaining(['connection.reconsent_started', 'connection.reconsented']));
  });

  it('is for admins only', async () => {
    await tokenConnection();
    await runCommand(world, 'rotate Jira token', MEMBER);
    const reply = await world.slack.waitForCall('response_url', (c) => /Only spokebot admins can rotate/.test(String(c.args.text)));
    expect(reply.args.response_type).toBe('ephemeral');
  });
});

describe('/spoke remove', () => {
  it('asks first, then deactivates the connection and its credential; nothing is deleted', async () => {
    await tokenConnection();
    const counts = () => ['basic_auth_credentials', 'http_connection', 'sys_alias'].map((t) => world.serviceNow.rows(t).length);
    const before = counts();
    const modal = await openModal('remove Jira token', CALLBACK.removeModal);
    expect(JSON.stringify(modal.blocks)).toContain('nothing is deleted');
    const ack = await submitView(world, modal, {});
    expect(ack.json).toMatchObject({ response_action: 'clear' });
    await waitForMessage(world, /was deactivated in ServiceNow/);
    expect(counts()).toEqual(before);
    expect(world.serviceNow.rows('http_connection')[0]).toMatchObject({ name: 'Jira token', active: 'false' });
    expect(world.serviceNow.rows('basic_auth_credentials')[0]).toMatchObject({ name: 'Jira token', active: 'false' });
    const removed = world.bot.store.getConnection('Jira token')!;
    expect(removed).toMatchObject({ state: 'removed' });
    expect(removed.sealedCredential).toBeUndefined();
    expect((await world.bot.store.auditTrail()).filter((e) => e.connection === 'Jira token').map((e) => e.action)).toEqual(
      expect.arrayContaining(['setup.started', 'setup.connected', 'connection.removed']),
    );

    const list = await runCommand(world, 'list');
    expect(JSON.stringify(list.json)).toContain('deactivated');
    const again = mark(world);
    await runCommand(world, 'rotate Jira token');
    await world.slack.waitForCall('response_url', (c) => world.slack.calls.indexOf(c) >= again && /No active connection named/.test(String(c.args.text)));
  });
});

describe('/spoke remove, 3LO', () => {
  it('deactivates the connection and its OAuth credential, keeps the registry', async () => {
    const { setupUntilConsent } = await import('../support/setup-steps.js');
    await setupUntilConsent(world);
    const modal = await openModal('remove Confluence acme', CALLBACK.removeModal);
    await submitView(world, modal, {});
    await waitForMessage(world, /was deactivated in ServiceNow/);
    expect(world.serviceNow.rows('http_connection')[0]).toMatchObject({ active: 'false' });
    expect(world.serviceNow.rows('oauth_2_0_credentials')[0]).toMatchObject({ active: 'false' });
    expect(world.serviceNow.rows('oauth_entity')).toHaveLength(1);
  });
});

describe('/spoke list', () => {
  it('shows each spoke with its shipped alias and the child aliases under it', async () => {
    await tokenConnection('Jira main');
    const second = await world.atlassian.createSite();
    await setupWith(
      world,
      'jira',
      'api_token',
      { [SETUP_BLOCK.connectionName]: 'Jira labs', [SETUP_BLOCK.site]: second.url, [SETUP_BLOCK.channel]: REPORT_CHANNEL, [SETUP_BLOCK.email]: EMAIL, [SETUP_BLOCK.apiToken]: OLD_TOKEN, [SETUP_BLOCK.tokenExpiry]: FIRST_EXPIRY, [SETUP_BLOCK.tokenScoped]: [] },
      /is connected/,
    );
    const response = await runCommand(world, 'list', MEMBER);
    const text = JSON.stringify(response.json);
    expect(text).toContain('alias `Jira`');
    expect(text).toMatch(/• \*Jira main\* · API token/);
    expect(text).toMatch(/↳ child alias `Jira labs`: \*Jira labs\*/);
    expect(text).toContain(`token expires ${FIRST_EXPIRY}`);
  });
});

describe('secrets across setup, rotation and removal', () => {
  it('no API token, client secret or ServiceNow password in logs, Slack calls, the audit log or the store file', async () => {
    await tokenConnection();
    // A refused rotation first: the path that echoes problems back into a view.
    const refused = await openModal('rotate Jira token', CALLBACK.rotateModal);
    await submitView(world, refused, { [ROTATE_BLOCK.secret]: BAD_TOKEN, [ROTATE_BLOCK.tokenExpiry]: NEXT_EXPIRY });
    await world.slack.waitForCall('views.update', (c) => c.args.view_id === refused.id && JSON.stringify(c.args.view).includes(':x:'));
    const modal = await openModal('rotate Jira token', CALLBACK.rotateModal);
    await submitView(world, modal, { [ROTATE_BLOCK.secret]: NEW_TOKEN, [ROTATE_BLOCK.tokenExpiry]: NEXT_EXPIRY });
    await world.slack.waitForCall('views.update', (c) => c.args.view_id === modal.id && JSON.stringify(c.args.view).includes('now uses the new credential'));
    await serviceAccountConnection(world, 'Jira robot');
    const removal = await openModal('remove Jira robot', CALLBACK.removeModal);
    await submitView(world, removal, {});
    await waitForMessage(world, /was deactivated/);
    await world.bot.tasks.idle();

    const secrets = [OLD_TOKEN, NEW_TOKEN, BAD_TOKEN, CLIENT_SECRET, SERVICENOW_PASSWORD];
    const places = {
      logs: world.logs.join('\n'),
      slack: JSON.stringify(world.slack.calls.map((c) => c.args)),
      audit: JSON.stringify((await world.bot.store.auditTrail())),
      store: await readFile(world.config.SPOKE_DB_PATH, 'utf8'),
    };
    for (const [place, text] of Object.entries(places)) {
      for (const secret of secrets) expect(text, `${secret} in ${place}`).not.toContain(secret);
    }
    expect(world.bot.store.revealCredential(world.bot.store.getConnection('Jira token')!)).toBe(NEW_TOKEN);
  });
});
