/**
 * The slice of the ServiceNow data model the stand-in knows: tables, columns, references,
 * encrypted (password2) fields and defaults, plus the row store with its business rules.
 */
import { createHash, randomBytes } from 'node:crypto';

/** ServiceNow's JSON gives every value as a string. */
export type Row = Record<string, string>;

interface Column {
  /** Reference column: tables the sys_id may point into (credential fields are polymorphic). */
  ref?: readonly string[];
  encrypted?: true;
  default?: string;
}

const CREDENTIAL_TABLES = ['oauth_2_0_credentials', 'basic_auth_credentials'] as const;
const plain: Column = {};
const ref = (...tables: string[]): Column => ({ ref: tables });

const SCHEMA: Record<string, Record<string, Column>> = {
  oauth_entity: {
    name: plain,
    client_id: plain,
    client_secret: { encrypted: true },
    default_grant_type: plain,
    auth_url: plain,
    token_url: plain,
    refresh_token_url: plain,
    revoke_token_url: plain,
    redirect_url: plain,
    type: plain,
    active: { default: 'true' },
    comments: plain,
  },
  oauth_entity_scope: { name: plain, oauth_entity_scope: plain, oauth_entity: ref('oauth_entity') },
  oauth_entity_profile: {
    name: plain,
    oauth_entity: ref('oauth_entity'),
    grant_type: plain,
    default: { default: 'false' },
  },
  oauth_entity_profile_scope: {
    oauth_entity_profile: ref('oauth_entity_profile'),
    oauth_entity_scope: ref('oauth_entity_scope'),
  },
  // `type` is filled from the table like the platform does for discovery_credentials children.
  oauth_2_0_credentials: {
    name: plain,
    oauth_entity_profile: ref('oauth_entity_profile'),
    active: { default: 'true' },
    type: { default: 'oauth_2_0' },
    order: { default: '100' },
  },
  basic_auth_credentials: {
    name: plain,
    user_name: plain,
    password: { encrypted: true },
    active: { default: 'true' },
    type: { default: 'basic_auth' },
    order: { default: '100' },
  },
  sys_alias: {
    name: plain,
    id: plain,
    type: plain,
    connection_type: plain,
    parent: ref('sys_alias'),
    multiple_connections: { default: 'false' },
  },
  http_connection: {
    name: plain,
    connection_alias: ref('sys_alias'),
    credential: ref(...CREDENTIAL_TABLES),
    connection_url: plain,
    active: { default: 'true' },
    extended_attributes: plain,
    order: { default: '100' },
  },
  // The Confluence spoke's "Confluence Groups" table; its real name is unconfirmed (catalogue).
  sn_confluence_spoke_confluence_group: {
    group_name: plain,
    group_id: plain,
    connection_alias: ref('sys_alias'),
  },
  oauth_requestor_profile: {
    oauth_requestor: ref(...CREDENTIAL_TABLES),
    oauth_requestor_context: plain,
    oauth_provider_profile: ref('oauth_entity_profile'),
  },
  oauth_credential: {
    // The token column is encrypted on a real instance: a Table API read never shows it.
    token: { encrypted: true },
    type: plain,
    expires: plain,
    peer: ref('oauth_entity'),
    scopes: plain,
    oauth_requestor_profile: ref('oauth_requestor_profile'),
    user: plain,
  },
};

const SYSTEM_COLUMNS = ['sys_id', 'sys_created_on', 'sys_updated_on', 'sys_class_name'];

export function isKnownTable(table: string): boolean {
  return Object.hasOwn(SCHEMA, table);
}

function column(table: string, name: string): Column | undefined {
  const cols = SCHEMA[table];
  if (cols === undefined) return undefined;
  if (SYSTEM_COLUMNS.includes(name)) return plain;
  return Object.hasOwn(cols, name) ? cols[name] : undefined;
}

export function referenceTargets(table: string, name: string): readonly string[] | undefined {
  return column(table, name)?.ref;
}

/** Whether `a.b.c` names a column, walking through reference columns. Data-independent. */
export function isKnownPath(table: string, path: string): boolean {
  const [head, ...rest] = path.split('.');
  if (head === undefined || column(table, head) === undefined) return false;
  if (rest.length === 0) return true;
  const targets = referenceTargets(table, head);
  return targets !== undefined && targets.some((t) => isKnownPath(t, rest.join('.')));
}

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

export class TableStore {
  private readonly tables = new Map<string, Row[]>();
  private readonly secrets = new Map<string, StoredSecret>();
  /** `table:sys_id` → row, so references (and dot-walks) resolve in O(1) with thousands of rows. */
  private readonly byId = new Map<string, Row>();

  constructor(
    private readonly now: () => Date,
    private readonly baseUrl: () => string,
  ) {}

  all(table: string): Row[] {
    let rows = this.tables.get(table);
    if (rows === undefined) {
      rows = [];
      this.tables.set(table, rows);
    }
    return rows;
  }

  get(table: string, sysId: string): Row | undefined {
    return this.byId.get(`${table}:${sysId}`);
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
    const target = this.find(referenceTargets(table, head ?? '') ?? [], value);
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
      const col = column(table, name);
      if (col === undefined || SYSTEM_COLUMNS.includes(name)) continue;
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
    const cols = SCHEMA[table];
    if (cols === undefined) throw new Error(`Invalid table ${table}`);
    const stamp = glideDateTime(this.now());
    const row: Row = { sys_id: newSysId() };
    for (const [name, col] of Object.entries(cols)) row[name] = col.default ?? '';
    const secret = this.assign(table, row, fields, inputDisplayValue);
    Object.assign(row, { sys_created_on: stamp, sys_updated_on: stamp, sys_class_name: table });
    this.beforeWrite(table, row);
    this.all(table).push(row);
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
    Object.assign(row, next);
    this.keepSecret(table, sysId, secret);
    return row;
  }

  delete(table: string, sysId: string): boolean {
    const rows = this.all(table);
    const index = rows.findIndex((r) => r.sys_id === sysId);
    if (index < 0) return false;
    rows.splice(index, 1);
    this.byId.delete(`${table}:${sysId}`);
    this.secrets.delete(`${table}:${sysId}`);
    return true;
  }

  /** Business rule "Validate OAuth entity profile": one default profile per entity. */
  private beforeWrite(table: string, row: Row): void {
    if (table !== 'oauth_entity_profile' || row.default !== 'true') return;
    const clash = this.all(table).some(
      (p) => p.sys_id !== row.sys_id && p.oauth_entity === row.oauth_entity && p.default === 'true',
    );
    if (clash) throw new RuleViolation(403, 'Operation Failed', 'Only one default profile is allowed per OAuth entity');
  }

  private afterInsert(table: string, row: Row): void {
    if (table === 'oauth_entity') {
      // The redirect URL is generated when left blank, and the default profile made at once.
      if (row.redirect_url === '') row.redirect_url = `${this.baseUrl()}/oauth_redirect.do`;
      this.insert('oauth_entity_profile', {
        name: `${row.name ?? ''} default_profile`,
        oauth_entity: row.sys_id,
        grant_type: row.default_grant_type,
        default: 'true',
      });
    }
  }
}
