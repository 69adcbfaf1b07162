import { ATLASSIAN_OAUTH, SERVICENOW_FACTS, SPOKES, connectionUrlFor } from './spoke-catalogue.js';
import { extraScopes } from './scopes.js';
import type { PlannedRecord, RecordPlan } from './record-plan.js';
import type { SetupRequest } from './setup-request.js';

export interface AtlassianEndpoints {
  authUrl: string;
  apiUrl: string;
}

/** Stable record keys: the writer, the progress report and the consent step all use them. */
export const RECORD_KEYS = {
  entity: 'oauth_entity',
  profile: 'oauth_entity_profile',
  credential: 'oauth_2_0_credentials',
  alias: 'sys_alias',
  connection: 'http_connection',
  scope: (scope: string) => `oauth_entity_scope:${scope}`,
  profileScope: (scope: string) => `oauth_entity_profile_scope:${scope}`,
} as const;

/**
 * Connection attributes such as Jira's `api_version=2` and `server_type=cloud`. Where ServiceNow
 * stores them is unconfirmed (facts file 1.5): this is the one function to change if a PDI shows
 * they live in their own table.
 */
export function connectionAttributeFields(attributes: Readonly<Record<string, string>>): Record<string, string> {
  if (Object.keys(attributes).length === 0) return {};
  return { [SERVICENOW_FACTS.attributesColumn]: JSON.stringify(attributes) };
}

/**
 * The records of an OAuth 2.0 (3LO) connection, in SPEC section 4's order: application
 * registry, scopes, the default profile ServiceNow makes, profile scopes, credential, alias,
 * connection.
 */
export function planOAuthRecords(request: SetupRequest, cloudId: string, atlassian: AtlassianEndpoints): RecordPlan {
  const spoke = SPOKES[request.spoke];
  const name = request.connectionName;
  const tokenUrl = `${atlassian.authUrl}${ATLASSIAN_OAUTH.tokenPath}`;
  const entityRef = { ref: RECORD_KEYS.entity };
  const profileRef = { ref: RECORD_KEYS.profile };

  const records: PlannedRecord[] = [
    {
      key: RECORD_KEYS.entity,
      table: 'oauth_entity',
      label: name,
      action: 'upsert',
      match: { name },
      fields: {
        type: SERVICENOW_FACTS.oauthProviderType,
        client_id: request.clientId,
        client_secret: { secret: 'clientSecret' },
        default_grant_type: 'authorization_code',
        auth_url: `${atlassian.authUrl}${ATLASSIAN_OAUTH.authorizePath}${ATLASSIAN_OAUTH.authorizeQuery}`,
        token_url: tokenUrl,
        [SERVICENOW_FACTS.refreshTokenUrlColumn]: tokenUrl,
        active: 'true',
      },
    },
    ...request.scopes.map((scope): PlannedRecord => ({
      key: RECORD_KEYS.scope(scope),
      table: 'oauth_entity_scope',
      label: scope,
      action: 'upsert',
      match: { oauth_entity: entityRef, oauth_entity_scope: scope },
      fields: { name: scope },
    })),
    {
      key: RECORD_KEYS.profile,
      table: 'oauth_entity_profile',
      label: `${name} default profile (ServiceNow creates it)`,
      action: 'find',
      match: { oauth_entity: entityRef, default: 'true' },
      fields: {},
    },
    ...request.scopes.map((scope): PlannedRecord => ({
      key: RECORD_KEYS.profileScope(scope),
      table: 'oauth_entity_profile_scope',
      label: `default profile ↔ ${scope}`,
      action: 'upsert',
      match: { oauth_entity_profile: profileRef, oauth_entity_scope: { ref: RECORD_KEYS.scope(scope) } },
      fields: {},
    })),
    {
      key: RECORD_KEYS.credential,
      table: 'oauth_2_0_credentials',
      label: name,
      action: 'upsert',
      match: { name },
      fields: { oauth_entity_profile: profileRef, active: 'true' },
    },
    {
      key: RECORD_KEYS.alias,
      table: 'sys_alias',
      label: `${spoke.aliasName} (shipped; a child alias "${name}" if it already has a connection)`,
      action: 'alias',
      aliasId: spoke.aliasId,
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
        connection_url: connectionUrlFor(spoke, atlassian.apiUrl, cloudId),
        active: 'true',
        ...connectionAttributeFields(spoke.attributes),
      },
    },
  ];

  const extra = extraScopes(request.scopes, spoke.defaultScopes);
  const warnings = extra.length
    ? [`Scopes beyond the ${spoke.label} defaults: ${extra.join(', ')}. Least privilege: keep them only if a flow needs them, and enable them on the Atlassian app too.`]
    : [];
  return { records, warnings };
}
