import { RECORD_KEYS } from './record-keys.js';
import type { PlannedRecord } from './record-plan.js';
import { SERVICENOW_FACTS, SPOKES, type SpokeDefinition } from './spoke-catalogue.js';
import type { SetupRequest } from './setup-request.js';

/**
 * Connection attributes such as Jira's `api_version=2` and `server_type=cloud`. Where ServiceNow
 * stores them is undocumented: this is the one function to change if an instance shows they
 * live in their own table (the doctor proves the column exists).
 */
export function connectionAttributeFields(attributes: Readonly<Record<string, string>>): Record<string, string> {
  if (Object.keys(attributes).length === 0) return {};
  return { [SERVICENOW_FACTS.attributesColumn]: JSON.stringify(attributes) };
}

/** The alias and HTTP(s) connection every method ends with (docs/servicenow-records.md). */
export function aliasAndConnection(request: SetupRequest, connectionUrl: string): PlannedRecord[] {
  const spoke: SpokeDefinition = SPOKES[request.spoke];
  const name = request.connectionName;
  return [
    {
      key: RECORD_KEYS.alias,
      table: 'sys_alias',
      label: `${spoke.aliasName} (shipped; a child alias "${name}" if it already has a connection)`,
      action: 'alias',
      spoke: spoke.id,
      match: { name: spoke.aliasName },
      fields: { name, type: 'connection', connection_type: 'http_connection' },
    },
    {
      key: RECORD_KEYS.connection,
      table: 'http_connection',
      label: name,
      action: 'upsert',
      match: { name },
      fields: {
        connection_alias: { ref: RECORD_KEYS.alias },
        credential: { ref: RECORD_KEYS.credential },
        connection_url: connectionUrl,
        active: 'true',
        ...connectionAttributeFields(spoke.attributes),
      },
    },
  ];
}
