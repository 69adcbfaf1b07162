/**
 * ServiceNow Table API (/api/now/table) over the stand-in's TableStore: list with encoded
 * query, pagination headers and reference links; get, insert, patch, delete; error bodies in
 * the platform's shape.
 */
import type { ParsedBody, Reply } from './http-server.js';
import { parseEncodedQuery, runQuery } from './servicenow-query.js';
import { RuleViolation } from './servicenow-schema.js';
import type { Row, TableStore } from './servicenow-schema.js';

export function snError(status: number, message: string, detail: string | null, headers?: Record<string, string>): Reply {
  return { status, json: { error: { message, detail }, status: 'failure' }, ...(headers ? { headers } : {}) };
}

const NOT_FOUND = (): Reply =>
  snError(404, 'No Record found', "Record doesn't exist or ACL restricts the record retrieval");
const BAD_JSON = (): Reply => snError(400, 'Exception while reading request', 'The payload is not valid JSON.');

const DEFAULT_LIMIT = 10000;

export interface TableRequest {
  method: string;
  table: string;
  sysId: string | undefined;
  query: URLSearchParams;
  body: ParsedBody;
}

export class TableApi {
  constructor(
    private readonly store: TableStore,
    private readonly baseUrl: () => string,
  ) {}

  handle(r: TableRequest): Reply {
    if (!this.store.schema.isKnownTable(r.table)) return snError(400, `Invalid table ${r.table}`, null);
    const method = r.method.toUpperCase();
    try {
      if (r.sysId === undefined) {
        if (method === 'GET') return this.list(r.table, r.query);
        if (method === 'POST') return this.insert(r.table, r.query, r.body);
      } else {
        if (method === 'GET') return this.getOne(r.table, r.sysId, r.query);
        if (method === 'PATCH' || method === 'PUT') return this.patch(r.table, r.sysId, r.query, r.body);
        if (method === 'DELETE') {
          return this.store.delete(r.table, r.sysId) ? { status: 204 } : NOT_FOUND();
        }
      }
    } catch (err) {
      if (err instanceof RuleViolation) return snError(err.status, err.snMessage, err.detail);
      throw err;
    }
    return snError(405, 'Method not Supported', `${method} method not supported for API`);
  }

  private list(table: string, query: URLSearchParams): Reply {
    const parsed = parseEncodedQuery(query.get('sysparm_query') ?? '', (p) => this.store.schema.isKnownPath(table, p));
    // A sys_id term narrows to one row first, as the primary-key index does on an instance; else
    // the most selective `=` / `IN` term a column index answers. Every term is then evaluated on
    // those rows, so the answer is the one the whole table would give.
    const byId = parsed.filters.find((f) => f.field === 'sys_id' && f.op === '=');
    const candidates = byId ? [this.store.get(table, byId.value)].filter((r): r is NonNullable<typeof r> => r !== undefined) : this.store.candidates(table, parsed.filters);
    const hits = runQuery(candidates, parsed, (row, path) => this.store.resolve(table, row, path));
    const limit = positiveInt(query.get('sysparm_limit')) ?? DEFAULT_LIMIT;
    const offset = nonNegativeInt(query.get('sysparm_offset')) ?? 0;
    const page = hits.slice(offset, offset + limit);
    const headers: Record<string, string> = { 'x-total-count': String(hits.length) };
    const link = this.linkHeader(table, query, hits.length, limit, offset);
    if (link !== undefined) headers.link = link;
    const present = this.presenter(table, query);
    return { status: 200, headers, json: { result: page.map(present) } };
  }

  /** ServiceNow's format: `<url>;rel="first",<url>;rel="prev",<url>;rel="next",<url>;rel="last"`. */
  private linkHeader(table: string, query: URLSearchParams, total: number, limit: number, offset: number): string | undefined {
    if (total <= limit && offset === 0) return undefined;
    const at = (o: number): string => {
      const q = new URLSearchParams(query);
      q.set('sysparm_limit', String(limit));
      q.set('sysparm_offset', String(o));
      return `<${this.baseUrl()}/api/now/table/${table}?${q.toString()}>`;
    };
    const last = Math.max(0, Math.floor((total - 1) / limit) * limit);
    const parts = [`${at(0)};rel="first"`];
    if (offset > 0) parts.push(`${at(Math.max(0, offset - limit))};rel="prev"`);
    if (offset + limit < total) parts.push(`${at(offset + limit)};rel="next"`);
    parts.push(`${at(last)};rel="last"`);
    return parts.join(',');
  }

  private getOne(table: string, sysId: string, query: URLSearchParams): Reply {
    const row = this.store.get(table, sysId);
    return row === undefined ? NOT_FOUND() : { status: 200, json: { result: this.present(table, row, query) } };
  }

  private insert(table: string, query: URLSearchParams, body: ParsedBody): Reply {
    const fields = objectBody(body);
    if (fields === undefined) return BAD_JSON();
    const row = this.store.insert(table, fields, query.get('sysparm_input_display_value') === 'true');
    return {
      status: 201,
      headers: { location: `${this.baseUrl()}/api/now/table/${table}/${row.sys_id ?? ''}` },
      json: { result: this.present(table, row, query) },
    };
  }

  private patch(table: string, sysId: string, query: URLSearchParams, body: ParsedBody): Reply {
    const fields = objectBody(body);
    if (fields === undefined) return BAD_JSON();
    const row = this.store.update(table, sysId, fields, query.get('sysparm_input_display_value') === 'true');
    return row === undefined ? NOT_FOUND() : { status: 200, json: { result: this.present(table, row, query) } };
  }

  /** Applies sysparm_fields (unknown names dropped; dot-walks allowed) and reference links. */
  present(table: string, row: Row, query: URLSearchParams): Record<string, unknown> {
    return this.presenter(table, query)(row);
  }

  /** present for many rows of one answer: the fields asked for are worked out once. */
  private presenter(table: string, query: URLSearchParams): (row: Row) => Record<string, unknown> {
    const wanted = (query.get('sysparm_fields') ?? '')
      .split(',')
      .map((f) => f.trim())
      .filter((f) => f !== '');
    const known = wanted.length > 0 ? wanted.filter((f) => this.store.schema.isKnownPath(table, f)) : undefined;
    const links = query.get('sysparm_exclude_reference_link') !== 'true';
    return (row) => {
      const out: Record<string, unknown> = {};
      for (const field of known ?? Object.keys(row)) {
        const value = this.store.resolve(table, row, field);
        const targets = field.includes('.') ? undefined : this.store.schema.referenceTargets(table, field);
        if (links && targets !== undefined && value !== '') {
          const target = this.store.find(targets, value)?.table ?? targets[0] ?? table;
          out[field] = { link: `${this.baseUrl()}/api/now/table/${target}/${value}`, value };
        } else {
          out[field] = value;
        }
      }
      return out;
    };
  }
}

function objectBody(body: ParsedBody): Record<string, unknown> | undefined {
  if (body.malformedJson || body.kind !== 'json') return undefined;
  const data = body.data;
  return typeof data === 'object' && data !== null && !Array.isArray(data) ? (data as Record<string, unknown>) : undefined;
}

function positiveInt(v: string | null): number | undefined {
  const n = v === null ? NaN : Number(v);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

function nonNegativeInt(v: string | null): number | undefined {
  const n = v === null ? NaN : Number(v);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}
