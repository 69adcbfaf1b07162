import { afterEach, describe, expect, it } from 'vitest';
import { SERVICENOW_TABLES } from '../../src/core/spoke-catalogue.js';
import { createLogger } from '../../src/logger.js';
import { ServiceNowMissingColumnError, ServiceNowQueryWidenedError } from '../../src/servicenow/errors.js';
import { ServiceNowTableClient } from '../../src/servicenow/table-client.js';
import { startServiceNowStandIn, type ServiceNowStandIn } from '../standins/servicenow.js';
import { glideDateTime } from '../standins/servicenow-schema.js';
import { acceptConsentWithoutBrowser } from '../support/consent.js';
import { consentUrl, mark, openSetupModal, setupAnswers, setupUntilConsent, submitView, waitForMessage, waitForPlanView } from '../support/setup-steps.js';
import { startWorld, type World } from '../support/world.js';

const DAY = 86_400_000;
let world: World | undefined;
let sn: ServiceNowStandIn | undefined;
afterEach(async () => {
  await world?.close();
  await sn?.close();
  world = undefined;
  sn = undefined;
});

async function standIn(): Promise<ServiceNowStandIn> {
  sn = await startServiceNowStandIn({ username: 'u', password: 'p' });
  return sn;
}

function client(instance: ServiceNowStandIn, checkColumns = true): ServiceNowTableClient {
  return new ServiceNowTableClient({ instanceUrl: instance.url, auth: { username: 'u', password: 'p' }, logger: createLogger('silent'), knownTables: SERVICENOW_TABLES, checkColumns, maxRetries: 0 });
}

/** Another OAuth connection on the instance, consented long ago: its refresh token is there first. */
function anotherConnectionsToken(instance: ServiceNowStandIn, updatedDaysAgo: number): void {
  const entity = instance.insert('oauth_entity', { name: 'Someone else', client_id: 'x', default_grant_type: 'authorization_code' });
  const profile = instance.rows('oauth_entity_profile').find((p) => p.oauth_entity === entity.sys_id)!;
  const credential = instance.insert('oauth_2_0_credentials', { name: 'Someone else', oauth_entity_profile: profile.sys_id });
  const requestor = instance.insert('oauth_requestor_profile', { requestor_id: credential.sys_id, requestor_context: 'oauth_2_0_credentials', oauth_entity_profile: profile.sys_id });
  const token = instance.insert('oauth_credential', { type: 'refresh_token', token_received: 'theirs', oauth_requestor_profile: requestor.sys_id, peer: entity.sys_id });
  const stamp = glideDateTime(new Date(Date.now() - updatedDaysAgo * DAY));
  instance.edit('oauth_credential', token.sys_id!, { sys_created_on: stamp, sys_updated_on: stamp });
}

describe('the ServiceNow stand-in plays a real instance', () => {
  it('describes itself in sys_db_object and sys_dictionary, inherited columns under the parent table', async () => {
    const instance = await standIn();
    const tables = instance.rows('sys_db_object');
    const byName = (name: string) => tables.find((t) => t.name === name)!;
    expect(byName('oauth_2_0_credentials').super_class).toBe(byName('discovery_credentials').sys_id);
    expect(byName('http_connection').super_class).toBe(byName('sys_connection').sys_id);
    const columns = (table: string) => instance.rows('sys_dictionary').filter((d) => d.name === table && d.element !== '').map((d) => d.element);
    expect(columns('discovery_credentials')).toEqual(expect.arrayContaining(['name', 'active', 'sys_id']));
    expect(columns('oauth_2_0_credentials')).toEqual(['oauth_entity_profile']);
    expect(columns('oauth_requestor_profile')).toEqual(expect.arrayContaining(['requestor_id', 'oauth_entity_profile']));
    expect(columns('oauth_requestor_profile')).not.toContain('oauth_requestor');

    instance.schema.removeColumn('oauth_entity', 'refresh_token_url');
    expect(columns('oauth_entity')).not.toContain('refresh_token_url');
  });

  it('drops a term that names a missing column and answers the wider result, as ServiceNow does', async () => {
    const instance = await standIn();
    anotherConnectionsToken(instance, 1);
    anotherConnectionsToken(instance, 2);
    const auth = `Basic ${Buffer.from('u:p').toString('base64')}`;
    const list = async (query: string) => ((await (await fetch(`${instance.url}/api/now/table/oauth_credential?sysparm_query=${encodeURIComponent(query)}`, { headers: { authorization: auth } })).json()) as { result: unknown[] }).result;
    // The old guess: there is no oauth_requestor column, so the term goes and every token comes back.
    expect(await list('oauth_requestor_profile.oauth_requestor=nothing-like-this^type=refresh_token')).toHaveLength(2);
    expect(await list('oauth_requestor_profile.requestor_id=nothing-like-this^type=refresh_token')).toHaveLength(0);
  });
});

