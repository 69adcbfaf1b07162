import { open, readFile, type FileHandle } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type pg from 'pg';
import { SpokeError } from '../errors.js';
import { GENESIS, chainedLine, lineHash, parseLine } from './audit-chain.js';
import { storeDataSchema, type AuditEvent, type StoreData } from './schema.js';
import { StoreUnreadableError, checkStoreKey } from './store-key.js';
import { AUDIT_APPEND_LOCK } from './postgres/advisory-locks.js';
import { proveDatabaseKey, sealedKeyCheck } from './postgres/postgres-key.js';
import { nameKey } from './store-rules.js';

/**
 * Moves a lowdb deployment into PostgreSQL: the store file's records and the audit log beside it,
 * copied into an empty database in one transaction, so the database ends up with all of it or
 * none of it. The lowdb files are only read: an admin who changes their mind unsets
 * SPOKE_DATABASE_URL and the bot carries on from them as before.
 *
 * Sealed secrets are copied as they are. They stay sealed under the same key and bound to the same
 * setup id or connection name, which the copy keeps, so they open in PostgreSQL as they did in the
 * file; nothing here ever opens one.
 */

/** Rows per INSERT: big enough that 100,000 audit entries are a hundred statements, small enough to keep each one's parameters modest. */
const BATCH = 1000;

/** The tables the copy fills. The database must hold none of their rows (store_meta and leases excepted). */
const DATA_TABLES = [
  ['setups', 'setup', 'setups'],
  ['connections', 'connection', 'connections'],
  ['health', 'health record', 'health records'],
  ['check_schedule', 'scheduled check', 'scheduled checks'],
  ['requests', 'request', 'requests'],
  ['rotations', 'rotation', 'rotations'],
  ['reminders', 'reminder', 'reminders'],
  ['home_opens', 'App Home open', 'App Home opens'],
  ['undelivered_notices', 'undelivered notice', 'undelivered notices'],
  ['report_refusals', 'report refusal', 'report refusals'],
  ['audit_log', 'audit entry', 'audit entries'],
] as const;

export class NoStoreFileError extends SpokeError {
  readonly code = 'store_missing';
  readonly hint = "Point SPOKE_DB_PATH at the store file the bot has been using (its default is ./.data/spokebot.json, relative to the bot's working folder).";
  constructor(readonly path: string) {
    super(`there is no store at ${path}, so there is nothing to move`);
  }
}

export class DatabaseNotEmptyError extends SpokeError {
  readonly code = 'database_not_empty';
  readonly hint =
    'Nothing was written. Move into a new, empty database (CREATE DATABASE …, then point SPOKE_DATABASE_URL at it); if this database holds an earlier attempt you mean to replace, drop and recreate it first.';
  /** `held`: what the database holds, as counted phrases ("3 connections"). */
  constructor(readonly held: readonly string[]) {
    super(`the database already holds spokebot data (${held.join(', ')})`);
  }
}

/** The lowdb store as read for the copy: its records, and where its audit log is. */
export interface LowdbSource {
  path: string;
  data: StoreData;
  auditPath: string;
}

/**
 * Reads the lowdb store without writing anything, not even the key check an older store lacks
 * (opening it as the bot does would add one, note torn audit lines and move legacy entries). A
 * key that did not seal it is refused with the store's own StoreKeyError, a file that is not
 * spokebot data with StoreUnreadableError.
 */
