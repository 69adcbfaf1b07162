/**
 * Everything spokebot knows about each spoke, in one place. Facts the public docs leave open
 * live here so that one edit fixes them; the doctor (`npm run doctor`) checks the tables and
 * columns against the instance itself, and docs/verify-on-an-instance.md says what is still to confirm.
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
  /**
   * What `sys_alias.id` ends with after the scope and the dot. Only Jira's whole id is confirmed
   * (`sn_jira_spoke.Jira`); ServiceNow's own docs spell Confluence's scope two ways
   * (`sn_conflunce_spoke` and `sn_confluence_spoke`) and JSM's is not public, so aliases are
   * matched by name and by this suffix, never by the whole id.
   */
  aliasIdSuffix: string;
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
    aliasIdSuffix: 'Jira',
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
    aliasIdSuffix: 'Jira_SM',
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
    aliasIdSuffix: 'Confluence_Cloud',
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
 * Atlassian's OAuth 2.0 (3LO) endpoints as written into `oauth_entity`. Atlassian's authorize
 * endpoint needs `audience=api.atlassian.com` and nothing public shows ServiceNow adding it (or
 * `prompt=consent`) to the Authorization URL, so both go into the URL the bot writes; ServiceNow
 * appends its own parameters after them.
 * https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/
 */
export const ATLASSIAN_OAUTH = {
  authorizePath: '/authorize',
  authorizeQuery: '?audience=api.atlassian.com&prompt=consent',
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
 * ServiceNow column names and values the bot relies on. The column names are checked against
 * the instance's dictionary before every use (src/servicenow/instance-schema.ts).
 */
export const SERVICENOW_FACTS = {
  /** "Refresh Token URL" on the Application Registry (hidden on the form by default). */
  refreshTokenUrlColumn: 'refresh_token_url',
  /** Stored value of the "OAuth Provider" type (likely; configuration templates write `consumer`). */
  oauthProviderType: 'oauth_provider',
  /**
   * How `oauth_credential` (token) rows point back to the credential that asked for them:
   * through `oauth_requestor_profile`, whose `requestor_id` holds the credential's sys_id and
   * `oauth_entity_profile` the profile. There is no `oauth_requestor` column.
   */
  tokenRequestor: {
    credential: 'oauth_requestor_profile.requestor_id',
    profile: 'oauth_requestor_profile.oauth_entity_profile',
  },
  /** Where per-connection attributes are stored (storage format undocumented; see connectionAttributeFields). */
  attributesColumn: 'extended_attributes',
} as const;

/**
 * Every table the bot reads or writes, with every column it names there (writes, query terms,
 * fields it reads back). The doctor proves each against the instance's dictionary; a unit test
 * proves every plan stays inside this list. Dot-walked token terms are listed as their parts.
 */
export const SERVICENOW_COLUMNS = {
  oauth_entity: ['sys_id', 'name', 'type', 'client_id', 'client_secret', 'default_grant_type', 'auth_url', 'token_url', SERVICENOW_FACTS.refreshTokenUrlColumn, 'active'],
  oauth_entity_scope: ['sys_id', 'name', 'oauth_entity', 'oauth_entity_scope'],
  oauth_entity_profile: ['sys_id', 'oauth_entity', 'default'],
  oauth_entity_profile_scope: ['sys_id', 'oauth_entity_profile', 'oauth_entity_scope'],
  oauth_2_0_credentials: ['sys_id', 'name', 'oauth_entity_profile', 'active'],
  basic_auth_credentials: ['sys_id', 'name', 'user_name', 'password', 'active'],
  sys_alias: ['sys_id', 'name', 'id', 'parent', 'type', 'connection_type'],
  http_connection: ['sys_id', 'name', 'connection_alias', 'credential', 'connection_url', 'active', SERVICENOW_FACTS.attributesColumn],
  oauth_requestor_profile: ['sys_id', 'requestor_id', 'oauth_entity_profile'],
  oauth_credential: ['sys_id', 'type', 'oauth_requestor_profile', 'sys_created_on', 'sys_updated_on'],
} as const satisfies Record<string, readonly string[]>;

export type ServiceNowTable = keyof typeof SERVICENOW_COLUMNS;

/** The tables, read from the dictionary together on first use. */
export const SERVICENOW_TABLES = Object.keys(SERVICENOW_COLUMNS) as ServiceNowTable[];

/**
 * The role that grants the integration user each table, for the doctor's advice. ServiceNow's
 * docs: oauth_admin for the OAuth tables, credential_admin and connection_admin for credentials
 * and connections; creating an alias needs admin.
 */
export const SERVICENOW_ROLE_FOR_TABLE: Readonly<Record<ServiceNowTable, string>> = {
  oauth_entity: 'oauth_admin',
  oauth_entity_scope: 'oauth_admin',
  oauth_entity_profile: 'oauth_admin',
  oauth_entity_profile_scope: 'oauth_admin',
  oauth_2_0_credentials: 'credential_admin',
  basic_auth_credentials: 'credential_admin',
  sys_alias: 'admin',
  http_connection: 'connection_admin',
  oauth_requestor_profile: 'oauth_admin',
  oauth_credential: 'oauth_admin',
};

/** ServiceNow's credential table for each method (docs/servicenow-records.md). */
export const CREDENTIAL_TABLE: Readonly<Record<AuthMethod, 'oauth_2_0_credentials' | 'basic_auth_credentials'>> = {
  oauth_3lo: 'oauth_2_0_credentials',
  api_token: 'basic_auth_credentials',
  service_account: 'oauth_2_0_credentials',
};

/** Atlassian caps API tokens at one year (support.atlassian.com, "Manage API tokens"). */
export const API_TOKEN_MAX_DAYS = 365;

/**
 * The connection URL for a method: scoped API tokens, OAuth and service accounts only work
 * through the gateway; a classic (unscoped) API token only on the site itself (Atlassian: scoped tokens and OAuth go through api.atlassian.com/ex/{product}/{cloudId}).
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
 * The Confluence spoke's "Confluence Groups" table (module "Confluence Cloud > Confluence
 * Groups"), which limits the spoke's user-management actions to those groups. Its table name is
 * not public, so it is found on the instance by its label in the spoke's scope, and its columns
 * by their labels; when it cannot be found, the approver is told this menu path instead.
 */
export const CONFLUENCE_GROUPS = {
  /** The spoke's scope, in both spellings ServiceNow's docs use. */
  scopes: ['sn_confluence_spoke', 'sn_conflunce_spoke'],
  labels: ['Confluence Groups', 'Confluence Group'],
  nameColumnLabel: 'Group Name',
  idColumnLabel: 'Group ID',
  /** The reference that ties a group to the connection's alias. */
  aliasTable: 'sys_alias',
  menuPath: 'Confluence Cloud > Confluence Groups > New (or "Add Groups" on the connection alias)',
} as const;

/** Whether a `sys_alias` row is the spoke's shipped alias: by name, or by the id's suffix after the dot. */
export function isShippedAlias(spoke: SpokeDefinition, alias: Readonly<Record<string, unknown>>): boolean {
  const id = String(alias.id ?? '');
  return String(alias.name ?? '') === spoke.aliasName || id.slice(id.lastIndexOf('.') + 1) === spoke.aliasIdSuffix;
}

export function isSpokeId(text: string): text is SpokeId {
  return (SPOKE_IDS as readonly string[]).includes(text);
}

export function connectionUrlFor(spoke: SpokeDefinition, apiUrl: string, cloudId: string): string {
  return spoke.oauthConnectionUrl.replace('{api}', apiUrl.replace(/\/+$/, '')).replace('{cloudId}', cloudId);
}
