import type { ServiceNowStandIn } from '../standins/servicenow.js';

/** What makes a row of each table a setup writes unique: a second row with the same key is a duplicate. */
export const UNIQUE_KEYS: Record<string, string[]> = {
  oauth_entity: ['name'],
  oauth_entity_scope: ['oauth_entity', 'oauth_entity_scope'],
  oauth_entity_profile: ['oauth_entity', 'default'],
  oauth_entity_profile_scope: ['oauth_entity_profile', 'oauth_entity_scope'],
  oauth_2_0_credentials: ['name'],
  basic_auth_credentials: ['name'],
  http_connection: ['name'],
  sys_alias: ['name', 'parent'],
};

/** ServiceNow rows that exist more than once, as "table key ×n". */
export function duplicateRows(serviceNow: ServiceNowStandIn, keys: Record<string, string[]> = UNIQUE_KEYS): string[] {
  return Object.entries(keys).flatMap(([table, columns]) => {
    const seen = new Map<string, number>();
    for (const row of serviceNow.rows(table)) {
      const key = columns.map((c) => String(row[c] ?? '')).join('|');
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    return [...seen].filter(([, n]) => n > 1).map(([key, n]) => `${table} ${key} ×${n}`);
  });
}
