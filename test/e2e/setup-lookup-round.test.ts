import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { planOAuthRecords } from '../../src/core/oauth-plan.js';
import type { RecordPlan } from '../../src/core/record-plan.js';
import { SERVICENOW_TABLES, SPOKES } from '../../src/core/spoke-catalogue.js';
import { createLogger } from '../../src/logger.js';
import { ServiceNowQueryWidenedError } from '../../src/servicenow/errors.js';
import { PlanWriteError, PlanWriter, SpokeNotInstalledError } from '../../src/servicenow/plan-writer.js';
import { decideAlias } from '../../src/servicenow/shipped-alias.js';
import { ServiceNowTableClient } from '../../src/servicenow/table-client.js';
import { startServiceNowStandIn, type ServiceNowStandIn } from '../standins/servicenow.js';

const TABLES = ['oauth_entity', 'oauth_entity_scope', 'oauth_entity_profile', 'oauth_entity_profile_scope', 'oauth_2_0_credentials', 'sys_alias', 'http_connection'];

let sn: ServiceNowStandIn;
beforeEach(async () => {
  sn = await startServiceNowStandIn({ username: 'u', password: 'p' });
});
afterEach(async () => {
  await sn.close();
});

/** A client as the bot builds it, that has drawn the plan (so the dictionary is read), and its writer. */
async function writerFor(name: string, options: { batchLookups?: boolean } = {}) {
  const client = new ServiceNowTableClient({ instanceUrl: sn.url, auth: { username: 'u', password: 'p' }, logger: createLogger('silent'), knownTables: SERVICENOW_TABLES, minRetryDelayMs: 10, maxRetries: 1, ...options });
  await decideAlias(client, SPOKES.confluence, name);
  return { client, writer: new PlanWriter(client) };
}

function confluencePlan(name: string): RecordPlan {
  return planOAuthRecords(
    { spoke: 'confluence', method: 'oauth_3lo', connectionName: name, siteOrigin: 'https://acme.atlassian.net', clientId: 'id', secret: 'secret', scopes: [...SPOKES.confluence.defaultScopes], channel: 'C1' },
    '11111111-2222-3333-4444-555555555555',
    { authUrl: 'https://auth.atlassian.com', apiUrl: 'https://api.atlassian.com' },
  );
}

/** What was sent from `from` on: HTTP requests (a batch counts once), and the writes among them. */
function sentSince(from: number) {
  const http = sn.requests.slice(from).filter((r) => r.inBatch === undefined);
  return { http, batches: http.filter((r) => r.path === '/api/now/v1/batch'), writes: http.filter((r) => r.path.startsWith('/api/now/table/') && r.method !== 'GET') };
}

const rowCounts = () => Object.fromEntries(TABLES.map((t) => [t, sn.rows(t).length]));

