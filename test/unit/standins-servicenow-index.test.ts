/**
 * The ServiceNow stand-in's column indexes only narrow the rows a query looks at: whatever the
 * data and the writes before it, a query answers exactly what evaluating it on the whole table
 * answers (same rows, same order). And its request log can be kept as counts alone.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { parseEncodedQuery, runQuery } from '../standins/servicenow-query.js';
import { RuleViolation, TableStore, type Row } from '../standins/servicenow-schema.js';
import { startServiceNowStandIn } from '../standins/servicenow.js';

const TABLES = ['oauth_entity', 'oauth_entity_profile', 'oauth_2_0_credentials', 'basic_auth_credentials', 'oauth_requestor_profile', 'oauth_credential'] as const;

/** Columns (and dot-walks) queried, per table; `bogus` is unknown and dropped by the parser. */
const PATHS: Record<(typeof TABLES)[number], string[]> = {
  oauth_entity: ['name', 'client_id', 'active', 'sys_id', 'bogus'],
  oauth_entity_profile: ['name', 'oauth_entity', 'default', 'oauth_entity.name', 'oauth_entity.client_id', 'sys_id'],
  oauth_2_0_credentials: ['name', 'oauth_entity_profile', 'oauth_entity_profile.oauth_entity', 'oauth_entity_profile.oauth_entity.name', 'active'],
  basic_auth_credentials: ['name', 'user_name', 'active'],
  oauth_requestor_profile: ['requestor_id', 'oauth_entity_profile', 'requestor_id.name', 'oauth_entity_profile.oauth_entity.name'],
  oauth_credential: [
    'type',
    'peer',
    'peer.name',
    'oauth_requestor_profile',
    'oauth_requestor_profile.requestor_id',
    'oauth_requestor_profile.oauth_entity_profile',
    'oauth_requestor_profile.requestor_id.name',
    'sys_id',
    'bogus.name',
  ],
};

/** Columns writes change (references included, so rows move between index keys). */
const WRITABLE: Record<(typeof TABLES)[number], string[]> = {
  oauth_entity: ['name', 'client_id', 'active'],
  oauth_entity_profile: ['name', 'oauth_entity'],
  oauth_2_0_credentials: ['name', 'oauth_entity_profile', 'active'],
  basic_auth_credentials: ['name', 'user_name'],
  oauth_requestor_profile: ['requestor_id', 'oauth_entity_profile'],
  oauth_credential: ['type', 'peer', 'oauth_requestor_profile'],
};

/** `=` and `IN` (what indexes answer) most often; the other operators beside them. */
const OP = fc.oneof(
  { arbitrary: fc.constantFrom('=', 'IN'), weight: 4 },
  { arbitrary: fc.constantFrom('!=', 'LIKE', 'STARTSWITH', 'ISEMPTY', 'NOT IN', 'ISNOTEMPTY'), weight: 1 },
);
const WORDS = ['alpha', 'Alpha', 'beta', '', 'true', 'x,y'];

/**
 * A value picked at run time: a word; the sys_id of some row of the tables a reference points
 * into (maybe upper-cased, maybe made dangling); or, in a query, the value the queried path has
 * on some row of the table (so that queries find rows).
 */
type Pick = { word: number } | { row: number; shape: 'same' | 'upper' | 'dangling' } | { on: number; upper: boolean };

type Query = { kind: 'query'; table: number; terms: Array<{ path: number; op: string; values: Pick[] }>; orderBy: number | undefined };
type Command =
  | { kind: 'entity'; name: Pick }
  | { kind: 'credential'; basic: boolean; name: Pick; profile: Pick }
  | { kind: 'requestor'; credential: Pick; profile: Pick }
  | { kind: 'token'; type: Pick; requestor: Pick; peer: Pick }
  | { kind: 'update' | 'edit'; table: number; row: number; column: number; value: Pick }
  | { kind: 'delete'; table: number; row: number }
  | Query;

