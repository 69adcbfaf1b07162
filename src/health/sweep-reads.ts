import type { TenantInfoClient } from '../atlassian/tenant-info.js';
import { RECORD_KEYS } from '../core/record-keys.js';
import { CREDENTIAL_TABLE } from '../core/spoke-catalogue.js';
import { readRefreshTokenRowsOf, tokenOwnerKey, type TokenOwner, type TokenRow } from '../servicenow/consent-watcher.js';
import type { ServiceNowRecord, ServiceNowTableClient } from '../servicenow/table-client.js';
import type { Connection } from '../store/spoke-store.js';

/** Ids per `IN` query (records by sys_id, scope rows by entity): 50 sys_ids make about 1.7 KB of URL. */
export const IDS_PER_QUERY = 50;
/** Scope rows read per entity at most, as a check of one connection reads them. */
const SCOPE_ROWS_PER_ENTITY = 200;

/** The records a connection's check reads, by its record key and the table the record is in. */
export function wantedRecords(connection: Connection): Array<[key: string, table: string]> {
  return [
    [RECORD_KEYS.alias, 'sys_alias'],
    [RECORD_KEYS.connection, 'http_connection'],
    [RECORD_KEYS.credential, CREDENTIAL_TABLE[connection.method]],
    ...(connection.method === 'api_token'
      ? []
      : ([
          [RECORD_KEYS.profile, 'oauth_entity_profile'],
          [RECORD_KEYS.entity, 'oauth_entity'],
        ] as Array<[string, string]>)),
  ];
}

/**
 * What was read ahead for one connection. Each answer is undefined where that read was not made
 * ahead (or its batch may have been cut short): the probe then makes it for this connection alone.
 * A batch that failed fails each of its connections' reads, as the read alone would have.
 */
export interface ConnectionReads {
  /** By record key: the row, or null when ServiceNow has no record of that sys_id. */
  records: ReadonlyMap<string, Promise<ServiceNowRecord | null | undefined>>;
  scopes?: Promise<string[] | undefined>;
  refreshTokenRows?: Promise<TokenRow[] | undefined>;
  cloudId: Promise<string>;
}

/** A promise kept for later: if nobody ever awaits it (the connection was removed meanwhile), its failure is not an unhandled rejection. */
function kept<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

function chunked<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/**
 * The reads of one health sweep, batched across its connections: the claimed connections are
 * read ahead a chunk at a time, each table's records in one `sys_idIN` query per IDS_PER_QUERY,
 * the scope rows in one `oauth_entityIN` query, the refresh-token rows in one query per 50
 * credentials (readRefreshTokenRowsOf), and each site's tenant_info once per sweep. A chunk of
 * fifty 3LO connections costs seven ServiceNow requests instead of four hundred. Every query goes
 * through the table client, so tables and columns are proven against the dictionary and every row
 * is checked against the terms, as for one connection.
 *
 * What a check takes is forgotten at once, so a sweep of 10,000 connections holds the rows of the
 * chunks still in flight, not of the whole sweep.
 */
export class SweepReads {
  private readonly ahead = new Map<string, { basis: string; reads: ConnectionReads }>();
  private readonly cloudId: (siteOrigin: string) => Promise<string>;

  constructor(
    private readonly serviceNow: ServiceNowTableClient,
    tenantInfo: TenantInfoClient,
  ) {
    this.cloudId = tenantInfo.cached();
  }

  /** Starts the reads for these connections and returns at once; their checks take them (take). */
  add(connections: readonly Connection[]): void {
    if (connections.length === 0) return;
    const records = this.readRecords(connections);
    const scopes = this.readScopes(connections.filter((c) => c.method !== 'api_token').map((c) => c.records[RECORD_KEYS.entity]).filter((id): id is string => Boolean(id)));
    const owners = connections.filter((c) => c.method === 'oauth_3lo').flatMap((c) => tokenOwner(c) ?? []);
    const tokenRows = owners.length > 0 ? kept(readRefreshTokenRowsOf(this.serviceNow, owners)) : undefined;
    for (const connection of connections) {
      const rows = new Map<string, Promise<ServiceNowRecord | null | undefined>>();
      for (const [key, table] of wantedRecords(connection)) {
        const id = connection.records[key];
        const row = id ? records.get(table)?.get(id) : undefined;
        if (row) rows.set(key, row);
      }
      const entity = connection.records[RECORD_KEYS.entity];
      const owner = tokenOwner(connection);
      const reads: ConnectionReads = {
        records: rows,
        ...(connection.method !== 'api_token' && entity ? { scopes: kept(scopes.then((byEntity) => byEntity?.get(entity))) } : {}),
        ...(connection.method === 'oauth_3lo' && owner && tokenRows ? { refreshTokenRows: kept(tokenRows.then((byOwner) => byOwner.get(tokenOwnerKey(owner)))) } : {}),
        cloudId: kept(this.cloudId(connection.siteOrigin)),
      };
      this.ahead.set(connection.name, { basis: readBasis(connection), reads });
    }
  }

