/**
 * The stand-ins are test infrastructure, but e2e tests trust them to behave like the real
 * services: these checks pin the behaviours the bot's tests lean on.
 */
import { createHmac } from 'node:crypto';
import type { Server } from 'node:http';
import { App, LogLevel } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import type { ServiceNowStandIn } from '../standins/servicenow.js';
import { startSlackStandIn } from '../standins/slack-api.js';
import { fillViewState, postToBot, sendSlashCommand, signSlackRequest } from '../standins/slack-driver.js';

import { atlassian, closers, post, serviceNow } from '../support/standin-fixtures.js';

describe('Atlassian stand-in', () => {
  it('serves tenant_info, refuses scopes the app lacks, and rotates refresh tokens', async () => {
    const at = await atlassian();
    const site = await at.createSite({ cloudId: '11111111-2222-3333-4444-555555555555' });
    expect(await (await fetch(`${site.url}/_edge/tenant_info`)).json()).toEqual({ cloudId: site.cloudId });
    at.faults.next({ path: '/_edge/tenant_info', status: 429, headers: { 'Retry-After': '2' } });
    const limited = await fetch(`${site.url}/_edge/tenant_info`);
    expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '2']);
    expect(at.requests.filter((r) => r.origin === site.url)).toHaveLength(2);

    at.registerApp({ clientId: 'c1', clientSecret: 's1', callbackUrl: 'http://cb.test/cb', scopes: ['read:me', 'offline_access'] });
    const q = new URLSearchParams({ audience: 'api.atlassian.com', client_id: 'c1', redirect_uri: 'http://cb.test/cb', response_type: 'code', scope: 'read:me write:jira-work', state: 'x' });
    const refused = await fetch(`${at.authUrl}/authorize?${q}`);
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('write:jira-work');

    q.set('scope', 'read:me offline_access');
    const consent = await fetch(`${at.authUrl}/authorize/consent`, { method: 'POST', body: new URLSearchParams({ ...Object.fromEntries(q), decision: 'accept' }), redirect: 'manual' });
    const code = new URL(consent.headers.get('location') ?? '').searchParams.get('code') ?? '';
    const token = (body: Record<string, string>) =>
      fetch(`${at.authUrl}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client_id: 'c1', client_secret: 's1', ...body }) });
    const first = (await (await token({ grant_type: 'authorization_code', code, redirect_uri: 'http://cb.test/cb' })).json()) as Record<string, string>;
    expect(first).toMatchObject({ expires_in: 3600, token_type: 'Bearer', scope: 'read:me offline_access' });
    const reused = await token({ grant_type: 'authorization_code', code, redirect_uri: 'http://cb.test/cb' });
    expect([reused.status, await reused.json()]).toEqual([403, { error: 'invalid_grant', error_description: 'Invalid authorization code' }]);
    const second = await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token ?? '' });
    expect(second.status).toBe(200);
    const stale = await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token ?? '' });
    expect(await stale.json()).toEqual({ error: 'invalid_grant', error_description: 'Unknown or invalid refresh token.' });
    const badSecret = await token({ grant_type: 'client_credentials', client_secret: 'wrong' });
    expect(badSecret.status).toBe(401);
  });
});

describe('Atlassian API checks', () => {
  it('answers myself for bearer tokens and API tokens on the right hosts only', async () => {
    const at = await atlassian();
    const site = await at.createSite();
    at.registerApp({ clientId: 'svc', clientSecret: 'x', callbackUrl: 'http://unused.test', scopes: ['read:jira-user'] });
    at.registerApp({ clientId: 'svc2', clientSecret: 'x', callbackUrl: 'http://unused.test', scopes: ['read:jira-work'] });
    const bearer = async (clientId: string) => {
      const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: 'x' });
      const json = (await (await fetch(`${at.authUrl}/oauth/token`, { method: 'POST', body })).json()) as Record<string, string>;
      expect(json).not.toHaveProperty('refresh_token');
      return `Bearer ${json.access_token}`;
    };
    const myself = `${at.apiUrl}/ex/jira/${site.cloudId}/rest/api/3/myself`;
    expect((await fetch(myself, { headers: { authorization: await bearer('svc') } })).status).toBe(200);
    const mismatch = await fetch(myself, { headers: { authorization: await bearer('svc2') } });
    expect([mismatch.status, await mismatch.json()]).toEqual([401, { code: 401, message: 'Unauthorized; scope does not match' }]);

    at.addApiToken({ email: 'ada@acme.test', token: 'classic' });
    const basic = `Basic ${Buffer.from('ada@acme.test:classic').toString('base64')}`;
    expect((await fetch(`${site.url}/rest/api/3/myself`, { headers: { authorization: basic } })).status).toBe(200);
    expect((await fetch(myself, { headers: { authorization: basic } })).status).toBe(401);
  });
});

describe('consent chain: oauth_initiator.do → authorize → consent → oauth_redirect.do', () => {
  async function setUp(inputDisplayValue: boolean) {
    const sn = await serviceNow();
    const at = await atlassian();
    at.registerApp({
      clientId: 'jira-client',
      clientSecret: 'jira-secret',
      callbackUrl: `${sn.url}/oauth_redirect.do`,
      scopes: ['read:jira-work', 'read:jira-user', 'offline_access'],
      name: 'ServiceNow Jira',
    });
    const insert = async (table: string, fields: Record<string, unknown>, query = '') =>
      ((await (await sn.call(`/api/now/table/${table}${query}`, post(fields))).json()) as { result: Record<string, string> }).result;
    const entity = await insert('oauth_entity', {
      name: 'Jira',
      client_id: 'jira-client',
      client_secret: 'jira-secret',
      default_grant_type: 'authorization_code',
      auth_url: `${at.authUrl}/authorize?audience=api.atlassian.com&prompt=consent`,
      token_url: `${at.authUrl}/oauth/token`,
      type: 'oauth_provider',
    }, inputDisplayValue ? '?sysparm_input_display_value=true' : '');
    const profile = sn.rows('oauth_entity_profile').find((p) => p.oauth_entity === entity.sys_id);
    for (const scope of ['read:jira-work', 'offline_access']) {
      const s = await insert('oauth_entity_scope', { name: scope, oauth_entity_scope: scope, oauth_entity: entity.sys_id });
      await insert('oauth_entity_profile_scope', { oauth_entity_profile: profile?.sys_id, oauth_entity_scope: s.sys_id });
    }
    const credential = await insert('oauth_2_0_credentials', { name: 'Jira cred', oauth_entity_profile: profile?.sys_id });
    return { sn, at, entity, profile, credential };
  }

  async function consent(sn: ServiceNowStandIn, credentialId: string, profileId: string): Promise<string> {
    const start = await fetch(
      `${sn.url}/oauth_initiator.do?oauth_requestor_context=oauth_2_0_credentials&oauth_requestor=${credentialId}&oauth_provider_profile=${profileId}&response_type=code`,
      { redirect: 'manual' },
    );
    expect(start.status).toBe(302);
    const authorize = new URL(start.headers.get('location') ?? '');
    expect(authorize.searchParams.get('scope')).toBe('read:jira-work offline_access');
    expect(authorize.searchParams.get('audience')).toBe('api.atlassian.com');
    const page = await fetch(authorize);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('id="accept"');
    const form = new URLSearchParams(authorize.searchParams);
    form.set('decision', 'accept');
    const accepted = await fetch(new URL('/authorize/consent', authorize), { method: 'POST', body: form, redirect: 'manual' });
    expect(accepted.status).toBe(302);
    const back = await fetch(accepted.headers.get('location') ?? '');
    expect(back.status).toBe(200);
    return back.text();
  }

  it('stores access and refresh tokens in oauth_credential', async () => {
    const { sn, entity, profile, credential } = await setUp(true);
    expect(await consent(sn, credential.sys_id ?? '', profile?.sys_id ?? '')).toContain('OAuth token flow completed successfully');
    const tokens = sn.rows('oauth_credential');
    expect(tokens.map((t) => t.type).sort()).toEqual(['access_token', 'refresh_token']);
    expect(tokens.every((t) => t.peer === entity.sys_id)).toBe(true);
    const viaDotWalk = await sn.call(
      `/api/now/table/oauth_credential?sysparm_query=oauth_requestor_profile.oauth_requestor=${credential.sys_id}^type=refresh_token`,
    );
    expect(((await viaDotWalk.json()) as { result: unknown[] }).result).toHaveLength(1);
  });

  it('fails the token exchange when the secret was written without sysparm_input_display_value', async () => {
    const { sn, profile, credential } = await setUp(false);
    const html = await consent(sn, credential.sys_id ?? '', profile?.sys_id ?? '');
    expect(html).toContain('OAuth token request failed');
    expect(html).toContain('access_denied');
    expect(sn.rows('oauth_credential')).toEqual([]);
  });
});

describe('Slack stand-in and driver', () => {
  it('enforces trigger ids, view limits and auth', async () => {
    let clock = 1_700_000_000_000;
    const slack = await startSlackStandIn({ botToken: 'xoxb-1', now: () => clock });
    closers.push(() => slack.close());
    const api = (method: string, args: Record<string, unknown>, token = 'xoxb-1') =>
      fetch(`${slack.apiUrl}${method}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(Object.entries(args).map(([k, v]): [string, string] => [k, typeof v === 'string' ? v : JSON.stringify(v)])),
      }).then(async (r) => ({ status: r.status, json: (await r.json()) as Record<string, unknown> }));
    const view = { type: 'modal', title: { type: 'plain_text', text: 'Set up Jira' }, blocks: [] };

    expect((await api('auth.test', {}, 'xoxb-wrong')).json).toEqual({ ok: false, error: 'invalid_auth' });
    expect((await api('nope.nope', {})).status).toBe(404);
    const long = await api('views.open', { trigger_id: slack.issueTriggerId(), view: { ...view, title: { type: 'plain_text', text: 'x'.repeat(25) } } });
    expect(long.json).toMatchObject({ ok: false, error: 'invalid_arguments' });
    const trigger = slack.issueTriggerId();
    clock += 3001;
    expect((await api('views.open', { trigger_id: trigger, view })).json.error).toBe('expired_trigger_id');
    const fresh = slack.issueTriggerId();
    expect((await api('views.open', { trigger_id: fresh, view })).json.ok).toBe(true);
    expect((await api('views.open', { trigger_id: fresh, view })).json.error).toBe('invalid_trigger_id');
    await api('views.push', { trigger_id: slack.issueTriggerId(), view });
    await api('views.push', { trigger_id: slack.issueTriggerId(), view });
    expect((await api('views.push', { trigger_id: slack.issueTriggerId(), view })).json.error).toBe('push_limit_reached');
    const posted = await slack.waitForCall('views.open', (c) => c.response.ok === true);
    expect(posted.args.view).toEqual(view);
    await expect(slack.waitForCall('chat.postMessage', undefined, 50)).rejects.toThrow(/calls seen: auth.test -> invalid_auth/);
  });

  it('signs like Slack and fills view state in Slack shapes', () => {
    const headers = signSlackRequest('secret', 'a=b', 1_700_000_000);
    const expected = createHmac('sha256', 'secret').update('v0:1700000000:a=b').digest('hex');
    expect(headers).toEqual({ 'x-slack-signature': `v0=${expected}`, 'x-slack-request-timestamp': '1700000000' });
    const option = { text: { type: 'plain_text', text: 'Jira' }, value: 'jira' };
    const values = fillViewState(
      {
        blocks: [
          { type: 'input', block_id: 'site', label: {}, element: { type: 'plain_text_input', action_id: 'v' } },
          { type: 'input', block_id: 'spoke', label: {}, element: { type: 'static_select', action_id: 'v', options: [option] } },
          { type: 'input', block_id: 'ch', label: {}, element: { type: 'conversations_select', action_id: 'v', initial_conversation: 'C1' } },
        ],
      },
      { site: 'acme', spoke: 'jira' },
    );
    expect(values).toEqual({
      site: { v: { type: 'plain_text_input', value: 'acme' } },
      spoke: { v: { type: 'static_select', selected_option: option } },
      ch: { v: { type: 'conversations_select', selected_conversation: 'C1' } },
    });
  });

  it('works with Bolt: a signed slash command reaches the app, and WebClient talks to the stand-in', async () => {
    const slack = await startSlackStandIn({ botToken: 'xoxb-1', users: [{ id: 'U1', name: 'ada', is_admin: true }] });
    closers.push(() => slack.close());
    const app = new App({
      token: 'xoxb-1',
      signingSecret: 'sig',
      logLevel: LogLevel.ERROR,
      clientOptions: { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } },
    });
    app.command('/spoke', async ({ ack, body, client }) => {
      await ack();
      await client.views.open({
        trigger_id: body.trigger_id,
        view: { type: 'modal', title: { type: 'plain_text', text: 'Checking...' }, blocks: [] },
      });
      const posted = await client.chat.postMessage({ channel: body.user_id, text: 'hello' });
      await client.chat.update({ channel: posted.channel ?? '', ts: posted.ts ?? '', text: 'edited' });
    });
    const server = (await app.start(0)) as Server;
    closers.push(() => app.stop().then(() => undefined));
    const address = server.address();
    const events = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/slack/events`;

    const unsigned = await postToBot(events, 'sig', 'text=x', 'application/x-www-form-urlencoded', { unsigned: true });
    expect(unsigned.status).toBe(401);
    const res = await sendSlashCommand(events, 'sig', { text: 'setup jira', userId: 'U1', triggerId: slack.issueTriggerId() });
    expect(res.status).toBe(200);
    const opened = await slack.waitForCall('views.open');
    expect(opened.response).toMatchObject({ ok: true, view: { title: { text: 'Checking...' } } });
    await slack.waitForCall('chat.update');
    expect(slack.messages).toMatchObject([{ channel: slack.dmChannelFor('U1'), text: 'edited', edits: 1 }]);
  });
});