describe('a setup written after one round of lookups', () => {
  it('first write: one batch of lookups, then only inserts (and the profile ServiceNow made); the same again: the batch alone', async () => {
    const { writer } = await writerFor('Confluence one');
    const plan = confluencePlan('Confluence one');
    let from = sn.requests.length;
    const first = await writer.write(plan, { secret: 'secret' });
    const scopes = SPOKES.confluence.defaultScopes.length;
    const fresh = sentSince(from);
    expect(fresh.batches).toHaveLength(1);
    // oauth_entity, scopes, profile scopes, credential, connection; the shipped alias is used.
    expect(fresh.writes).toHaveLength(3 + 2 * scopes);
    expect(fresh.http).toHaveLength(1 + 1 + 3 + 2 * scopes);
    expect([...first.values()].filter((r) => r.outcome === 'created')).toHaveLength(3 + 2 * scopes);
    const counts = rowCounts();

    from = sn.requests.length;
    const again = await writer.write(plan, { secret: 'secret' });
    const rerun = sentSince(from);
    expect(rerun.http.map((r) => r.path)).toEqual(['/api/now/v1/batch']);
    expect([...again.values()].every((r) => r.outcome === 'unchanged' || r.outcome === 'found')).toBe(true);
    const sysIds = (written: typeof first) => Object.fromEntries([...written.values()].map((r) => [r.key, r.sysId]));
    expect(sysIds(again)).toEqual(sysIds(first));
    expect(rowCounts()).toEqual(counts);
  });

  it('every lookup in the batch walks to its parents by name, and ServiceNow honours every term', async () => {
    const { writer } = await writerFor('Confluence walk');
    await writer.write(confluencePlan('Confluence walk'), { secret: 'secret' });
    const from = sn.requests.length;
    await writer.write(confluencePlan('Confluence walk'), { secret: 'secret' });
    const items = sn.requests.slice(from).filter((r) => r.inBatch !== undefined);
    const queries = items.map((r) => `${r.table}?${r.query.sysparm_query}`);
    expect(queries).toContain('oauth_entity_scope?oauth_entity.name=Confluence walk^oauth_entity_scopeIN' + SPOKES.confluence.defaultScopes.join(','));
    expect(queries.some((q) => q.startsWith('oauth_entity_profile_scope?oauth_entity_profile.oauth_entity.name=Confluence walk^oauth_entity_profile.default=true^oauth_entity_scope.oauth_entity.name=Confluence walk'))).toBe(true);
    expect(queries).toContain('oauth_entity_profile?oauth_entity.name=Confluence walk^default=true');
  });

  it('a changed field is updated, and a new secret is sent; the same secret is sent again only when ServiceNow holds another', async () => {
    const { writer } = await writerFor('Confluence change');
    const plan = confluencePlan('Confluence change');
    await writer.write(plan, { secret: 'secret' });
    const entity = sn.rows('oauth_entity')[0]!;

    let from = sn.requests.length;
    const rotated = await writer.write(plan, { secret: 'rotated' });
    expect(rotated.get('oauth_entity')!.outcome).toBe('updated');
    expect(sentSince(from).writes.map((r) => [r.method, r.table, Object.keys(r.body as object)])).toEqual([['PATCH', 'oauth_entity', ['client_secret']]]);
    expect(sn.secretOf('oauth_entity', entity.sys_id!)).toEqual({ value: 'rotated', wellFormed: true });

    // An admin saves another secret in the form: the stored form changes, so ours goes again.
    sn.edit('oauth_entity', entity.sys_id!, { client_secret: 'c29tZW9uZSBlbHNlJ3M=' });
    sn.edit('oauth_entity', entity.sys_id!, { token_url: 'https://elsewhere.example/token' });
    from = sn.requests.length;
    await writer.write(plan, { secret: 'rotated' });
    const patch = sentSince(from).writes;
    expect(patch).toHaveLength(1);
    expect(Object.keys(patch[0]!.body as object).sort()).toEqual(['client_secret', 'token_url']);
  });

  it('a second connection of the spoke gets a child alias, found (not made again) on the rerun', async () => {
    const { writer: firstWriter } = await writerFor('Confluence first');
    await firstWriter.write(confluencePlan('Confluence first'), { secret: 'secret' });
    const { writer } = await writerFor('Confluence second');
    const plan = confluencePlan('Confluence second');
    const written = await writer.write(plan, { secret: 'secret' });
    expect(written.get('sys_alias')).toMatchObject({ outcome: 'created', childOf: 'Confluence Cloud', label: 'Confluence second' });
    const from = sn.requests.length;
    const again = await writer.write(plan, { secret: 'secret' });
    expect(again.get('sys_alias')).toMatchObject({ outcome: 'found', sysId: written.get('sys_alias')!.sysId });
    expect(sentSince(from).http).toHaveLength(1);
    expect(sn.rows('sys_alias').filter((r) => r.name === 'Confluence second')).toHaveLength(1);
  });

  it('a spoke that is not installed stops the write with nothing written', async () => {
    const { writer } = await writerFor('Confluence none');
    for (const alias of sn.rows('sys_alias').filter((r) => r.name === 'Confluence Cloud')) sn.remove('sys_alias', alias.sys_id!);
    const from = sn.requests.length;
    const error = await writer.write(confluencePlan('Confluence none'), { secret: 'secret' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlanWriteError);
    expect((error as PlanWriteError).failure).toBeInstanceOf(SpokeNotInstalledError);
    // The alias is decided under its lock before the records below it; others at its level may be written.
    expect(sentSince(from).writes.every((r) => r.table === 'oauth_entity')).toBe(true);
  });
});

describe('the Batch API, and an instance that will not take it', () => {
  it('refused: the lookups go concurrently, the batch is not asked again, and the records are the same', async () => {
    sn.batchApi.refuseWith = 403;
    const { writer } = await writerFor('Confluence plain');
    const plan = confluencePlan('Confluence plain');
    let from = sn.requests.length;
    await writer.write(plan, { secret: 'secret' });
    expect(sentSince(from).batches).toHaveLength(1);
    const counts = rowCounts();
    from = sn.requests.length;
    await writer.write(plan, { secret: 'secret' });
    const rerun = sentSince(from);
    expect(rerun.batches).toEqual([]);
    expect(rerun.writes).toEqual([]);
    expect(rerun.http.every((r) => r.method === 'GET')).toBe(true);
    expect(rowCounts()).toEqual(counts);
  });

  it('a batch cut short: what it did not run is looked up on its own', async () => {
    const { writer } = await writerFor('Confluence cut');
    const plan = confluencePlan('Confluence cut');
    await writer.write(plan, { secret: 'secret' });
    sn.batchApi.cutAfter = 2;
    const from = sn.requests.length;
    await writer.write(plan, { secret: 'secret' });
    const rerun = sentSince(from);
    expect(rerun.batches).toHaveLength(1);
    expect(rerun.http.length).toBeGreaterThan(1);
    expect(rerun.writes).toEqual([]);
  });

  for (const fault of [{ status: 500 }, { drop: 'before' as const }]) {
    it(`a batch that fails (${JSON.stringify(fault)}) is sent one by one this time, and tried again next time`, async () => {
      const { writer } = await writerFor('Confluence fault');
      const plan = confluencePlan('Confluence fault');
      await writer.write(plan, { secret: 'secret' });
      sn.faults.next({ batch: true, method: 'POST', ...fault });
      let from = sn.requests.length;
      await writer.write(plan, { secret: 'secret' });
      expect(sentSince(from).writes).toEqual([]);
      from = sn.requests.length;
      await writer.write(plan, { secret: 'secret' });
      expect(sentSince(from).http.map((r) => r.path)).toEqual(['/api/now/v1/batch']);
    });
  }
});

describe('a dot-walked term the instance does not honour', () => {
  for (const batchLookups of [true, false]) {
    it(`is caught by the row check, and nothing is written (${batchLookups ? 'batched' : 'concurrent'} lookups)`, async () => {
      // Another connection's records, which a widened query would hand back.
      const { writer: other } = await writerFor('Confluence other');
      await other.write(confluencePlan('Confluence other'), { secret: 'secret' });
      const { client, writer } = await writerFor('Confluence mine', { batchLookups });
      await writer.write(confluencePlan('Confluence mine'), { secret: 'secret' });
      // The client has read the dictionary; the instance now cannot walk to the application
      // registry's name, and drops every term (and field) that walks there, as ServiceNow does.
      sn.schema.removeColumn('oauth_entity', 'name');
      const from = sn.requests.length;
      const error = await writer.write(confluencePlan('Confluence mine'), { secret: 'secret' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PlanWriteError);
      expect((error as PlanWriteError).failure).toBeInstanceOf(ServiceNowQueryWidenedError);
      expect((error as PlanWriteError).written).toEqual([]);
      expect(sentSince(from).writes).toEqual([]);
      // And on its own: the dot-walked term on a child table is what gives the widening away.
      const lookup = { table: 'oauth_entity_scope', terms: { 'oauth_entity.name': 'Confluence mine' }, fields: ['oauth_entity'], limit: 50 };
      await expect(client.findEach([lookup, { table: 'sys_alias', terms: { name: 'Confluence Cloud' }, fields: ['name'] }])).rejects.toMatchObject({ table: 'oauth_entity_scope', column: 'oauth_entity.name' });
    });
  }
});
