/**
 * Slack Web API stand-in, answering what @slack/web-api's WebClient sends:
 * `POST /api/<method>` with a Bearer token and a form (nested values JSON-encoded) or JSON body.
 * Errors are HTTP 200 `{ok:false,error}` like Slack; every call is logged for assertions.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { bearerToken, readBody, requestUrl, sendJson, sleep, startHttpServer } from './http-server.js';
import { SlackWorkspace, fail } from './slack-methods.js';
import type { EphemeralMessage, Result, SlackChannel, SlackUser, StoredMessage } from './slack-methods.js';
import { TEAM_ID, dmChannelFor, isObject } from './slack-views.js';
import type { Json, View } from './slack-views.js';

import { FaultQueue } from './fault-queue.js';
export type { EphemeralMessage, SlackChannel, SlackUser, StoredMessage } from './slack-methods.js';
export type { View } from './slack-views.js';

export interface SlackCall {
  method: string;
  /** Parsed arguments, with view/blocks/attachments/metadata JSON-decoded. */
  args: Json;
  at: number;
  response: Json;
}

/** One-shot failure for the next call of `method`: a Slack error code, or an HTTP status (429 etc.). */
export interface SlackFault {
  method: string;
  /** Only calls to this channel (e.g. the report channel, not the DM thread). */
  channel?: string;
  error?: string;
  status?: number;
  headers?: Record<string, string>;
  skip?: number;
}

export interface SlackStandIn {
  url: string;
  /** For WebClient's slackApiUrl: `${url}/api/`. */
  apiUrl: string;
  calls: SlackCall[];
  views: Map<string, View>;
  messages: StoredMessage[];
  ephemerals: EphemeralMessage[];
  /** A trigger id as Slack sends with a command or click; `fromViewId` ties it to that modal's stack for views.push. */
  issueTriggerId(fromViewId?: string): string;
  /** A response_url on this stand-in; posts to it are logged as calls of method 'response_url'. */
  newResponseUrl(): string;
  dmChannelFor(userId: string): string;
  faults: { next(fault: SlackFault): void; setLatency(ms: number): void; clear(): void };
  /** Extra time before answering every call of one method (views.publish at 20 ms…), on top of the faults' latency. */
  setMethodLatency(method: string, ms: number): void;
  /** The most calls of `method` the stand-in was holding at one moment. */
  maxInFlight(method: string): number;
  /** A user users.info and views.publish will know (replaces one with the same id). */
  addUser(user: SlackUser): void;
  /** The bot token's granted scopes, sent as x-oauth-scopes on every answer (default: manifest.yml's bot scopes). */
  scopes: { list(): string[]; set(scopes: string[]): void; drop(scope: string): void };
  /** A channel conversations.info will know (replaces one with the same id). */
  addChannel(channel: SlackChannel): void;
  /** From now on the bot token is refused with this error (token_revoked, account_inactive…); undefined accepts it again. */
  refuseBotToken(error: string | undefined): void;
  /** Where apps.connections.open sends the app (the Socket Mode stand-in's one-time links); undefined: a link nothing listens on. */
  issueSocketLinksWith(issue: (() => string) | undefined): void;
  waitForCall(method: string, predicate?: (call: SlackCall) => boolean, timeoutMs?: number): Promise<SlackCall>;
  close(): Promise<void>;
}

const JSON_ARGS = ['view', 'blocks', 'attachments', 'metadata'];

/** The bot scopes manifest.yml asks for: what a workspace grants when the app is installed from it. */
export function manifestBotScopes(): string[] {
  const manifest = parseYaml(readFileSync(new URL('../../manifest.yml', import.meta.url), 'utf8')) as { oauth_config: { scopes: { bot: string[] } } };
  return [...manifest.oauth_config.scopes.bot];
}

