import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SetupRequest } from '../../src/core/setup-request.js';
import { verifyChain } from '../../src/store/audit-chain.js';
import { MIGRATIONS_DIRECTORY, applyMigrations, readMigrations } from '../../src/store/postgres/migrate.js';
import { auditLines } from '../../src/store/postgres/postgres-audit.js';
import { StoreMigrationError } from '../../src/store/postgres/postgres-errors.js';
import { PostgresSpokeStore } from '../../src/store/postgres/postgres-store.js';
import { redactDatabaseUrl } from '../../src/store/postgres/postgres-url.js';
import type { AccessRequest, Connection } from '../../src/store/schema.js';
import { StoreKeyError } from '../../src/store/store-key.js';
import { freshDatabase, type FreshDatabase } from '../support/postgres.js';

/**
 * The PostgreSQL store's own machinery: migrations (each once, under a lock, refused when the
 * database does not match the files), the append-only audit table, and what two replicas on one
 * database must never both do. The store's behaviour one call at a time is the contract suite's.
 */

const KEY = Buffer.alloc(32, 9);
const request: SetupRequest = {
  spoke: 'confluence',
  method: 'oauth_3lo',
  connectionName: 'Confluence acme',
  siteOrigin: 'https://acme.atlassian.net',
  clientId: 'id',
  secret: 'the-client-secret-value',
  scopes: ['read:me', 'offline_access'],
  channel: 'C1',
};

let database: FreshDatabase;
let clock: Date;
const now = () => clock;
const opened: Array<{ close(): Promise<void> }> = [];

beforeEach(async () => {
  database = await freshDatabase();
  clock = new Date('2026-11-23T10:00:00Z');
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close().catch(() => undefined)));
  await database.drop();
});

function pool(): pg.Pool {
  const p = new pg.Pool({ connectionString: database.url, max: 4 });
  opened.push({ close: () => p.end() });
  return p;
}

async function replica(): Promise<PostgresSpokeStore> {
  const store = await PostgresSpokeStore.open({ url: database.url, encryptionKey: KEY, now, poolMax: 6 });
  opened.push(store);
  return store;
}

async function sql<R extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    return (await client.query<R>(text, params)).rows;
  } finally {
    await client.end();
  }
}