export async function readLowdbSource(path: string, key: Buffer): Promise<LowdbSource> {
  const { status } = await checkStoreKey(path, key);
  if (status === 'new') throw new NoStoreFileError(path);
  // checkStoreKey has just parsed this file and proven the key; this read gets the records themselves.
  const parsed = storeDataSchema.safeParse(parseJson(await readFile(path, 'utf8')));
  // Only a bot writing the file meanwhile gets here; the parser's message is not shown, as it quotes the file.
  if (!parsed.success) throw new StoreUnreadableError(path, 'it changed while it was being read', 'Stop the bot, then run the command again.');
  return { path, data: parsed.data, auditPath: `${path}.audit.jsonl` };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export interface CopyCounts {
  setups: number;
  connections: number;
  health: number;
  requests: number;
  rotations: number;
  reminders: number;
  homeOpens: number;
  undeliveredNotices: number;
  reportRefusals: number;
  auditEntries: number;
  /** Audit lines that do not parse (torn by a crash, or damaged): not entries, so not copied. */
  auditLinesSkipped: number;
}

/**
 * Copies `source` into the database behind `pool` (`location`: its URL without the password, for
 * messages), whose schema must be migrated already. Throws DatabaseNotEmptyError, having written
 * nothing, when the database holds any spokebot row, and PostgresStoreKeyError when it holds a key
 * check that `key` does not open.
 */
export async function copyToPostgres(pool: pg.Pool, source: LowdbSource, key: Buffer, location: string): Promise<CopyCounts> {
  // The store's own proof: refuses a database whose key check another key sealed; in one with none
  // it writes one under `key` (what the bot's first start there would write, and harmless if the
  // copy then fails: a later run proves it and carries on).
  await proveDatabaseKey(pool, key, location);
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    try {
      // Held to the commit: a replica started against this database meanwhile waits for the copy
      // instead of writing between the emptiness check and the copy's own rows.
      await client.query(`LOCK TABLE ${DATA_TABLES.map(([table]) => table).join(', ')} IN EXCLUSIVE MODE`);
      // The lock the store's own appends take, so none can be numbered against the chain being built.
      await client.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_APPEND_LOCK.toString()]);
      await refuseUnlessEmpty(client);
      // The file's own key check when it has one (from before the check existed it has none).
      await client.query(`INSERT INTO store_meta (key, value) VALUES ('key_check', $1::jsonb) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`, [
        doc(source.data.keyCheck ?? sealedKeyCheck(key)),
      ]);
      const counts = await copyRecords(client, source.data);
      const audit = await copyAudit(client, source);
      await client.query('COMMIT');
      return { ...counts, ...audit };
    } catch (error) {
      // A connection that cannot even roll back is dropped rather than handed back to the pool.
      await client.query('ROLLBACK').catch(() => (broken = true));
      throw error;
    }
  } finally {
    client.release(broken);
  }
}

async function refuseUnlessEmpty(client: pg.PoolClient): Promise<void> {
  const counts = DATA_TABLES.map(([table]) => `(SELECT count(*) FROM ${table})::bigint AS ${table}`).join(', ');
  const { rows } = await client.query<Record<string, string>>(`SELECT ${counts}`);
  const held: string[] = [];
  for (const [table, one, many] of DATA_TABLES) {
    const n = Number(rows[0]![table]);
    if (n > 0) held.push(`${n.toLocaleString('en')} ${n === 1 ? one : many}`);
  }
  if (held.length > 0) throw new DatabaseNotEmptyError(held);
}

type ColumnType = 'text' | 'jsonb' | 'bigint' | 'boolean' | 'timestamptz';

/**
 * Inserts `rows` in batches, each one statement: the columns go as arrays and unnest() turns
 * them back into rows, so a batch is a handful of parameters whatever its size.
 */
async function insertRows(client: pg.PoolClient, table: string, columns: ReadonlyArray<readonly [string, ColumnType]>, rows: readonly unknown[][]): Promise<void> {
  const sql = `INSERT INTO ${table} (${columns.map(([name]) => name).join(', ')}) SELECT * FROM unnest(${columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ')})`;
  for (let start = 0; start < rows.length; start += BATCH) {
    const batch = rows.slice(start, start + BATCH);
    await client.query(sql, columns.map((_, i) => batch.map((row) => row[i])));
  }
}

const doc = (record: unknown) => JSON.stringify(record);

/**
 * A stored time as a timestamptz column takes it, or undefined for one that does not parse. Made
 * ISO again rather than passed on: what JavaScript reads as a date, PostgreSQL might not, and one
 * refused value would fail the whole copy. The record in `doc` keeps the text as it was.
 */
function columnTime(text: string | undefined): string | undefined {
  const ms = text === undefined ? Number.NaN : Date.parse(text);
  // Years past 9999 come out of toISOString with a sign PostgreSQL does not read.
  return Number.isNaN(ms) || ms < Date.UTC(1, 0, 1) || ms >= Date.UTC(10_000, 0, 1) ? undefined : new Date(ms).toISOString();
}

