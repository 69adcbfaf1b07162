import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { lineHash, verifyChain } from '../../src/store/audit-chain.js';
import { PostgresSpokeStore } from '../../src/store/postgres/postgres-store.js';
import type { SpokeStore } from '../../src/store/spoke-store.js';
import { freshDatabase, type FreshDatabase } from '../support/postgres.js';
import { KEY, TestClock, connection, health } from './fixtures.js';
import { describeReplicaContract } from './replica-contract.js';
import { describeStoreContract, type StoreUnderTest } from './store-contract.js';

/**
 * One database migrated once for the file (and its key check sealed under KEY), copied for each
 * case: the migrations ran 44 times otherwise, most of a case's time. Opening a copy still checks
 * the migrations and the key, as every replica's start does.
 */
let migrated: Promise<FreshDatabase> | undefined;
function migratedTemplate(): Promise<FreshDatabase> {
  migrated ??= (async () => {
    const template = await freshDatabase();
    await (await PostgresSpokeStore.open({ url: template.url, encryptionKey: KEY, poolMax: 1 })).close();
    return template;
  })();
  return migrated;
}
afterAll(async () => (await migrated)?.drop());

/** Each case: a database of its own, and as many stores (replicas, reopens) on it as it asks for. */
async function openPostgres(): Promise<StoreUnderTest & { url: string }> {
  const database = await freshDatabase({ template: (await migratedTemplate()).name });
  const clock = new TestClock();
  const open = (key: Buffer = KEY) => PostgresSpokeStore.open({ url: database.url, encryptionKey: key, now: clock.now, poolMax: 4 });
  const stores: SpokeStore[] = [];
  const track = (store: SpokeStore) => (stores.push(store), store);
  const close = async (store: SpokeStore) => {
    if (!stores.includes(store)) return;
    stores.splice(stores.indexOf(store), 1);
    await store.close();
  };
  let current: SpokeStore | undefined = track(await open());
  return {
    url: database.url,
    store: current,
    clock,
    async reopen(key) {
      if (current) await close(current);
      current = undefined;
      current = track(await open(key));
      return current;
    },
    secondReplica: async () => track(await open()),
    async dispose() {
      await Promise.all([...stores].map(close));
      await database.drop();
    },
  };
}

describeStoreContract('PostgreSQL', openPostgres);
describeReplicaContract('PostgreSQL', openPostgres);

it('chains audit entries appended on two replicas at once: seq 1..N, no gap, a chain audit verify accepts', async ({ onTestFinished }) => {
  const opened = await openPostgres();
  onTestFinished(() => opened.dispose());
  const second = await opened.secondReplica!();
  await Promise.all(Array.from({ length: 30 }, (_, i) => [opened.store, second].map((s, r) => s.audit({ actor: `replica-${r}`, action: `step.${i}`, outcome: 'ok' }))).flat());
  const rows = await query<{ seq: string; line: string; hash: string }>(opened.url, 'SELECT seq, line, hash FROM audit_log ORDER BY seq');
  expect(rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
  for (const row of rows) expect(row.hash).toBe(lineHash(row.line));
  const report = verifyChain(Buffer.from(`${rows.map((r) => r.line).join('\n')}\n`));
  expect(report.broken).toBeUndefined();
  expect(report).toMatchObject({ lines: 60, chained: 60, chainStart: 1, legacy: 0 });
});

it('refuses UPDATE, DELETE and TRUNCATE of the audit log, whoever asks', async ({ onTestFinished }) => {
  const opened = await openPostgres();
  onTestFinished(() => opened.dispose());
  await opened.store.audit({ actor: 'U1', action: 'setup.started', outcome: 'ok' });
  // The server's superuser, not the bot's role: the trigger refuses even that.
  await expect(query(opened.url, "UPDATE audit_log SET action = 'setup.hidden'")).rejects.toThrow(/append-only/);
  await expect(query(opened.url, 'DELETE FROM audit_log')).rejects.toThrow(/append-only/);
  await expect(query(opened.url, 'TRUNCATE audit_log')).rejects.toThrow(/append-only/);
  expect((await opened.store.auditTrail()).map((e) => e.action)).toEqual(['setup.started']);
});

it("brings a claimed check's connection and health rows into the replica's cache, though their change notices never came", async ({ onTestFinished }) => {
  const opened = await openPostgres();
  onTestFinished(() => opened.dispose());
  const second = await opened.secondReplica!();
  await opened.store.saveConnection(connection('Jira acme'));
  await opened.store.saveHealth('Jira acme', health(opened.clock.now(), opened.clock.now()));
  // Another connection and a newer result for the first, written with the tables' triggers off
  // (session_replication_role = replica): no replica hears of them, as when a notice is late.
  await query(
    opened.url,
    `SET session_replication_role = replica;
     INSERT INTO connections (name, state, doc) SELECT 'Jira quiet', state, jsonb_set(doc, '{name}', '"Jira quiet"') FROM connections WHERE name = 'Jira acme';
     INSERT INTO check_schedule (name) VALUES ('Jira quiet');
     UPDATE health SET doc = jsonb_set(doc, '{state}', '"failing"'), version = nextval('spokebot_row_version') WHERE name = 'Jira acme';`,
  );
  expect(second.getConnection('Jira quiet')).toBeUndefined();
  expect(second.getHealth('Jira acme')?.state).toBe('ok');

  expect((await second.claimDueChecks({ limit: 10, leaseMs: 60_000 })).sort()).toEqual(['Jira acme', 'Jira quiet']);
  expect(second.getConnection('Jira quiet')).toMatchObject({ name: 'Jira quiet', state: 'connected' });
  expect(second.getHealth('Jira acme')?.state).toBe('failing');
});

async function query<Row extends pg.QueryResultRow>(url: string, sql: string): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<Row>(sql)).rows;
  } finally {
    await client.end();
  }
}
