import { SpokeError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { SpokeStore } from '../store/spoke-store.js';

/** How long a lease outlives its last renewal: a replica dead this long has its work taken over. */
export const WORK_LEASE_MS = 30_000;

/** How long a step waits for another replica to hand over a setup's lease (its step is ending). */
const HANDOVER_WAIT_MS = 3000;

/**
 * A lease's length and how often replicas look for work whose lease ran out, from the check
 * interval: a dead replica's work is taken over within one interval (a lease, then a look), and
 * never sooner than a loaded host's renewals can be late. A lease is renewed every third of it,
 * so the 3 s floor lets a renewal come two seconds late (a busy test host) before the work is
 * taken for dead; a 2 s lease had let a live setup's write be taken over under CI load.
 */
export function leaseTimings(checkIntervalMs: number): { leaseMs: number; takeoverEveryMs: number } {
  const leaseMs = Math.min(WORK_LEASE_MS, Math.max(3000, Math.floor(checkIntervalMs / 2)));
  return { leaseMs, takeoverEveryMs: Math.min(60_000, Math.max(1000, checkIntervalMs - leaseMs)) };
}

/**
 * Leases in the store on work that runs for a while after the ack (a setup's site check, its
 * writes, a consent watch, a re-consent watch). The lease says "a live process is on this": it
 * is renewed while the work runs, and when the process dies it runs out, so another replica's
 * takeover (flows/work-takeover.ts) finds the work and finishes it or tells its admin.
 *
 * A lease does not stop a second click from running: whether work may start is the store's
 * conditional transitions' call, as with one replica. Holds nest within a process: a step that
 * starts another step of the same setup shares its lease.
 */
export class WorkLeases {
  /** Keys held (or being taken) by this process, with how many holds share each. */
  private readonly here = new Map<string, { depth: number; renewal?: NodeJS.Timeout }>();

  constructor(
    private readonly store: SpokeStore,
    private readonly logger: Logger,
    private readonly ttlMs = WORK_LEASE_MS,
  ) {}

  /**
   * Runs `work` holding `key`'s lease, renewed while it runs; released when the outermost hold
   * ends. When another replica holds it (the step before, on the replica that showed the plan,
   * is finishing), waits a moment for it; then runs anyway and takes the lease as soon as it is
   * free, so the work is never left unleased for a takeover to find.
   */
  async hold<T>(key: string, work: () => Promise<T>): Promise<T> {
    const held = this.here.get(key);
    if (held) {
      held.depth++;
    } else {
      this.here.set(key, { depth: 1 });
      await this.acquired(key, await this.acquireWithin(key, HANDOVER_WAIT_MS));
    }
    try {
      return await work();
    } finally {
      await this.letGo(key);
    }
  }

  /**
   * Runs `work` holding `key`'s lease only if no process holds it, this one included: work a dead
   * process left. False (and nothing run) when it is held.
   */
  async takeOver(key: string, work: () => Promise<void>): Promise<boolean> {
    if (this.here.has(key)) return false;
    this.here.set(key, { depth: 1 });
    const acquired = await this.store.acquireLease(key, this.ttlMs).catch((error: unknown) => this.warn(key, error, false));
    if (!acquired) {
      this.here.delete(key);
      return false;
    }
    await this.acquired(key, true);
    try {
      await work();
    } finally {
      await this.letGo(key);
    }
    return true;
  }

  /**
   * A lock across every process sharing the store: waits (polling) until `key`'s lease is this
   * process's, keeps it renewed, and resolves with its release. Callers queue within the process
   * first: a lease is re-entrant for its holder. Gives up after `waitMs`.
   */
  async lock(key: string, waitMs = 120_000): Promise<() => Promise<void>> {
    const deadline = Date.now() + waitMs;
    while (!(await this.store.acquireLease(key, this.ttlMs))) {
      if (Date.now() > deadline) throw new LeaseWaitError(key, waitMs);
      await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 150));
    }
    const renewal = setInterval(() => {
      this.store.acquireLease(key, this.ttlMs).catch((error: unknown) => this.warn(key, error, false));
    }, Math.max(1, Math.floor(this.ttlMs / 3)));
    renewal.unref();
    return async () => {
      clearInterval(renewal);
      await this.store.releaseLease(key).catch((error: unknown) => this.warn(key, error, undefined));
    };
  }

  /** Tries for the lease until `waitMs` has passed. */
  private async acquireWithin(key: string, waitMs: number): Promise<boolean> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      if (await this.store.acquireLease(key, this.ttlMs).catch((error: unknown) => this.warn(key, error, false))) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  private async acquired(key: string, ok: boolean): Promise<void> {
    const held = this.here.get(key);
    if (!held) return;
    if (!ok) this.logger.warn({ lease: key }, 'another replica holds the lease on this work; running it anyway (the store decides), and taking the lease once it is free');
    // Acquiring again renews a lease held, and takes one that was not (yet) this process's.
    const renewal = setInterval(() => {
      this.store.acquireLease(key, this.ttlMs).catch((error: unknown) => this.warn(key, error, false));
    }, Math.max(1, Math.floor(this.ttlMs / 3)));
    renewal.unref();
    held.renewal = renewal;
  }

  private async letGo(key: string): Promise<void> {
    const held = this.here.get(key);
    if (!held) return;
    if (--held.depth > 0) return;
    clearInterval(held.renewal);
    this.here.delete(key);
    await this.store.releaseLease(key).catch((error: unknown) => this.warn(key, error, undefined));
  }

  private warn<T>(key: string, error: unknown, fallback: T): T {
    this.logger.warn({ lease: key, err: error }, 'could not update a work lease in the store');
    return fallback;
  }
}

/** Another replica held a shared lock for longer than anyone should wait. */
export class LeaseWaitError extends SpokeError {
  readonly code = 'lease_wait';
  readonly hint = "Press Retry in a minute; if it happens again, look in the other replicas' logs for what holds it.";
  constructor(key: string, waitMs: number) {
    super(`another spokebot replica held ${key} for over ${Math.round(waitMs / 1000)} s`);
  }
}

/** The lease key of a setup's running work. */
export const setupLease = (setupId: string) => `setup:${setupId}`;
/** The lease key of a rotation's running work. */
export const rotationLease = (rotationId: string) => `rotation:${rotationId}`;
