/**
 * ServiceNow's outbound OAuth pages: oauth_initiator.do sends the browser to the provider's
 * consent page, oauth_redirect.do exchanges the code at the provider's token URL and stores the
 * tokens in oauth_credential. The real pages need a logged-in ServiceNow user; the stand-in
 * skips that login so a test (or a headless browser) can walk the chain with plain HTTP.
 */
import { randomBytes } from 'node:crypto';
import { escapeHtml, htmlPage } from './http-server.js';
import type { Reply } from './http-server.js';
import { effectiveSecret, glideDateTime } from './servicenow-schema.js';
import type { Row, TableStore } from './servicenow-schema.js';

interface PendingConsent {
  credential: string;
  profile: string;
  entity: string;
  redirectUri: string;
  scopes: string;
}

function page(status: number, title: string, outcome: string, detail = ''): Reply {
  const body = `<h1>${escapeHtml(title)}</h1>\n<div id="result">${escapeHtml(outcome)}</div>` +
    (detail === '' ? '' : `\n<pre id="detail">${escapeHtml(detail)}</pre>`);
  return { status, html: htmlPage(title, body) };
}

const badRequest = (why: string): Reply => page(400, 'Invalid OAuth request', why);

export class OAuthPages {
  private readonly pending = new Map<string, PendingConsent>();

  constructor(
    private readonly store: TableStore,
    private readonly baseUrl: () => string,
    private readonly now: () => Date,
  ) {}

  /** Space-separated scope strings of the profile's oauth_entity_profile_scope rows. */
  private profileScopes(profileId: string): string {
    return this.store
      .where('oauth_entity_profile_scope', 'oauth_entity_profile', profileId)
      .map((ps) => this.store.get('oauth_entity_scope', ps.oauth_entity_scope ?? '')?.oauth_entity_scope ?? '')
      .filter((s) => s !== '')
      .join(' ');
  }

  initiate(q: URLSearchParams): Reply {
    if (q.get('oauth_requestor_context') !== 'oauth_2_0_credentials') {
      return badRequest('oauth_requestor_context must be oauth_2_0_credentials');
    }
    const responseType = q.get('response_type');
    if (responseType !== null && responseType !== 'code') return badRequest(`Unsupported response_type ${responseType}`);
    const credentialId = q.get('oauth_requestor') ?? '';
    const profileId = q.get('oauth_provider_profile') ?? '';
    const credential = this.store.get('oauth_2_0_credentials', credentialId);
    if (credential === undefined) return badRequest('OAuth requestor (credential) not found');
    if (credential.oauth_entity_profile !== profileId) {
      return badRequest('The credential does not use this OAuth provider profile');
    }
    const profile = this.store.get('oauth_entity_profile', profileId);
    const entity = this.store.get('oauth_entity', profile?.oauth_entity ?? '');
    if (profile === undefined || entity === undefined) return badRequest('OAuth provider profile or entity not found');
    if ((entity.auth_url ?? '') === '') return badRequest('The OAuth provider has no authorization URL');

    const state = randomBytes(18).toString('base64url');
    const redirectUri = entity.redirect_url || `${this.baseUrl()}/oauth_redirect.do`;
    const scopes = this.profileScopes(profileId);
    this.pending.set(state, {
      credential: credentialId,
      profile: profileId,
      entity: entity.sys_id ?? '',
      redirectUri,
      scopes,
    });
    const params = new URLSearchParams({
      client_id: entity.client_id ?? '',
      response_type: 'code',
      redirect_uri: redirectUri,
      scope: scopes,
      state,
    });
    const authUrl = entity.auth_url ?? '';
    return { status: 302, location: `${authUrl}${authUrl.includes('?') ? '&' : '?'}${params.toString()}` };
  }

