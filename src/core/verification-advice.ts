import type { SetupField } from './setup-request.js';
import type { AuthMethod } from './spoke-catalogue.js';

/** Mirrors the Atlassian adapter's reasons, so the core needs no adapter import. */
export type CredentialProblem = 'bad_credentials' | 'scope_mismatch' | 'forbidden' | 'login_challenge' | 'revoked' | 'rate_limited' | 'unreachable';

export interface FieldAdvice {
  field: SetupField;
  message: string;
}

/**
 * What a refused credential means for the admin, and which field of the form to fix. Atlassian
 * answers a bad token, an expired one and a scoped token on the site URL alike (401), so the
 * advice names each likely cause.
 */
export function adviceFor(problem: CredentialProblem, method: AuthMethod, scopedToken: boolean): FieldAdvice {
  const secretField: SetupField = method === 'api_token' ? 'apiToken' : 'clientSecret';
  switch (problem) {
    case 'bad_credentials':
      if (method === 'api_token') {
        return {
          field: 'apiToken',
          message: scopedToken
            ? 'Atlassian refused this email and scoped token. Check the email is the token owner\'s and the token has not expired or been revoked.'
            : 'Atlassian refused this email and token. Check the email is the token owner\'s, the token has not expired, and tick "scoped" if it is a scoped token (those only work through api.atlassian.com).',
        };
      }
      return { field: secretField, message: 'Atlassian refused this client ID and secret. Copy both again from the service account\'s OAuth credential.' };
    case 'scope_mismatch':
      return method === 'api_token'
        ? { field: 'tokenScoped', message: 'The token lacks a scope the check needs (read:jira-user or read:user:jira). Create a token with it, or use a classic token.' }
        : { field: 'scopes', message: 'The service account\'s credential lacks a scope the check needs (read:jira-user). Add it in admin.atlassian.com, then try again.' };
    case 'forbidden':
      return { field: method === 'api_token' ? 'email' : 'clientId', message: 'Atlassian knows this account but refuses it here: give it access to the product (and the projects the flows use).' };
    case 'login_challenge':
      return { field: method === 'api_token' ? 'email' : 'clientId', message: 'Atlassian refused the login and may be asking for a CAPTCHA after failed attempts. Sign in once at id.atlassian.com with this account, then try again. spokebot does not retry, so the account is not locked further.' };
    case 'revoked':
      return { field: secretField, message: 'Atlassian answered invalid_grant: this credential was revoked or rotated elsewhere. Create a new one and rotate it here; retrying will not help.' };
    case 'rate_limited':
      return { field: 'site', message: 'Atlassian is rate-limiting this site. Wait a minute and submit again.' };
    case 'unreachable':
      return { field: 'site', message: 'Atlassian did not answer. Check the site and try again.' };
  }
}