describe('the table client proves every column against the instance', () => {
  it('reads the dictionary for all its tables in a few requests, once', async () => {
    const instance = await standIn();
    const sn = client(instance);
    await sn.findRecords('oauth_entity', { name: 'x' }, { fields: ['client_id'] });
    const dictionaryReads = instance.requests.filter((r) => r.table === 'sys_db_object' || r.table === 'sys_dictionary');
    expect(dictionaryReads.length).toBeLessThanOrEqual(4);
    await sn.findRecords('http_connection', { name: 'y' }, { fields: ['connection_url', 'credential'] });
    await sn.findRecords('oauth_credential', { 'oauth_requestor_profile.requestor_id': 'a', 'oauth_requestor_profile.oauth_entity_profile': 'b', type: 'refresh_token' }, { fields: ['sys_updated_on'] });
    expect(instance.requests.filter((r) => r.table === 'sys_db_object' || r.table === 'sys_dictionary')).toHaveLength(dictionaryReads.length);
  });

  it('reads the dictionary in two rounds: each table with its parents named, then the parents\' columns', async () => {
    const instance = await standIn();
    instance.faults.setLatency(150);
    await client(instance).findRecords('oauth_2_0_credentials', { name: 'x' });
    const reads = instance.requests.filter((r) => r.table === 'sys_db_object' || r.table === 'sys_dictionary').map((r) => r.at);
    // Requests of one round arrive together; the next round waits for the answers, 150 ms later.
    const rounds = reads.filter((at, i) => i === 0 || at - reads[i - 1]! > 75).length;
    expect(rounds).toBe(2);
    // The credential table has a parent, whose columns were read too.
    expect(instance.requests.some((r) => r.table === 'sys_dictionary' && r.query.sysparm_query?.includes('discovery_credentials'))).toBe(true);
  });

  it('never sends a query or a write naming a column the instance lacks, and says which', async () => {
    const instance = await standIn();
    instance.schema.removeColumn('oauth_requestor_profile', 'requestor_id');
    const sn = client(instance);
    const query = sn.findRecords('oauth_credential', { 'oauth_requestor_profile.requestor_id': 'a', type: 'refresh_token' }, { fields: ['sys_updated_on'] });
    await expect(query).rejects.toThrow(ServiceNowMissingColumnError);
    await expect(query).rejects.toMatchObject({ table: 'oauth_requestor_profile', column: 'requestor_id' });
    const write = sn.createRecord('oauth_entity', { name: 'x', no_such_column: 'y' });
    await expect(write).rejects.toMatchObject({ table: 'oauth_entity', column: 'no_such_column' });
    expect(instance.requests.filter((r) => r.table === 'oauth_credential' || r.table === 'oauth_entity')).toEqual([]);
  });

  it('refuses rows that do not match their terms: a dropped term is caught even without the dictionary', async () => {
    const instance = await standIn();
    anotherConnectionsToken(instance, 1);
    instance.schema.removeColumn('oauth_requestor_profile', 'requestor_id');
    const unchecked = client(instance, false);
    const query = unchecked.findRecords('oauth_credential', { 'oauth_requestor_profile.requestor_id': 'mine', type: 'refresh_token' }, { fields: ['sys_updated_on'] });
    await expect(query).rejects.toThrow(ServiceNowQueryWidenedError);
  });
});

describe('a real instance with other connections on it', () => {
  it('does not say "connected" on another connection\'s token, only on its own consent; health reads only its own token', async () => {
    world = await startWorld();
    anotherConnectionsToken(world.serviceNow, 100);
    const since = mark(world);
    const consent = await setupUntilConsent(world);
    // Several polls (the first comes after 100 ms) see only the other connection's token.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(world.slack.calls.slice(since).some((c) => /is connected/.test(String(c.args.text ?? '')))).toBe(false);
    await acceptConsentWithoutBrowser(consentUrl(consent));
    await waitForMessage(world, /is connected/, 10_000, since);
    await world.bot.tasks.idle();

    // The other token was last refreshed 100 days ago: ours is fresh, so no idle-token warning.
    await world.bot.monitor.sweep();
    const health = world.bot.store.getHealth('Confluence acme')!;
    expect(health.checks.find((c) => c.check === 'refresh_token')).toMatchObject({ status: 'ok' });
    expect(health.state).toBe('ok');
  });

  it('an instance lacking a column the setup needs: nothing written, the column named', async () => {
    world = await startWorld();
    world.serviceNow.schema.removeColumn('oauth_entity', 'refresh_token_url');
    const since = mark(world);
    const form = await openSetupModal(world);
    await submitView(world, form, setupAnswers(world));
    await submitView(world, await waitForPlanView(world, String(form.id)), {});
    const failure = await waitForMessage(world, /refresh_token_url/, 10_000, since);
    expect(String(failure.args.text)).toContain('oauth_entity');
    for (const table of ['oauth_entity', 'oauth_entity_scope', 'oauth_2_0_credentials', 'http_connection']) expect(world.serviceNow.rows(table)).toEqual([]);
    expect(world.serviceNow.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });
});