const word = fc.record({ word: fc.nat(WORDS.length - 1) });
const sysId = fc.record({ row: fc.nat(1000), shape: fc.oneof({ arbitrary: fc.constant('same' as const), weight: 4 }, { arbitrary: fc.constantFrom('upper' as const, 'dangling' as const), weight: 1 }) });
/** A column's value on insert or write: a reference column takes a sys_id, a text column a word. */
const written: fc.Arbitrary<Pick> = fc.oneof({ arbitrary: word, weight: 1 }, { arbitrary: sysId, weight: 3 });
const asked: fc.Arbitrary<Pick> = fc.oneof(
  { arbitrary: fc.record({ on: fc.nat(1000), upper: fc.boolean() }), weight: 4 },
  { arbitrary: word, weight: 1 },
  { arbitrary: sysId, weight: 1 },
);

const query: fc.Arbitrary<Query> = fc.record({
  kind: fc.constant('query' as const),
  table: fc.nat(TABLES.length - 1),
  terms: fc.array(fc.record({ path: fc.nat(10), op: OP, values: fc.array(asked, { minLength: 1, maxLength: 3 }) }), { minLength: 1, maxLength: 2 }),
  orderBy: fc.option(fc.nat(10), { nil: undefined }),
});

const command: fc.Arbitrary<Command> = fc.oneof(
  { arbitrary: query, weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('entity' as const), name: fc.oneof(word, written) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('credential' as const), basic: fc.boolean(), name: word, profile: written }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('requestor' as const), credential: written, profile: written }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('token' as const), type: word, requestor: written, peer: written }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constantFrom('update' as const, 'edit' as const), table: fc.nat(TABLES.length - 1), row: fc.nat(1000), column: fc.nat(10), value: written }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('delete' as const), table: fc.nat(TABLES.length - 1), row: fc.nat(1000) }), weight: 1 },
);

function rowOf(store: TableStore, table: string, n: number): Row | undefined {
  const rows = store.all(table);
  return rows.length === 0 ? undefined : rows[n % rows.length];
}

/** The value a pick stands for: `into` names the tables a written reference points into; `at` the queried table and path. */
function valueOf(store: TableStore, p: Pick, into: readonly string[] = TABLES, at?: { table: string; path: string }): string {
  if ('word' in p) return WORDS[p.word]!;
  if ('on' in p) {
    const row = at && rowOf(store, at.table, p.on);
    if (at === undefined || row === undefined) return 'nothing';
    const v = store.resolve(at.table, row, at.path);
    return p.upper ? v.toUpperCase() : v;
  }
  const rows = into.flatMap((t) => store.all(t));
  const id = rows.length === 0 ? 'none' : (rows[p.row % rows.length]!.sys_id ?? '');
  return p.shape === 'upper' ? id.toUpperCase() : p.shape === 'dangling' ? `${id.slice(0, -1)}z` : id;
}

function run(commands: Command[]): void {
  const store = new TableStore(() => new Date('2024-05-01T00:00:00Z'), () => 'http://sn.test');
  const value = (p: Pick, ...into: string[]): string => valueOf(store, p, into.length > 0 ? into : TABLES);
  // Every query so far is asked again after each write: an index built before the write must follow it.
  const queries: Query[] = [];
  for (const c of commands) {
    switch (c.kind) {
      case 'entity':
        store.insert('oauth_entity', { name: value(c.name), client_id: value(c.name) });
        break;
      case 'credential':
        store.insert(c.basic ? 'basic_auth_credentials' : 'oauth_2_0_credentials', { name: value(c.name), oauth_entity_profile: value(c.profile, 'oauth_entity_profile'), user_name: value(c.name) });
        break;
      case 'requestor':
        store.insert('oauth_requestor_profile', { requestor_id: value(c.credential, 'oauth_2_0_credentials', 'basic_auth_credentials'), oauth_entity_profile: value(c.profile, 'oauth_entity_profile') });
        break;
      case 'token':
        store.insert('oauth_credential', { type: value(c.type), oauth_requestor_profile: value(c.requestor, 'oauth_requestor_profile'), peer: value(c.peer, 'oauth_entity') });
        break;
      case 'update':
      case 'edit': {
        const table = TABLES[c.table]!;
        const row = rowOf(store, table, c.row);
        if (row === undefined) break;
        const columns = WRITABLE[table];
        const column = columns[c.column % columns.length]!;
        const fields = { [column]: value(c.value, ...(store.schema.referenceTargets(table, column) ?? [])) };
        if (c.kind === 'edit') store.edit(table, row.sys_id ?? '', fields);
        else {
          try {
            store.update(table, row.sys_id ?? '', fields);
          } catch (err) {
            if (!(err instanceof RuleViolation)) throw err;
          }
        }
        break;
      }
      case 'delete': {
        const table = TABLES[c.table]!;
        const row = rowOf(store, table, c.row);
        if (row !== undefined) store.delete(table, row.sys_id ?? '');
        break;
      }
      case 'query':
        queries.push(c);
        break;
    }
    for (const q of c.kind === 'query' ? [c] : queries) check(store, q);
  }
}

