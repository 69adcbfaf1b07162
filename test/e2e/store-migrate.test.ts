import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GENESIS, chainedLine, lineHash, verifyChain } from '../../src/store/audit-chain.js';
import { PostgresSpokeStore } from '../../src/store/postgres/postgres-store.js';
import { storeDataSchema, type AccessRequest, type AuditEvent, type Connection, type PendingSetup, type StoreData } from '../../src/store/schema.js';
import { SecretBox } from '../../src/store/secret-box.js';
import { SpokeStore } from '../../src/store/spoke-store.js';
import { connectionCredentialBinding, setupSecretBinding } from '../../src/store/store-key.js';
import { freshDatabase, type FreshDatabase } from '../support/postgres.js';

/**
 * `spokebot store migrate` as an admin runs it, a child process, on a deployment of some size:
 * 1,000 connections, setups in every kind of state, requests, health, reminders and 100,000 audit
 * entries (the last line torn by a crash). The PostgreSQL store opened afterwards with the same
 * key must hold all of it, secrets opening as before, and a second run must refuse.
 */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const KEY = Buffer.alloc(32, 41);
const OTHER_KEY = Buffer.alloc(32, 42);
const CONNECTIONS = 1000;
const AUDIT_ENTRIES = 100_000;
const T0 = Date.parse('2026-10-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

let dir: string;
let storePath: string;
let db: FreshDatabase;
const credentials = new Map<string, string>();
const setupSecrets = new Map<string, string>();
let data: StoreData;
let events: AuditEvent[];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The command as the image's entry point runs it, with nothing in its environment but what a case gives. */
function migrate(env: Record<string, string>): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/spokebot.ts', 'store', 'migrate'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const envFor = (over: Record<string, string> = {}) => ({
  SPOKE_DB_PATH: storePath,
  SPOKE_ENCRYPTION_KEY: KEY.toString('base64'),
  SPOKE_DATABASE_URL: db.url,
  ...over,
});

function connection(i: number, box: SecretBox): Connection {
  const name = `Jira ${i}`;
  const apiToken = i % 3 === 0;
  const secret = `token-${i}-${'x'.repeat(20)}`;
  if (apiToken) credentials.set(name, secret);
  return {
    name,
    spoke: (['jira', 'jsm', 'confluence'] as const)[i % 3]!,
    method: apiToken ? 'api_token' : 'oauth_3lo',
    siteOrigin: `https://site${i}.atlassian.net`,
    cloudId: `cloud-${i}`,
    channel: 'C0ALERTS',
    scopes: ['read:jira-work'],
    ...(apiToken ? { email: `svc${i}@example.com`, sealedCredential: box.seal(secret, connectionCredentialBinding(name)) } : { clientId: `client-${i}` }),
    credentialVersion: 1,
    createdBy: 'U0ADMIN',
    createdAt: iso(T0),
    state: i % 50 === 0 ? 'removed' : i % 25 === 0 ? 'awaiting_consent' : 'connected',
    records: { http_connection: `sys-${i}` },
  };
}

function setup(i: number, status: PendingSetup['status'], box: SecretBox): PendingSetup {
  const id = `setup-${i}`;
  const holdsSecret = !['connected', 'cancelled', 'expired', 'consent_timeout'].includes(status);
  const secret = `client-secret-${i}`;
  if (holdsSecret) setupSecrets.set(id, secret);
  return {
    id,
    spoke: 'jira',
    method: 'oauth_3lo',
    userId: 'U0ADMIN',
    connectionName: `  New Jira ${i} `,
    siteOrigin: 'https://new.atlassian.net',
    clientId: `client-new-${i}`,
    scopes: ['read:jira-work'],
    channel: 'C0ALERTS',
    status,
    ...(holdsSecret ? { sealedSecret: box.seal(secret, setupSecretBinding(id)) } : {}),
    written: [],
    createdAt: iso(T0),
    updatedAt: iso(T0),
    expiresAt: iso(T0 + 86_400_000),
  };
}

