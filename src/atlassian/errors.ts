import { SpokeError } from '../errors.js';

/** Why Atlassian refused a credential; the setup maps it onto the modal field to fix. */
export type RejectionReason =
  /** 401: wrong email/token, wrong client secret, or an expired token. */
  | 'bad_credentials'
  /** 401 "Unauthorized; scope does not match": the token or app lacks a scope. */
  | 'scope_mismatch'
  /** 403: authenticated, but not allowed (product access, permissions). */
  | 'forbidden'
  /** Jira's `X-Seraph-LoginReason`: the login was refused (often a CAPTCHA after bad tries). */
  | 'login_challenge'
  /** 403 `invalid_grant`: revoked or rotated elsewhere; signing in again will not help. */
  | 'revoked'
  | 'rate_limited'
  | 'unreachable';

export class CredentialRejectedError extends SpokeError {
  readonly code = 'atlassian_credential_rejected';
  constructor(
    readonly reason: RejectionReason,
    readonly status: number | undefined,
    readonly atlassianMessage: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(`Atlassian refused the credential: ${reason}${atlassianMessage ? ` (${atlassianMessage})` : ''}`, options);
  }
  get hint(): string {
    return 'Check the credential in the setup form and submit it again.';
  }
}
