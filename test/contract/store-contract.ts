import { describe, it } from 'vitest';
import type { SpokeStore } from '../../src/store/spoke-store.js';
import type { TestClock } from './fixtures.js';
import { auditCases } from './cases/audit.js';
import { claimCases } from './cases/claims.js';
import { connectionCases } from './cases/connections.js';
import { healthCases } from './cases/health.js';
import { noteCases } from './cases/notes.js';
import { reopenCases } from './cases/reopen.js';
import { requestCases } from './cases/requests.js';
import { rotationCases } from './cases/rotations.js';
import { setupCases } from './cases/setups.js';

/**
 * The store contract: what every SpokeStore does, whichever engine keeps the rows. The same cases
 * run on lowdb (lowdb-store.test.ts) and on PostgreSQL (postgres-store.test.ts), so the
 * PostgreSQL store cannot drift from the rules the bot was written against.
 */

/** One store opened for one case, on data of its own. */
export interface StoreUnderTest {
  store: SpokeStore;
  /** The store's `now`: claims, leases and expiries follow it. */
  clock: TestClock;
  /**
   * Closes `store` and opens the same data again (a restart), with `key` when given (the key it
   * was opened with otherwise). A store opened by it is disposed of with the rest.
   */
  reopen?: (key?: Buffer) => Promise<SpokeStore>;
  /** Another store instance on the same data and clock: a second replica. */
  secondReplica?: () => Promise<SpokeStore>;
  /** Closes every store the case opened and removes its data. */
  dispose(): Promise<void>;
}

export type OpenStore = () => Promise<StoreUnderTest>;

/** A case that gets a store of its own, disposed of when the case ends, pass or fail. */
export type StoreCase = (name: string, body: (opened: StoreUnderTest) => Promise<void>) => void;

export function storeCase(open: OpenStore): StoreCase {
  return (name, body) =>
    it(name, async ({ onTestFinished }) => {
      const opened = await open();
      onTestFinished(() => opened.dispose());
      await body(opened);
    });
}

export function describeStoreContract(name: string, open: OpenStore): void {
  const store = storeCase(open);
  // Each case has its own data and clock, so they may run at once: that keeps the PostgreSQL run
  // short (a case spends most of its time waiting on the server, not on the CPU).
  describe.concurrent(`store contract: ${name}`, () => {
    describe('setups', () => setupCases(store));
    describe('rotations', () => rotationCases(store));
    describe('connections', () => connectionCases(store));
    describe('access requests', () => requestCases(store));
    describe('health and check results', () => healthCases(store));
    describe('claims and leases', () => claimCases(store));
    describe('home viewers, undelivered notices, report refusals', () => noteCases(store));
    describe('audit trail', () => auditCases(store));
    describe('reopen', () => reopenCases(store));
  });
}
