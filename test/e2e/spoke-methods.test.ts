import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SPOKES } from '../../src/core/spoke-catalogue.js';
import { SCOPED_TOKEN_VALUE, SETUP_BLOCK } from '../../src/slack/ids.js';
import { acceptConsentWithoutBrowser } from '../support/consent.js';
import { consentUrl, setupWith, waitForMessage } from '../support/setup-steps.js';
import { CLIENT_ID, CLIENT_SECRET, REPORT_CHANNEL, daysFromNow, startWorld, type World } from '../support/world.js';

const EMAIL = 'integration@acme.test';
const TOKEN = 'ATATT3xFfGF0-classic-token-5e1d';
const SCOPED = 'ATATT3xFfGF0-scoped-token-77aa';
const EXPIRY = daysFromNow(190);

let world: World;
beforeEach(async () => {
  world = await startWorld();
});
afterEach(async () => {
  await world.close();
});

function base(spoke: string, name: string): Record<string, string | string[] | null> {
  return { [SETUP_BLOCK.connectionName]: name, [SETUP_BLOCK.site]: world.site.url, [SETUP_BLOCK.channel]: REPORT_CHANNEL, ...(spoke ? {} : {}) };
}

function oauthAnswers(name: string, spoke: 'jira' | 'jsm'): Record<string, string | string[] | null> {
  return { ...base(spoke, name), [SETUP_BLOCK.clientId]: CLIENT_ID, [SETUP_BLOCK.clientSecret]: CLIENT_SECRET, [SETUP_BLOCK.scopes]: SPOKES[spoke].defaultScopes.join(' ') };
}

function tokenAnswers(name: string, token: string, scoped: boolean): Record<string, string | string[] | null> {
  return { ...base('', name), [SETUP_BLOCK.email]: EMAIL, [SETUP_BLOCK.apiToken]: token, [SETUP_BLOCK.tokenExpiry]: EXPIRY, [SETUP_BLOCK.tokenScoped]: scoped ? [SCOPED_TOKEN_VALUE] : [] };
}

const row = (table: string, name: string) => world.serviceNow.rows(table).find((r) => r.name === name);
const alias = (name: string) => world.serviceNow.rows('sys_alias').find((a) => a.name === name && !a.parent)!;

describe('OAuth 2.0 (3LO) for Jira and JSM', () => {
  it('jira: gateway URL with the Cloud ID, api_version=2 and server_type=cloud on the shipped Jira alias', async () => {
    const consent = await setupWith(world, 'jira', 'oauth_3lo', oauthAnswers('Jira acme', 'jira'), /One click left/);
    const entity = row('oauth_entity', 'Jira acme')!;
    expect(entity).toMatchObject({ default_grant_type: 'authorization_code', client_id: CLIENT_ID, auth_url: `${world.atlassian.authUrl}/authorize?audience=api.atlassian.com&prompt=consent` });
    expect(world.serviceNow.rows('oauth_entity_scope').map((s) => s.oauth_entity_scope).sort()).toEqual([...SPOKES.jira.defaultScopes].sort());
    const connection = row('http_connection', 'Jira acme')!;
    expect(connection).toMatchObject({ connection_alias: alias('Jira').sys_id, connection_url: `${world.atlassian.apiUrl}/ex/jira/${world.site.cloudId}`, credential: row('oauth_2_0_credentials', 'Jira acme')!.sys_id });
    expect(JSON.parse(connection.extended_attributes!)).toEqual({ api_version: '2', server_type: 'cloud' });
    await acceptConsentWithoutBrowser(consentUrl(consent));
    await waitForMessage(world, /is connected: ServiceNow holds a refresh token/);
  });

  it('jsm: gateway URL with a trailing slash on the Jira_SM alias, no Jira attributes', async () => {
    await setupWith(world, 'jsm', 'oauth_3lo', oauthAnswers('JSM acme', 'jsm'), /One click left/);
    const connection = row('http_connection', 'JSM acme')!;
    expect(connection).toMatchObject({ connection_alias: alias('Jira_SM').sys_id, connection_url: `${world.atlassian.apiUrl}/ex/jira/${world.site.cloudId}/`, extended_attributes: '' });
    expect(world.serviceNow.rows('oauth_entity_scope').map((s) => s.oauth_entity_scope).sort()).toEqual([...SPOKES.jsm.defaultScopes].sort());
  });
});