async function copyRecords(client: pg.PoolClient, data: StoreData): Promise<Omit<CopyCounts, 'auditEntries' | 'auditLinesSkipped'>> {
  await insertRows(client, 'setups', [['id', 'text'], ['name_key', 'text'], ['status', 'text'], ['doc', 'jsonb']], data.setups.map((s) => [s.id, nameKey(s.connectionName), s.status, doc(s)]));
  await insertRows(client, 'connections', [['name', 'text'], ['state', 'text'], ['doc', 'jsonb']], data.connections.map((c) => [c.name, c.state, doc(c)]));

  const health = Object.entries(data.health);
  await insertRows(client, 'health', [['name', 'text'], ['doc', 'jsonb']], health.map(([name, record]) => [name, doc(record)]));
  // Every connection is scheduled; one never checked, or whose next check time does not parse, is
  // due now, as lowdb has it. A claim is not copied: lowdb's were in the memory of a stopped process.
  const scheduled = new Set([...data.connections.map((c) => c.name), ...health.map(([name]) => name)]);
  await insertRows(client, 'check_schedule', [['name', 'text'], ['due_at', 'timestamptz']], [...scheduled].map((name) => [name, columnTime(Object.hasOwn(data.health, name) ? data.health[name]!.nextCheckAt : undefined) ?? '-infinity']));

  await insertRows(client, 'requests', [['id', 'bigint'], ['state', 'text'], ['doc', 'jsonb']], data.requests.map((r) => [r.id, r.state, doc(r)]));
  // The ids were given, not drawn: the identity sequence is moved past them so the next request is max + 1.
  const maxId = Math.max(0, ...data.requests.map((r) => r.id));
  if (maxId > 0) await client.query(`SELECT setval(pg_get_serial_sequence('requests', 'id'), $1)`, [maxId]);

  await insertRows(client, 'rotations', [['id', 'text'], ['doc', 'jsonb']], data.rotations.map((r) => [r.id, doc(r)]));
  const reminders = [...new Set(data.reminders)];
  await insertRows(client, 'reminders', [['key', 'text'], ['handled', 'boolean']], reminders.map((key) => [key, true]));

  // Home opens without a time that parses (and the legacy homeViewers list, which has none) are
  // left out: lowdb forgets them at its next prune and shows no redraw to them meanwhile.
  const homeOpens = Object.entries(data.homeOpens).flatMap(([user, at]) => {
    const openedAt = columnTime(at);
    return openedAt ? [[user, openedAt]] : [];
  });
  await insertRows(client, 'home_opens', [['user_id', 'text'], ['opened_at', 'timestamptz']], homeOpens);

  const notices = Object.entries(data.undeliveredNotices);
  await insertRows(client, 'undelivered_notices', [['key', 'text'], ['doc', 'jsonb']], notices.map(([key, notice]) => [key, doc(notice)]));
  const refusals = Object.entries(data.reportRefusals);
  await insertRows(client, 'report_refusals', [['connection', 'text'], ['doc', 'jsonb']], refusals.map(([connection, refusal]) => [connection, doc(refusal)]));

  return {
    setups: data.setups.length,
    connections: data.connections.length,
    health: health.length,
    requests: data.requests.length,
    rotations: data.rotations.length,
    reminders: reminders.length,
    homeOpens: homeOpens.length,
    undeliveredNotices: notices.length,
    reportRefusals: refusals.length,
  };
}

const AUDIT_COLUMNS = [
  ['seq', 'bigint'],
  ['at', 'timestamptz'],
  ['connection', 'text'],
  ['action', 'text'],
  ['line', 'text'],
  ['hash', 'text'],
] as const;

/**
 * Every readable entry of the audit log, in order, chained afresh as seq 1..N in audit_log: the
 * file's own chain numbers its lines, which the database does not have. The file is streamed, so
 * a log of millions of entries is never all in memory; entries still kept in the store file
 * (written before the log had its own file) follow the file's, where the bot would append them.
 */
async function copyAudit(client: pg.PoolClient, source: LowdbSource): Promise<{ auditEntries: number; auditLinesSkipped: number }> {
  let seq = 0;
  let prev = GENESIS;
  let skipped = 0;
  let batch: unknown[][] = [];
  // One batch goes to the server while the next is read and hashed: the two take about as long.
  let inFlight: Promise<void> = Promise.resolve();
  const flush = async () => {
    await inFlight;
    inFlight = insertRows(client, 'audit_log', AUDIT_COLUMNS, batch);
    // Awaited at the next flush; marked handled now so a failure meanwhile is not an unhandled rejection.
    inFlight.catch(() => undefined);
    batch = [];
  };
  const add = async (event: AuditEvent) => {
    const line = chainedLine(event, ++seq, prev);
    prev = lineHash(line);
    // An entry whose time does not parse keeps it in its line; the column, there to select on, says -infinity.
    batch.push([seq, columnTime(event.at) ?? '-infinity', event.connection ?? null, event.action, line, prev]);
    if (batch.length >= BATCH) await flush();
  };

  for await (const text of auditLines(source.auditPath)) {
    const parsed = parseLine(text);
    if (parsed.kind === 'unreadable') skipped++;
    else await add(parsed.event);
  }
  for (const event of source.data.audit) await add(event);
  await flush();
  await inFlight;
  return { auditEntries: seq, auditLinesSkipped: skipped };
}

/** The log's lines, a torn last one included (it is skipped as unreadable); none when there is no log yet. */
async function* auditLines(path: string): AsyncGenerator<string> {
  let handle: FileHandle;
  try {
    // Opened first, so a missing log is told from one that fails part-way.
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const stream = handle.createReadStream({ encoding: 'utf8' });
  try {
    // Infinity: a \r\n pair is one line end, whatever the delay between the two chunks.
    yield* createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  } finally {
    stream.destroy();
    await handle.close().catch(() => undefined);
  }
}
