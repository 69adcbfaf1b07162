import { RECORD_KEYS } from '../core/record-keys.js';
import type { PlannedRecord, RecordPlan } from '../core/record-plan.js';
import type { Connection } from '../store/spoke-store.js';

/**
 * More scopes on an existing OAuth connection: the registry and its default profile are found
 * by sys_id; a scope row and a profile-scope row are added per new scope. New scopes need a new
 * consent, which follows the write.
 */
export function planScopeChange(connection: Connection, scopes: readonly string[]): RecordPlan {
  const added = scopes.filter((s) => !connection.scopes.includes(s));
  const entityId = connection.records[RECORD_KEYS.entity] ?? '';
  const profileId = connection.records[RECORD_KEYS.profile] ?? '';
  const records: PlannedRecord[] = [
    { key: RECORD_KEYS.entity, table: 'oauth_entity', label: connection.name, action: 'find', match: { sys_id: entityId }, fields: {} },
    { key: RECORD_KEYS.profile, table: 'oauth_entity_profile', label: `${connection.name} default profile`, action: 'find', match: { sys_id: profileId }, fields: {} },
    ...added.map((scope): PlannedRecord => ({
      key: RECORD_KEYS.scope(scope),
      table: 'oauth_entity_scope',
      label: scope,
      action: 'upsert',
      match: { oauth_entity: { ref: RECORD_KEYS.entity }, oauth_entity_scope: scope },
      fields: { name: scope },
    })),
    ...added.map((scope): PlannedRecord => ({
      key: RECORD_KEYS.profileScope(scope),
      table: 'oauth_entity_profile_scope',
      label: `default profile ↔ ${scope}`,
      action: 'upsert',
      match: { oauth_entity_profile: { ref: RECORD_KEYS.profile }, oauth_entity_scope: { ref: RECORD_KEYS.scope(scope) } },
      fields: {},
    })),
  ];
  return { records, warnings: [`New scopes need a new consent: after writing, spokebot posts a fresh consent link. Enable ${added.join(', ')} on the Atlassian app first.`] };
}