function request(id: number): AccessRequest {
  return {
    id,
    requester: `U0REQ${id}`,
    details: { kind: 'new_connection', spoke: 'jira', site: 'https://acme.atlassian.net', team: 'Platform' },
    reason: 'tickets from ServiceNow',
    state: (['open', 'approved', 'denied', 'withdrawn', 'expired'] as const)[id % 5]!,
    createdAt: iso(T0 + id * 1000),
    lastAnnouncedAt: iso(T0 + id * 1000),
    reannounced: 0,
  };
}

/** The store file, written whole: a store grown through the bot's own writes would take minutes to build. */
function buildStore(): StoreData {
  const box = new SecretBox(KEY);
  const connections = Array.from({ length: CONNECTIONS }, (_, i) => connection(i, box));
  const statuses: PendingSetup['status'][] = ['checking_site', 'credential_failed', 'planned', 'writing', 'write_failed', 'awaiting_consent', 'consent_timeout', 'connected', 'cancelled', 'expired'];
  const health: StoreData['health'] = {};
  connections.forEach((c, i) => {
    // Every other connected one checked (due in an hour); the rest never checked, so due now.
    if (c.state === 'connected' && i % 2 === 0) {
      health[c.name] = { state: 'ok', checks: [{ check: 'records', status: 'ok', summary: 'all there' }], expiries: [], checkedAt: iso(T0), nextCheckAt: iso(T0 + 3_600_000) };
    }
  });
  // Ids with a gap, as withdrawn-and-pruned stores have: the next one must follow the largest.
  const requests = [...Array.from({ length: 40 }, (_, i) => request(i + 1)), request(57)];
  return storeDataSchema.parse({
    version: 1,
    setups: statuses.map((status, i) => setup(i, status, box)),
    connections,
    health,
    reminders: ['Jira 3:api_token:30', 'Jira 3:api_token:14', 'Jira 6:api_token:30'],
    requests,
    rotations: [{ id: 'rot-1', kind: 'reconsent', connection: 'Jira 1', userId: 'U0ADMIN', step: 'watching', startedAt: iso(T0), updatedAt: iso(T0) }],
    homeOpens: { U0ADMIN: iso(T0), U0REQ1: iso(T0 - 86_400_000) },
    undeliveredNotices: { 'alert:Jira 2:failing': { tries: 1, nextAt: iso(T0 + 3_600_000), lastError: 'channel_not_found', alert: 'failing' } },
    reportRefusals: { 'Jira 2': { channel: 'C0GONE', error: 'channel_not_found', at: iso(T0) } },
  });
}

/** 100,000 chained lines written at once (appending them one by one through AuditLog would fsync each batch), then a torn line. */
async function writeAuditLog(path: string): Promise<AuditEvent[]> {
  const written: AuditEvent[] = [];
  const lines: string[] = [];
  let prev = GENESIS;
  for (let seq = 1; seq <= AUDIT_ENTRIES; seq++) {
    const event: AuditEvent = { at: iso(T0 + seq * 1000), actor: 'U0ADMIN', action: seq % 2 ? 'health.check' : 'request.decided', connection: `Jira ${seq % CONNECTIONS}`, outcome: 'ok', detail: { n: seq } };
    const line = chainedLine(event, seq, prev);
    prev = lineHash(line);
    lines.push(line);
    written.push(event);
  }
  await writeFile(path, `${lines.join('\n')}\n{"at":"2026-11-01T00:00:00.000Z","actor":"U0`, { mode: 0o600 });
  return written;
}

const sha256 = async (path: string) => createHash('sha256').update(await readFile(path)).digest('hex');

