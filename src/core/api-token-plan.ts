import { aliasAndConnection } from './connection-records.js';
import { RECORD_KEYS } from './record-keys.js';
import type { RecordPlan } from './record-plan.js';
import type { SetupRequest } from './setup-request.js';
import { SPOKES, connectionUrlForMethod } from './spoke-catalogue.js';
import type { AtlassianEndpoints } from './oauth-plan.js';

/**
 * An API-token connection: a Basic Auth credential (Atlassian email + token) and the
 * connection, on the site for a classic token or through the gateway for a scoped one.
 */
export function planApiTokenRecords(request: SetupRequest, cloudId: string, atlassian: AtlassianEndpoints): RecordPlan {
  const spoke = SPOKES[request.spoke];
  const scoped = request.scopedToken ?? false;
  return {
    records: [
      {
        key: RECORD_KEYS.credential,
        table: 'basic_auth_credentials',
        label: request.connectionName,
        action: 'upsert',
        match: { name: request.connectionName },
        fields: { user_name: request.email ?? '', password: { secret: 'secret' }, active: 'true' },
      },
      ...aliasAndConnection(request, connectionUrlForMethod('api_token', scoped, spoke, atlassian.apiUrl, request.siteOrigin, cloudId)),
    ],
    warnings: [
      "Atlassian's acceptable-use policy now steers integrations toward OAuth: an API token acts as a person, expires within a year, and nothing renews it. spokebot will remind you before it expires.",
    ],
  };
}
