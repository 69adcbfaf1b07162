import type { QueryTerms } from './encoded-query.js';
import { ServiceNowDictionaryUnreadableError, ServiceNowForbiddenError, ServiceNowMissingColumnError, ServiceNowMissingTableError } from './errors.js';
import type { ServiceNowRecord } from './table-client.js';

/** A read that does not itself go through the schema check (the dictionary is what it reads). */
export type DictionaryRead = (table: string, terms: QueryTerms, options: { fields: string[]; limit: number }) => Promise<ServiceNowRecord[]>;

export interface ColumnInfo {
  /** glide type: string, reference, document_id, password2, boolean… */
  type: string;
  label: string;
  /** The table a reference column points into. */
  reference?: string;
}

export interface TableInfo {
  name: string;
  label: string;
  sysId: string;
  /** Application scope (`sys_scope.scope`), e.g. `global` or `sn_confluence_spoke`. */
  scope: string;
  /** Its own columns and every inherited one (through `super_class`). */
  columns: ReadonlyMap<string, ColumnInfo>;
}

export interface MissingColumn {
  table: string;
  /** The column, or the part of a dot-walked path that the instance lacks. */
  column: string;
}

/** The tables the instance's dictionary describes itself with; trusted, never checked. */
export const DICTIONARY_TABLES: readonly string[] = ['sys_db_object', 'sys_dictionary', 'sys_scope'];

const SYS_ID = /^[0-9a-f]{32}$/;

/** Generations of parents named in the first read of sys_db_object (dot-walked); deeper ones take a round each. */
const ANCESTORS_WALKED = 3;

/**
 * What tables and columns this ServiceNow instance really has, read from `sys_db_object` (with
 * `super_class`, for inherited columns) and `sys_dictionary`. ServiceNow drops a query term or a
 * field that names a missing column without a word (a dropped term widens the query to every
 * row), so the table client asks here before it sends any column name. Tables are read in bulk
 * (two rounds of requests for the lot) and kept for `maxAgeMs`; a table found wanting is read again next
 * time, so installing a plugin does not need a restart.
 */
export class InstanceSchema {
  private readonly tables = new Map<string, { loaded: Promise<TableInfo | undefined>; at: number }>();

  constructor(
    private readonly read: DictionaryRead,
    private readonly options: { maxAgeMs?: number; now?: () => number } = {},
  ) {}

  /** Reads several tables at once (the bot's whole set on first use). */
  preload(names: readonly string[]): Promise<void> {
    const now = this.now();
    const wanted = [...new Set(names)].filter((name) => !DICTIONARY_TABLES.includes(name) && !this.fresh(name, now));
    if (wanted.length === 0) return Promise.resolve();
    const batch = this.load(wanted);
    for (const name of wanted) {
      const loaded = batch.then((found) => found.get(name));
      // A failed read is not kept: the next caller tries again.
      loaded.catch(() => this.tables.delete(name));
      this.tables.set(name, { loaded, at: now });
    }
    return batch.then(() => undefined);
  }

  async table(name: string): Promise<TableInfo | undefined> {
    await this.preload([name]);
    return this.tables.get(name)?.loaded;
  }

  /** Every column (or dot-walk) of `paths` the instance lacks on `table`; a missing table is one entry with column ''. */
  async missing(table: string, paths: Iterable<string>): Promise<MissingColumn[]> {
    if (DICTIONARY_TABLES.includes(table)) return [];
    const info = await this.table(table);
    if (info === undefined) return [{ table, column: '' }];
    const gaps: MissingColumn[] = [];
    for (const path of new Set(paths)) {
      const gap = await this.walk(info, path.split('.'));
      if (gap) gaps.push(gap);
    }
    return gaps;
  }

  /** Throws the first gap as a typed error naming table and column; forgets the table so a fix is seen. */
  async require(table: string, paths: Iterable<string>): Promise<void> {
    const [gap] = await this.missing(table, paths);
    if (gap === undefined) return;
    this.tables.delete(gap.table);
    throw gap.column === '' ? new ServiceNowMissingTableError(gap.table) : new ServiceNowMissingColumnError(gap.table, gap.column);
  }

  /** Tables whose label is one of `labels` in one of the application scopes `scopes` (e.g. a spoke's own table). */
  async findTablesByLabel(labels: readonly string[], scopes: readonly string[]): Promise<Array<{ name: string; label: string }>> {
    const rows = await this.guarded(() => this.read('sys_db_object', { label: labels, 'sys_scope.scope': scopes }, { fields: ['name', 'label', 'sys_scope.scope'], limit: 20 }));
    return rows.map((row) => ({ name: String(row.name), label: String(row.label) }));
  }

