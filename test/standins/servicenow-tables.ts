/**
 * The stand-in's data dictionary: the tables and columns of the Integration Hub slice the bot
 * touches, with their labels, types, references and inheritance, as an instance holds them in
 * `sys_db_object` and `sys_dictionary`. Each stand-in gets its own copy, so a test can take a
 * column away and watch the bot (and its doctor) find out the way it would on a real instance.
 */

export interface Column {
  label: string;
  /** glide type: string, reference, password2, boolean, integer, glide_date_time, document_id… */
  type: string;
  /** Reference column: tables the sys_id may point into (credential fields are polymorphic). */
  ref?: readonly string[];
  encrypted?: true;
  default?: string;
}

export interface TableDefinition {
  label: string;
  /** The table it extends; its columns are inherited, and live in the dictionary under the parent. */
  superClass?: string;
  /** Application scope (`sys_scope.scope`); global when absent. */
  scope?: string;
  columns: Record<string, Column>;
}

const text = (label: string, extra: Partial<Column> = {}): Column => ({ label, type: 'string', ...extra });
const flag = (label: string, fallback: string): Column => ({ label, type: 'boolean', default: fallback });
const ref = (label: string, ...tables: string[]): Column => ({ label, type: 'reference', ref: tables });
const secret = (label: string): Column => ({ label, type: 'password2', encrypted: true });

const CREDENTIAL_TABLES = ['oauth_2_0_credentials', 'basic_auth_credentials'];

/** The Confluence spoke's groups table: named by the stand-in only; the bot must find it by label. */
export const CONFLUENCE_GROUPS_TABLE = 'sn_confluence_spoke_group_config';

/** Columns every table without a parent carries (in the dictionary under that table). */
export const SYSTEM_COLUMNS: Record<string, Column> = {
  sys_id: { label: 'Sys ID', type: 'GUID' },
  sys_created_on: { label: 'Created', type: 'glide_date_time' },
  sys_updated_on: { label: 'Updated', type: 'glide_date_time' },
  sys_class_name: { label: 'Class', type: 'sys_class_name' },
};

export function standardTables(): Record<string, TableDefinition> {
  return {
    oauth_entity: {
      label: 'Application Registries',
      columns: {
        name: text('Name'),
        client_id: text('Client ID'),
        client_secret: secret('Client Secret'),
        default_grant_type: text('Default Grant type'),
        auth_url: { label: 'Authorization URL', type: 'url' },
        token_url: { label: 'Token URL', type: 'url' },
        refresh_token_url: { label: 'Refresh Token URL', type: 'url' },
        revoke_token_url: { label: 'Token Revocation URL', type: 'url' },
        redirect_url: { label: 'Redirect URL', type: 'url' },
        type: text('Type'),
        active: flag('Active', 'true'),
        comments: text('Comments'),
      },
    },
    oauth_entity_scope: {
      label: 'OAuth Entity Scopes',
      columns: { name: text('Name'), oauth_entity_scope: text('OAuth scope'), oauth_entity: ref('OAuth Entity', 'oauth_entity') },
    },
    oauth_entity_profile: {
      label: 'OAuth Entity Profiles',
      columns: {
        name: text('Name'),
        oauth_entity: ref('OAuth Entity', 'oauth_entity'),
        grant_type: text('Grant type'),
        default: flag('Is default', 'false'),
      },
    },
    oauth_entity_profile_scope: {
      label: 'OAuth Entity Profile Scopes',
      columns: {
        oauth_entity_profile: ref('OAuth Entity Profile', 'oauth_entity_profile'),
        oauth_entity_scope: ref('OAuth Entity Scope', 'oauth_entity_scope'),
      },
    },
    // Credentials share their name, order and active flag through the parent table, as on an instance.
    discovery_credentials: {
      label: 'Credentials',
      columns: { name: text('Name'), active: flag('Active', 'true'), order: { label: 'Order', type: 'integer', default: '100' }, type: text('Type') },
    },
    oauth_2_0_credentials: {
      label: 'OAuth 2.0 Credentials',
      superClass: 'discovery_credentials',
      columns: { oauth_entity_profile: ref('OAuth Entity Profile', 'oauth_entity_profile') },
    },
    basic_auth_credentials: {
      label: 'Basic Auth Credentials',
      superClass: 'discovery_credentials',
      columns: { user_name: text('User name'), password: secret('Password') },
    },
    sys_alias: {
      label: 'Connection & Credential Aliases',
      columns: {
        name: text('Name'),
        id: text('ID'),
        type: text('Type'),
        connection_type: text('Connection type'),
        parent: ref('Parent', 'sys_alias'),
        multiple_connections: flag('Multiple Connections', 'false'),
      },
    },
    sys_connection: {
      label: 'Connections',
      columns: {
        name: text('Name'),
        connection_alias: ref('Connection alias', 'sys_alias'),
        credential: ref('Credential', ...CREDENTIAL_TABLES),
        active: flag('Active', 'true'),
        order: { label: 'Order', type: 'integer', default: '100' },
      },
    },
    http_connection: {
      label: 'HTTP(s) Connections',
      superClass: 'sys_connection',
      columns: { connection_url: { label: 'Connection URL', type: 'url' }, extended_attributes: text('Extended attributes') },
    },
    [CONFLUENCE_GROUPS_TABLE]: {
      label: 'Confluence Groups',
      scope: 'sn_confluence_spoke',
      columns: { group_name: text('Group Name'), group_id: text('Group ID'), alias: ref('Connection Alias', 'sys_alias') },
    },
    oauth_requestor_profile: {
      label: 'OAuth Requestor Profiles',
      columns: {
        requestor_id: { label: 'Requestor', type: 'document_id', ref: CREDENTIAL_TABLES },
        requestor_context: text('Requestor context'),
        oauth_entity_profile: ref('OAuth Entity Profile', 'oauth_entity_profile'),
      },
    },
    oauth_credential: {
      label: 'OAuth Credentials',
      columns: {
        // Encrypted on a real instance: a Table API read never shows it.
        token_received: secret('Token'),
        type: text('Type'),
        expires: { label: 'Expires', type: 'glide_date_time' },
        peer: ref('OAuth Entity', 'oauth_entity'),
        scopes: text('Scopes'),
        oauth_requestor_profile: ref('OAuth Requestor Profile', 'oauth_requestor_profile'),
        user: text('User'),
      },
    },
    // Users and roles: the doctor reads which roles the integration user holds.
    sys_user: { label: 'Users', columns: { user_name: text('User ID'), name: text('Name') } },
    sys_user_role: { label: 'Roles', columns: { name: text('Name') } },
    sys_user_has_role: { label: 'User Roles', columns: { user: ref('User', 'sys_user'), role: ref('Role', 'sys_user_role') } },
    // The instance's own dictionary, read by the bot to prove every column it uses exists.
    sys_scope: { label: 'Application', columns: { scope: text('Scope'), name: text('Name') } },
    sys_db_object: {
      label: 'Tables',
      columns: {
        name: text('Name'),
        label: text('Label'),
        super_class: ref('Extends table', 'sys_db_object'),
        sys_scope: ref('Application', 'sys_scope'),
      },
    },
    sys_dictionary: {
      label: 'Dictionary Entries',
      columns: {
        name: text('Table'),
        element: text('Column name'),
        column_label: text('Column label'),
        internal_type: text('Type'),
        // On an instance a reference to sys_db_object whose value is the table's name.
        reference: text('Reference'),
        active: flag('Active', 'true'),
      },
    },
  };
}

