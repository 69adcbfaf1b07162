/**
 * The slice of the ServiceNow data model the stand-in knows: tables, columns, references,
 * encrypted (password2) fields and defaults, plus the row store with its business rules.
 */
import { createHash, randomBytes } from 'node:crypto';
import { rowsWithValue, TableIndexes, termKeys, type IndexedTables } from './servicenow-index.js';
import { META_TABLES, StandInSchema, SYSTEM_COLUMNS } from './servicenow-tables.js';

/** ServiceNow's JSON gives every value as a string. */
export type Row = Record<string, string>;

/** "YYYY-MM-DD HH:mm:ss" in UTC, glide_date_time's API form. */
export function glideDateTime(d: Date): string {
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

export function newSysId(): string {
  return randomBytes(16).toString('hex');
}

/** What a write stored for a password2 field; only the flag says whether it survived. */
export interface StoredSecret {
  value: string;
  wellFormed: boolean;
}

/**
 * The clear value the platform will decrypt and use. A value written without
 * sysparm_input_display_value=true was stored as if it were ciphertext, so it decrypts to junk.
 */
export function effectiveSecret(secret: StoredSecret | undefined): string {
  if (secret === undefined) return '';
  if (secret.wellFormed || secret.value === '') return secret.value;
  return createHash('sha256').update(secret.value).digest('base64').slice(0, 24);
}

function toStringValue(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  // A reference given as {value} (the shape GET returns) is accepted back.
  if (typeof v === 'object' && 'value' in v && typeof (v as { value: unknown }).value === 'string') {
    return (v as { value: string }).value;
  }
  return JSON.stringify(v);
}

export class RuleViolation extends Error {
  constructor(
    readonly status: number,
    readonly snMessage: string,
    readonly detail: string,
  ) {
    super(`${snMessage}: ${detail}`);
  }
}

/** What the platform fills in per class (credential `type` comes from the table). */
const CLASS_DEFAULTS: Record<string, Row> = {
  oauth_2_0_credentials: { type: 'oauth_2_0' },
  basic_auth_credentials: { type: 'basic_auth' },
};

function stableId(key: string): string {
  return createHash('md5').update(key).digest('hex');
}

export class TableStore implements IndexedTables {
  readonly schema = new StandInSchema();
  private readonly tables = new Map<string, Row[]>();
  private readonly secrets = new Map<string, StoredSecret>();
  /** `table:sys_id` → row, so references (and dot-walks) resolve in O(1) with thousands of rows. */
  private readonly byId = new Map<string, Row>();
  /** Per table, the indexes of the columns queries have filtered on (`=` and `IN`). */
  private readonly indexes = new Map<string, TableIndexes>();
  /** When each row was inserted: a table's rows are in this order, and so are narrowed candidates. */
  private readonly insertedAt = new WeakMap<Row, number>();
  private insertions = 0;

  constructor(
    private readonly now: () => Date,
    private readonly baseUrl: () => string,
  ) {}

  all(table: string): Row[] {
    if (META_TABLES.includes(table)) return this.metaRows(table);
    let rows = this.tables.get(table);
    if (rows === undefined) {
      rows = [];
      this.tables.set(table, rows);
    }
    return rows;
  }

  get(table: string, sysId: string): Row | undefined {
    if (META_TABLES.includes(table)) return this.metaRows(table).find((row) => row.sys_id === sysId);
    return this.byId.get(`${table}:${sysId}`);
  }

  columnIndex(table: string, column: string): ReadonlyMap<string, ReadonlySet<Row>> | undefined {
    // The meta tables are generated on each read from the schema: nothing to keep an index of.
    if (META_TABLES.includes(table)) return undefined;
    let indexes = this.indexes.get(table);
    if (indexes === undefined) this.indexes.set(table, (indexes = new TableIndexes(() => this.all(table))));
    return indexes.column(column);
  }

  referenceTargets(table: string, column: string): readonly string[] | undefined {
    return this.schema.referenceTargets(table, column);
  }

  /**
   * The rows a query with these terms has to look at, in table order: narrowed by the most
   * selective `=` / `IN` term an index answers (a superset of its matches), else the whole table.
   * The caller evaluates every term on them, so the answer is the same as from the whole table.
   */
  candidates(table: string, filters: ReadonlyArray<{ field: string; op: string; value: string }>): Row[] {
    const all = this.all(table);
    let best: Set<Row> | undefined;
    for (const f of filters) {
      const keys = termKeys(f.op, f.value);
      if (keys === undefined) continue;
      const rows = rowsWithValue(this, table, f.field, keys, (best?.size ?? all.length) - 1);
      if (rows !== undefined) best = rows;
      if (best?.size === 0) return [];
    }
    if (best === undefined) return all;
    return [...best].sort((a, b) => (this.insertedAt.get(a) ?? 0) - (this.insertedAt.get(b) ?? 0));
  }

  /** Rows whose column holds exactly this value, in table order (the store's own lookups). */
  where(table: string, column: string, value: string): Row[] {
    const index = this.columnIndex(table, column);
    const rows = index === undefined ? this.all(table) : this.candidates(table, [{ field: column, op: '=', value }]);
    return rows.filter((row) => row[column] === value);
  }

  /** Looks a sys_id up across the tables a reference may point into. */
  find(tables: readonly string[], sysId: string): { table: string; row: Row } | undefined {
    for (const table of tables) {
      const row = this.get(table, sysId);
      if (row !== undefined) return { table, row };
    }
    return undefined;
  }

  /** Value of a (dot-walked) column; '' when a reference along the way is empty or dangling. */
  resolve(table: string, row: Row, path: string): string {
    const [head, ...rest] = path.split('.');
    const value = row[head ?? ''] ?? '';
    if (rest.length === 0) return value;
    const target = this.find(this.schema.referenceTargets(table, head ?? '') ?? [], value);
    return target === undefined ? '' : this.resolve(target.table, target.row, rest.join('.'));
  }

  secretOf(table: string, sysId: string): StoredSecret | undefined {
    return this.secrets.get(`${table}:${sysId}`);
  }

  /**
   * Writes known columns only (others are ignored, as the Table API does). Returns the
   * secret to keep, stored by the caller once business rules let the write through.
   */
  private assign(table: string, row: Row, fields: Record<string, unknown>, inputDisplayValue: boolean): StoredSecret | undefined {
    let secret: StoredSecret | undefined;
    for (const [name, raw] of Object.entries(fields)) {
      const col = this.schema.column(table, name);
      if (col === undefined || Object.hasOwn(SYSTEM_COLUMNS, name)) continue;
      const value = toStringValue(raw);
      if (col.encrypted === true) {
        secret = { value, wellFormed: inputDisplayValue };
        // Reads never return the clear value; a fresh blob per write, like re-encryption.
        row[name] = value === '' ? '' : randomBytes(24).toString('base64');
      } else {
        row[name] = value;
      }
    }
    return secret;
  }

  private keepSecret(table: string, sysId: string, secret: StoredSecret | undefined): void {
    if (secret !== undefined) this.secrets.set(`${table}:${sysId}`, secret);
  }

  insert(table: string, fields: Record<string, unknown>, inputDisplayValue = false): Row {
    if (!this.schema.isKnownTable(table) || META_TABLES.includes(table)) throw new Error(`Invalid table ${table}`);
    const cols = this.schema.columns(table);
    const stamp = glideDateTime(this.now());
    const row: Row = { sys_id: newSysId() };
    for (const [name, col] of Object.entries(cols)) if (!Object.hasOwn(SYSTEM_COLUMNS, name)) row[name] = col.default ?? '';
    Object.assign(row, CLASS_DEFAULTS[table]);
    const secret = this.assign(table, row, fields, inputDisplayValue);
    Object.assign(row, { sys_created_on: stamp, sys_updated_on: stamp, sys_class_name: table });
    this.beforeWrite(table, row);
    this.all(table).push(row);
    this.insertedAt.set(row, this.insertions++);
    this.indexes.get(table)?.add(row);
    this.byId.set(`${table}:${row.sys_id}`, row);
    this.keepSecret(table, row.sys_id ?? '', secret);
    this.afterInsert(table, row);
    return row;
  }

  update(table: string, sysId: string, fields: Record<string, unknown>, inputDisplayValue = false): Row | undefined {
    const row = this.get(table, sysId);
    if (row === undefined) return undefined;
    const next: Row = { ...row };
    const secret = this.assign(table, next, fields, inputDisplayValue);
    next.sys_updated_on = glideDateTime(this.now());
    this.beforeWrite(table, next);
    this.rewrite(table, row, () => Object.assign(row, next));
    this.keepSecret(table, sysId, secret);
    return row;
  }

  /** An admin's edit in the UI (or time passing): fields set as given, no business rules. */
  edit(table: string, sysId: string, fields: Record<string, string>): boolean {
    const row = this.all(table).find((r) => r.sys_id === sysId);
    if (row === undefined) return false;
    this.rewrite(table, row, () => Object.assign(row, fields));
    return true;
  }

  /** Every change to a stored row's values goes through here, so its table's indexes follow. */
  private rewrite(table: string, row: Row, change: () => void): void {
    const indexes = this.indexes.get(table);
    indexes?.remove(row);
    change();
    indexes?.add(row);
  }

  delete(table: string, sysId: string): boolean {
    const rows = this.all(table);
    const index = rows.findIndex((r) => r.sys_id === sysId);
    if (index < 0) return false;
    const [row] = rows.splice(index, 1);
    if (row !== undefined) this.indexes.get(table)?.remove(row);
    this.byId.delete(`${table}:${sysId}`);
    this.secrets.delete(`${table}:${sysId}`);
    return true;
  }

  /**
   * `sys_scope`, `sys_db_object` and `sys_dictionary`, generated from the schema as it is now, so
   * a column a test removed is gone from the dictionary too. Stable sys_ids (hashes of the names)
   * keep references such as `super_class` pointing at the same rows between reads.
   */
  private metaRows(table: string): Row[] {
    const stamp = '2024-01-01 00:00:00';
    const system = (kind: string, key: string): Row => ({ sys_id: stableId(`${kind}:${key}`), sys_created_on: stamp, sys_updated_on: stamp, sys_class_name: kind });
    const names = this.schema.tableNames();
    if (table === 'sys_scope') {
      const scopes = ['global', ...new Set(names.map((n) => this.schema.definition(n)?.scope).filter((s): s is string => s !== undefined))];
      return scopes.map((scope) => ({ ...system('sys_scope', scope), scope, name: scope === 'global' ? 'Global' : scope }));
    }
    if (table === 'sys_db_object') {
      return names.map((name) => {
        const def = this.schema.definition(name)!;
        return {
          ...system('sys_db_object', name),
          name,
          label: def.label,
          super_class: def.superClass === undefined ? '' : stableId(`sys_db_object:${def.superClass}`),
          sys_scope: stableId(`sys_scope:${def.scope ?? 'global'}`),
        };
      });
    }
    return names.flatMap((name) => {
      const def = this.schema.definition(name)!;
      const own = { ...(def.superClass === undefined ? SYSTEM_COLUMNS : {}), ...def.columns };
      // The collection row (no element) stands for the table itself, as on an instance.
      const collection: Row = { ...system('sys_dictionary', name), name, element: '', column_label: def.label, internal_type: 'collection', reference: '', active: 'true' };
      return [
        collection,
        ...Object.entries(own).map(([element, col]) => ({
          ...system('sys_dictionary', `${name}.${element}`),
          name,
          element,
          column_label: col.label,
          internal_type: col.type,
          reference: col.type === 'reference' ? (col.ref?.[0] ?? '') : '',
          active: 'true',
        })),
      ];
    });
  }

  /** Business rule "Validate OAuth entity profile": one default profile per entity. */
  private beforeWrite(table: string, row: Row): void {
    if (table !== 'oauth_entity_profile' || row.default !== 'true') return;
    const clash = this.where(table, 'oauth_entity', row.oauth_entity ?? '').some(
      (p) => p.sys_id !== row.sys_id && p.oauth_entity === row.oauth_entity && p.default === 'true',
    );
    if (clash) throw new RuleViolation(403, 'Operation Failed', 'Only one default profile is allowed per OAuth entity');
  }

  private afterInsert(table: string, row: Row): void {
    if (table === 'oauth_entity') {
      // The redirect URL is generated when left blank, and the default profile made at once.
      if (row.redirect_url === '') this.rewrite(table, row, () => (row.redirect_url = `${this.baseUrl()}/oauth_redirect.do`));
      this.insert('oauth_entity_profile', {
        name: `${row.name ?? ''} default_profile`,
        oauth_entity: row.sys_id,
        grant_type: row.default_grant_type,
        default: 'true',
      });
    }
  }
}