export async function startSlackStandIn(opts: {
  botToken: string;
  users?: SlackUser[];
  usergroups?: Record<string, string[]>;
  now?: () => number;
  /** Granted bot scopes; default: every bot scope manifest.yml asks for. */
  scopes?: string[];
  /** App-level token (xapp-…) accepted by apps.connections.open (Socket Mode). */
  appToken?: string;
  channels?: SlackChannel[];
}): Promise<SlackStandIn> {
  const now = opts.now ?? Date.now;
  const workspace = new SlackWorkspace(opts.users ?? [], opts.usergroups ?? {}, now);
  workspace.scopes = [...(opts.scopes ?? manifestBotScopes())];
  for (const channel of opts.channels ?? []) workspace.channels.set(channel.id, channel);
  let botTokenRefusal: string | undefined;
  let issueSocketLink: (() => string) | undefined;
  const calls: SlackCall[] = [];
  const faults = new FaultQueue<SlackFault>();
  const methodLatency = new Map<string, number>();
  const inFlight = new Map<string, { now: number; max: number }>();
  const waiters: Array<{ method: string; predicate: (c: SlackCall) => boolean; resolve: (c: SlackCall) => void }> = [];
  let responseCounter = 0;

  const record = (method: string, args: Json, response: Json): void => {
    const call: SlackCall = { method, args, at: now(), response };
    calls.push(call);
    for (const w of [...waiters]) {
      if (w.method === method && w.predicate(call)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(call);
      }
    }
  };

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = requestUrl(req);
    const args = decodeArgs((await readBody(req)).data);
    const held = inFlight.get(url.pathname.replace(/^\/api\//, '')) ?? { now: 0, max: 0 };
    inFlight.set(url.pathname.replace(/^\/api\//, ''), held);
    held.now += 1;
    held.max = Math.max(held.max, held.now);
    try {
      await answerCall(req, res, url, args);
    } finally {
      held.now -= 1;
    }
  };

  const answerCall = async (req: IncomingMessage, res: ServerResponse, url: URL, args: Json): Promise<void> => {
    const latency = faults.latencyMs + (methodLatency.get(url.pathname.replace(/^\/api\//, '')) ?? 0);
    if (latency > 0) await sleep(latency);
    if (url.pathname.startsWith('/response/')) {
      record('response_url', { ...args, url: url.pathname }, { ok: true });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    const method = url.pathname.replace(/^\/api\//, '');
    const impl = url.pathname.startsWith('/api/') ? workspace.methods[method] : undefined;
    const answer = (status: number, json: Result, headers: Record<string, string> = {}): void => {
      record(method, args, json);
      sendJson(res, status, json, { 'x-slack-req-id': randomBytes(8).toString('hex'), ...headers });
    };
    if (impl === undefined) return answer(404, fail('unknown_method'));
    const token = bearerToken(req) ?? (typeof args.token === 'string' ? args.token : undefined);
    if (token === undefined || token === '') return answer(200, fail('not_authed'));
    // An app-level token opens Socket Mode connections and nothing else; a bot token cannot open them.
    const appMethod = method === 'apps.connections.open';
    if (opts.appToken !== undefined && token === opts.appToken) {
      if (!appMethod) return answer(200, fail('not_allowed_token_type'));
      return answer(200, issueSocketLink !== undefined ? { ok: true, url: issueSocketLink() } : impl(args), { 'x-oauth-scopes': 'connections:write' });
    }
    if (token !== opts.botToken) return answer(200, fail('invalid_auth'));
    if (appMethod) return answer(200, fail('not_allowed_token_type'));
    if (botTokenRefusal !== undefined) return answer(200, fail(botTokenRefusal));
    const scopeHeader = { 'x-oauth-scopes': workspace.scopes.join(',') };
    const fault = faults.take((f) => f.method === method && (f.channel === undefined || f.channel === args.channel));
    if (fault !== undefined) {
      const status = fault.status ?? 200;
      const headers = status === 429 ? { 'retry-after': '1', ...fault.headers } : (fault.headers ?? {});
      return answer(status, fail(fault.error ?? (status === 429 ? 'ratelimited' : 'internal_error')), { ...scopeHeader, ...headers });
    }
    answer(200, impl(args), scopeHeader);
  };

  const server = await startHttpServer(handler);

  const waitForCall = (method: string, predicate: (c: SlackCall) => boolean = () => true, timeoutMs = 5000): Promise<SlackCall> => {
    const seen = calls.find((c) => c.method === method && predicate(c));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise<SlackCall>((resolve, reject) => {
      const waiter = {
        method,
        predicate,
        resolve: (c: SlackCall) => {
          clearTimeout(timer);
          resolve(c);
        },
      };
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(waiter), 1);
        const log = calls.map((c) => `${c.method} -> ${c.response.ok === true ? 'ok' : String(c.response.error)}`);
        reject(new Error(`no matching ${method} call within ${timeoutMs} ms; calls seen: ${log.length === 0 ? '(none)' : log.join(', ')}`));
      }, timeoutMs);
      waiters.push(waiter);
    });
  };

  return {
    url: server.url,
    apiUrl: `${server.url}/api/`,
    calls,
    views: workspace.registry.views,
    messages: workspace.messages,
    ephemerals: workspace.ephemerals,
    issueTriggerId: (fromViewId) => workspace.issueTriggerId(fromViewId),
    newResponseUrl: () => {
      responseCounter += 1;
      return `${server.url}/response/${TEAM_ID}/${responseCounter}/${randomBytes(12).toString('hex')}`;
    },
    dmChannelFor,
    faults: faults.controls(),
    scopes: {
      list: () => [...workspace.scopes],
      set: (scopes) => void (workspace.scopes = [...scopes]),
      drop: (scope) => void (workspace.scopes = workspace.scopes.filter((s) => s !== scope)),
    },
    addChannel: (channel) => void workspace.channels.set(channel.id, channel),
    setMethodLatency: (method, ms) => void methodLatency.set(method, ms),
    maxInFlight: (method) => inFlight.get(method)?.max ?? 0,
    addUser: (user) => workspace.addUser(user),
    refuseBotToken: (error) => void (botTokenRefusal = error),
    issueSocketLinksWith: (issue) => void (issueSocketLink = issue),
    waitForCall,
    close: () => server.close(),
  };
}

/** Form values arrive as strings; Slack decodes the nested JSON ones (view, blocks...). */
function decodeArgs(data: unknown): Json {
  const args: Json = isObject(data) ? { ...data } : {};
  for (const key of JSON_ARGS) {
    const v = args[key];
    if (typeof v === 'string' && /^\s*[[{]/.test(v)) {
      try {
        args[key] = JSON.parse(v) as unknown;
      } catch {
        // Left as a string: validation then reports it, as Slack does for bad JSON.
      }
    }
  }
  return args;
}
