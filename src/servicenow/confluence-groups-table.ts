import { CONFLUENCE_GROUPS } from '../core/spoke-catalogue.js';
import type { ServiceNowTableClient } from './table-client.js';

export interface ConfluenceGroupsTable {
  table: string;
  /** Columns found by their labels ("Group Name", "Group ID") and by the reference to the alias. */
  nameColumn: string;
  idColumn?: string;
  aliasColumn: string;
}

/**
 * The Confluence spoke's "Confluence Groups" table on this instance. Its name is not public, so
 * it is found in the dictionary by label in the spoke's scope, and its columns by their labels;
 * undefined when this instance has no such table (or it lacks a name or alias column), in which
 * case the groups have to be added by hand under CONFLUENCE_GROUPS.menuPath.
 */
export async function findConfluenceGroupsTable(client: ServiceNowTableClient): Promise<ConfluenceGroupsTable | undefined> {
  if (client.schema === undefined) return undefined;
  for (const candidate of await client.schema.findTablesByLabel(CONFLUENCE_GROUPS.labels, CONFLUENCE_GROUPS.scopes)) {
    const info = await client.schema.table(candidate.name);
    if (info === undefined) continue;
    const columns = [...info.columns.entries()];
    const byLabel = (label: string) => columns.find(([, column]) => column.label.toLowerCase() === label.toLowerCase())?.[0];
    const nameColumn = byLabel(CONFLUENCE_GROUPS.nameColumnLabel);
    const idColumn = byLabel(CONFLUENCE_GROUPS.idColumnLabel);
    const aliasColumn = columns.find(([, column]) => column.reference === CONFLUENCE_GROUPS.aliasTable)?.[0];
    if (nameColumn && aliasColumn) return { table: info.name, nameColumn, aliasColumn, ...(idColumn ? { idColumn } : {}) };
  }
  return undefined;
}
