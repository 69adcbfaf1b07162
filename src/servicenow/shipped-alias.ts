import { isShippedAlias, type SpokeDefinition } from '../core/spoke-catalogue.js';
import type { Lookup, ServiceNowRecord, ServiceNowTableClient } from './table-client.js';

/**
 * The spoke's shipped connection alias on this instance, or undefined when the spoke is not
 * installed. Found by name and by the id's suffix after the dot (the scope part of the id is not
 * reliable across the docs), in one round of two lookups; a top-level alias matching both wins.
 */
export async function findShippedAlias(client: ServiceNowTableClient, spoke: SpokeDefinition): Promise<ServiceNowRecord | undefined> {
  // Plain GETs, not a batch (a POST): reading flows (the plan, the doctor) send no POST at all.
  const rows = await Promise.all(shippedAliasLookups(spoke).map((l) => client.findRecords(l.table, l.terms, l)));
  return pickShippedAlias(spoke, rows.flat());
}

/** The two lookups the shipped alias is found by: its name, and its id's suffix. */
export function shippedAliasLookups(spoke: SpokeDefinition): [Lookup, Lookup] {
  const fields = ['name', 'id', 'parent'];
  return [
    { table: 'sys_alias', terms: { name: spoke.aliasName }, fields, limit: 20 },
    { table: 'sys_alias', terms: { id: { endsWith: `.${spoke.aliasIdSuffix}` } }, fields, limit: 20 },
  ];
}

/** Among aliases found by name or id suffix, the shipped one: a top-level alias matching both wins. */
export function pickShippedAlias(spoke: SpokeDefinition, found: readonly ServiceNowRecord[]): ServiceNowRecord | undefined {
  const unique = new Map(found.map((row) => [row.sys_id, row]));
  const topLevel = [...unique.values()].filter((row) => !row.parent && isShippedAlias(spoke, row));
  const both = (row: ServiceNowRecord) => row.name === spoke.aliasName && String(row.id ?? '').endsWith(`.${spoke.aliasIdSuffix}`);
  return topLevel.find(both) ?? topLevel.find((row) => row.name === spoke.aliasName) ?? topLevel[0];
}

/** Which alias a connection named `connectionName` goes under, as ServiceNow stands now. */
export interface AliasDecision {
  shipped: ServiceNowRecord;
  /** A child alias of this name already under the shipped one (an earlier run made it): reused. */
  existingChild?: ServiceNowRecord;
  /** The shipped alias is free (or already ours): the connection goes straight under it. */
  useShipped: boolean;
  /** Other connections already on the shipped alias, by name (at most a few). */
  servedBy: string[];
}

/**
 * The shipped alias, unless it already serves another connection: then a child alias named
 * after ours, as the spoke docs do for a second instance ("Child Aliases → New"). Both the plan
 * (to say what it found) and the writer (to act, since ServiceNow may have changed since) ask
 * this one function. Undefined when the spoke is not installed.
 */
export async function decideAlias(client: ServiceNowTableClient, spoke: SpokeDefinition, connectionName: string): Promise<AliasDecision | undefined> {
  const shipped = await findShippedAlias(client, spoke);
  if (!shipped) return undefined;
  const [existingChild, ours, onShipped] = await Promise.all([
    client.findOne('sys_alias', { name: connectionName, parent: shipped.sys_id }),
    client.findOne('http_connection', { name: connectionName }),
    client.findRecords('http_connection', { connection_alias: shipped.sys_id }, { limit: 5, fields: ['name'] }),
  ]);
  return aliasDecision(shipped, connectionName, { existingChild, ours, onShipped });
}

/** The decision from what ServiceNow holds: the child alias of our name under the shipped one, our connection, and the connections on the shipped alias. */
export function aliasDecision(
  shipped: ServiceNowRecord,
  connectionName: string,
  found: { existingChild: ServiceNowRecord | undefined; ours: ServiceNowRecord | undefined; onShipped: readonly ServiceNowRecord[] },
): AliasDecision {
  const { existingChild, ours, onShipped } = found;
  const servedBy = onShipped.map((row) => String(row.name ?? '')).filter((name) => name !== connectionName);
  const useShipped = ours?.connection_alias === shipped.sys_id || servedBy.length === 0;
  return { shipped, ...(existingChild ? { existingChild } : {}), useShipped, servedBy };
}
