/**
 * ServiceNow's own consent link (docs/servicenow-records.md, "Consent"): ServiceNow starts the authorization-code
 * flow, Atlassian redirects back to `{instance}/oauth_redirect.do`, and ServiceNow keeps the
 * tokens. The bot only hands the link over.
 * https://docs.servicenow.com, "Generate the initial OAuth token" (oauth_initiator.do).
 */
export function consentLink(instanceUrl: string, credentialSysId: string, profileSysId: string): string {
  const url = new URL('/oauth_initiator.do', instanceUrl);
  url.searchParams.set('oauth_requestor_context', 'oauth_2_0_credentials');
  url.searchParams.set('oauth_requestor', credentialSysId);
  url.searchParams.set('oauth_provider_profile', profileSysId);
  url.searchParams.set('response_type', 'code');
  return url.toString();
}

/** The callback URL the Atlassian app must have, or consent ends on an Atlassian error page. */
export function oauthCallbackUrl(instanceUrl: string): string {
  return new URL('/oauth_redirect.do', instanceUrl).toString();
}