  async redirect(q: URLSearchParams): Promise<Reply> {
    const state = q.get('state') ?? '';
    const consent = this.pending.get(state);
    if (consent === undefined) return badRequest('Unknown or expired OAuth state');
    this.pending.delete(state);
    const error = q.get('error');
    if (error !== null) {
      const description = q.get('error_description') ?? '';
      return page(200, 'OAuth authorization failed', `OAuth authorization failed: ${error}`, description);
    }
    const code = q.get('code');
    if (code === null) return badRequest('Missing authorization code');
    const entity = this.store.get('oauth_entity', consent.entity);
    if (entity === undefined) return badRequest('OAuth provider no longer exists');

    const form = new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: consent.redirectUri,
      client_id: entity.client_id ?? '',
      client_secret: effectiveSecret(this.store.secretOf('oauth_entity', consent.entity)),
    });
    let status: number;
    let text: string;
    try {
      const res = await fetch(entity.token_url ?? '', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
      });
      status = res.status;
      text = await res.text();
    } catch (err) {
      return page(200, 'OAuth token request failed', 'OAuth token request failed', String(err));
    }
    const json = parseObject(text);
    if (status !== 200 || json === undefined || typeof json.access_token !== 'string') {
      return page(200, 'OAuth token request failed', 'OAuth token request failed', `HTTP ${status}: ${text}`);
    }
    this.storeTokens(consent, entity, json);
    return page(200, 'OAuth token flow completed successfully', 'OAuth token flow completed successfully');
  }

  /** One requestor profile per (credential, provider profile); its tokens are replaced. */
  private storeTokens(consent: PendingConsent, entity: Row, json: Record<string, unknown>): void {
    let requestor = this.store
      .where('oauth_requestor_profile', 'requestor_id', consent.credential)
      .find((r) => r.oauth_entity_profile === consent.profile);
    requestor ??= this.store.insert('oauth_requestor_profile', {
      requestor_id: consent.credential,
      requestor_context: 'oauth_2_0_credentials',
      oauth_entity_profile: consent.profile,
    });
    const requestorId = requestor.sys_id ?? '';
    for (const old of this.store.where('oauth_credential', 'oauth_requestor_profile', requestorId)) {
      this.store.delete('oauth_credential', old.sys_id ?? '');
    }
    const scopes = typeof json.scope === 'string' ? json.scope : consent.scopes;
    const expiresIn = typeof json.expires_in === 'number' ? json.expires_in : Number(json.expires_in ?? 3600);
    const common = { peer: entity.sys_id, scopes, oauth_requestor_profile: requestorId };
    this.store.insert('oauth_credential', {
      ...common,
      type: 'access_token',
      token_received: json.access_token,
      expires: glideDateTime(new Date(this.now().getTime() + expiresIn * 1000)),
    });
    if (typeof json.refresh_token === 'string') {
      this.store.insert('oauth_credential', { ...common, type: 'refresh_token', token_received: json.refresh_token, expires: '' });
    }
  }
}

/**
 * How an instance might store the tokens of a refresh; which one ServiceNow does is not confirmed
 * (docs/verify-on-an-instance.md). in_place: the same rows are updated (new sys_updated_on, same
 * sys_id and sys_created_on). replace: the rows are deleted and new ones inserted (new sys_id and
 * sys_created_on), which by row creation alone looks like a consent.
 */
export type RefreshStyle = 'in_place' | 'replace';

export class TokenRefresher {
  constructor(
    private readonly store: TableStore,
    private readonly now: () => Date,
  ) {}

  /**
   * What ServiceNow does when a flow uses the connection and no access token is current: trades
   * the stored refresh token at the registry's refresh URL (Atlassian rotates it) and stores the
   * answer in the given style. The caller decides that the access token has lapsed.
   */
  async refresh(credential: string, profile: string, style: RefreshStyle): Promise<void> {
    const requestor = this.store.where('oauth_requestor_profile', 'requestor_id', credential).find((r) => r.oauth_entity_profile === profile);
    const rows = requestor?.sys_id === undefined ? [] : this.store.where('oauth_credential', 'oauth_requestor_profile', requestor.sys_id);
    const refreshRow = rows.find((c) => c.type === 'refresh_token');
    const accessRow = rows.find((c) => c.type === 'access_token');
    if (requestor === undefined || refreshRow === undefined) throw new Error(`no refresh token stored for credential ${credential}`);
    const entity = this.store.get('oauth_entity', refreshRow.peer ?? '');
    if (entity === undefined) throw new Error('the token row points at no registry');
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: this.store.secretOf('oauth_credential', refreshRow.sys_id ?? '')?.value ?? '',
      client_id: entity.client_id ?? '',
      client_secret: effectiveSecret(this.store.secretOf('oauth_entity', entity.sys_id ?? '')),
    });
    const res = await fetch(entity.refresh_token_url || entity.token_url || '', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: form.toString() });
    const json = parseObject(await res.text());
    if (res.status !== 200 || json === undefined || typeof json.access_token !== 'string' || typeof json.refresh_token !== 'string') throw new Error(`refresh refused: HTTP ${res.status}`);
    const expiresIn = typeof json.expires_in === 'number' ? json.expires_in : 3600;
    const expires = glideDateTime(new Date(this.now().getTime() + expiresIn * 1000));
    const scopes = typeof json.scope === 'string' ? json.scope : (refreshRow.scopes ?? '');
    if (style === 'in_place') {
      if (accessRow) this.store.update('oauth_credential', accessRow.sys_id ?? '', { token_received: json.access_token, expires, scopes });
      this.store.update('oauth_credential', refreshRow.sys_id ?? '', { token_received: json.refresh_token, scopes });
      return;
    }
    for (const row of rows) this.store.delete('oauth_credential', row.sys_id ?? '');
    const common = { peer: entity.sys_id, scopes, oauth_requestor_profile: requestor.sys_id };
    this.store.insert('oauth_credential', { ...common, type: 'access_token', token_received: json.access_token, expires });
    this.store.insert('oauth_credential', { ...common, type: 'refresh_token', token_received: json.refresh_token, expires: refreshRow.expires ?? '' });
  }
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