/** The query answered from the narrowed rows and from the whole table: the same rows, in the same order. */
function check(store: TableStore, c: Query): void {
  const table = TABLES[c.table]!;
  const paths = PATHS[table];
  const terms = c.terms.map((t) => {
    const path = paths[t.path % paths.length]!;
    const values = t.values.map((v) => valueOf(store, v, TABLES, { table, path }));
    return `${path}${t.op}${t.op === 'IN' || t.op === 'NOT IN' ? values.join(',') : t.op === 'ISEMPTY' || t.op === 'ISNOTEMPTY' ? '' : values[0]!}`;
  });
  if (c.orderBy !== undefined) terms.push(`ORDERBYDESC${paths[c.orderBy % paths.length]!}`);
  const parsed = parseEncodedQuery(terms.join('^'), (p) => store.schema.isKnownPath(table, p));
  const resolve = (row: Row, path: string): string => store.resolve(table, row, path);
  const indexed = runQuery(store.candidates(table, parsed.filters), parsed, resolve);
  const scanned = runQuery(store.all(table), parsed, resolve);
  expect({ query: terms.join('^'), ids: indexed.map((r) => r.sys_id) }).toEqual({ query: terms.join('^'), ids: scanned.map((r) => r.sys_id) });
  // The very rows, not copies: the answer is built from the stored rows either way.
  indexed.forEach((row, i) => expect(row).toBe(scanned[i]));
}

describe('ServiceNow stand-in column indexes', () => {
  it('answer every query exactly as scanning the whole table does, through inserts, updates, edits and deletes', () => {
    fc.assert(
      fc.property(fc.array(command, { minLength: 10, maxLength: 60, size: 'max' }), (commands) => run(commands)),
      { numRuns: 100 },
    );
  });

  it('narrow the bot’s health queries to the rows they match, however large the tables', () => {
    const store = new TableStore(() => new Date(), () => 'http://sn.test');
    const seeded = Array.from({ length: 500 }, (_, i) => {
      const entity = store.insert('oauth_entity', { name: `Confluence ${i}` });
      const profile = store.where('oauth_entity_profile', 'oauth_entity', entity.sys_id ?? '')[0]!;
      for (const scope of ['read:me', 'offline_access']) store.insert('oauth_entity_scope', { name: scope, oauth_entity_scope: scope, oauth_entity: entity.sys_id });
      const credential = store.insert('oauth_2_0_credentials', { name: `Confluence ${i}`, oauth_entity_profile: profile.sys_id });
      const requestor = store.insert('oauth_requestor_profile', { requestor_id: credential.sys_id, oauth_entity_profile: profile.sys_id });
      store.insert('oauth_credential', { type: 'refresh_token', oauth_requestor_profile: requestor.sys_id, peer: entity.sys_id });
      return { entity: entity.sys_id ?? '', profile: profile.sys_id ?? '', credential: credential.sys_id ?? '' };
    });
    const some = seeded.slice(100, 110);
    const narrowed = (table: string, query: string): number => store.candidates(table, parseEncodedQuery(query, (p) => store.schema.isKnownPath(table, p)).filters).length;
    expect(narrowed('oauth_entity', `sys_idIN${some.map((s) => s.entity).join(',')}`)).toBe(10);
    expect(narrowed('oauth_entity_scope', `oauth_entityIN${some.map((s) => s.entity.toUpperCase()).join(',')}`)).toBe(20);
    expect(narrowed('oauth_2_0_credentials', 'name=confluence 123^active=true')).toBe(1);
    const tokens = `oauth_requestor_profile.requestor_idIN${some.map((s) => s.credential).join(',')}^oauth_requestor_profile.oauth_entity_profileIN${some.map((s) => s.profile).join(',')}^typeINrefresh_token,access_token`;
    expect(narrowed('oauth_credential', tokens)).toBe(10);
    expect(narrowed('oauth_credential', 'peer.name=Confluence 7')).toBe(1);
    // Terms no index answers look at the whole table, as before.
    expect(narrowed('oauth_credential', 'typeSTARTSWITHrefresh')).toBe(500);
    // An empty value through a dot-walk also matches empty and dangling references: not narrowed.
    expect(narrowed('oauth_credential', 'peer.name=')).toBe(500);
  });
});