  /**
   * What was read ahead for this connection, forgotten here once taken. Undefined when nothing
   * was, or when the connection changed since (another credential, other records, another site):
   * those reads were about something the check no longer judges.
   */
  take(connection: Connection): ConnectionReads | undefined {
    const entry = this.ahead.get(connection.name);
    if (!entry) return undefined;
    this.ahead.delete(connection.name);
    return entry.basis === readBasis(connection) ? entry.reads : undefined;
  }

  /** Per table, per sys_id: the row (null when there is none), from one query per IDS_PER_QUERY ids. */
  private readRecords(connections: readonly Connection[]): Map<string, Map<string, Promise<ServiceNowRecord | null>>> {
    const idsByTable = new Map<string, Set<string>>();
    for (const connection of connections) {
      for (const [key, table] of wantedRecords(connection)) {
        const id = connection.records[key];
        if (!id) continue;
        let ids = idsByTable.get(table);
        if (!ids) idsByTable.set(table, (ids = new Set()));
        ids.add(id);
      }
    }
    const byTable = new Map<string, Map<string, Promise<ServiceNowRecord | null>>>();
    for (const [table, ids] of idsByTable) {
      const byId = new Map<string, Promise<ServiceNowRecord | null>>();
      for (const chunk of chunked([...ids], IDS_PER_QUERY)) {
        // sys_ids are unique: at most one row each, so the limit cannot cut the answer short.
        const found = this.serviceNow.findRecords(table, { sys_id: chunk }, { limit: chunk.length }).then((rows) => new Map(rows.map((row) => [row.sys_id.toLowerCase(), row])));
        for (const id of chunk) byId.set(id, kept(found.then((rows) => rows.get(id.toLowerCase()) ?? null)));
      }
      byTable.set(table, byId);
    }
    return byTable;
  }

  /** Scope names by entity; an entity absent was not read (its query came back as long as the limit). */
  private readScopes(entities: readonly string[]): Promise<Map<string, string[]> | undefined> {
    const unique = [...new Set(entities)];
    if (unique.length === 0) return Promise.resolve(undefined);
    return kept(
      Promise.all(
        chunked(unique, IDS_PER_QUERY).map(async (chunk) => {
          const limit = chunk.length * SCOPE_ROWS_PER_ENTITY;
          const rows = await this.serviceNow.findRecords('oauth_entity_scope', { oauth_entity: chunk }, { fields: ['oauth_entity_scope'], limit });
          if (rows.length >= limit) return [];
          const byEntity = new Map<string, string[]>(chunk.map((id) => [id.toLowerCase(), []]));
          for (const row of rows) byEntity.get(String(row.oauth_entity).toLowerCase())?.push(String(row.oauth_entity_scope));
          return chunk.map((id): [string, string[]] => [id, byEntity.get(id.toLowerCase())!]);
        }),
      ).then((chunks) => new Map(chunks.flat())),
    );
  }
}

function tokenOwner(connection: Connection): TokenOwner | undefined {
  const credential = connection.records[RECORD_KEYS.credential];
  const profile = connection.records[RECORD_KEYS.profile];
  return credential && profile ? { credential, profile } : undefined;
}

/** What the reads of a connection depend on: a check of the connection as it is now may use them only if this is unchanged. */
function readBasis(connection: Connection): string {
  return JSON.stringify([connection.credentialVersion ?? 0, connection.method, connection.siteOrigin, connection.records]);
}
