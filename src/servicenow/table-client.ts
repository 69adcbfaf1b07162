import { Agent, RetryAgent, type Dispatcher, errors as undiciErrors, request } from 'undici';
import { z } from 'zod';
import type { Logger } from '../logger.js';
import { equalsQuery, termMatcher, type QueryTerms } from './encoded-query.js';
import { BATCH_PATH, batchAnswers, batchRequestBody, type BatchItem } from './batch-api.js';
import { DICTIONARY_TABLES, InstanceSchema } from './instance-schema.js';
import { ServiceNowError, ServiceNowQueryWidenedError, ServiceNowResponseError, ServiceNowTimeoutError, ServiceNowUnreachableError, errorForStatus, type ServiceNowErrorBody } from './errors.js';

/** ServiceNow returns every column as a string once reference links are excluded. */
export const serviceNowRecord = z.looseObject({ sys_id: z.string() }).transform((row) => row as ServiceNowRecord);
export type ServiceNowRecord = { sys_id: string } & Record<string, unknown>;

const listResponse = z.object({ result: z.array(serviceNowRecord) });
const singleResponse = z.object({ result: serviceNowRecord });
const errorResponse = z.object({ error: z.object({ message: z.string(), detail: z.string().nullish() }) });

export interface ServiceNowAuth {
  username?: string | undefined;
  password?: string | undefined;
  token?: string | undefined;
}

export interface TableClientOptions {
  instanceUrl: string;
  auth: ServiceNowAuth;
  logger: Logger;
  timeoutMs?: number;
  /** Retries after the first try, for 429 (waiting `Retry-After`) and, on reads and updates, 5xx. */
  maxRetries?: number;
  /** Backoff floor between retries without `Retry-After`. */
  minRetryDelayMs?: number;
  /** Longest wait for one retry, even if `Retry-After` asks for more. */
  maxRetryDelayMs?: number;
  dispatcher?: Dispatcher;
  /**
   * Tables to read from the dictionary together on first use (the bot's whole set), so proving
   * every column costs a few requests once, not a few per table.
   */
  knownTables?: readonly string[];
  /**
   * Prove every table and column against the instance's dictionary before sending it (default
   * on). Only the client's own protocol tests turn it off.
   */
  checkColumns?: boolean;
  /** Send a round of lookups as one Batch API call (default on); off, or once refused, they go concurrently. */
  batchLookups?: boolean;
}

export interface FindOptions {
  fields?: string[];
  limit?: number;
  orderByDesc?: string;
}

/** One lookup of a round sent together (see `findEach`). */
export interface Lookup extends FindOptions {
  table: string;
  terms: QueryTerms;
}

export interface WriteOptions {
  /** Encrypted (password2) columns are stored only when sent as display values. */
  encryptedFields?: boolean;
}

/**
 * The ServiceNow Table API (`/api/now/table`), on undici. Reads and PATCHes are retried on
 * 429, 5xx and dropped connections; a POST is retried only on 429, because a 5xx or a dropped
 * connection may have come after ServiceNow committed the insert: callers that create records
 * look them up again instead (see plan-writer).
 * https://docs.servicenow.com "Table API"
 */
export class ServiceNowTableClient {
  private readonly base: string;
  private readonly authorization: string;
  private readonly idempotent: Dispatcher;
  private readonly inserts: Dispatcher;
  private readonly timeoutMs: number;
  private readonly logger: Logger;
  private readonly knownTables: readonly string[];
  /** What this instance's dictionary says exists; undefined when column checks are off. */
  readonly schema: InstanceSchema | undefined;
  /** Requests sent (retries included), for figures: ServiceNow rate limits count requests per hour. */
  requestCount = 0;
  /** Whether a round of lookups goes as one Batch API call; turned off for good when the instance refuses the endpoint. */
  private batchLookups: boolean;

