/**
 * Atlassian OAuth 2.0 (3LO) authorization server logic for the stand-in: developer-console
 * apps, the consent page, single-use codes and rotating refresh tokens. Pure state + Reply
 * builders; atlassian.ts wires it to HTTP.
 */
import { randomBytes } from 'node:crypto';
import { escapeHtml, htmlPage } from './http-server.js';
import type { Reply } from './http-server.js';

export interface AtlassianApp {
  clientId: string;
  clientSecret: string;
  /** The one callback URL registered in the developer console; matched exactly. */
  callbackUrl: string;
  /** Scopes enabled on the app (APIs and permissions page). */
  scopes: string[];
  name?: string;
}

export interface IssuedToken {
  type: 'access_token' | 'refresh_token';
  token: string;
  clientId: string;
  /** Space-separated granted scopes. */
  scope: string;
  grantType: 'authorization_code' | 'refresh_token' | 'client_credentials';
  issuedAt: number;
  /** Access tokens only. */
  expiresAt?: number;
  /** False once a refresh token was rotated away; tests may flip it to simulate revocation. */
  active: boolean;
}

interface CodeGrant {
  clientId: string;
  redirectUri: string;
  scopes: string[];
  expiresAt: number;
}

const CODE_TTL_MS = 10 * 60 * 1000;
const ACCESS_TOKEN_TTL_S = 3600;

