import { request, type Dispatcher } from 'undici';
import { z } from 'zod';
import { ATLASSIAN_OAUTH, GRANT_TYPE, type Verification } from '../core/spoke-catalogue.js';
import type { Logger } from '../logger.js';
import { CredentialRejectedError, type RejectionReason } from './errors.js';

const tokenResponse = z.object({ access_token: z.string(), expires_in: z.number().optional() });
const currentUser = z.looseObject({ accountId: z.string().optional(), displayName: z.string().optional() });
const errorBody = z.looseObject({ message: z.string().optional(), error: z.string().optional(), error_description: z.string().optional() });

export type CredentialAuth = { kind: 'basic'; email: string; token: string } | { kind: 'bearer'; token: string };

export interface AtlassianClientOptions {
  authUrl: string;
  logger: Logger;
  timeoutMs?: number;
  dispatcher?: Dispatcher;
}

/** Seraph is Jira's login filter; these values mean it refused the login despite a 200. */
const SERAPH_REFUSALS = ['AUTHENTICATED_FAILED', 'AUTHENTICATION_DENIED'];

/**
 * The calls spokebot makes to Atlassian with a credential it holds (API tokens and service
 * accounts; never 3LO tokens). No call is ever retried: repeated bad logins lock the account
 * or trigger a CAPTCHA that breaks the good credentials too.
 * https://developer.atlassian.com/cloud/jira/platform/basic-auth-for-rest-apis/
 */
export class AtlassianClient {
  constructor(private readonly options: AtlassianClientOptions) {}

  /** A service account's access token (client credentials grant; no refresh token). */
  async clientCredentialsToken(clientId: string, clientSecret: string): Promise<string> {
    const { status, body } = await this.send(
      'POST',
      `${this.options.authUrl}${ATLASSIAN_OAUTH.tokenPath}`,
      { 'content-type': 'application/json' },
      JSON.stringify({ grant_type: GRANT_TYPE.service_account, client_id: clientId, client_secret: clientSecret, audience: ATLASSIAN_OAUTH.audience }),
    );
    if (status === 200) {
      const parsed = tokenResponse.safeParse(body);
      if (parsed.success) return parsed.data.access_token;
    }
    throw this.rejection(status, body, undefined);
  }

  /** Who the credential signs in as: `GET /rest/api/3/myself` (Jira) or the Confluence current user. */
  async currentUser(baseUrl: string, verification: Verification, auth: CredentialAuth): Promise<{ accountId?: string; displayName?: string }> {
    const authorization = auth.kind === 'basic' ? `Basic ${Buffer.from(`${auth.email}:${auth.token}`).toString('base64')}` : `Bearer ${auth.token}`;
    const { status, body, seraph } = await this.send('GET', `${baseUrl}${verification.path}`, { authorization, accept: 'application/json' });
    if (status === 200 && !SERAPH_REFUSALS.includes(seraph ?? '')) {
      const parsed = currentUser.safeParse(body);
      if (parsed.success) return parsed.data;
    }
    throw this.rejection(status, body, seraph);
  }

  private rejection(status: number, body: unknown, seraph: string | undefined): CredentialRejectedError {
    const parsed = errorBody.safeParse(body);
    const message = parsed.success ? (parsed.data.message ?? parsed.data.error_description ?? parsed.data.error) : undefined;
    let reason: RejectionReason = 'bad_credentials';
    // AUTHENTICATED_FAILED on a 401 is an ordinary wrong password; on a 200, or DENIED at all,
    // Jira refused a login it would otherwise accept (CAPTCHA after failed attempts).
    if (seraph === 'AUTHENTICATION_DENIED' || (status === 200 && seraph === 'AUTHENTICATED_FAILED')) reason = 'login_challenge';
    else if (status === 401 && /scope does not match/i.test(message ?? '')) reason = 'scope_mismatch';
    else if (parsed.success && parsed.data.error === 'invalid_grant') reason = 'revoked';
    else if (status === 403 && parsed.success && parsed.data.error !== 'access_denied' && parsed.data.error !== 'unauthorized_client') reason = 'forbidden';
    else if (status === 429) reason = 'rate_limited';
    else if (status >= 500 || status === 0) reason = 'unreachable';
    return new CredentialRejectedError(reason, status || undefined, message);
  }

  private async send(method: 'GET' | 'POST', url: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: unknown; seraph: string | undefined }> {
    const timeoutMs = this.options.timeoutMs ?? 10_000;
    const started = performance.now();
    try {
      const response = await request(url, {
        method,
        headers,
        body,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        ...(this.options.dispatcher ? { dispatcher: this.options.dispatcher } : {}),
      });
      const text = await response.body.text();
      const seraph = response.headers['x-seraph-loginreason'];
      this.options.logger.debug({ method, host: new URL(url).host, status: response.statusCode, ms: Math.round(performance.now() - started) }, 'atlassian request');
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      return { status: response.statusCode, body: json, seraph: Array.isArray(seraph) ? seraph[0] : seraph };
    } catch (error) {
      this.options.logger.warn({ method, host: new URL(url).host, err: { code: (error as { code?: string }).code } }, 'atlassian unreachable');
      throw new CredentialRejectedError('unreachable', undefined, undefined, { cause: error });
    }
  }
}
