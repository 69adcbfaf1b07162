/**
 * Atlassian Cloud stand-in: auth.atlassian.com (authorize, consent, oauth/token),
 * api.atlassian.com (accessible-resources, Jira `myself`, Confluence current user) on one
 * server, plus one extra server per `<site>.atlassian.net` (tenant_info, `myself` with an
 * unscoped API token). Faults and the request log span all of them.
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AtlassianOAuth } from './atlassian-oauth.js';
import type { AtlassianApp, IssuedToken } from './atlassian-oauth.js';
import {
  basicCredentials,
  bearerToken,
  flatHeaders,
  formToRecord,
  readBody,
  requestUrl,
  sleep,
  startHttpServer,
  writeReply,
} from './http-server.js';
import type { Reply } from './http-server.js';

import { FaultQueue } from './fault-queue.js';
export type { AtlassianApp, IssuedToken } from './atlassian-oauth.js';

export interface AtlassianFault {
  /** Exact pathname; may be a site server's path such as /_edge/tenant_info. */
  path: string;
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
  /** Destroy the socket without answering. */
  drop?: boolean;
  /** Let this many matching requests through first. */
  skip?: number;
}

export interface AtlassianRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: unknown;
  at: number;
  /** Origin of the server that received it: authUrl/apiUrl or a site's url. */
  origin: string;
}

export interface AtlassianSite {
  url: string;
  readonly cloudId: string;
  setCloudId(id: string): void;
  close(): Promise<void>;
}

/** An Atlassian API token. Without scopes it is a classic (unscoped) token: site URL only. */
export interface ApiToken {
  email: string;
  token: string;
  scopes?: string[];
}

export interface AtlassianStandIn {
  authUrl: string;
  apiUrl: string;
  registerApp(app: AtlassianApp): void;
  createSite(opts?: { cloudId?: string }): Promise<AtlassianSite>;
  addApiToken(token: ApiToken): void;
  /** Failed Basic logins per email; after `lockoutAfter` of them Jira demands a CAPTCHA. */
  failedLogins(email: string): number;
  /** Makes the next logins of this email answer 200 with `X-Seraph-LoginReason: AUTHENTICATED_FAILED`. */
  challengeLogin(email: string): void;
  faults: {
    next(fault: AtlassianFault): void;
    setLatency(ms: number): void;
    clear(): void;
  };
  requests: AtlassianRequest[];
  tokens: IssuedToken[];
  close(): Promise<void>;
}

const ACCOUNT = { accountId: '5b10ac8d82e05b22cc7d4ef5', displayName: 'Ada Admin', emailAddress: 'ada@acme.test' };

// Scopes that allow reading the current user (classic, granular) per product.
const JIRA_USER_SCOPES = ['read:jira-user', 'read:user:jira'];
const CONFLUENCE_USER_SCOPES = ['read:confluence-user', 'read:user:confluence'];

const gatewayError = (status: number, message: string): Reply => ({ status, json: { code: status, message } });
const NOT_AUTHENTICATED: Reply = {
  status: 401,
  json: { errorMessages: ['Client must be authenticated to access this resource.'], errors: {} },
};

