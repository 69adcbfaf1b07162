import type pg from 'pg';
import { GENESIS, chainedLine, lineHash, parseLine } from '../audit-chain.js';
import { auditEventSchema, type AuditEvent } from '../schema.js';
import type { AuditTrail, UnreadableLines } from '../spoke-store.js';
import { AUDIT_APPEND_LOCK } from './advisory-locks.js';
import { storeErrorFor } from './postgres-errors.js';

interface Pending {
  event: AuditEvent;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Rows fetched per round trip when streaming the log out. */
const FETCH_SIZE = 1000;

/**
 * The audit trail in the table `audit_log` (migration 0002), shared by every replica: each row
 * holds the exact line the file log would have written, chained to the one before it by `seq`
 * and `prev` (audit-chain.ts), so `audit verify` and a SIEM see the same bytes either way.
 *
 * An append takes a transaction-level advisory lock, reads the chain's end and inserts after it:
 * replicas appending at once take turns, so seq has no gaps and each `prev` is the line before.
 * Appends made together on one replica share one transaction. The database refuses UPDATE,
 * DELETE and TRUNCATE on the table; this class only ever inserts.
 */
export class PostgresAuditTrail implements AuditTrail {
  readonly unreadable: UnreadableLines = { count: 0 };
  readonly tornAtOpen: readonly number[] = [];
  readonly location = 'PostgreSQL table audit_log';
  private pending: Pending[] = [];
  private draining: Promise<void> | undefined;

  constructor(
    private readonly pool: pg.Pool,
    /** SPOKE_DATABASE_URL without its password, for errors. */
    private readonly database: string,
  ) {}

  /** Resolves once the entry is committed. */
  append(event: AuditEvent): Promise<void> {
    const parsed = auditEventSchema.parse(event);
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ event: parsed, resolve, reject });
      // Started on the next microtask, so appends made together share one transaction.
      this.draining ??= Promise.resolve().then(() => this.drain());
    });
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0);
      try {
        await this.insert(batch.map((p) => p.event));
        for (const { resolve } of batch) resolve();
      } catch (error) {
        const typed = storeErrorFor(error, this.database);
        for (const { reject } of batch) reject(typed);
      }
    }
    this.draining = undefined;
  }

  private async insert(events: readonly AuditEvent[]): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      try {
        await client.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_APPEND_LOCK.toString()]);
        const last = await client.query<{ seq: string; hash: string }>('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
        let seq = Number(last.rows[0]?.seq ?? 0);
        let prev = last.rows[0]?.hash ?? GENESIS;
        const rows = events.map((event) => {
          const line = chainedLine(event, ++seq, prev);
          prev = lineHash(line);
          return { seq, at: event.at, connection: event.connection ?? null, action: event.action, line, hash: prev };
        });
        await client.query(
          `INSERT INTO audit_log (seq, at, connection, action, line, hash)
           SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[])`,
          [rows.map((r) => r.seq), rows.map((r) => r.at), rows.map((r) => r.connection), rows.map((r) => r.action), rows.map((r) => r.line), rows.map((r) => r.hash)],
        );
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    } finally {
      client.release();
    }
  }

  /** Newest first: of one connection, from a day on, at most `limit` (20 when not given). */
  async latest(options: { connection?: string; since?: Date; limit?: number } = {}): Promise<AuditEvent[]> {
    try {
      const { rows } = await this.pool.query<{ line: string }>(
        `SELECT line FROM audit_log
         WHERE ($1::text IS NULL OR connection = $1) AND ($2::timestamptz IS NULL OR at >= $2)
         ORDER BY seq DESC LIMIT $3`,
        [options.connection ?? null, options.since ?? null, options.limit ?? 20],
      );
      return rows.flatMap(({ line }) => eventOf(line));
    } catch (error) {
      throw storeErrorFor(error, this.database);
    }
  }

  async close(): Promise<void> {
    await this.draining;
  }
}

function eventOf(line: string): AuditEvent[] {
  const parsed = parseLine(line);
  return parsed.kind === 'unreadable' ? [] : [parsed.event];
}

/**
 * The log's lines oldest first (from `since` on), exactly as stored, streamed through a
 * server-side cursor: exporting 100,000 entries holds FETCH_SIZE of them in memory at a time.
 * Breaking out of the loop closes the cursor and hands the connection back.
 */
export async function* auditLines(pool: pg.Pool, since?: Date): AsyncGenerator<string> {
  const client = await pool.connect();
  let failed = false;
  try {
    await client.query('BEGIN READ ONLY');
    // DECLARE takes no bind parameters: the time goes in as a quoted literal.
    const from = since ? `WHERE at >= ${client.escapeLiteral(since.toISOString())}::timestamptz` : '';
    await client.query(`DECLARE audit_lines NO SCROLL CURSOR FOR SELECT line FROM audit_log ${from} ORDER BY seq`);
    for (;;) {
      const { rows } = await client.query<{ line: string }>(`FETCH ${FETCH_SIZE} FROM audit_lines`);
      for (const { line } of rows) yield line;
      if (rows.length < FETCH_SIZE) break;
    }
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    // Read only: ending it either way changes nothing; a broken connection is not handed back.
    await client.query('ROLLBACK').catch(() => (failed = true));
    client.release(failed);
  }
}

/** Every event in the log, oldest first (tests and small tools; exports use auditLines). */
export async function auditEvents(pool: pg.Pool): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  for await (const line of auditLines(pool)) events.push(...eventOf(line));
  return events;
}