describe('API tokens', () => {
  it('jira, classic token: verified on the site, then a Basic Auth credential and a connection to the site', async () => {
    world.atlassian.addApiToken({ email: EMAIL, token: TOKEN });
    await setupWith(world, 'jira', 'api_token', tokenAnswers('Jira token', TOKEN, false), /is connected: the API token signed in/);
    const credential = row('basic_auth_credentials', 'Jira token')!;
    expect(credential).toMatchObject({ user_name: EMAIL, active: 'true' });
    expect(world.serviceNow.secretOf('basic_auth_credentials', credential.sys_id!)).toEqual({ value: TOKEN, wellFormed: true });
    const connection = row('http_connection', 'Jira token')!;
    expect(connection).toMatchObject({ connection_url: world.site.url, credential: credential.sys_id, connection_alias: alias('Jira').sys_id });
    expect(JSON.parse(connection.extended_attributes!)).toEqual({ api_version: '2', server_type: 'cloud' });
    expect(world.serviceNow.rows('oauth_entity')).toEqual([]);
    const verified = world.atlassian.requests.filter((r) => r.path === '/rest/api/3/myself');
    expect(verified.map((r) => r.origin)).toEqual([world.site.url]);
    const kept = world.bot.store.getConnection('Jira token')!;
    expect(kept).toMatchObject({ method: 'api_token', state: 'connected', email: EMAIL, tokenExpiresOn: EXPIRY, scopedToken: false });
    expect(world.bot.store.revealCredential(kept)).toBe(TOKEN);
    await world.slack.waitForCall('chat.postMessage', (c) => c.args.channel === REPORT_CHANNEL);
  });

  it('jira, scoped token: verified and connected only through api.atlassian.com', async () => {
    world.atlassian.addApiToken({ email: EMAIL, token: SCOPED, scopes: ['read:jira-user', 'read:jira-work', 'write:jira-work'] });
    await setupWith(world, 'jira', 'api_token', tokenAnswers('Jira scoped', SCOPED, true), /is connected/);
    expect(row('http_connection', 'Jira scoped')).toMatchObject({ connection_url: `${world.atlassian.apiUrl}/ex/jira/${world.site.cloudId}` });
    const verified = world.atlassian.requests.filter((r) => r.path.endsWith('/rest/api/3/myself'));
    expect(verified.map((r) => `${r.origin}${r.path}`)).toEqual([`${world.atlassian.apiUrl}/ex/jira/${world.site.cloudId}/rest/api/3/myself`]);
  });

  it('jsm, classic token: the Jira_SM alias and the site URL', async () => {
    world.atlassian.addApiToken({ email: EMAIL, token: TOKEN });
    await setupWith(world, 'jsm', 'api_token', tokenAnswers('JSM token', TOKEN, false), /is connected/);
    expect(row('http_connection', 'JSM token')).toMatchObject({ connection_url: world.site.url, connection_alias: alias('Jira_SM').sys_id, extended_attributes: '' });
    expect(row('basic_auth_credentials', 'JSM token')).toMatchObject({ user_name: EMAIL });
  });

  it('says in the plan that Atlassian steers integrations toward OAuth', async () => {
    world.atlassian.addApiToken({ email: EMAIL, token: TOKEN });
    const { openSetupModal, chooseMethod, submitView, waitForPlanView } = await import('../support/setup-steps.js');
    const form = await chooseMethod(world, await openSetupModal(world, 'jira'), 'api_token');
    await submitView(world, form, tokenAnswers('Jira token', TOKEN, false) as Record<string, string | null>);
    const plan = await waitForPlanView(world, String(form.id));
    expect(JSON.stringify(plan.blocks)).toContain('acceptable-use policy now steers integrations toward OAuth');
    expect(JSON.stringify(plan)).not.toContain(TOKEN);
  });
});

describe('Jira service account (OAuth client credentials)', () => {
  it('gets a token, calls myself through the gateway, then writes a client-credentials registry with no consent step', async () => {
    const answers = { ...base('', 'Jira robot'), [SETUP_BLOCK.clientId]: CLIENT_ID, [SETUP_BLOCK.clientSecret]: CLIENT_SECRET, [SETUP_BLOCK.scopes]: SPOKES.jira.serviceAccountScopes.join(' ') };
    await setupWith(world, 'jira', 'service_account', answers, /is connected: the service account signed in/);
    const entity = row('oauth_entity', 'Jira robot')!;
    expect(entity).toMatchObject({ default_grant_type: 'client_credentials', client_id: CLIENT_ID, token_url: `${world.atlassian.authUrl}/oauth/token`, auth_url: '' });
    expect(world.serviceNow.rows('oauth_entity_profile')[0]).toMatchObject({ oauth_entity: entity.sys_id, grant_type: 'client_credentials', default: 'true' });
    expect(world.serviceNow.rows('oauth_entity_scope').map((s) => s.oauth_entity_scope).sort()).toEqual([...SPOKES.jira.serviceAccountScopes].sort());
    expect(row('http_connection', 'Jira robot')).toMatchObject({ connection_url: `${world.atlassian.apiUrl}/ex/jira/${world.site.cloudId}`, credential: row('oauth_2_0_credentials', 'Jira robot')!.sys_id });
    expect(world.atlassian.tokens.filter((t) => t.grantType === 'client_credentials')).toHaveLength(1);
    expect(world.slack.calls.some((c) => /One click left/.test(String(c.args.text)))).toBe(false);
    const kept = world.bot.store.getConnection('Jira robot')!;
    expect(kept).toMatchObject({ method: 'service_account', state: 'connected', clientId: CLIENT_ID });
    expect(world.bot.store.revealCredential(kept)).toBe(CLIENT_SECRET);
  });
});