describe('ServiceNow stand-in request log', () => {
  it('keeps only counts when asked, and the same counts as the full log', async () => {
    const full = await startServiceNowStandIn({ username: 'u', password: 'p' });
    const counts = await startServiceNowStandIn({ username: 'u', password: 'p', requestLog: 'counts' });
    try {
      for (const sn of [full, counts]) {
        const auth = { authorization: `Basic ${Buffer.from('u:p').toString('base64')}`, 'content-type': 'application/json' };
        await fetch(`${sn.url}/api/now/table/sys_alias?sysparm_query=name%3DJira`, { headers: auth });
        const entity = (await (await fetch(`${sn.url}/api/now/table/oauth_entity`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'E' }) })).json()) as { result: { sys_id: string } };
        await fetch(`${sn.url}/api/now/table/oauth_entity/${entity.result.sys_id}`, { headers: auth });
        const items = [{ id: '1', method: 'GET', url: '/api/now/table/sys_alias' }, { id: '2', method: 'GET', url: '/api/now/table/oauth_entity_profile' }];
        await fetch(`${sn.url}/api/now/v1/batch`, { method: 'POST', headers: auth, body: JSON.stringify({ batch_request_id: 'b', rest_requests: items }) });
        await fetch(`${sn.url}/oauth_initiator.do`);
      }
      expect(full.requests).toHaveLength(7);
      expect(counts.requests).toHaveLength(0);
      const expected = {
        total: 7,
        byMethod: { GET: 5, POST: 2 },
        byTable: { 'GET sys_alias': 2, 'POST oauth_entity': 1, 'GET oauth_entity': 1, 'GET oauth_entity_profile': 1 },
        byPath: { 'POST /api/now/v1/batch': 1, 'GET /oauth_initiator.do': 1 },
      };
      expect(full.requestCounts()).toEqual(expected);
      expect(counts.requestCounts()).toEqual(expected);
    } finally {
      await Promise.all([full.close(), counts.close()]);
    }
  });

  it('finds rows an admin edited through the indexes', async () => {
    const sn = await startServiceNowStandIn({ username: 'u', password: 'p' });
    try {
      const entity = sn.insert('oauth_entity', { name: 'Before' });
      const auth = { authorization: `Basic ${Buffer.from('u:p').toString('base64')}` };
      const names = async (query: string): Promise<string[]> =>
        ((await (await fetch(`${sn.url}/api/now/table/oauth_entity?sysparm_query=${encodeURIComponent(query)}`, { headers: auth })).json()) as { result: Row[] }).result.map((r) => r.name ?? '');
      expect(await names('name=before')).toEqual(['Before']);
      sn.edit('oauth_entity', entity.sys_id ?? '', { name: 'After' });
      expect(await names('name=before')).toEqual([]);
      expect(await names('nameINafter,other')).toEqual(['After']);
      expect(sn.rowsWhere('oauth_entity', 'name', 'After')).toHaveLength(1);
      sn.remove('oauth_entity', entity.sys_id ?? '');
      expect(await names('name=After')).toEqual([]);
    } finally {
      await sn.close();
    }
  });
});
