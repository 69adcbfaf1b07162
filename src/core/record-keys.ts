/** Stable record keys: the writer, the progress report, consent and rotation all use them. */
export const RECORD_KEYS = {
  entity: 'oauth_entity',
  profile: 'oauth_entity_profile',
  credential: 'credential',
  alias: 'sys_alias',
  connection: 'http_connection',
  scope: (scope: string) => `oauth_entity_scope:${scope}`,
  profileScope: (scope: string) => `oauth_entity_profile_scope:${scope}`,
} as const;