  private async walk(info: TableInfo, [head, ...rest]: string[]): Promise<MissingColumn | undefined> {
    const column = head === undefined ? undefined : info.columns.get(head);
    if (column === undefined) return { table: info.name, column: head ?? '' };
    if (rest.length === 0) return undefined;
    const target = column.reference === undefined ? undefined : await this.table(column.reference);
    if (target === undefined) return { table: info.name, column: `${head}.${rest.join('.')}` };
    return this.walk(target, rest);
  }

  private fresh(name: string, now: number): boolean {
    const entry = this.tables.get(name);
    return entry !== undefined && now - entry.at < (this.options.maxAgeMs ?? 3_600_000);
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private async load(names: string[]): Promise<Map<string, TableInfo>> {
    return this.guarded(async () => {
      const objects = new Map<string, ServiceNowRecord>();
      // Each table's parents come dot-walked with it (super_class.name, its super_class, …), so
      // the first round names the whole family and reads the tables' own columns beside it, and
      // the second reads every parent's columns: two rounds, where a read per generation and
      // then the columns took three.
      const ancestry = Array.from({ length: ANCESTORS_WALKED }, (_, depth) => 'super_class'.concat('.super_class'.repeat(depth)));
      const fields = ['name', 'label', 'super_class', 'sys_scope.scope', ...ancestry.flatMap((path) => [`${path}.name`, `${path}.super_class`])];
      const dictionaryFields = ['name', 'element', 'internal_type', 'reference', 'column_label'];
      const readColumns = (tables: readonly string[]) => (tables.length === 0 ? Promise.resolve([]) : this.read('sys_dictionary', { name: [...tables] }, { fields: dictionaryFields, limit: 10_000 }));
      const [rows, ownColumns] = await Promise.all([this.read('sys_db_object', { name: names }, { fields, limit: names.length + 10 }), readColumns(names)]);
      /** Each table's row, and each parent the dot-walks named (its name and its own parent). */
      const addWithAncestors = (row: ServiceNowRecord) => {
        objects.set(String(row.sys_id), row);
        let id = String(row.super_class ?? '');
        for (const path of ancestry) {
          const name = String(row[`${path}.name`] ?? '');
          if (!SYS_ID.test(id) || name === '' || objects.has(id)) break;
          const superClass = String(row[`${path}.super_class`] ?? '');
          objects.set(id, { sys_id: id, name, super_class: superClass });
          id = superClass;
        }
      };
      rows.forEach(addWithAncestors);
      // A family deeper than the dot-walks reach: one more read of sys_db_object per generation.
      for (let generation = 0; generation < 8; generation += 1) {
        const parents = [...new Set([...objects.values()].map((row) => String(row.super_class ?? '')).filter((id) => SYS_ID.test(id) && !objects.has(id)))];
        if (parents.length === 0) break;
        (await this.read('sys_db_object', { sys_id: parents }, { fields, limit: parents.length + 10 })).forEach(addWithAncestors);
      }
      const parentNames = [...new Set([...objects.values()].map((row) => String(row.name)))].filter((name) => !names.includes(name));
      const dictionary = [...ownColumns, ...(await readColumns(parentNames))];
      const own = new Map<string, Map<string, ColumnInfo>>();
      const nameOf = (reference: string): string => (SYS_ID.test(reference) ? String(objects.get(reference)?.name ?? reference) : reference);
      for (const row of dictionary) {
        const element = String(row.element ?? '');
        if (element === '') continue; // the collection row stands for the table itself
        const reference = String(row.reference ?? '');
        const columns = own.get(String(row.name)) ?? new Map<string, ColumnInfo>();
        columns.set(element, { type: String(row.internal_type ?? ''), label: String(row.column_label ?? ''), ...(reference ? { reference: nameOf(reference) } : {}) });
        own.set(String(row.name), columns);
      }
      const byName = new Map([...objects.values()].map((row) => [String(row.name), row]));
      const found = new Map<string, TableInfo>();
      for (const name of names) {
        const row = byName.get(name);
        if (row === undefined) continue;
        const chain: string[] = [];
        for (let at: ServiceNowRecord | undefined = row; at !== undefined && chain.length < 10; at = objects.get(String(at.super_class ?? ''))) chain.unshift(String(at.name));
        const columns = new Map<string, ColumnInfo>();
        for (const table of chain) for (const [element, info] of own.get(table) ?? []) columns.set(element, info);
        found.set(name, { name, label: String(row.label ?? ''), sysId: String(row.sys_id), scope: String(row['sys_scope.scope'] ?? ''), columns });
      }
      return found;
    });
  }

  private async guarded<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof ServiceNowForbiddenError) {
        throw new ServiceNowDictionaryUnreadableError('the integration user may not read the dictionary', error.status, error.serviceNow, { cause: error });
      }
      throw error;
    }
  }
}
