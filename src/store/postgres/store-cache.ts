import type pg from 'pg';
import { CACHED_TABLES, CACHED_TABLE_NAMES, decodeRow, type CachedRecords, type CachedTable } from './cached-tables.js';
import { VersionedMap } from './versioned-map.js';

/**
 * A replica's copy of the cached tables, what the store's synchronous reads answer from. Filled
 * at open, kept current by the rows the replica's own writes return and by change notices, and
 * read again whole after the notices were interrupted.
 */
export class StoreCache {
  readonly tables: { readonly [T in CachedTable]: VersionedMap<CachedRecords[T]> } = {
    setups: new VersionedMap(true),
    connections: new VersionedMap(),
    health: new VersionedMap(),
    requests: new VersionedMap(true),
    rotations: new VersionedMap(true),
    reminders: new VersionedMap(),
    home_opens: new VersionedMap(),
    undelivered_notices: new VersionedMap(),
    report_refusals: new VersionedMap(),
  };

  /** Keeps a row (as `to_jsonb` gives it) unless a newer one is here; returns the record now cached. */
  apply<T extends CachedTable>(table: T, row: unknown): CachedRecords[T] | undefined {
    const decoded = decodeRow(table, row);
    return (this.tables[table] as VersionedMap<CachedRecords[T]>).put(decoded.key, decoded.version, decoded.value);
  }

  /**
   * apply() for a row that is most likely here already at its version (read back beside a claim):
   * decoded only when it is newer than the cached copy, since decoding is what a row costs.
   */
  applyIfNewer(table: CachedTable, row: unknown): void {
    const raw = row as Record<string, unknown> | null;
    const cached = this.tables[table].versionOf(String(raw?.[CACHED_TABLES[table].keyColumn]));
    if (cached !== undefined && typeof raw?.version === 'number' && cached >= raw.version) return;
    this.apply(table, row);
  }

  drop(table: CachedTable, key: string, version: number): void {
    this.tables[table].drop(key, version);
  }

  /** Reads one row again (a notice too big to carry it); gone means deleted. */
  async refresh(pool: pg.Pool, table: CachedTable, key: string, version: number): Promise<void> {
    const { keyColumn } = CACHED_TABLES[table];
    const { rows } = await pool.query<{ row: unknown }>(`SELECT to_jsonb(t) AS row FROM ${table} t WHERE ${keyColumn}::text = $1`, [key]);
    if (rows[0]) this.apply(table, rows[0].row);
    else this.drop(table, key, version);
  }

  /**
   * Reads every cached table again, each in its own query (the tables need not be read at one
   * instant: every row is versioned, and a change meanwhile arrives as a notice). Throws
   * StoreUnreadableError, keeping the cache as it was, when a row is not spokebot data.
   */
  async loadAll(pool: pg.Pool): Promise<void> {
    for (const table of CACHED_TABLE_NAMES) await this.loadTable(pool, table);
  }

  private async loadTable<T extends CachedTable>(pool: pg.Pool, table: T): Promise<void> {
    const map = this.tables[table] as VersionedMap<CachedRecords[T]>;
    const since = map.mark();
    const { rows } = await pool.query<{ row: unknown }>(`SELECT to_jsonb(t) AS row FROM ${table} t ORDER BY ${CACHED_TABLES[table].orderBy}`);
    map.replaceAll(
      rows.map(({ row }) => decodeRow(table, row)),
      since,
    );
  }
}
