/**
 * Shared plumbing for the test stand-ins: a real HTTP server on 127.0.0.1 with an ephemeral
 * port, and small helpers to read bodies and write answers. Stand-ins speak real HTTP so the
 * code under test runs its real clients (fetch, undici, Bolt's WebClient) against them.
 */
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface RunningServer {
  /** Origin without a trailing slash, e.g. http://127.0.0.1:40123 */
  url: string;
  server: http.Server;
  close(): Promise<void>;
}

export async function startHttpServer(handler: Handler): Promise<RunningServer> {
  const server = http.createServer((req, res) => {
    // A throwing handler must answer 500 rather than take the test process down.
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((err: unknown) => {
        if (res.headersSent || res.destroyed) {
          res.destroy();
          return;
        }
        sendJson(res, 500, { error: 'stand-in handler failed', detail: String(err) });
      });
  });
  // Garbage on the wire (or a client resetting) must not surface as an unhandled error.
  server.on('clientError', (_err, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
  const url = `http://127.0.0.1:${address.port}`;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Keep-alive sockets (fetch pools them) would otherwise hold close() open for seconds.
      server.closeAllConnections();
    });
    return closing;
  };
  return { url, server, close };
}

export interface ParsedBody {
  raw: string;
  /** JSON value, a form as Record<string,string>, the raw text, or undefined when empty. */
  data: unknown;
  /** True when the content-type said JSON (or was missing) and the text did not parse. */
  malformedJson: boolean;
  kind: 'empty' | 'json' | 'form' | 'text';
}

export async function readRawBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function parseBody(raw: string, contentType: string | undefined): ParsedBody {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (raw.length === 0) return { raw, data: undefined, malformedJson: false, kind: 'empty' };
  if (type === 'application/x-www-form-urlencoded') {
    return { raw, data: formToRecord(new URLSearchParams(raw)), malformedJson: false, kind: 'form' };
  }
  if (type === 'application/json' || type === '' || type.endsWith('+json')) {
    try {
      return { raw, data: JSON.parse(raw) as unknown, malformedJson: false, kind: 'json' };
    } catch {
      return { raw, data: raw, malformedJson: true, kind: 'json' };
    }
  }
  return { raw, data: raw, malformedJson: false, kind: 'text' };
}

export async function readBody(req: IncomingMessage): Promise<ParsedBody> {
  return parseBody(await readRawBody(req), req.headers['content-type']);
}

/** Last value wins for repeated keys, as the servers we imitate read forms. */
export function formToRecord(params: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of params) out[k] = v;
  return out;
}

export function requestUrl(req: IncomingMessage): URL {
  return new URL(req.url ?? '/', 'http://127.0.0.1');
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json;charset=UTF-8',
    'content-length': String(Buffer.byteLength(text)),
    ...lowerKeys(headers),
  });
  res.end(text);
}

export function sendHtml(
  res: ServerResponse,
  status: number,
  html: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': 'text/html;charset=UTF-8',
    'content-length': String(Buffer.byteLength(html)),
    ...lowerKeys(headers),
  });
  res.end(html);
}

export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, lowerKeys(headers));
  res.end();
}

export function redirect(res: ServerResponse, location: string, status = 302): void {
  res.writeHead(status, { location, 'content-length': '0' });
  res.end();
}

/** Header names are case-insensitive; one spelling avoids sending a header twice. */
export function lowerKeys(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = v;
  return out;
}

export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

export function htmlPage(title: string, body: string): string {
  return `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>\n<body>${body}</body></html>\n`;
}

export function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

/** Header map flattened to strings (repeated headers joined), for request logs. */
export function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

/** Decodes an `Authorization: Basic` header; undefined when absent or not Basic. */
export function basicCredentials(req: IncomingMessage): { user: string; pass: string } | undefined {
  const header = req.headers.authorization;
  if (header === undefined || !/^basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), pass: decoded.slice(colon + 1) };
}

export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (header === undefined || !/^bearer /i.test(header)) return undefined;
  return header.slice(7).trim();
}

/**
 * An answer computed before it is written. Stand-ins build replies first so a fault can
 * replace, delay or swallow them (e.g. "commit the write, then drop the socket").
 */
export interface Reply {
  status: number;
  headers?: Record<string, string>;
  json?: unknown;
  html?: string;
  /** Sets Location; with no json/html the body is empty (redirects, 204). */
  location?: string;
}

export function writeReply(res: ServerResponse, reply: Reply): void {
  const headers = { ...(reply.location !== undefined ? { location: reply.location } : {}), ...reply.headers };
  if (reply.html !== undefined) sendHtml(res, reply.status, reply.html, headers);
  else if (reply.json !== undefined) sendJson(res, reply.status, reply.json, headers);
  else sendEmpty(res, reply.status, { 'content-length': '0', ...headers });
}