function randomToken(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

function splitScopes(scope: string | undefined): string[] {
  return (scope ?? '').split(' ').filter((s) => s.length > 0);
}

/** Atlassian's consent screen fails with a generic page; the detail helps a failing test. */
function errorPage(problem: string): Reply {
  const body = `<h1>Something went wrong</h1>\n<p id="error">${escapeHtml(problem)}</p>`;
  return { status: 400, html: htmlPage('Something went wrong', body) };
}

function invalidGrant(description: string): Reply {
  return { status: 403, json: { error: 'invalid_grant', error_description: description } };
}

const UNAUTHORIZED_CLIENT: Reply = {
  status: 401,
  json: { error: 'access_denied', error_description: 'Unauthorized' },
};

export class AtlassianOAuth {
  readonly apps = new Map<string, AtlassianApp>();
  readonly tokens: IssuedToken[] = [];
  private readonly codes = new Map<string, CodeGrant>();

  constructor(private readonly now: () => number) {}

  registerApp(app: AtlassianApp): void {
    this.apps.set(app.clientId, { ...app, scopes: [...app.scopes] });
  }

  /** Same checks for the GET and the consent POST: hidden form fields can be tampered with. */
  private checkAuthorize(
    q: Record<string, string>,
  ): { app: AtlassianApp; scopes: string[] } | { problem: string } {
    const app = q.client_id === undefined ? undefined : this.apps.get(q.client_id);
    if (app === undefined) return { problem: `Unknown client_id "${q.client_id ?? ''}".` };
    if (q.redirect_uri !== app.callbackUrl) {
      return { problem: `redirect_uri "${q.redirect_uri ?? ''}" does not match the app's callback URL.` };
    }
    if (q.response_type !== 'code') {
      return { problem: `Unsupported response_type "${q.response_type ?? ''}".` };
    }
    // Atlassian's 3LO authorize needs audience=api.atlassian.com; without it the consent fails.
    if (q.audience !== 'api.atlassian.com') {
      return { problem: q.audience === undefined ? 'Missing audience parameter.' : `Unknown audience "${q.audience}".` };
    }
    const scopes = splitScopes(q.scope);
    if (scopes.length === 0) return { problem: 'No scope requested.' };
    const missing = scopes.filter((s) => !app.scopes.includes(s));
    if (missing.length > 0) {
      return { problem: `The app requested scopes that are not enabled on it: ${missing.join(', ')}.` };
    }
    return { app, scopes };
  }

  authorizePage(q: Record<string, string>): Reply {
    const checked = this.checkAuthorize(q);
    if ('problem' in checked) return errorPage(checked.problem);
    const { app, scopes } = checked;
    const hidden = ['client_id', 'redirect_uri', 'scope', 'state', 'response_type', 'audience']
      .filter((k) => q[k] !== undefined)
      .map((k) => `<input type="hidden" name="${k}" value="${escapeHtml(q[k] ?? '')}">`)
      .join('\n');
    const appName = escapeHtml(app.name ?? app.clientId);
    const body = [
      `<h1 id="app-name">${appName} is requesting access to your Atlassian account</h1>`,
      `<ul id="scopes">${scopes.map((s) => `<li>${escapeHtml(s)}</li>`).join('')}</ul>`,
      '<form method="post" action="/authorize/consent">',
      hidden,
      '<button type="submit" id="accept" name="decision" value="accept">Accept</button>',
      '<button type="submit" id="cancel" name="decision" value="deny">Cancel</button>',
      '</form>',
    ].join('\n');
    return { status: 200, html: htmlPage(`${app.name ?? app.clientId} - Authorize`, body) };
  }

  consent(form: Record<string, string>): Reply {
    const checked = this.checkAuthorize(form);
    if ('problem' in checked) return errorPage(checked.problem);
    const target = new URL(checked.app.callbackUrl);
    if (form.decision === 'accept') {
      const code = randomToken(24);
      this.codes.set(code, {
        clientId: checked.app.clientId,
        redirectUri: checked.app.callbackUrl,
        scopes: checked.scopes,
        expiresAt: this.now() + CODE_TTL_MS,
      });
      target.searchParams.set('code', code);
    } else {
      target.searchParams.set('error', 'access_denied');
      target.searchParams.set('error_description', 'User did not authorize the request');
    }
    if (form.state !== undefined) target.searchParams.set('state', form.state);
    return { status: 302, location: target.toString() };
  }

  /** Body already decoded (JSON or form); basic = client credentials from a Basic header. */
  token(body: Record<string, unknown>, basic?: { user: string; pass: string }): Reply {
    const field = (k: string): string | undefined => {
      const v = body[k];
      return v === undefined || v === null ? undefined : String(v);
    };
    const grantType = field('grant_type');
    if (grantType !== 'authorization_code' && grantType !== 'refresh_token' && grantType !== 'client_credentials') {
      return { status: 400, json: { error: 'unsupported_grant_type' } };
    }
    const clientId = field('client_id') ?? basic?.user;
    const secret = field('client_secret') ?? basic?.pass;
    const app = clientId === undefined ? undefined : this.apps.get(clientId);
    if (app === undefined || secret !== app.clientSecret) return UNAUTHORIZED_CLIENT;

    if (grantType === 'authorization_code') {
      const code = field('code') ?? '';
      const grant = this.codes.get(code);
      // Codes are single use: any presentation by the right client burns it.
      if (grant !== undefined && grant.clientId === app.clientId) this.codes.delete(code);
      if (
        grant === undefined ||
        grant.clientId !== app.clientId ||
        grant.expiresAt <= this.now() ||
        grant.redirectUri !== field('redirect_uri')
      ) {
        return invalidGrant('Invalid authorization code');
      }
      return this.issue(app.clientId, grant.scopes, 'authorization_code');
    }

    if (grantType === 'refresh_token') {
      const presented = field('refresh_token');
      const old = this.tokens.find(
        (t) => t.type === 'refresh_token' && t.token === presented && t.clientId === app.clientId,
      );
      if (old === undefined || !old.active) return invalidGrant('Unknown or invalid refresh token.');
      // Rotation: the presented token dies the moment a new one is handed out.
      old.active = false;
      return this.issue(app.clientId, splitScopes(old.scope), 'refresh_token');
    }

    const requested = splitScopes(field('scope'));
    const notEnabled = requested.filter((s) => !app.scopes.includes(s));
    if (notEnabled.length > 0) {
      return { status: 400, json: { error: 'invalid_scope', error_description: `Scope not enabled: ${notEnabled.join(' ')}` } };
    }
    return this.issue(app.clientId, requested.length > 0 ? requested : app.scopes, 'client_credentials');
  }

  private issue(clientId: string, scopes: string[], grantType: IssuedToken['grantType']): Reply {
    const now = this.now();
    const scope = scopes.join(' ');
    const access: IssuedToken = {
      type: 'access_token',
      token: randomToken(48),
      clientId,
      scope,
      grantType,
      issuedAt: now,
      expiresAt: now + ACCESS_TOKEN_TTL_S * 1000,
      active: true,
    };
    this.tokens.push(access);
    const json: Record<string, unknown> = {
      access_token: access.token,
      expires_in: ACCESS_TOKEN_TTL_S,
      token_type: 'Bearer',
      scope,
    };
    if (grantType !== 'client_credentials' && scopes.includes('offline_access')) {
      const refresh: IssuedToken = {
        type: 'refresh_token',
        token: randomToken(48),
        clientId,
        scope,
        grantType,
        issuedAt: now,
        active: true,
      };
      this.tokens.push(refresh);
      json.refresh_token = refresh.token;
    }
    return { status: 200, json };
  }

  /** A live access token, or undefined (unknown, deactivated or expired). */
  accessToken(token: string | undefined): IssuedToken | undefined {
    const t = this.tokens.find((x) => x.type === 'access_token' && x.token === token);
    if (t === undefined || !t.active || (t.expiresAt ?? 0) <= this.now()) return undefined;
    return t;
  }
}
