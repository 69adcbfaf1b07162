import type { TenantInfoClient } from '../atlassian/tenant-info.js';
import { RECORD_KEYS } from '../core/record-keys.js';
import { GRANT_TYPE, SPOKES, SPOKE_IDS, isShippedAlias, type AuthMethod, type SpokeId } from '../core/spoke-catalogue.js';
import type { ServiceNowRecord, ServiceNowTableClient } from '../servicenow/table-client.js';
import type { Connection, SpokeStore } from '../store/spoke-store.js';

export type AdoptResult = { ok: true; connection: Connection } | { ok: false; problem: string };

/**
 * Watches a connection spokebot did not set up: reads its records from ServiceNow (connection,
 * alias, credential, profile, registry, scopes), finds the site's Cloud ID, and keeps it as a
 * connection to check. It holds no credential for it, so API-token sign-ins are not checked.
 */
export class AdoptionService {
  constructor(
    private readonly deps: { store: SpokeStore; serviceNow: ServiceNowTableClient; tenantInfo: TenantInfoClient; now: () => Date },
  ) {}

  async adopt(name: string, siteOrigin: string, channel: string, userId: string): Promise<AdoptResult> {
    const known = this.deps.store.getConnection(name);
    if (known && known.state !== 'removed') return { ok: false, problem: `spokebot already watches "${name}".` };
    const sn = this.deps.serviceNow;
    const connectionRow = await sn.findOne('http_connection', { name });
    if (!connectionRow) return { ok: false, problem: `ServiceNow has no HTTP(s) connection named "${name}".` };
    const alias = await sn.findOne('sys_alias', { sys_id: String(connectionRow.connection_alias) });
    const parent = alias?.parent ? await sn.findOne('sys_alias', { sys_id: String(alias.parent) }) : undefined;
    const spoke = spokeOf(parent ?? alias);
    if (!alias || !spoke) return { ok: false, problem: `"${name}" is not on a Jira, JSM or Confluence Cloud alias.` };
    const credentialId = String(connectionRow.credential);
    const [oauthCredential, basicCredential] = await Promise.all([sn.findOne('oauth_2_0_credentials', { sys_id: credentialId }), sn.findOne('basic_auth_credentials', { sys_id: credentialId })]);
    const records: Record<string, string> = { [RECORD_KEYS.connection]: connectionRow.sys_id, [RECORD_KEYS.alias]: alias.sys_id, [RECORD_KEYS.credential]: credentialId };
    let method: AuthMethod = 'api_token';
    let scopes: string[] = [];
    let clientId: string | undefined;
    if (oauthCredential) {
      const profile = await sn.findOne('oauth_entity_profile', { sys_id: String(oauthCredential.oauth_entity_profile) });
      const entity = profile ? await sn.findOne('oauth_entity', { sys_id: String(profile.oauth_entity) }) : undefined;
      if (!profile || !entity) return { ok: false, problem: `The OAuth credential of "${name}" has no application registry.` };
      method = entity.default_grant_type === GRANT_TYPE.service_account ? 'service_account' : 'oauth_3lo';
      clientId = String(entity.client_id);
      records[RECORD_KEYS.profile] = profile.sys_id;
      records[RECORD_KEYS.entity] = entity.sys_id;
      scopes = (await sn.findRecords('oauth_entity_scope', { oauth_entity: entity.sys_id }, { fields: ['oauth_entity_scope'], limit: 200 })).map((r) => String(r.oauth_entity_scope));
    } else if (!basicCredential) {
      return { ok: false, problem: `The credential of "${name}" is neither an OAuth 2.0 nor a Basic Auth credential.` };
    }
    const cloudId = await this.deps.tenantInfo.discoverCloudId(siteOrigin);
    const at = this.deps.now().toISOString();
    const connection: Connection = {
      name,
      spoke,
      method,
      siteOrigin,
      cloudId,
      channel,
      scopes,
      ...(clientId ? { clientId } : {}),
      ...(basicCredential ? { email: String(basicCredential.user_name), scopedToken: String(connectionRow.connection_url).includes('/ex/') } : {}),
      ...(parent ? { alias: { name: String(alias.name), childOf: String(parent.name) } } : { alias: { name: String(alias.name) } }),
      createdBy: userId,
      createdAt: at,
      // No connectedAt and no watched consent: adopting grants no fresh year. The 365 days count
      // from the token row's creation (servicenow/consent-watcher.ts, consentClock).
      state: 'connected',
      records,
    };
    // Only over nothing or a removed connection, checked as it is saved: a setup of this name may
    // have finished while ServiceNow was read.
    if (!(await this.deps.store.saveConnection(connection, ['removed']))) return { ok: false, problem: `spokebot already watches "${name}".` };
    await this.deps.store.audit({ actor: userId, action: 'connection.adopted', outcome: 'ok', connection: name, detail: { spoke, method } });
    return { ok: true, connection };
  }
}

function spokeOf(alias: ServiceNowRecord | undefined): SpokeId | undefined {
  if (!alias) return undefined;
  return SPOKE_IDS.find((id) => isShippedAlias(SPOKES[id], alias));
}
