import { isShippedAlias, type SpokeDefinition } from '../core/spoke-catalogue.js';
import type { ServiceNowRecord, ServiceNowTableClient } from './table-client.js';

/**
 * The spoke's shipped connection alias on this instance, or undefined when the spoke is not
 * installed. Found by name and by the id's suffix after the dot (the scope part of the id is not
 * reliable across the docs), in one round of two lookups; a top-level alias matching both wins.
 */
export async function findShippedAlias(client: ServiceNowTableClient, spoke: SpokeDefinition): Promise<ServiceNowRecord | undefined> {
  const fields = ['name', 'id', 'parent'];
  const [byName, byId] = await Promise.all([
    client.findRecords('sys_alias', { name: spoke.aliasName }, { fields, limit: 20 }),
    client.findRecords('sys_alias', { id: { endsWith: `.${spoke.aliasIdSuffix}` } }, { fields, limit: 20 }),
  ]);
  const unique = new Map([...byName, ...byId].map((row) => [row.sys_id, row]));
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
  const servedBy = onShipped.map((row) => String(row.name ?? '')).filter((name) => name !== connectionName);
  const useShipped = ours?.connection_alias === shipped.sys_id || servedBy.length === 0;
  return { shipped, ...(existingChild ? { existingChild } : {}), useShipped, servedBy };
}
