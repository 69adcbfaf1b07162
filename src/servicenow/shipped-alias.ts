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
