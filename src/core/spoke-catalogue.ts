/**
 * Everything spokebot knows about each spoke, in one place (SPEC section 3). Facts SPEC marks
 * unconfirmed live here so that one edit fixes them; see
 * shared/reference/servicenow-atlassian-facts.md section 5 for what to check on a PDI.
 */
export const SPOKE_IDS = ['jira', 'jsm', 'confluence'] as const;
export type SpokeId = (typeof SPOKE_IDS)[number];

export type AuthMethod = 'oauth_3lo';

export interface SpokeDefinition {
  id: SpokeId;
  label: string;
  /** `sys_alias.name` of the alias the spoke ships with; looked up at run time, never by sys_id. */
  aliasName: string;
  /** `sys_alias.id`; confirmed for Jira only. */
  aliasId: string;
  /** Connection URL for OAuth; `{api}` is ATLASSIAN_API_URL, `{cloudId}` the site's Cloud ID. */
  oauthConnectionUrl: string;
  defaultScopes: readonly string[];
  /** Connection attributes (`api_version`, `server_type`); empty where the spoke has none. */
  attributes: Readonly<Record<string, string>>;
  methods: readonly AuthMethod[];
}

export const SPOKES: Readonly<Record<SpokeId, SpokeDefinition>> = {
  jira: {
    id: 'jira',
    label: 'Jira Cloud',
    aliasName: 'Jira',
    aliasId: 'sn_jira_spoke.Jira',
    oauthConnectionUrl: '{api}/ex/jira/{cloudId}',
    defaultScopes: 'read:jira-work read:jira-user write:jira-work manage:jira-project manage:jira-configuration manage:jira-webhook delete:sprint:jira-software read:sprint:jira-software write:sprint:jira-software read:board-scope:jira-software read:project:jira read:jql:jira read:issue-details:jira offline_access'.split(' '),
    attributes: { api_version: '2', server_type: 'cloud' },
    methods: ['oauth_3lo'],
  },
  jsm: {
    id: 'jsm',
    label: 'Jira Service Management',
    aliasName: 'Jira_SM',
    aliasId: 'sn_jira_sm_spoke.Jira_SM', // unconfirmed
    oauthConnectionUrl: '{api}/ex/jira/{cloudId}/',
    defaultScopes: 'read:jira-user read:servicedesk-request write:servicedesk-request manage:servicedesk-customer read:jira-work read:me read:account offline_access'.split(' '),
    attributes: {},
    methods: ['oauth_3lo'],
  },
  confluence: {
    id: 'confluence',
    label: 'Confluence Cloud',
    aliasName: 'Confluence Cloud',
    aliasId: 'sn_confluence_spoke.Confluence_Cloud', // unconfirmed
    oauthConnectionUrl: '{api}/',
    defaultScopes: 'ace:confluence read:page:confluence search:confluence read:confluence-groups write:confluence-groups read:confluence-user read:me read:account offline_access'.split(' '),
    attributes: {},
    methods: ['oauth_3lo'],
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
} as const;

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

export function isSpokeId(text: string): text is SpokeId {
  return (SPOKE_IDS as readonly string[]).includes(text);
}

export function connectionUrlFor(spoke: SpokeDefinition, apiUrl: string, cloudId: string): string {
  return spoke.oauthConnectionUrl.replace('{api}', apiUrl.replace(/\/+$/, '')).replace('{cloudId}', cloudId);
}
