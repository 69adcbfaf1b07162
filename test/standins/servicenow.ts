/**
 * ServiceNow instance stand-in: Basic-auth Table API for the Integration Hub tables the bot
 * writes, the outbound OAuth consent pages, and faults (rate limits, 5xx, dropped sockets
 * before or after a write commits) so tests can prove setups are resumable.
 */
import { randomBytes } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  basicCredentials,
  flatHeaders,
  formToRecord,
  htmlPage,
  lowerKeys,
  readBody,
  requestUrl,
  sleep,
  startHttpServer,
  writeReply,
} from './http-server.js';
import type { ParsedBody, Reply } from './http-server.js';
import { OAuthPages, TokenRefresher, type RefreshStyle } from './servicenow-oauth.js';
import { TableStore } from './servicenow-schema.js';
import type { StandInSchema } from './servicenow-tables.js';
import type { Row, StoredSecret } from './servicenow-schema.js';
import { TableApi, snError } from './servicenow-table-api.js';
import { FaultQueue } from './fault-queue.js';
import { batchControls, handleBatch, type BatchControls } from './servicenow-batch.js';

export type { Row, StoredSecret } from './servicenow-schema.js';

export interface ServiceNowFault {
  method?: string;
  /** Matches Table API requests on that table only; never a non-table path. */
  table?: string;
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
  /**
   * before: drop without processing. after: commit the request, then drop without answering.
   * body: commit, send the status and half the JSON body, then drop (a connection lost mid-answer).
   */
  drop?: 'before' | 'after' | 'body';
  /** Let this many matching requests through first (fault "the third insert"). */
  skip?: number;
  /**
   * Matches Batch API calls (`POST /api/now/v1/batch`), and only those: faults written for
   * Table API inserts ("the third POST") keep landing on inserts when lookups come batched.
   */
  batch?: boolean;
}

export interface ServiceNowRequest {
  method: string;
  path: string;
  table?: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: unknown;
  at: number;
  /** Set on an item of a Batch API call: the index of that call in `requests`. */
  inBatch?: number;
}

/** Requests counted, however the log is kept: what a long run (a bench) reads instead of the log. */
export interface ServiceNowRequestCounts {
  /** Every request and every item of a batch: what `requests.length` is when the whole log is kept. */
  total: number;
  /** By method (GET, POST…). */
  byMethod: Record<string, number>;
  /** Table API requests and batch items by `METHOD table` (a sys_id in the path is not told apart). */
  byTable: Record<string, number>;
  /** Every other request by `METHOD path`: the Batch API, the OAuth pages, unknown paths. */
  byPath: Record<string, number>;
}

export interface ServiceNowStandIn {
  url: string;
  rows(table: string): Row[];
  /** The rows (copies) whose column holds exactly this value, found through the column's index. */
  rowsWhere(table: string, column: string, value: string): Row[];
  /** Test seeding: runs the same business rules as a POST; encrypted values stored well-formed. */
  insert(table: string, fields: Record<string, unknown>): Row;
  /**
   * Test edits as an admin would make them in the UI (or as time would): fields, including
   * sys_created_on / sys_updated_on to age a token, set as given; no business rules.
   */
  edit(table: string, sysId: string, fields: Record<string, string>): void;
  /** Deletes a row, as an admin might in the UI. */
  remove(table: string, sysId: string): void;
  /**
   * A flow used the connection after its access token lapsed: ServiceNow refreshes the tokens of
   * the credential (and profile), storing them in place or as new rows (see RefreshStyle).
   */
  refreshTokens(credential: string, profile: string, style: RefreshStyle): Promise<void>;
  /** What the last write of a password2 field carried, and whether it was stored usable. */
  secretOf(table: string, sysId: string): StoredSecret;
  /** The instance's dictionary: remove a column or table to play an instance that lacks it. */
  schema: StandInSchema;
  /** The integration user's roles from now on (it starts with admin). */
  setRoles(roles: string[]): void;
  /** Table-level read ACLs that refuse the integration user: GETs on these answer 403. */
  deniedReads: Set<string>;
  /** The Batch API: refuse it, or cut batches short. */
  batchApi: BatchControls;
  /**
   * Every request, and every item of a batch (marked `inBatch`) after the batch itself. Stays
   * empty when the stand-in was started with `requestLog: 'counts'`.
   */
  requests: ServiceNowRequest[];
  /** The requests counted (kept with either log). */
  requestCounts(): ServiceNowRequestCounts;
  faults: {
    next(fault: ServiceNowFault): void;
    setLatency(ms: number): void;
    clear(): void;
  };
  close(): Promise<void>;
}

const TABLE_PATH = /^\/api\/now\/(?:v[12]\/)?table\/([^/]+)(?:\/([^/]+))?\/?$/;
const BATCH_PATH = /^\/api\/now\/(?:v1\/)?batch\/?$/;