  constructor(options: TableClientOptions) {
    this.knownTables = options.knownTables ?? [];
    this.batchLookups = options.batchLookups ?? true;
    this.schema = options.checkColumns === false ? undefined : new InstanceSchema((table, terms, find) => this.read(table, terms, find));
    this.base = options.instanceUrl.replace(/\/+$/, '');
    this.logger = options.logger;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    const { username, password, token } = options.auth;
    this.authorization = token ? `Bearer ${token}` : `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    const transport = options.dispatcher ?? new Agent({ connections: 16, keepAliveTimeout: 10_000 });
    const retry = {
      maxRetries: options.maxRetries ?? 3,
      minTimeout: options.minRetryDelayMs ?? 500,
      maxTimeout: options.maxRetryDelayMs ?? 30_000,
      timeoutFactor: 2,
      // Hand the last failed answer back to us so its ServiceNow error message reaches the admin.
      throwOnError: false,
    };
    this.idempotent = new RetryAgent(transport, {
      ...retry,
      methods: ['GET', 'PATCH', 'PUT', 'DELETE'],
      statusCodes: [429, 500, 502, 503, 504],
      errorCodes: ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'],
    });
    this.inserts = new RetryAgent(transport, { ...retry, methods: ['POST'], statusCodes: [429], errorCodes: [] });
  }

  /**
   * Rows matching every term. Each table and column is proven to exist first, and each row is
   * checked against the terms it can be checked against: a term ServiceNow dropped would
   * otherwise hand back every row of the table.
   */
  async findRecords(table: string, terms: QueryTerms, options: FindOptions = {}): Promise<ServiceNowRecord[]> {
    await this.requireColumns(table, [...Object.keys(terms), ...(options.fields ?? []), ...(options.orderByDesc ? [options.orderByDesc] : [])]);
    return this.read(table, terms, options);
  }

  /**
   * Several lookups in one round trip, answered in order: one Batch API call where the instance
   * takes it (one request against its hourly rate limit), else all at once. Every lookup is
   * proven against the dictionary and its rows checked against its terms, as `findRecords` does.
   */
  async findEach(lookups: readonly Lookup[]): Promise<ServiceNowRecord[][]> {
    await Promise.all(lookups.map((l) => this.requireColumns(l.table, [...Object.keys(l.terms), ...(l.fields ?? []), ...(l.orderByDesc ? [l.orderByDesc] : [])])));
    const batched = this.batchLookups && lookups.length > 1 ? await this.readBatch(lookups) : undefined;
    return batched ?? Promise.all(lookups.map((l) => this.read(l.table, l.terms, l)));
  }

  /** The lookups as one batch; undefined (the caller sends them one by one) when the batch itself fails. */
  private async readBatch(lookups: readonly Lookup[]): Promise<ServiceNowRecord[][] | undefined> {
    const items: BatchItem[] = lookups.map((l, index) => ({ id: String(index), method: 'GET', url: `/api/now/table/${l.table}?${new URLSearchParams(this.lookupQuery(l.terms, l))}` }));
    let answers;
    try {
      answers = batchAnswers(await this.send('POST', BATCH_PATH, {}, batchRequestBody(`lookups-${this.requestCount}`, items), 'batch of lookups'));
    } catch (error) {
      // Bad credentials or a spent rate limit would refuse the lookups one by one just the same.
      if (!(error instanceof ServiceNowError) || error.status === 401 || error.status === 429) throw error;
      // An instance without the endpoint, or an ACL on it, refuses it every time: stop asking.
      if (error.status !== undefined && error.status < 500) this.batchLookups = false;
      this.logger.info({ status: error.status }, 'servicenow batch api not usable; sending the lookups one by one');
      return undefined;
    }
    if (answers === undefined) {
      this.batchLookups = false;
      this.logger.warn('servicenow answered the batch api with something else; sending lookups one by one from now on');
      return undefined;
    }
    // An item the instance did not run (the batch was cut short) is sent on its own.
    return Promise.all(
      lookups.map((l, index) => {
        const answer = answers.get(String(index));
        if (answer === undefined) return this.read(l.table, l.terms, l);
        if (answer.status >= 400) {
          const parsed = errorResponse.safeParse(answer.json);
          throw errorForStatus(answer.status, parsed.success ? parsed.data.error : undefined, `lookup in ${l.table}`);
        }
        return this.checkedRows(l.table, l.terms, l, this.parse(listResponse, answer.json, l.table).result);
      }),
    );
  }

  private async read(table: string, terms: QueryTerms, options: FindOptions): Promise<ServiceNowRecord[]> {
    const body = await this.send('GET', `/api/now/table/${table}`, this.lookupQuery(terms, options), undefined, `lookup in ${table}`);
    return this.checkedRows(table, terms, options, this.parse(listResponse, body, table).result);
  }

  private lookupQuery(terms: QueryTerms, options: FindOptions): Record<string, string> {
    const query: Record<string, string> = {
      sysparm_query: equalsQuery(terms, options.orderByDesc),
      sysparm_exclude_reference_link: 'true',
      sysparm_limit: String(options.limit ?? 100),
    };
    // Ask for the terms' own columns too, so every row can be checked against them.
    if (options.fields) query.sysparm_fields = [...new Set(['sys_id', ...Object.keys(terms), ...options.fields])].join(',');
    return query;
  }

  /** The rows, once each is proven to match every term it can be checked against. */
  private checkedRows(table: string, terms: QueryTerms, options: FindOptions, rows: ServiceNowRecord[]): ServiceNowRecord[] {
    for (const [field, expected] of Object.entries(terms)) {
      // Without sysparm_fields a row carries its own columns but no dot-walked values.
      if (!options.fields && field.includes('.')) continue;
      const matches = termMatcher(expected);
      if (rows.some((row) => !matches(row[field]))) {
        this.logger.warn({ table, field }, 'servicenow returned rows that do not match the query; it ignored a term');
        throw new ServiceNowQueryWidenedError(table, field);
      }
    }
    return rows;
  }

  /** Refuses, before anything is sent, a table or column the instance's dictionary lacks. */
  async requireColumns(table: string, columns: Iterable<string>): Promise<void> {
    if (this.schema === undefined || DICTIONARY_TABLES.includes(table)) return;
    await this.schema.preload([...this.knownTables, table]);
    await this.schema.require(table, columns);
  }

  async findOne(table: string, terms: QueryTerms): Promise<ServiceNowRecord | undefined> {
    const rows = await this.findRecords(table, terms, { limit: 2 });
    return rows[0];
  }

  async createRecord(table: string, fields: Record<string, string>, options: WriteOptions = {}): Promise<ServiceNowRecord> {
    await this.requireColumns(table, Object.keys(fields));
    const body = await this.send('POST', `/api/now/table/${table}`, this.writeQuery(options), fields, `insert into ${table}`);
    return this.parse(singleResponse, body, table).result;
  }

  async updateRecord(table: string, sysId: string, fields: Record<string, string>, options: WriteOptions = {}): Promise<ServiceNowRecord> {
    await this.requireColumns(table, Object.keys(fields));
    const body = await this.send('PATCH', `/api/now/table/${table}/${encodeURIComponent(sysId)}`, this.writeQuery(options), fields, `update of ${table}`);
    return this.parse(singleResponse, body, table).result;
  }

  private writeQuery(options: WriteOptions): Record<string, string> {
    const query: Record<string, string> = { sysparm_exclude_reference_link: 'true' };
    if (options.encryptedFields) query.sysparm_input_display_value = 'true';
    return query;
  }

  private async send(method: 'GET' | 'POST' | 'PATCH', path: string, query: Record<string, string>, payload: unknown, what: string): Promise<unknown> {
    const started = performance.now();
    const table = path.split('/')[4];
    let response: Dispatcher.ResponseData;
    let text: string;
    this.requestCount += 1;
    try {
      response = await request(`${this.base}${path}`, {
        method,
        query,
        dispatcher: method === 'POST' ? this.inserts : this.idempotent,
        headers: {
          authorization: this.authorization,
          accept: 'application/json',
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: payload === undefined ? undefined : JSON.stringify(payload),
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      // The body is part of the answer: a connection cut halfway through it is the same failure
      // as no answer at all (for an insert: it may have been saved), never a plain error.
      text = await response.body.text();
    } catch (error) {
      this.logger.warn({ method, table, err: { code: (error as { code?: string }).code } }, 'servicenow request failed without an answer');
      if (error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError) {
        throw new ServiceNowTimeoutError(`ServiceNow ${what} timed out`, undefined, undefined, { cause: error });
      }
      throw new ServiceNowUnreachableError(`ServiceNow ${what} got no answer`, undefined, undefined, { cause: error });
    }
    const ms = Math.round(performance.now() - started);
    this.logger.debug({ method, table, status: response.statusCode, ms }, 'servicenow request');
    const json = text ? safeJson(text) : undefined;
    if (response.statusCode >= 400) {
      const parsed = errorResponse.safeParse(json);
      const serviceNow: ServiceNowErrorBody | undefined = parsed.success ? parsed.data.error : undefined;
      this.logger.warn({ method, table, status: response.statusCode, ms, serviceNow: serviceNow?.message }, 'servicenow refused a request');
      throw errorForStatus(response.statusCode, serviceNow, what);
    }
    return json;
  }

  private parse<T>(schema: z.ZodType<T>, body: unknown, table: string): T {
    const parsed = schema.safeParse(body);
    if (!parsed.success) throw new ServiceNowResponseError(`ServiceNow answered an unexpected body for ${table}`, 200, undefined, { cause: parsed.error });
    return parsed.data;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
