import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SPOKES } from '../../src/core/spoke-catalogue.js';
import { consentUrl, runCommand, setupUntilConsent, waitForMessage } from '../support/setup-steps.js';
import { acceptConsentWithoutBrowser } from '../support/consent.js';
import { ADMIN, CLIENT_ID, CLIENT_SECRET, REPORT_CHANNEL, startWorld, type World } from '../support/world.js';

let world: World;
beforeEach(async () => {
  world = await startWorld();
});
afterEach(async () => {
  await world.close();
});

describe('/spoke setup confluence', () => {
  it('writes every ServiceNow record a 3LO connection needs and reports "connected" once ServiceNow holds the tokens', async () => {
    const consentMessage = await setupUntilConsent(world);
    const sn = world.serviceNow;

    const [entity, ...moreEntities] = sn.rows('oauth_entity');
    expect(moreEntities).toEqual([]);
    expect(entity).toMatchObject({
      name: 'Confluence acme',
      client_id: CLIENT_ID,
      default_grant_type: 'authorization_code',
      type: 'oauth_provider',
      auth_url: `${world.atlassian.authUrl}/authorize?audience=api.atlassian.com&prompt=consent`,
      token_url: `${world.atlassian.authUrl}/oauth/token`,
      refresh_token_url: `${world.atlassian.authUrl}/oauth/token`,
      active: 'true',
    });
    expect(sn.secretOf('oauth_entity', entity!.sys_id!)).toEqual({ value: CLIENT_SECRET, wellFormed: true });

    const scopes = sn.rows('oauth_entity_scope');
    expect(scopes.map((s) => s.oauth_entity_scope).sort()).toEqual([...SPOKES.confluence.defaultScopes].sort());
    for (const scope of scopes) expect(scope).toMatchObject({ oauth_entity: entity!.sys_id, name: scope.oauth_entity_scope });

    const profiles = sn.rows('oauth_entity_profile');
    expect(profiles).toHaveLength(1);
    const profile = profiles[0]!;
    expect(profile).toMatchObject({ oauth_entity: entity!.sys_id, default: 'true' });

    const profileScopes = sn.rows('oauth_entity_profile_scope');
    expect(profileScopes).toHaveLength(scopes.length);
    expect(new Set(profileScopes.map((p) => p.oauth_entity_scope))).toEqual(new Set(scopes.map((s) => s.sys_id)));
    for (const row of profileScopes) expect(row.oauth_entity_profile).toBe(profile.sys_id);

    const [credential, ...moreCredentials] = sn.rows('oauth_2_0_credentials');
    expect(moreCredentials).toEqual([]);
    expect(credential).toMatchObject({ name: 'Confluence acme', oauth_entity_profile: profile.sys_id, active: 'true' });

    const shippedAlias = sn.rows('sys_alias').find((a) => a.name === 'Confluence Cloud')!;
    expect(sn.rows('sys_alias').filter((a) => a.parent)).toEqual([]);
    const [connection, ...moreConnections] = sn.rows('http_connection');
    expect(moreConnections).toEqual([]);
    expect(connection).toMatchObject({
      name: 'Confluence acme',
      connection_alias: shippedAlias.sys_id,
      credential: credential!.sys_id,
      connection_url: `${world.atlassian.apiUrl}/`,
      active: 'true',
    });

    const link = consentUrl(consentMessage);
    expect(link).toBe(
      `${sn.url}/oauth_initiator.do?oauth_requestor_context=oauth_2_0_credentials&oauth_requestor=${credential!.sys_id}&oauth_provider_profile=${profile.sys_id}&response_type=code`,
    );
    await acceptConsentWithoutBrowser(link);

    const connected = await waitForMessage(world, /is connected: ServiceNow holds a refresh token/);
    expect(connected.args.thread_ts).toBe(consentMessage.args.thread_ts);
    const announced = await world.slack.waitForCall('chat.postMessage', (c) => c.args.channel === REPORT_CHANNEL);
    expect(String(announced.args.text)).toMatch(/Confluence acme .* is connected/);
    expect(sn.rows('oauth_credential').map((t) => t.type).sort()).toEqual(['access_token', 'refresh_token']);

    await world.bot.tasks.idle();
    const store = world.bot.store;
    expect(store.getConnection('Confluence acme')).toMatchObject({ state: 'connected', spoke: 'confluence', cloudId: world.site.cloudId, createdBy: ADMIN });
    const [setup] = store.listSetups();
    expect(setup).toMatchObject({ status: 'connected' });
    expect(setup!.sealedSecret).toBeUndefined();
    expect((await store.auditTrail()).map((e) => e.action)).toEqual(expect.arrayContaining(['setup.started', 'setup.planned', 'servicenow.write', 'setup.records_written', 'setup.connected']));
  });

  it('shows usage for /spoke and /spoke help, in the ack itself', async () => {
    for (const text of ['', 'help', 'frobnicate']) {
      const response = await runCommand(world, text);
      expect(response.json).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('/spoke setup jira|jsm|confluence') });
    }
  });
});
