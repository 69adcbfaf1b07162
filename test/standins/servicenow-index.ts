/**
 * Column indexes for the stand-in's tables, so an `=` or `IN` term (on a column, or dot-walked
 * through references) finds its rows without reading the whole table, as a real instance's
 * indexes on reference columns and names do. An index only narrows: the rows it gives are a
 * superset of the rows the term matches, and the encoded query is then evaluated on them in
 * full, exactly as on the whole table, so answers do not depend on whether an index was used.
 */
import type { Row } from './servicenow-schema.js';

/** The key a row is filed under: queries compare case-insensitively, a missing column reads as ''. */
export function indexKey(value: string | undefined): string {
  return (value ?? '').toLowerCase();
}

/** One table's indexes: column → key → rows. A column's index is built the first time it is asked for. */
export class TableIndexes {
  private readonly columns = new Map<string, Map<string, Set<Row>>>();

  constructor(private readonly rows: () => readonly Row[]) {}

  /** The index of a column, built now from every row if this is its first use. */
  column(name: string): ReadonlyMap<string, ReadonlySet<Row>> {
    let index = this.columns.get(name);
    if (index === undefined) {
      index = new Map();
      for (const row of this.rows()) file(index, indexKey(row[name]), row);
      this.columns.set(name, index);
    }
    return index;
  }

  /** A row joined the table. */
  add(row: Row): void {
    for (const [name, index] of this.columns) file(index, indexKey(row[name]), row);
  }

  /** A row leaves the table; call it before the row's values change, with add after they have. */
  remove(row: Row): void {
    for (const [name, index] of this.columns) {
      const key = indexKey(row[name]);
      const rows = index.get(key);
      if (rows === undefined) continue;
      rows.delete(row);
      if (rows.size === 0) index.delete(key);
    }
  }
}

function file(index: Map<string, Set<Row>>, key: string, row: Row): void {
  let rows = index.get(key);
  if (rows === undefined) index.set(key, (rows = new Set()));
  rows.add(row);
}

/** What narrowing needs of the store. */
export interface IndexedTables {
  /** The column's index, or undefined where the table has none (the generated meta tables). */
  columnIndex(table: string, column: string): ReadonlyMap<string, ReadonlySet<Row>> | undefined;
  referenceTargets(table: string, column: string): readonly string[] | undefined;
}

/**
 * Rows of `table` that may have `path` (a column or a dot-walk) equal, case-insensitively, to one
 * of `keys` (lowercased): every row that does is among them. Undefined when the term cannot
 * narrow: a table without indexes on the way, an empty key through a dot-walk (an empty or
 * dangling reference reads as ''), or more than `cap` rows (a term no more selective than the
 * best one found so far).
 */
export function rowsWithValue(tables: IndexedTables, table: string, path: string, keys: readonly string[], cap: number): Set<Row> | undefined {
  const dot = path.indexOf('.');
  const head = dot < 0 ? path : path.slice(0, dot);
  const index = tables.columnIndex(table, head);
  if (index === undefined) return undefined;
  const out = new Set<Row>();
  if (dot < 0) {
    // A row has one value per column, so the sets of different keys never overlap.
    let total = 0;
    for (const key of keys) total += index.get(key)?.size ?? 0;
    if (total > cap) return undefined;
    for (const key of keys) for (const row of index.get(key) ?? []) out.add(row);
    return out;
  }
  if (keys.includes('')) return undefined;
  const targets = tables.referenceTargets(table, head);
  if (targets === undefined) return undefined;
  // A row's reference resolves to a target row by its sys_id: the rows pointing at the targets
  // that hold the value. (Taken over every table a polymorphic reference may point into.)
  for (const target of targets) {
    const referenced = rowsWithValue(tables, target, path.slice(dot + 1), keys, cap);
    if (referenced === undefined) return undefined;
    for (const row of referenced) {
      for (const pointing of index.get(indexKey(row.sys_id)) ?? []) {
        out.add(pointing);
        if (out.size > cap) return undefined;
      }
    }
  }
  return out;
}

/** The keys an `=` or `IN` term matches, as the evaluation compares them; undefined for other operators. */
export function termKeys(op: string, value: string): string[] | undefined {
  if (op === '=') return [value.toLowerCase()];
  if (op === 'IN') return [...new Set(value.toLowerCase().split(','))];
  return undefined;
}
