import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { UnsafeQueryValueError } from '../../src/errors.js';
import {
  ServiceNowForbiddenError,
  ServiceNowRateLimitedError,
  ServiceNowTimeoutError,
  ServiceNowUnauthorizedError,
  ServiceNowUnavailableError,
} from '../../src/servicenow/errors.js';
import { ServiceNowTableClient } from '../../src/servicenow/table-client.js';
import { startServiceNowStandIn, type ServiceNowStandIn } from '../standins/servicenow.js';

let sn: ServiceNowStandIn;
let logs: string[];
beforeEach(async () => {
  sn = await startServiceNowStandIn({ username: 'u', password: 'p' });
  logs = [];
});
afterEach(async () => {
  await sn.close();
});

function client(overrides: Partial<ConstructorParameters<typeof ServiceNowTableClient>[0]> = {}) {
  return new ServiceNowTableClient({
    instanceUrl: sn.url,
    auth: { username: 'u', password: 'p' },
    logger: createLogger('debug', { write: (line: string) => void logs.push(line) }),
    minRetryDelayMs: 10,
    maxRetries: 2,
    timeoutMs: 1000,
    // The protocol on its own: request counts here are the calls under test. The dictionary
    // check has its own tests (instance-schema.test.ts).
    checkColumns: false,
    ...overrides,
  });
}

const tableRequests = () => sn.requests.filter((r) => r.path.startsWith('/api/now/table/'));

describe('ServiceNow Table API client', () => {
  it('finds records with reference values as plain sys_ids', async () => {
    const alias = (await client().findOne('sys_alias', { name: 'Confluence Cloud' }))!;
    expect(alias.id).toBe('sn_conflunce_spoke.Confluence_Cloud');
    const created = await client().createRecord('http_connection', { name: 'c', connection_alias: alias.sys_id });
    expect(created.connection_alias).toBe(alias.sys_id);
  });

  it('never lets a value change the query: a ^ is refused before any request leaves', async () => {
    await expect(client().findOne('oauth_entity', { name: 'x^ORactive=true' })).rejects.toBeInstanceOf(UnsafeQueryValueError);
    expect(tableRequests()).toEqual([]);
  });

  it('sends encrypted fields as display values so ServiceNow stores them', async () => {
    const entity = await client().createRecord('oauth_entity', { name: 'e', client_secret: 's3cret' }, { encryptedFields: true });
    expect(sn.secretOf('oauth_entity', entity.sys_id)).toEqual({ value: 's3cret', wellFormed: true });
    expect(tableRequests()[0]!.query).toMatchObject({ sysparm_input_display_value: 'true' });
  });

  it('waits for Retry-After on a 429, then goes on', async () => {
    sn.faults.next({ method: 'GET', status: 429, headers: { 'Retry-After': '1' } });
    const started = Date.now();
    await client().findOne('sys_alias', { name: 'Jira' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(tableRequests()).toHaveLength(2);
  });

  it('retries an insert refused with 429 (nothing was written)', async () => {
    sn.faults.next({ method: 'POST', status: 429, headers: { 'Retry-After': '0' } });
    await client().createRecord('oauth_entity', { name: 'e' });
    expect(sn.rows('oauth_entity')).toHaveLength(1);
  });

  it('gives up on a 429 that persists, with ServiceNow\'s words and what to do', async () => {
    for (let i = 0; i < 3; i++) sn.faults.next({ method: 'GET', status: 429, headers: { 'Retry-After': '0' } });
    const error = await client().findOne('sys_alias', { name: 'Jira' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceNowRateLimitedError);
    expect((error as ServiceNowRateLimitedError).serviceNow?.detail).toContain('Rate limit of 5000 requests per hour');
    expect(tableRequests()).toHaveLength(3);
  });

  it('retries reads on 5xx a bounded number of times', async () => {
    for (let i = 0; i < 5; i++) sn.faults.next({ method: 'GET', status: 503 });
    const error = await client().findOne('sys_alias', { name: 'Jira' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceNowUnavailableError);
    expect(tableRequests()).toHaveLength(3);
  });

  it('does not retry an insert after a 500, since it may have been committed', async () => {
    sn.faults.next({ method: 'POST', status: 500 });
    await expect(client().createRecord('oauth_entity', { name: 'e' })).rejects.toBeInstanceOf(ServiceNowUnavailableError);
    expect(tableRequests()).toHaveLength(1);
  });

  it('maps 401 and 403 to errors that say what to do, keeping ServiceNow\'s message', async () => {
    const wrong = await client({ auth: { username: 'u', password: 'wrong' } }).findOne('sys_alias', { name: 'Jira' }).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(ServiceNowUnauthorizedError);
    expect((wrong as ServiceNowUnauthorizedError).hint).toContain('SERVICENOW_USERNAME');
    sn.faults.next({ method: 'POST', status: 403, body: { error: { message: 'Operation Failed', detail: 'ACL restricts the record' }, status: 'failure' } });
    const forbidden = await client().createRecord('oauth_entity', { name: 'e' }).catch((e: unknown) => e);
    expect(forbidden).toBeInstanceOf(ServiceNowForbiddenError);
    expect((forbidden as ServiceNowForbiddenError).hint).toContain('ACL restricts the record');
  });

  it('times out a request that does not answer, and never logs the password', async () => {
    sn.faults.next({ method: 'POST', delayMs: 3000 });
    await expect(client({ timeoutMs: 300 }).createRecord('oauth_entity', { name: 'e' })).rejects.toBeInstanceOf(ServiceNowTimeoutError);
    expect(logs.join('\n')).not.toContain(Buffer.from('u:p').toString('base64'));
    expect(logs.some((l) => l.includes('"table":"oauth_entity"'))).toBe(true);
  });
});
