/**
 * Everything spokebot knows about each spoke, in one place (SPEC section 3). Facts SPEC marks
 * unconfirmed live here so that one edit fixes them; see
 * shared/reference/servicenow-atlassian-facts.md section 5 for what to check on a PDI.
 */
export const SPOKE_IDS = ['jira', 'jsm', 'confluence'] as const;
export type SpokeId = (typeof SPOKE_IDS)[number];

export const AUTH_METHODS = ['oauth_3lo', 'api_token', 'service_account'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

export const AUTH_METHOD_LABELS: Readonly<Record<AuthMethod, string>> = {
  oauth_3lo: 'OAuth 2.0 (3LO)',
  api_token: 'API token',
  service_account: 'Service account (OAuth client credentials)',
};

/** The call that proves a credential works before anything is written (and in health checks). */
export interface Verification {
  product: 'jira' | 'confluence';
  /** Path under the site URL, or under `{api}/ex/{product}/{cloudId}` through the gateway. */
  path: string;
}

export const VERIFY_JIRA: Verification = { product: 'jira', path: '/rest/api/3/myself' };
export const VERIFY_CONFLUENCE: Verification = { product: 'confluence', path: '/wiki/rest/api/user/current' };

export interface SpokeDefinition {
  id: SpokeId;
  label: string;
  /** `sys_alias.name` of the alias the spoke ships with; looked up at run time, never by sys_id. */
  aliasName: string;
  /** `sys_alias.id`; confirmed for Jira only. */
  aliasId: string;
  /**
   * Connection URL through the gateway (OAuth, service account, scoped API token); `{api}` is
   * ATLASSIAN_API_URL, `{cloudId}` the site's Cloud ID. Unscoped API tokens use the site itself.
   */
  oauthConnectionUrl: string;
  defaultScopes: readonly string[];
  /** Scopes for a service account (client credentials): no offline_access, nothing refreshes. */
  serviceAccountScopes: readonly string[];
  /** Connection attributes (`api_version`, `server_type`); empty where the spoke has none. */
  attributes: Readonly<Record<string, string>>;
  /** Sign-in methods the spoke's setup guides describe, the first being the default. */
  methods: readonly AuthMethod[];
  verification: Verification;
}

export const SPOKES: Readonly<Record<SpokeId, SpokeDefinition>> = {
  jira: {
    id: 'jira',
    label: 'Jira Cloud',
    aliasName: 'Jira',
    aliasId: 'sn_jira_spoke.Jira',
    oauthConnectionUrl: '{api}/ex/jira/{cloudId}',
    defaultScopes: 'read:jira-work read:jira-user write:jira-work manage:jira-project manage:jira-configuration manage:jira-webhook delete:sprint:jira-software read:sprint:jira-software write:sprint:jira-software read:board-scope:jira-software read:project:jira read:jql:jira read:issue-details:jira offline_access'.split(' '),
    serviceAccountScopes: 'read:jira-work read:jira-user write:jira-work manage:jira-project manage:jira-configuration manage:jira-webhook read:me'.split(' '),
    attributes: { api_version: '2', server_type: 'cloud' },
    methods: ['oauth_3lo', 'api_token', 'service_account'],
    verification: VERIFY_JIRA,
  },
  jsm: {
    id: 'jsm',
    label: 'Jira Service Management',
    aliasName: 'Jira_SM',
    aliasId: 'sn_jira_sm_spoke.Jira_SM', // unconfirmed
    oauthConnectionUrl: '{api}/ex/jira/{cloudId}/',
    defaultScopes: 'read:jira-user read:servicedesk-request write:servicedesk-request manage:servicedesk-customer read:jira-work read:me read:account offline_access'.split(' '),
    serviceAccountScopes: [],
    attributes: {},
    methods: ['oauth_3lo', 'api_token'],
    verification: VERIFY_JIRA,
  },
  confluence: {
    id: 'confluence',
    label: 'Confluence Cloud',
    aliasName: 'Confluence Cloud',
    aliasId: 'sn_confluence_spoke.Confluence_Cloud', // unconfirmed
    oauthConnectionUrl: '{api}/',
    defaultScopes: 'ace:confluence read:page:confluence search:confluence read:confluence-groups write:confluence-groups read:confluence-user read:me read:account offline_access'.split(' '),
    serviceAccountScopes: [],
    attributes: {},
    methods: ['oauth_3lo'],
    verification: VERIFY_CONFLUENCE,
  },
};

/** The scope without which Atlassian issues no refresh token, so ServiceNow could not stay connected. */
export const OFFLINE_ACCESS = 'offline_access';

/**
 * Atlassian's OAuth 2.0 (3LO) endpoints as written into `oauth_entity`. Whether ServiceNow adds
 * `audience=api.atlassian.com&prompt=consent` itself is unconfirmed; set `authorizeQuery` to
 * `?audience=api.atlassian.com&prompt=consent` here if consent fails with a missing audience.
 */
export const ATLASSIAN_OAUTH = {
  authorizePath: '/authorize',
  authorizeQuery: '',
  tokenPath: '/oauth/token',
  /** Sent with a service account's client-credentials request. */
  audience: 'api.atlassian.com',
} as const;

/** The grant each OAuth method writes into the application registry. */
export const GRANT_TYPE: Readonly<Record<Exclude<AuthMethod, 'api_token'>, string>> = {
  oauth_3lo: 'authorization_code',
  service_account: 'client_credentials',
};

/**
 * ServiceNow facts that the docs leave open (facts file, section 5). Column and table names the
 * bot writes or queries and that a PDI check could still change.
 */
export const SERVICENOW_FACTS = {
  /** "Refresh Token URL" on the Application Registry form; column name unconfirmed. */
  refreshTokenUrlColumn: 'refresh_token_url',
  /** Stored value of the "OAuth Provider" type. */
  oauthProviderType: 'oauth_provider',
  /** How `oauth_credential` rows point back to the credential that asked for them (unconfirmed). */
  tokenRequestorPath: 'oauth_requestor_profile.oauth_requestor',
  /** Where per-connection attributes are stored (unconfirmed; see connectionAttributeFields). */
  attributesColumn: 'extended_attributes',
} as const;

/** ServiceNow's credential table for each method (SPEC section 4). */
export const CREDENTIAL_TABLE: Readonly<Record<AuthMethod, 'oauth_2_0_credentials' | 'basic_auth_credentials'>> = {
  oauth_3lo: 'oauth_2_0_credentials',
  api_token: 'basic_auth_credentials',
  service_account: 'oauth_2_0_credentials',
};

/** Atlassian caps API tokens at one year (support.atlassian.com, "Manage API tokens"). */
export const API_TOKEN_MAX_DAYS = 365;

/**
 * The connection URL for a method: scoped API tokens, OAuth and service accounts only work
 * through the gateway; a classic (unscoped) API token only on the site itself (SPEC section 3).
 */
export function connectionUrlForMethod(method: AuthMethod, scopedToken: boolean, spoke: SpokeDefinition, apiUrl: string, siteOrigin: string, cloudId: string): string {
  if (method === 'api_token' && !scopedToken) return siteOrigin;
  return connectionUrlFor(spoke, apiUrl, cloudId);
}

/** The base the verification call uses: the gateway path is per product, not per spoke. */
export function verificationBaseUrl(method: AuthMethod, scopedToken: boolean, spoke: SpokeDefinition, apiUrl: string, siteOrigin: string, cloudId: string): string {
  if (method === 'api_token' && !scopedToken) return siteOrigin;
  return `${apiUrl.replace(/\/+$/, '')}/ex/${spoke.verification.product}/${cloudId}`;
}

/**
 * The Confluence spoke's "Confluence Groups" table, which limits its user-management actions to
 * members of those groups. Its name and columns are unconfirmed (facts file 1.7): one edit here.
 */
export const CONFLUENCE_GROUPS = {
  table: 'sn_confluence_spoke_confluence_group',
  nameColumn: 'group_name',
  aliasColumn: 'connection_alias',
} as const;

export function isSpokeId(text: string): text is SpokeId {
  return (SPOKE_IDS as readonly string[]).includes(text);
}

export function connectionUrlFor(spoke: SpokeDefinition, apiUrl: string, cloudId: string): string {
  return spoke.oauthConnectionUrl.replace('{api}', apiUrl.replace(/\/+$/, '')).replace('{cloudId}', cloudId);
}