async function rowCounts(): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const { rows } = await client.query<Record<string, string>>(
      `SELECT (SELECT count(*) FROM connections) AS connections, (SELECT count(*) FROM setups) AS setups, (SELECT count(*) FROM requests) AS requests,
              (SELECT count(*) FROM health) AS health, (SELECT count(*) FROM audit_log) AS audit, (SELECT coalesce(max(seq), 0) FROM audit_log) AS last_seq`,
    );
    return Object.fromEntries(Object.entries(rows[0]!).map(([k, v]) => [k, Number(v)]));
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  db = await freshDatabase();
  dir = await mkdtemp(join(tmpdir(), 'spokebot-migrate-'));
  storePath = join(dir, 'data', 'spokebot.json');
  await mkdir(dirname(storePath), { recursive: true });
  data = buildStore();
  await writeFile(storePath, JSON.stringify({ ...data, keyCheck: undefined }), { mode: 0o600 });
  // Opened once the way the bot opens it: it proves the secrets were sealed right and adds the key check.
  await (await SpokeStore.open(storePath, KEY)).close();
  events = await writeAuditLog(`${storePath}.audit.jsonl`);
}, 60_000);

afterAll(async () => {
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('spokebot store migrate', () => {
  it('refuses, writing nothing, without SPOKE_DATABASE_URL, without a store, or with a key that did not seal the store', async () => {
    const noUrl = await migrate({ SPOKE_DB_PATH: storePath, SPOKE_ENCRYPTION_KEY: KEY.toString('base64') });
    expect(noUrl.code).toBe(78);
    expect(noUrl.stderr).toMatch(/^store migrate: SPOKE_DATABASE_URL: required\b.*\n$/);

    const noStore = await migrate(envFor({ SPOKE_DB_PATH: join(dir, 'none.json') }));
    expect(noStore.code).toBe(66);
    expect(noStore.stderr).toMatch(/^store migrate: there is no store at .*none\.json.*\n$/);

    const wrongKey = await migrate(envFor({ SPOKE_ENCRYPTION_KEY: OTHER_KEY.toString('base64') }));
    expect(wrongKey.code).toBe(78);
    expect(wrongKey.stderr).toMatch(/^store migrate: cannot open the store .*: this key did not seal this store .*\n$/);
    expect(wrongKey.stderr).not.toMatch(/client-secret|token-\d/);

    // Refused before the database was touched: not even the schema was made.
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      expect((await client.query("SELECT to_regclass('connections') AS t")).rows[0].t).toBeNull();
    } finally {
      await client.end();
    }
  }, 60_000);

  it('copies 1,000 connections and 100,000 audit entries in one run, secrets sealed, ids kept, chain intact, the file untouched', async () => {
    const before = { store: await sha256(storePath), audit: await sha256(`${storePath}.audit.jsonl`) };
    const started = performance.now();
    const run = await migrate(envFor());
    const seconds = (performance.now() - started) / 1000;
    console.info(`store migrate: ${CONNECTIONS} connections + ${AUDIT_ENTRIES} audit entries in ${seconds.toFixed(1)} s (child process, tsx start included)\n${run.stdout}`);
    expect(run.code, run.stderr).toBe(0);
    const health = Object.keys(data.health).length;
    expect(run.stdout).toMatch(
      new RegExp(`^moved 1,000 connections, ${data.setups.length} setups, ${data.requests.length} requests and 100,000 audit entries \\(1 unreadable audit line skipped\\) into postgres://\\S+ in \\d+\\.\\d s \\(with ${health} health records, `),
    );

    // Read only: the admin can go back to lowdb by unsetting SPOKE_DATABASE_URL.
    expect(await sha256(storePath)).toBe(before.store);
    expect(await sha256(`${storePath}.audit.jsonl`)).toBe(before.audit);

    const store = await PostgresSpokeStore.open({ url: db.url, encryptionKey: KEY });
    try {
      expect(store.listConnections()).toHaveLength(CONNECTIONS);
      expect(store.listSetups()).toHaveLength(data.setups.length);
      expect(store.listRequests().map((r) => r.id).sort((a, b) => a - b)).toEqual(data.requests.map((r) => r.id));
      expect(Object.keys(data.health).every((name) => store.getHealth(name)?.nextCheckAt === data.health[name]!.nextCheckAt)).toBe(true);
      expect([...store.remindersHandled()].sort()).toEqual([...data.reminders].sort());
      expect(store.listRotations().map((r) => r.id)).toEqual(['rot-1']);
      expect(store.reportRefusal('Jira 2')?.channel).toBe('C0GONE');
      expect(store.undeliveredNotice('alert:Jira 2:failing')?.tries).toBe(1);
      expect(store.homeViewers()).toEqual(['U0ADMIN', 'U0REQ1']);

      // Sealed under the same key, bound to the same name or id: they open as they did in the file.
      for (const [name, secret] of credentials) expect(store.revealCredential(store.getConnection(name)!)).toBe(secret);
      for (const [id, secret] of setupSecrets) expect(store.revealSecret(store.getSetup(id)!)).toBe(secret);

      const next = await store.createRequest({ ...request(0), state: 'open' });
      expect(next.id).toBe(58);

      const trail = await store.auditTrail();
      expect(trail).toHaveLength(AUDIT_ENTRIES);
      expect(trail).toEqual(events);
    } finally {
      await store.close();
    }

    // The database's chain, read back as lines, is one the file's verifier proves end to end.
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      // Never checked: due at once, as lowdb has it; checked: due when its record says.
      const schedule = await client.query<{ name: string; due: string }>(`SELECT name, CASE WHEN due_at = '-infinity' THEN 'now' ELSE to_json(due_at)#>>'{}' END AS due FROM check_schedule`);
      expect(schedule.rows).toHaveLength(CONNECTIONS);
      for (const { name, due } of schedule.rows) expect(due === 'now' ? undefined : Date.parse(due)).toEqual(Object.hasOwn(data.health, name) ? Date.parse(data.health[name]!.nextCheckAt) : undefined);

      const { rows } = await client.query<{ seq: string; line: string; hash: string }>('SELECT seq, line, hash FROM audit_log ORDER BY seq');
      expect(rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: AUDIT_ENTRIES }, (_, i) => i + 1));
      expect(rows.every((r) => r.hash === lineHash(r.line))).toBe(true);
      const report = verifyChain(Buffer.from(`${rows.map((r) => r.line).join('\n')}\n`));
      expect(report.broken).toBeUndefined();
      expect(report.chained).toBe(AUDIT_ENTRIES);
    } finally {
      await client.end();
    }
  }, 180_000);

  it('a second run refuses the now non-empty database with one line, and changes nothing', async () => {
    const before = await rowCounts();
    const run = await migrate(envFor());
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^store migrate: the database already holds spokebot data \(.*1,000 connections.*100,000 audit entries\)\. Nothing was written\. .*\n$/);
    expect(await rowCounts()).toEqual(before);
  }, 60_000);

  it('moves a store from before the key check and the audit file: the database gets a key check, and the entries kept in the store file', async () => {
    const legacy = await freshDatabase();
    const path = join(dir, 'legacy', 'spokebot.json');
    await mkdir(dirname(path), { recursive: true });
    const box = new SecretBox(KEY);
    const kept: AuditEvent[] = [
      { at: iso(T0), actor: 'U0ADMIN', action: 'setup.started', outcome: 'ok' },
      { at: iso(T0 + 1000), actor: 'U0ADMIN', action: 'connection.created', connection: 'Jira 3', outcome: 'ok' },
    ];
    // No keyCheck and no .audit.jsonl: the key is proven by the one sealed credential, as the file store proves it.
    await writeFile(path, JSON.stringify({ version: 1, setups: [], connections: [connection(3, box)], audit: kept }), { mode: 0o600 });
    const before = await sha256(path);
    try {
      const run = await migrate(envFor({ SPOKE_DB_PATH: path, SPOKE_DATABASE_URL: legacy.url }));
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^moved 1 connection, 0 setups, 0 requests and 2 audit entries into /);
      expect(await sha256(path)).toBe(before);
      const store = await PostgresSpokeStore.open({ url: legacy.url, encryptionKey: KEY });
      try {
        expect(store.revealCredential(store.getConnection('Jira 3')!)).toBe(credentials.get('Jira 3'));
        expect(await store.auditTrail()).toEqual(kept);
      } finally {
        await store.close();
      }
      await expect(PostgresSpokeStore.open({ url: legacy.url, encryptionKey: OTHER_KEY })).rejects.toThrow(/key check does not open/);
    } finally {
      await legacy.drop();
    }
  }, 60_000);
});
