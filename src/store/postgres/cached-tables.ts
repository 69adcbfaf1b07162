import { z } from 'zod';
import { accessRequestSchema, connectionSchema, healthRecordSchema, pendingSetupSchema, rotationSchema, storeDataSchema } from '../schema.js';
import type { AccessRequest, Connection, HealthRecord, PendingSetup, Rotation, StoreData } from '../schema.js';
import { StoreUnreadableError } from '../store-key.js';

/**
 * The tables every replica keeps in memory, how a row of each becomes the record the store hands
 * out, and which column keys it. A row arrives as `to_jsonb(row)` (from a query, a write's
 * RETURNING, or a change notice), one shape whatever its source. Each document is parsed with
 * the record's schema, so a row edited by hand into something spokebot cannot use fails loudly,
 * naming the table and key, never the content.
 */

export type UndeliveredNotice = StoreData['undeliveredNotices'][string];
export type ReportRefusal = StoreData['reportRefusals'][string];

const undeliveredNoticeSchema = storeDataSchema.shape.undeliveredNotices.unwrap().valueType;
const reportRefusalSchema = storeDataSchema.shape.reportRefusals.unwrap().valueType;

/** What each cached table holds, by key. Reminders: whether it is handled (sent or given up). */
export interface CachedRecords {
  setups: PendingSetup;
  connections: Connection;
  health: HealthRecord;
  requests: AccessRequest;
  rotations: Rotation;
  reminders: boolean;
  home_opens: string;
  undelivered_notices: UndeliveredNotice;
  report_refusals: ReportRefusal;
}
export type CachedTable = keyof CachedRecords;

interface TableSpec<V> {
  keyColumn: string;
  /** Loading order, so lists come out as the file store's do (oldest first). */
  orderBy: string;
  decode(row: Record<string, unknown>): V;
}

const docOf = (row: Record<string, unknown>) => row.doc;

export const CACHED_TABLES: { readonly [T in CachedTable]: TableSpec<CachedRecords[T]> } = {
  setups: { keyColumn: 'id', orderBy: "doc ->> 'createdAt', id", decode: (row) => pendingSetupSchema.parse(docOf(row)) },
  connections: { keyColumn: 'name', orderBy: "doc ->> 'createdAt', name", decode: (row) => connectionSchema.parse(docOf(row)) },
  health: { keyColumn: 'name', orderBy: 'name', decode: (row) => healthRecordSchema.parse(docOf(row)) },
  // The id column is the truth (the identity column draws it); the document's copy follows it.
  requests: { keyColumn: 'id', orderBy: 'id', decode: (row) => accessRequestSchema.parse({ ...(docOf(row) as object), id: Number(row.id) }) },
  rotations: { keyColumn: 'id', orderBy: "doc ->> 'startedAt', id", decode: (row) => rotationSchema.parse(docOf(row)) },
  reminders: { keyColumn: 'key', orderBy: 'key', decode: (row) => z.boolean().parse(row.handled) },
  home_opens: { keyColumn: 'user_id', orderBy: 'opened_at', decode: (row) => new Date(z.string().parse(row.opened_at)).toISOString() },
  undelivered_notices: { keyColumn: 'key', orderBy: 'key', decode: (row) => undeliveredNoticeSchema.parse(docOf(row)) },
  report_refusals: { keyColumn: 'connection', orderBy: 'connection', decode: (row) => reportRefusalSchema.parse(docOf(row)) },
};

export const CACHED_TABLE_NAMES = Object.keys(CACHED_TABLES) as CachedTable[];

/** A row as `to_jsonb` gives it: its key column, its version, and the rest. */
const rowEnvelope = z.object({ version: z.number().int() }).loose();

export interface DecodedRow<T extends CachedTable> {
  key: string;
  version: number;
  value: CachedRecords[T];
}

/** Throws StoreUnreadableError naming the table and key when the row is not what the store writes. */
export function decodeRow<T extends CachedTable>(table: T, row: unknown): DecodedRow<T> {
  const spec = CACHED_TABLES[table] as TableSpec<CachedRecords[T]>;
  const key = String((row as Record<string, unknown> | null)?.[spec.keyColumn] ?? '?');
  try {
    const envelope = rowEnvelope.parse(row);
    return { key, version: envelope.version, value: spec.decode(envelope) };
  } catch (error) {
    const fields =
      error instanceof z.ZodError
        ? error.issues
            .slice(0, 3)
            .map((issue) => `${issue.path.filter((p) => typeof p !== 'symbol').join('.') || 'the row'}: ${issue.code.replaceAll('_', ' ')}`)
            .join('; ')
        : 'it does not parse';
    throw new StoreUnreadableError(
      `PostgreSQL table ${table}, row ${key}`,
      `it is not spokebot data (${fields})`,
      `Restore the row from a backup, or correct it by hand to what spokebot writes (src/store/schema.ts); every replica refuses to start while it is there.`,
    );
  }
}
