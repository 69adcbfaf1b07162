import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { RECORD_KEYS } from '../src/core/record-keys.js';
import { SPOKES } from '../src/core/spoke-catalogue.js';
import { SpokeStore, type HealthRecord, type SpokeStore as Store } from '../src/store/spoke-store.js';
import { PostgresSpokeStore } from '../src/store/postgres/postgres-store.js';
import { startPostgres, type RunningPostgres } from '../test/support/postgres.js';
import { summarise } from './stats.js';

const CONNECTIONS = 1_000;
/** Of each operation, one after another. SPOKE_BENCH_STORE_OPS=200 for a quick run. */
const OPS = Number(process.env.SPOKE_BENCH_STORE_OPS ?? 2_000);

type Samples = Record<'claim' | 'claimOnly' | 'save' | 'audit' | 'decide', number[]>;

async function seed(store: Store, parallel: number): Promise<number[]> {
  const at = new Date().toISOString();
  const work = async <T>(items: T[], each: (item: T) => Promise<unknown>) => {
    const queue = [...items];
    await Promise.all(Array.from({ length: parallel }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await each(item);
    }));
  };
  await work([...Array(CONNECTIONS).keys()], (i) =>
    store.saveConnection({
      name: `Confluence ${i}`,
      spoke: 'confluence',
      method: 'oauth_3lo',
      siteOrigin: `https://site${i % 50}.atlassian.net`,
      cloudId: `cloud-${i % 50}`,
      channel: 'C1',
      scopes: [...SPOKES.confluence.defaultScopes],
      records: { [RECORD_KEYS.entity]: randomBytes(16).toString('hex'), [RECORD_KEYS.connection]: randomBytes(16).toString('hex') },
      createdBy: 'U1',
      createdAt: at,
      connectedAt: at,
      state: 'connected',
    }),
  );
  const ids: number[] = [];
  await work([...Array(OPS).keys()], async (i) => {
    const request = await store.createRequest({
      requester: `U${i % 40}`,
      details: { kind: 'new_connection', spoke: 'jira', site: `https://site${i % 50}.atlassian.net`, team: 'platform' },
      reason: 'bench',
      state: 'open',
      createdAt: at,
      lastAnnouncedAt: at,
      reannounced: 0,
    });
    ids.push(request.id);
  });
  return ids.sort((a, b) => a - b);
}

const timed = async <T>(samples: number[], step: () => Promise<T>): Promise<T> => {
  const started = performance.now();
  const result = await step();
  samples.push(performance.now() - started);
  return result;
};

/** The three operations, OPS of each, one after another, on a store holding CONNECTIONS connections. */
async function measure(store: Store, requestIds: number[]): Promise<Samples> {
  const samples: Samples = { claim: [], claimOnly: [], save: [], audit: [], decide: [] };
  for (let i = 0; i < OPS; i++) {
    const started = performance.now();
    const [name] = await timed(samples.claimOnly, () => store.claimDueChecks({ limit: 1, leaseMs: 300_000 }));
    if (!name) throw new Error(`claim ${i} found no due check`);
    const connection = store.getConnection(name)!;
    const previous = store.getHealth(name);
    const now = new Date().toISOString();
    // Due again at once, so the claims never run out of due checks.
    const record: HealthRecord = { state: 'ok', checks: [], expiries: [], checkedAt: now, nextCheckAt: now };
    const kept = await timed(samples.save, () => store.saveCheckResult(name, connection.credentialVersion, record, { checkedAt: previous?.checkedAt }));
    if (!kept) throw new Error(`the result of check ${i} (${name}) was not kept`);
    samples.claim.push(performance.now() - started);
  }
  for (let i = 0; i < OPS; i++) {
    await timed(samples.audit, () => store.audit({ actor: `U${i % 40}`, action: 'request.approved', outcome: 'ok', connection: `Confluence ${i % CONNECTIONS}`, detail: { request: i } }));
  }
  for (const id of requestIds) {
    const decided = await timed(samples.decide, () => store.transitionRequest(id, ['open'], { state: 'approved', decidedBy: 'U9', decidedAt: new Date().toISOString() }));
    if (decided?.state !== 'approved') throw new Error(`request ${id} was not decided`);
  }
  return samples;
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function onPostgres(server: RunningPostgres, database: string, durable: boolean): Promise<Samples> {
  // The throwaway server starts with fsync, synchronous_commit and full_page_writes off (fast
  // tests); a deployment keeps them on, and each commit then waits for the WAL flush.
  const value = durable ? 'on' : 'off';
  for (const setting of ['fsync', 'synchronous_commit', 'full_page_writes']) await adminQuery(server.url, `ALTER SYSTEM SET ${setting} = ${value}`);
  await adminQuery(server.url, 'SELECT pg_reload_conf()');
  await adminQuery(server.url, `CREATE DATABASE ${database} TEMPLATE template0`);
  const url = new URL(server.url);
  url.pathname = `/${database}`;
  const store = await PostgresSpokeStore.open({ url: url.toString(), encryptionKey: randomBytes(32) });
  try {
    return await measure(store, await seed(store, 8));
  } finally {
    await store.close();
  }
}

async function onLowdb(): Promise<Samples> {
  const dir = await mkdtemp(join(tmpdir(), 'spokebot-store-ops-'));
  try {
    const store = await SpokeStore.open(join(dir, 'spokebot.json'), randomBytes(32));
    try {
      return await measure(store, await seed(store, 1));
    } finally {
      await store.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** p50/p99 of claiming a due check, appending an audit entry and deciding a request: lowdb against PostgreSQL. */
export async function benchStoreOps(): Promise<void> {
  const engines: Array<[string, Samples]> = [['lowdb', await onLowdb()]];
  let server: RunningPostgres | undefined;
  const onSignal = () => process.exit(130); // startPostgres's exit hook stops the server.
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    server = await startPostgres();
    engines.push(['PostgreSQL', await onPostgres(server, 'spoke_ops_durable', true)]);
    engines.push(['PostgreSQL fsync off', await onPostgres(server, 'spoke_ops_fast', false)]);
  } finally {
    await server?.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const ops: Array<[keyof Samples, string]> = [
    ['claim', 'claim a due check (claim + save)'],
    ['claimOnly', '  claimDueChecks limit 1'],
    ['save', '  saveCheckResult'],
    ['audit', 'append an audit entry'],
    ['decide', 'decide a request (open → approved)'],
  ];
  const f = (v: number) => v.toFixed(2);
  const rows: string[][] = [['', ...engines.map(([name]) => `${name} p50 / p99`)]];
  for (const [key, label] of ops) rows.push([label, ...engines.map(([, samples]) => { const s = summarise(samples[key]); return `${f(s.p50)} / ${f(s.p99)}`; })]);
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
  console.log(
    `\nStore operations in ms, ${OPS.toLocaleString('en')} of each one after another, store holding ${CONNECTIONS.toLocaleString('en')} connections and ${OPS.toLocaleString('en')} requests; ` +
      'lowdb fsyncs its file at every write; PostgreSQL (local, loopback) with fsync and synchronous_commit on, then off as the tests run it',
  );
  for (const r of rows) console.log(`  ${r.map((cell, col) => (col === 0 ? cell.padEnd(widths[col]!) : cell.padStart(widths[col]!))).join('   ')}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchStoreOps().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