/** Waits until `seen` holds, polling, and returns how long it took. */
async function within(ms: number, seen: () => boolean): Promise<number> {
  const start = performance.now();
  while (!seen()) {
    if (performance.now() - start > ms) throw new Error(`not seen within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return performance.now() - start;
}

function connection(name: string): Connection {
  return {
    name,
    spoke: 'jira',
    method: 'oauth_3lo',
    siteOrigin: 'https://acme.atlassian.net',
    cloudId: 'cloud',
    channel: 'C1',
    scopes: ['read:jira-work'],
    createdBy: 'U1',
    createdAt: clock.toISOString(),
    state: 'connected',
    records: {},
  };
}

const openRequest = (): Omit<AccessRequest, 'id'> => ({
  requester: 'U9',
  details: { kind: 'new_connection', spoke: 'jira', site: 'acme', team: 'T' },
  reason: 'work',
  state: 'open',
  createdAt: clock.toISOString(),
  lastAnnouncedAt: clock.toISOString(),
  reannounced: 0,
});

describe('migrations', () => {
  it('apply each once when two replicas start at the same moment', async () => {
    const files = await readMigrations();
    const [first, second] = await Promise.all([applyMigrations(pool()), applyMigrations(pool())]);
    // One of them ran every file; the other waited on the lock and found nothing to do.
    expect([first.length, second.length].sort()).toEqual([0, files.length]);
    const recorded = await sql<{ version: number }>('SELECT version FROM spokebot_migrations ORDER BY version');
    expect(recorded.map((r) => r.version)).toEqual(files.map((f) => f.version));
    expect(await applyMigrations(pool())).toEqual([]);
  });

  it('refuses a database migrated from a file that changed since, and one newer than the code', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spokebot-migrations-'));
    try {
      await cp(MIGRATIONS_DIRECTORY, dir, { recursive: true });
      const directory = pathToFileURL(`${dir}/`);
      await applyMigrations(pool(), undefined, directory);
      await writeFile(join(dir, '0002_audit.sql'), '-- edited after it ran\n', { flag: 'a' });
      const edited = await applyMigrations(pool(), undefined, directory).catch((error: unknown) => error);
      expect(edited).toBeInstanceOf(StoreMigrationError);
      expect((edited as Error).message).toMatch(/migration 2 \(audit\) was applied from a file that has changed/);

      await sql(`INSERT INTO spokebot_migrations (version, name, checksum) VALUES (9999, 'from_the_future', 'x')`);
      const newer = await applyMigrations(pool()).catch((error: unknown) => error);
      expect(newer).toBeInstanceOf(StoreMigrationError);
      expect((newer as Error).message).toMatch(/newer than the code/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rolls a failing migration back whole and records nothing of it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spokebot-migrations-'));
    try {
      await cp(MIGRATIONS_DIRECTORY, dir, { recursive: true });
      await writeFile(join(dir, '9000_broken.sql'), 'CREATE TABLE half_done (id int);\nSELECT * FROM no_such_table;\n');
      const failed = await applyMigrations(pool(), undefined, pathToFileURL(`${dir}/`)).catch((error: unknown) => error);
      expect(failed).toBeInstanceOf(StoreMigrationError);
      expect(await sql(`SELECT 1 FROM spokebot_migrations WHERE version = 9000`)).toEqual([]);
      expect(await sql(`SELECT to_regclass('half_done') AS t`)).toEqual([{ t: null }]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('opening', () => {
  it('writes a key check into a fresh database and refuses another key before writing anything', async () => {
    const store = await replica();
    await store.createSetup(request, 'U1', 60_000);
    expect(await sql(`SELECT key FROM store_meta`)).toEqual([{ key: 'key_check' }]);
    const refused = await PostgresSpokeStore.open({ url: database.url, encryptionKey: Buffer.alloc(32, 1), now }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(StoreKeyError);
    expect((refused as StoreKeyError).hint).toMatch(/SPOKE_ENCRYPTION_KEY/);
  });

  it('never shows the password of SPOKE_DATABASE_URL', () => {
    expect(redactDatabaseUrl('postgres://bot:hunter2@db:5432/spoke')).toBe('postgres://bot:***@db:5432/spoke');
    expect(redactDatabaseUrl('postgres://db/spoke?user=bot&password=hunter2')).not.toContain('hunter2');
    expect(redactDatabaseUrl('not a url hunter2')).not.toContain('hunter2');
  });
});

describe('the audit log table', () => {
  it('refuses UPDATE, DELETE and TRUNCATE', async () => {
    const store = await replica();
    await store.audit({ actor: 'U1', action: 'setup.started', outcome: 'ok' });
    for (const statement of [`UPDATE audit_log SET action = 'x'`, 'DELETE FROM audit_log', 'TRUNCATE audit_log']) {
      await expect(sql(statement)).rejects.toThrow(/append-only/);
    }
    expect(await store.auditTrail()).toHaveLength(1);
  });

  it('chains entries without gaps when two replicas append at once, in lines audit verify accepts', async () => {
    const [a, b] = await Promise.all([replica(), replica()]);
    await Promise.all(
      Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).audit({ actor: `U${i}`, action: 'request.decided', outcome: 'ok', connection: i % 3 ? 'jira' : 'wiki' })),
    );
    const seqs = await sql<{ seq: string }>('SELECT seq FROM audit_log ORDER BY seq');
    expect(seqs.map((r) => Number(r.seq))).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    const lines: string[] = [];
    for await (const line of auditLines(pool())) lines.push(line);
    const report = verifyChain(Buffer.from(`${lines.join('\n')}\n`));
    expect(report.broken).toBeUndefined();
    expect(report.chained).toBe(60);
    const latest = await b.auditLog.latest({ connection: 'wiki', limit: 5 });
    expect(latest).toHaveLength(5);
    expect(latest.every((e) => e.connection === 'wiki')).toBe(true);
  });
});

describe('two replicas on one database', () => {
  it('see each other’s writes through change notices, big rows included', async () => {
    const [a, b] = await Promise.all([replica(), replica()]);
    const setup = await a.createSetup(request, 'U1', 60_000);
    const took = await within(1000, () => b.getSetup(setup.id) !== undefined);
    expect(took).toBeLessThan(100);
    expect(b.revealSecret(b.getSetup(setup.id)!)).toBe('the-client-secret-value');

    // Too big to ride in a notice: the other replica reads the row back.
    const big = { ...connection('Jira big'), scopes: Array.from({ length: 400 }, (_, i) => `scope:${i}:${'x'.repeat(20)}`) };
    await a.saveConnection(big);
    await within(1000, () => b.getConnection('Jira big')?.scopes.length === 400);

    await b.setUndeliveredNotice('alert:jira', { tries: 1, nextAt: clock.toISOString(), lastError: 'channel_not_found' });
    await within(1000, () => a.undeliveredNotice('alert:jira')?.tries === 1);
    await a.setUndeliveredNotice('alert:jira', undefined);
    await within(1000, () => b.undeliveredNotice('alert:jira') === undefined);
  });

  it('decide a request once when approvers click on both at once', async () => {
    const [a, b] = await Promise.all([replica(), replica()]);
    for (let round = 0; round < 10; round++) {
      const created = await a.createRequest(openRequest());
      const results = await Promise.all([
        a.transitionRequest(created.id, ['open'], { state: 'approved', decidedBy: 'UA' }),
        b.transitionRequest(created.id, ['open'], { state: 'denied', decidedBy: 'UB' }),
        a.transitionRequest(created.id, ['open'], { state: 'approved', decidedBy: 'UA2' }),
      ]);
      expect(results.filter(Boolean)).toHaveLength(1);
    }
    // Ids come from the database: requests created on both replicas never share one.
    const ids = (await Promise.all([a.createRequest(openRequest()), b.createRequest(openRequest())])).map((r) => r.id);
    expect(new Set(ids).size).toBe(2);
  });

  it('plan one setup per connection name, whichever replica each admin is on', async () => {
    const [a, b] = await Promise.all([replica(), replica()]);
    for (let round = 0; round < 5; round++) {
      const name = { ...request, connectionName: `Wiki ${round}` };
      const mine = await a.createSetup(name, 'U1', 600_000);
      const theirs = await b.createSetup({ ...name, connectionName: ` wiki ${round} ` }, 'U2', 600_000);
      const [one, other] = await Promise.all([a.planSetup(mine.id, {}), b.planSetup(theirs.id, {})]);
      const planned = [one, other].filter((o) => o && 'planned' in o);
      const held = [one, other].filter((o) => o && 'heldBy' in o);
      expect([planned.length, held.length]).toEqual([1, 1]);
    }
  });

  it('end an expired setup once, whichever replicas expire at once', async () => {
    const [a, b] = await Promise.all([replica(), replica()]);
    const setups = await Promise.all(Array.from({ length: 6 }, (_, i) => a.createSetup({ ...request, connectionName: `C${i}` }, 'U1', 60_000)));
    clock = new Date(clock.getTime() + 61_000);
    const ended = (await Promise.all([a.expireSetups(), b.expireSetups(), a.expireSetups()])).flat().map((s) => s.id);
    expect(ended.sort()).toEqual(setups.map((s) => s.id).sort());
    expect((await sql(`SELECT 1 FROM setups WHERE doc ? 'sealedSecret'`)).length).toBe(0);
  });

  it('hand each due check to one replica, and again once its lease ran out', async () => {
    const [a, b] = await Promise.all([replica(), replica()]);
    for (let i = 0; i < 40; i++) await a.saveConnection(connection(`Jira ${i}`));
    await a.saveConnection({ ...connection('Jira pending'), state: 'awaiting_consent' });
    const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).claimDueChecks({ limit: 7, leaseMs: 60_000 })));
    const claimed = claims.flat();
    expect(new Set(claimed).size).toBe(claimed.length);
    expect(claimed).toHaveLength(40);
    expect(await b.claimDueChecks({ limit: 100, leaseMs: 60_000 })).toEqual([]);

    // A result saved ends the claim and sets the next due time; a lease run out frees the rest.
    const health = { state: 'ok' as const, checks: [], expiries: [], checkedAt: clock.toISOString(), nextCheckAt: new Date(clock.getTime() + 3_600_000).toISOString() };
    expect(await a.saveCheckResult('Jira 0', undefined, health, { checkedAt: undefined })).toBe(true);
    clock = new Date(clock.getTime() + 61_000);
    const again = await b.claimDueChecks({ limit: 100, leaseMs: 60_000 });
    expect(again).toHaveLength(39);
    expect(again).not.toContain('Jira 0');
  });

  it('keep one of two check results that started from the same record', async () => {
    const [a, b] = await Promise.all([replica(), replica()]);
    await a.saveConnection(connection('Jira'));
    const result = (state: 'ok' | 'failing') => ({ state, checks: [], expiries: [], checkedAt: clock.toISOString(), nextCheckAt: clock.toISOString() });
    const kept = await Promise.all([a.saveCheckResult('Jira', undefined, result('ok'), { checkedAt: undefined }), b.saveCheckResult('Jira', undefined, result('failing'), { checkedAt: undefined })]);
    expect(kept.filter(Boolean)).toHaveLength(1);
  });

  it('claim a reminder once, give it back, and never after it is marked sent', async () => {
    const [a, b] = await Promise.all([replica(), replica()]);
    const claims = await Promise.all([a.claimReminder('jira:30d', 60_000), b.claimReminder('jira:30d', 60_000), a.claimReminder('jira:30d', 60_000)]);
    expect(claims.filter(Boolean)).toHaveLength(1);
    const holder = claims[0] ? a : b;
    const other = holder === a ? b : a;
    await other.releaseReminder('jira:30d'); // not the holder's: changes nothing
    expect(await other.claimReminder('jira:30d', 60_000)).toBe(false);
    await holder.releaseReminder('jira:30d');
    expect(await other.claimReminder('jira:30d', 60_000)).toBe(true);
    await other.markReminders(['jira:30d']);
    clock = new Date(clock.getTime() + 120_000);
    expect(await holder.claimReminder('jira:30d', 60_000)).toBe(false);
    await within(1000, () => holder.remindersHandled().has('jira:30d'));
  });

  it('hold a lease on one replica at a time, and let another take it once it ran out', async () => {
    const [a, b] = await Promise.all([replica(), replica()]);
    const got = await Promise.all([a.acquireLease('setup:1', 30_000), b.acquireLease('setup:1', 30_000)]);
    expect(got.filter(Boolean)).toHaveLength(1);
    const [holder, other] = got[0] ? [a, b] : [b, a];
    expect(await holder.acquireLease('setup:1', 30_000)).toBe(true);
    await other.releaseLease('setup:1'); // not its own: the lease stays
    expect(await other.acquireLease('setup:1', 30_000)).toBe(false);
    clock = new Date(clock.getTime() + 31_000);
    expect(await other.acquireLease('setup:1', 30_000)).toBe(true);
    expect(await holder.acquireLease('setup:1', 30_000)).toBe(false);
  });

  it('read everything again after losing the connection that hears changes', async () => {
    const [a, b] = await Promise.all([replica(), replica()]);
    await sql(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'spokebot-changes'`);
    // Written while b hears nothing: it finds it when it reads everything again.
    const setup = await a.createSetup(request, 'U1', 60_000);
    await within(10_000, () => b.getSetup(setup.id) !== undefined && b.hearingChanges);
    const later = await a.createSetup(request, 'U3', 60_000);
    await within(1000, () => b.getSetup(later.id) !== undefined);
  });
});
