import { aliasAndConnection } from './connection-records.js';
import { RECORD_KEYS } from './record-keys.js';
import type { PlannedRecord, RecordPlan } from './record-plan.js';
import { extraScopes } from './scopes.js';
import type { SetupRequest } from './setup-request.js';
import { ATLASSIAN_OAUTH, GRANT_TYPE, SERVICENOW_FACTS, SPOKES, connectionUrlForMethod } from './spoke-catalogue.js';


/** How the extra-scopes warning begins: the plan shows it beside the scopes it is about. */
export const EXTRA_SCOPES_WARNING = 'Scopes beyond the';

export interface AtlassianEndpoints {
  authUrl: string;
  apiUrl: string;
}

/**
 * The records of an OAuth connection, in dependency order (docs/servicenow-records.md): application registry, scopes,
 * the default profile ServiceNow makes, profile scopes, credential, alias, connection. 3LO uses
 * the authorization-code grant; a service account the client-credentials grant (no consent).
 */
export function planOAuthRecords(request: SetupRequest, cloudId: string, atlassian: AtlassianEndpoints): RecordPlan {
  const spoke = SPOKES[request.spoke];
  const name = request.connectionName;
  const tokenUrl = `${atlassian.authUrl}${ATLASSIAN_OAUTH.tokenPath}`;
  const entityRef = { ref: RECORD_KEYS.entity };
  const profileRef = { ref: RECORD_KEYS.profile };
  const clientCredentials = request.method === 'service_account';
  const grant: Record<string, string> = clientCredentials
    ? { default_grant_type: GRANT_TYPE.service_account, token_url: tokenUrl }
    : {
        default_grant_type: GRANT_TYPE.oauth_3lo,
        auth_url: `${atlassian.authUrl}${ATLASSIAN_OAUTH.authorizePath}${ATLASSIAN_OAUTH.authorizeQuery}`,
        token_url: tokenUrl,
        [SERVICENOW_FACTS.refreshTokenUrlColumn]: tokenUrl,
      };

  const records: PlannedRecord[] = [
    {
      key: RECORD_KEYS.entity,
      table: 'oauth_entity',
      label: name,
      action: 'upsert',
      match: { name },
      fields: { type: SERVICENOW_FACTS.oauthProviderType, client_id: request.clientId, client_secret: { secret: 'secret' }, ...grant, active: 'true' },
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
    ...aliasAndConnection(request, connectionUrlForMethod(request.method, false, spoke, atlassian.apiUrl, request.siteOrigin, cloudId)),
  ];

  const defaults = clientCredentials ? spoke.serviceAccountScopes : spoke.defaultScopes;
  const extra = extraScopes(request.scopes, defaults);
  const warnings = extra.length
    ? [`${EXTRA_SCOPES_WARNING} ${spoke.label} defaults: ${extra.join(', ')}. Least privilege: keep them only if a flow needs them, and enable them on the Atlassian app too.`]
    : [];
  return { records, warnings };
}