/** Tables the bot may be given access to or refused, beside the meta tables the dictionary needs. */
export const META_TABLES = ['sys_scope', 'sys_db_object', 'sys_dictionary'];

export class StandInSchema {
  private readonly tables = standardTables();

  tableNames(): string[] {
    return Object.keys(this.tables);
  }

  definition(table: string): TableDefinition | undefined {
    return Object.hasOwn(this.tables, table) ? this.tables[table] : undefined;
  }

  isKnownTable(table: string): boolean {
    return this.definition(table) !== undefined;
  }

  /** The column as the table sees it: its own, a parent's, or a system column of the root. */
  column(table: string, name: string): Column | undefined {
    for (let at: string | undefined = table; at !== undefined; at = this.definition(at)?.superClass) {
      const def = this.definition(at);
      if (def === undefined) return undefined;
      if (Object.hasOwn(def.columns, name)) return def.columns[name];
      if (def.superClass === undefined && Object.hasOwn(SYSTEM_COLUMNS, name)) return SYSTEM_COLUMNS[name];
    }
    return undefined;
  }

  /** Every column of the table, inherited ones included. */
  columns(table: string): Record<string, Column> {
    const chain: TableDefinition[] = [];
    for (let at: string | undefined = table; at !== undefined; at = this.definition(at)?.superClass) {
      const def = this.definition(at);
      if (def === undefined) break;
      chain.unshift(def);
    }
    return Object.assign({}, SYSTEM_COLUMNS, ...chain.map((def) => def.columns)) as Record<string, Column>;
  }

  referenceTargets(table: string, name: string): readonly string[] | undefined {
    return this.column(table, name)?.ref;
  }

  /** Whether `a.b.c` names a column, walking through reference columns. Data-independent. */
  isKnownPath(table: string, path: string): boolean {
    const [head, ...rest] = path.split('.');
    if (head === undefined || this.column(table, head) === undefined) return false;
    if (rest.length === 0) return true;
    const targets = this.referenceTargets(table, head);
    return targets !== undefined && targets.some((t) => this.isKnownPath(t, rest.join('.')));
  }

  /** Takes a column away where it is defined (own table or a parent): a test's "older instance". */
  removeColumn(table: string, name: string): void {
    for (let at: string | undefined = table; at !== undefined; at = this.definition(at)?.superClass) {
      const def = this.definition(at);
      if (def !== undefined && Object.hasOwn(def.columns, name)) {
        delete def.columns[name];
        return;
      }
    }
    throw new Error(`no column ${table}.${name} to remove`);
  }

  /** Takes a whole table away (a spoke that is not installed). */
  removeTable(table: string): void {
    delete this.tables[table];
  }
}