export async function startAtlassianStandIn(opts: { now?: () => number; lockoutAfter?: number } = {}): Promise<AtlassianStandIn> {
  const now = opts.now ?? Date.now;
  const oauth = new AtlassianOAuth(now);
  const requests: AtlassianRequest[] = [];
  const faults = new FaultQueue<AtlassianFault>();
  const apiTokens: ApiToken[] = [];
  // Jira locks a login behind a CAPTCHA after repeated failures; the right token then fails too.
  const failures = new Map<string, number>();
  const challenged = new Set<string>();
  const lockoutAfter = opts.lockoutAfter ?? 3;
  const locked = (email: string): boolean => (failures.get(email) ?? 0) >= lockoutAfter;
  const CAPTCHA: Reply = {
    status: 403,
    json: { errorMessages: ['CAPTCHA_CHALLENGE'], errors: {} },
    headers: { 'X-Seraph-LoginReason': 'AUTHENTICATION_DENIED', 'X-Authentication-Denied-Reason': 'CAPTCHA_CHALLENGE; login-url=https://id.atlassian.com/login' },
  };
  /** Basic auth with an API token, counting failures like Jira does. */
  const basicLogin = (req: IncomingMessage, wantScoped: boolean): { token: ApiToken } | { reply: Reply } => {
    const basic = basicCredentials(req);
    const email = basic?.user ?? '';
    if (email && locked(email)) return { reply: CAPTCHA };
    if (email && challenged.has(email)) {
      return { reply: { status: 200, json: { errorMessages: ['Login failed'], errors: {} }, headers: { 'X-Seraph-LoginReason': 'AUTHENTICATED_FAILED' } } };
    }
    const t = apiTokens.find((x) => x.email === email && x.token === basic?.pass);
    // Classic tokens only work on the site; scoped ones only through api.atlassian.com.
    if (t === undefined || (t.scopes !== undefined) !== wantScoped) {
      if (email) failures.set(email, (failures.get(email) ?? 0) + 1);
      return { reply: wantScoped ? gatewayError(401, 'Unauthorized') : { ...NOT_AUTHENTICATED, headers: { 'X-Seraph-LoginReason': 'AUTHENTICATED_FAILED' } } };
    }
    return { token: t };
  };
  const sites: AtlassianSite[] = [];

  /** Request log, latency and faults, common to the main server and every site server. */
  const serve =
    (route: (method: string, url: URL, body: unknown, req: IncomingMessage) => Reply | Promise<Reply>, origin: () => string) =>
    async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
      const url = requestUrl(req);
      const parsed = await readBody(req);
      requests.push({
        method: req.method ?? 'GET',
        path: url.pathname,
        query: formToRecord(url.searchParams),
        headers: flatHeaders(req),
        body: parsed.data,
        at: now(),
        origin: origin(),
      });
      await sleep(faults.latencyMs);
      const fault = faults.take((f) => f.path === url.pathname);
      if (fault !== undefined) {
        await sleep(fault.delayMs ?? 0);
        if (fault.drop === true) {
          req.socket.destroy();
          return;
        }
        // A fault that only carries a delay slows the real answer down.
        if (fault.status !== undefined || fault.body !== undefined) {
          const status = fault.status ?? 500;
          const json = fault.body ?? { code: status, message: STATUS_CODES[status] ?? 'Error' };
          writeReply(res, { status, json, headers: fault.headers ?? {} });
          return;
        }
      }
      const body = parsed.kind === 'json' && parsed.malformedJson ? undefined : parsed.data;
      writeReply(res, await route(req.method ?? 'GET', url, body, req));
    };

  const siteByCloudId = (cloudId: string): AtlassianSite | undefined =>
    sites.find((s) => s.cloudId === cloudId);

  /** Bearer (3LO / client credentials) or Basic with a scoped API token, on the gateway. */
  const gatewayUser = (req: IncomingMessage, cloudId: string, userScopes: string[]): Reply => {
    if (siteByCloudId(cloudId) === undefined) return gatewayError(404, 'Not Found');
    const bearer = bearerToken(req);
    let scopes: string[];
    let accountType = 'atlassian';
    if (bearer !== undefined) {
      const t = oauth.accessToken(bearer);
      if (t === undefined) return gatewayError(401, 'Unauthorized');
      scopes = t.scope.split(' ');
      if (t.grantType === 'client_credentials') accountType = 'app';
    } else {
      const login = basicLogin(req, true);
      if ('reply' in login) return login.reply;
      scopes = login.token.scopes ?? [];
    }
    if (!scopes.some((s) => userScopes.includes(s))) {
      return gatewayError(401, 'Unauthorized; scope does not match');
    }
    return { status: 200, json: { ...ACCOUNT, accountType, active: true, timeZone: 'UTC' } };
  };

  /** auth.atlassian.com: authorize, consent and the token endpoint, nothing else. */
  const authRoute = (method: string, url: URL, body: unknown, req: IncomingMessage): Reply => {
    const p = url.pathname;
    if (method === 'GET' && p === '/authorize') return oauth.authorizePage(formToRecord(url.searchParams));
    if (method === 'POST' && p === '/authorize/consent') return oauth.consent(asStrings(body));
    if (method === 'POST' && p === '/oauth/token') return oauth.token(asRecord(body), basicCredentials(req));
    return gatewayError(404, 'Not Found');
  };

  /** api.atlassian.com: the gateway, a separate host, so mixing the two up fails as it would for real. */
  const mainRoute = (method: string, url: URL, _body: unknown, req: IncomingMessage): Reply => {
    const p = url.pathname;
    if (method === 'GET' && p === '/oauth/token/accessible-resources') {
      const t = oauth.accessToken(bearerToken(req));
      if (t === undefined) return gatewayError(401, 'Unauthorized');
      const json = sites.map((site, i) => ({
        id: site.cloudId,
        name: `site${i + 1}`,
        url: site.url,
        scopes: t.scope.split(' '),
        avatarUrl: 'https://site-admin-avatar-cdn.prod.public.atl-paas.net/avatars/240/rocket.png',
      }));
      return { status: 200, json };
    }
    const jira = /^\/ex\/jira\/([^/]+)\/rest\/api\/[23]\/myself$/.exec(p);
    if (method === 'GET' && jira?.[1] !== undefined) return gatewayUser(req, jira[1], JIRA_USER_SCOPES);
    const wiki = /^\/ex\/confluence\/([^/]+)\/wiki\/rest\/api\/user\/current$/.exec(p);
    if (method === 'GET' && wiki?.[1] !== undefined) return gatewayUser(req, wiki[1], CONFLUENCE_USER_SCOPES);
    return gatewayError(404, 'Not Found');
  };

  const auth = await startHttpServer(serve(authRoute, () => auth.url));
  const main = await startHttpServer(serve(mainRoute, () => main.url));

  const createSite = async (siteOpts: { cloudId?: string } = {}): Promise<AtlassianSite> => {
    let cloudId = siteOpts.cloudId ?? randomUUID();
    const siteRoute = (method: string, url: URL, _body: unknown, req: IncomingMessage): Reply => {
      const p = url.pathname;
      if (method === 'GET' && p === '/_edge/tenant_info') return { status: 200, json: { cloudId } };
      if (method === 'GET' && (/^\/rest\/api\/[23]\/myself$/.test(p) || p === '/wiki/rest/api/user/current')) {
        // Scoped tokens must go through api.atlassian.com; on the site they fail like a bad one.
        const login = basicLogin(req, false);
        if ('reply' in login) return login.reply;
        return { status: 200, json: { ...ACCOUNT, emailAddress: login.token.email, accountType: 'atlassian', active: true } };
      }
      return { status: 404, json: { errorMessages: ['Not Found'], errors: {} } };
    };
    const server = await startHttpServer(serve(siteRoute, () => server.url));
    const site: AtlassianSite = {
      url: server.url,
      get cloudId() {
        return cloudId;
      },
      setCloudId(id: string) {
        cloudId = id;
      },
      close: () => server.close(),
    };
    sites.push(site);
    return site;
  };

  return {
    authUrl: auth.url,
    apiUrl: main.url,
    registerApp: (app) => oauth.registerApp(app),
    createSite,
    addApiToken: (t) => {
      const known = apiTokens.findIndex((x) => x.email === t.email && x.token === t.token);
      if (known >= 0) apiTokens.splice(known, 1);
      apiTokens.push({ ...t });
    },
    failedLogins: (email) => failures.get(email) ?? 0,
    challengeLogin: (email) => void challenged.add(email),
    faults: faults.controls(),
    requests,
    tokens: oauth.tokens,
    close: async () => {
      await Promise.all([auth.close(), main.close(), ...sites.map((s) => s.close())]);
    },
  };
}

function asRecord(body: unknown): Record<string, unknown> {
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

function asStrings(body: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(asRecord(body))) if (v !== undefined && v !== null) out[k] = String(v);
  return out;
}
