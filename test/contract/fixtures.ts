import type { SetupRequest } from '../../src/core/setup-request.js';
import type { AccessRequest, Connection, HealthRecord } from '../../src/store/spoke-store.js';

/** The records the contract cases store: valid by the store schema, short enough to read in a failure. */

export const KEY = Buffer.alloc(32, 7);
/** A key that did not seal the store: a reopen with it is refused. */
export const OTHER_KEY = Buffer.alloc(32, 8);

/** The time every case starts at; the clock moves only when a case moves it. */
export const START = new Date('2026-11-23T10:00:00Z');

/** The store's `now`, moved by hand: leases, claims and expiries run on it, not on the wall clock. */
export class TestClock {
  private at = START.getTime();
  readonly now = (): Date => new Date(this.at);
  advance(ms: number): void {
    this.at += ms;
  }
  iso(): string {
    return new Date(this.at).toISOString();
  }
}

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

export function setupRequest(overrides: Partial<SetupRequest> = {}): SetupRequest {
  return {
    spoke: 'confluence',
    method: 'oauth_3lo',
    connectionName: 'Confluence acme',
    siteOrigin: 'https://acme.atlassian.net',
    clientId: 'client-id',
    secret: 'the-client-secret-value',
    scopes: ['read:me', 'offline_access'],
    channel: 'C1',
    ...overrides,
  };
}

export function connection(name: string, overrides: Partial<Connection> = {}): Connection {
  return {
    name,
    spoke: 'jira',
    method: 'api_token',
    siteOrigin: 'https://acme.atlassian.net',
    cloudId: 'cloud-1',
    channel: 'C1',
    scopes: [],
    createdBy: 'U1',
    createdAt: START.toISOString(),
    state: 'connected',
    records: { alias: 'sys-alias-1' },
    ...overrides,
  };
}

export function health(checkedAt: Date, nextCheckAt: Date, overrides: Partial<HealthRecord> = {}): HealthRecord {
  return {
    state: 'ok',
    checks: [{ check: 'credential', status: 'ok', summary: 'signs in' }],
    expiries: [],
    checkedAt: checkedAt.toISOString(),
    nextCheckAt: nextCheckAt.toISOString(),
    ...overrides,
  };
}

export function accessRequest(at: Date, overrides: Partial<Omit<AccessRequest, 'id'>> = {}): Omit<AccessRequest, 'id'> {
  return {
    requester: 'U1',
    details: { kind: 'new_connection', spoke: 'jira', site: 'https://acme.atlassian.net', team: 'platform' },
    reason: 'we need it',
    state: 'open',
    createdAt: at.toISOString(),
    lastAnnouncedAt: at.toISOString(),
    reannounced: 0,
    ...overrides,
  };
}