const SHIPPED_ALIASES = [
  { name: 'Jira', id: 'sn_jira_spoke.Jira' },
  // The JSM scope prefix is not public; the Confluence id is spelled as ServiceNow's docs spell
  // it (sic). The bot matches aliases by name and by the id's suffix after the dot.
  { name: 'Jira_SM', id: 'sn_jira_service_management_spoke.Jira_SM' },
  { name: 'Confluence Cloud', id: 'sn_conflunce_spoke.Confluence_Cloud' },
];

const UNAUTHENTICATED = (): Reply =>
  snError(401, 'User Not Authenticated', 'Required to provide Auth information', {
    'www-authenticate': 'BASIC realm="Service-now"',
  });

export async function startServiceNowStandIn(opts: {
  username: string;
  password: string;
  now?: () => Date;
  /**
   * full (the default): every request is kept in `requests`, headers and body included.
   * counts: only `requestCounts()`, so memory stays flat over a long run (a bench's 10,000 connections).
   */
  requestLog?: 'full' | 'counts';
}): Promise<ServiceNowStandIn> {
  const now = opts.now ?? (() => new Date());
  let baseUrl = '';
  const store = new TableStore(now, () => baseUrl);
  const api = new TableApi(store, () => baseUrl);
  const pages = new OAuthPages(store, () => baseUrl, now);
  const refresher = new TokenRefresher(store, now);
  const requests: ServiceNowRequest[] = [];
  const keepRequests = (opts.requestLog ?? 'full') === 'full';
  const counts = { total: 0, byMethod: new Map<string, number>(), byTable: new Map<string, number>(), byPath: new Map<string, number>() };
  const bump = (map: Map<string, number>, key: string): void => void map.set(key, (map.get(key) ?? 0) + 1);
  /** Counts the request, and keeps it (built only then) when the whole log is kept. */
  const logRequest = (method: string, path: string, table: string | undefined, entry: () => ServiceNowRequest): void => {
    counts.total++;
    bump(counts.byMethod, method);
    if (table !== undefined) bump(counts.byTable, `${method} ${table}`);
    else bump(counts.byPath, `${method} ${path}`);
    if (keepRequests) requests.push(entry());
  };
  const faults = new FaultQueue<ServiceNowFault>();

  for (const alias of SHIPPED_ALIASES) {
    store.insert('sys_alias', {
      ...alias,
      type: 'connection',
      connection_type: 'http_connection',
      parent: '',
      multiple_connections: 'true',
    });
  }

  const deniedReads = new Set<string>();
  const user = store.insert('sys_user', { user_name: opts.username, name: 'Integration user' });
  const roleIds = new Map<string, string>();
  const setRoles = (roles: string[]): void => {
    for (const row of store.all('sys_user_has_role').filter((r) => r.user === user.sys_id)) store.delete('sys_user_has_role', row.sys_id ?? '');
    for (const name of roles) {
      const role = roleIds.get(name) ?? store.insert('sys_user_role', { name }).sys_id ?? '';
      roleIds.set(name, role);
      store.insert('sys_user_has_role', { user: user.sys_id, role });
    }
  };
  setRoles(['admin']);

  const batchApi = batchControls();

  /** A Table API request whose credentials were accepted (on its own, or as the batch's). */
  const routeTable = (method: string, url: URL, body: ParsedBody): Reply => {
    const m = TABLE_PATH.exec(url.pathname);
    const table = m?.[1];
    if (m === null || table === undefined) {
      return snError(400, 'Requested URI does not represent any resource', null);
    }
    if (method === 'GET' && deniedReads.has(table)) {
      return snError(403, 'User Not Authorized', `User ${opts.username} does not have read access to ${table}`);
    }
    return api.handle({ method, table, sysId: m[2], query: url.searchParams, body });
  };

  const routeBatch = (batchIndex: number, body: ParsedBody): Promise<Reply> =>
    handleBatch(batchApi, body, baseUrl, async (item) => {
      const table = TABLE_PATH.exec(item.url.pathname)?.[1];
      logRequest(item.method, item.url.pathname, table, () => ({
        method: item.method,
        path: item.url.pathname,
        ...(table !== undefined ? { table } : {}),
        query: formToRecord(item.url.searchParams),
        headers: {},
        body: item.body.data,
        at: now().getTime(),
        inBatch: batchIndex,
      }));
      return routeTable(item.method, item.url, item.body);
    });

  const route = async (req: IncomingMessage, url: URL, body: ParsedBody, requestIndex: number): Promise<Reply> => {
    const method = req.method ?? 'GET';
    if (url.pathname.startsWith('/api/')) {
      const auth = basicCredentials(req);
      if (auth?.user !== opts.username || auth.pass !== opts.password) return UNAUTHENTICATED();
      if (BATCH_PATH.test(url.pathname)) {
        return method === 'POST' ? routeBatch(requestIndex, body) : snError(405, 'Method not Supported', `${method} method not supported for API`);
      }
      return routeTable(method, url, body);
    }
    if (method === 'GET' && url.pathname === '/oauth_initiator.do') return pages.initiate(url.searchParams);
    if (method === 'GET' && url.pathname === '/oauth_redirect.do') return pages.redirect(url.searchParams);
    return { status: 404, html: htmlPage('Not Found', '<h1>Page not found</h1>') };
  };

  const takeFault = (method: string, table: string | undefined, batch: boolean): ServiceNowFault | undefined =>
    faults.take(
      (f) =>
        (f.batch === true) === batch &&
        (f.method === undefined || f.method.toUpperCase() === method.toUpperCase()) &&
        (f.table === undefined || f.table === table),
    );

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = requestUrl(req);
    const body = await readBody(req);
    const method = req.method ?? 'GET';
    const table = TABLE_PATH.exec(url.pathname)?.[1];
    const requestIndex = requests.length;
    logRequest(method, url.pathname, table, () => ({
      method,
      path: url.pathname,
      ...(table !== undefined ? { table } : {}),
      query: formToRecord(url.searchParams),
      headers: flatHeaders(req),
      body: body.data,
      at: now().getTime(),
    }));
    await sleep(faults.latencyMs);
    const fault = takeFault(method, table, BATCH_PATH.test(url.pathname));
    if (fault !== undefined) {
      await sleep(fault.delayMs ?? 0);
      if (fault.drop === 'before') {
        req.socket.destroy();
        return;
      }
      if (fault.drop === 'after') {
        // The write commits, the client never learns: the case resumable setups must survive.
        await route(req, url, body, requestIndex);
        req.socket.destroy();
        return;
      }
      if (fault.drop === 'body') {
        const reply = await route(req, url, body, requestIndex);
        const text = JSON.stringify(reply.json ?? {});
        res.writeHead(reply.status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
        // Flushed first, so the client has the head and half the body when the socket goes.
        res.write(text.slice(0, Math.floor(text.length / 2)), () => req.socket.destroy());
        return;
      }
      if (fault.status !== undefined) {
        writeReply(res, faultReply(fault, fault.status, now()));
        return;
      }
    }
    writeReply(res, await route(req, url, body, requestIndex));
  };

  const server = await startHttpServer(handler);
  baseUrl = server.url;

  return {
    url: server.url,
    rows: (table) => {
      if (!store.schema.isKnownTable(table)) throw new Error(`Invalid table ${table}`);
      return store.all(table).map((r) => ({ ...r }));
    },
    rowsWhere: (table, column, value) => {
      if (!store.schema.isKnownTable(table)) throw new Error(`Invalid table ${table}`);
      return store.where(table, column, value).map((r) => ({ ...r }));
    },
    insert: (table, fields) => ({ ...store.insert(table, fields, true) }),
    edit: (table, sysId, fields) => {
      if (!store.edit(table, sysId, fields)) throw new Error(`no ${table}/${sysId}`);
    },
    remove: (table, sysId) => void store.delete(table, sysId),
    refreshTokens: (credential, profile, style) => refresher.refresh(credential, profile, style),
    secretOf: (table, sysId) => {
      const s = store.secretOf(table, sysId);
      if (s === undefined) throw new Error(`no secret stored for ${table}/${sysId}`);
      return { ...s };
    },
    schema: store.schema,
    setRoles,
    deniedReads,
    batchApi,
    requests,
    requestCounts: () => ({
      total: counts.total,
      byMethod: Object.fromEntries(counts.byMethod),
      byTable: Object.fromEntries(counts.byTable),
      byPath: Object.fromEntries(counts.byPath),
    }),
    faults: faults.controls(),
    close: () => server.close(),
  };
}

/** Defaults copy the platform: 429 from the REST rate limiter, 5xx from a failing transaction. */
function faultReply(fault: ServiceNowFault, status: number, now: Date): Reply {
  const given = lowerKeys(fault.headers ?? {});
  let headers: Record<string, string> = {};
  let json = fault.body;
  if (status === 429) {
    const retryAfter = given['retry-after'] ?? '1';
    headers = {
      'retry-after': retryAfter,
      'x-ratelimit-limit': '5000',
      'x-ratelimit-reset': String(Math.floor(now.getTime() / 1000) + Number(retryAfter)),
      'x-ratelimit-rule': randomBytes(16).toString('hex'),
    };
    json ??= {
      error: { message: 'Rate limit exceeded', detail: 'Rate limit of 5000 requests per hour for Table API exceeded' },
      status: 'failure',
    };
  } else if (status >= 500) {
    json ??= { error: { message: 'Internal server error', detail: null }, status: 'failure' };
  } else {
    json ??= { error: { message: STATUS_CODES[status] ?? 'Error', detail: null }, status: 'failure' };
  }
  return { status, json, headers: { ...headers, ...given } };
}
