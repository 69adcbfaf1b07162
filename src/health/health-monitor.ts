import pLimit, { type LimitFunction } from 'p-limit';
import { decideAlert } from '../core/alert-policy.js';
import { evaluateHealth } from '../core/health.js';
import { nextNoticeTry, noticeDue } from '../core/notice-retry.js';
import { dueReminders, type DueReminder } from '../core/reminders.js';
import type { Logger } from '../logger.js';
import type { Connection, HealthRecord, SpokeStore } from '../store/spoke-store.js';
import type { HealthProbe } from './health-probe.js';

/** Whether a notice reached anyone (the channel, the admin's DM, or both), and why not when it reached nobody. */
export type Delivery = { delivered: true } | { delivered: false; problem: string };

type AlertKind = 'failing' | 'warning' | 'recovered';

/** How the outside world hears about health: implemented by the Slack side. */
export interface HealthNotifier {
  stateChanged(connection: Connection, record: HealthRecord, kind: AlertKind): Promise<Delivery>;
  reminder(connection: Connection, due: DueReminder): Promise<Delivery>;
  /** A state changed: views that show states (App Home) should be drawn again. Schedules that work and returns at once. */
  statesChanged(): Promise<void>;
}

export interface HealthMonitorOptions {
  store: SpokeStore;
  probe: HealthProbe;
  notifier: HealthNotifier;
  logger: Logger;
  now: () => Date;
  intervalMs: number;
  reminderDays: readonly number[];
  /** An expiry this close makes the state a warning. */
  warnDays?: number;
  /** Connections checked at once, and at once against one Atlassian site. */
  concurrency?: number;
  perSite?: number;
}

/**
 * Checks every connection on a schedule whose due times live in the store (a restart loses
 * nothing), and on demand. Tells the channel only when a state changes, and sends each expiry
 * reminder once.
 */
/**
 * A check asked for by a person within this long of the last one answers that one: twenty Check
 * now clicks make one round of ServiceNow reads and at most one sign-in with the stored credential.
 */
export const LIVE_CHECK_REUSE_MS = 30_000;

/**
 * How long a claimed check is this replica's: one that dies holding it leaves it due again after
 * this. Claims are taken a little ahead of the slots, so a claim must outlast its wait for a slot:
 * at least a minute (a sweep's queue on a busy host), at most five, the interval between.
 */
export const checkClaimMs = (intervalMs: number) => Math.min(5 * 60_000, Math.max(60_000, intervalMs));

/**
 * Checks a sweep claims at once, and reads ahead together: one `IN` query per table for the
 * whole chunk (health/sweep-reads.ts IDS_PER_QUERY). Up to SWEEP_CHUNKS_AHEAD chunks are out at a time.
 */
export const SWEEP_CHUNK = 50;

/**
 * Chunks claimed and read ahead while earlier ones are judged. A chunk's reads are about seven
 * requests, so four keep the ServiceNow client's sixteen sockets busy while the bot's CPU is on
 * the chunks that came back; with two, the sockets sat idle during that work (bench/health-sweep.ts).
 * The client's pool, not this, caps what is in flight.
 */
const SWEEP_CHUNKS_AHEAD = 4;

/** Runs a check's probe within the sweep's concurrency limits (a Check now has none). */
type Slot = <T>(probe: () => Promise<T>) => Promise<T>;

/** How long a reminder being sent is this replica's: a replica that dies mid-send leaves it to another after this. */
const REMINDER_CLAIM_MS = 2 * 60_000;

export class HealthMonitor {
  private readonly all: LimitFunction;
  private readonly sites = new Map<string, LimitFunction>();
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<number> | undefined;
  /** One check per connection at a time: a Check now during a sweep joins it. */
  private readonly inFlight = new Map<string, Promise<HealthRecord>>();

  constructor(private readonly options: HealthMonitorOptions) {
    this.all = pLimit(options.concurrency ?? 16);
  }

  /**
   * Runs every check for one connection now, then alerts and reminds as the rules say. With
   * `reuseWithinMs`, a result that recent is answered instead (a burst of Check now clicks
   * makes one round of ServiceNow reads and one sign-in, not one per click).
   */
  check(connection: Connection, options: { redraw?: boolean; reuseWithinMs?: number } = {}): Promise<HealthRecord> {
    // Joined to a sweep's check that was left because its claim ran out: this one still runs.
    return this.checkWith(connection, options).catch((error: unknown) => {
      if (error instanceof ClaimRanOut) return this.checkWith(connection, options);
      throw error;
    });
  }

  /**
   * check(), plus what a sweep needs: `slot` wraps the probe (the part that sends requests) in the
   * sweep's concurrency limits, and `probed` is told once the probe is over, which frees the
   * sweep to claim more while this check's result is saved and its notices sent.
   */
  private checkWith(connection: Connection, options: { redraw?: boolean; reuseWithinMs?: number; slot?: Slot; probed?: () => void }): Promise<HealthRecord> {
    const running = this.inFlight.get(connection.name);
    if (running) return running;
    const last = options.reuseWithinMs ? this.options.store.getHealth(connection.name) : undefined;
    if (last && this.options.now().getTime() - Date.parse(last.checkedAt) < options.reuseWithinMs!) return Promise.resolve(last);
    const check = this.runCheck(connection, options.redraw ?? true, options.slot ?? ((probe) => probe()), options.probed).finally(() => this.inFlight.delete(connection.name));
    this.inFlight.set(connection.name, check);
    return check;
  }

  private async runCheck(given: Connection, redraw: boolean, slot: Slot, probed?: () => void): Promise<HealthRecord> {
    const { store, now: clock, intervalMs } = this.options;
    // The connection as it is now, not as the caller read it: a sweep's copy may predate a rotation.
    const connection = store.getConnection(given.name) ?? given;
    const previous = store.getHealth(connection.name);
    const { facts, authFailedAt } = await slot(() => this.options.probe.probe(connection, previous));
    probed?.();
    const now = clock();
    const report = evaluateHealth(facts, now, { warnDays: this.options.warnDays ?? 14 });
    const decision = decideAlert(previous ?? {}, report.state, previous?.state, now, intervalMs);
    const credentialOk = report.checks.some((c) => c.check === 'credential' && c.status === 'ok');
    const failedAt = authFailedAt ?? (credentialOk ? undefined : previous?.authFailedAt);
    const record: HealthRecord = {
      state: report.state,
      checks: report.checks,
      expiries: report.expiries,
      checkedAt: now.toISOString(),
      nextCheckAt: new Date(now.getTime() + intervalMs).toISOString(),
      ...(decision.alert ? { alertedState: report.state, alertedAt: now.toISOString() } : pick(previous)),
      ...(failedAt ? { authFailedAt: failedAt } : {}),
    };
    if (!(await store.saveCheckResult(connection.name, connection.credentialVersion, record, { checkedAt: previous?.checkedAt }))) {
      // Rotated, set up again or removed while this check ran: what it found is about a credential
      // nobody uses now. Or another check (on this replica or another) saved first: its result
      // stands and it alerted. No back-off, no alert; the check still due judges the connection as it is.
      this.options.logger.info({ connection: connection.name }, 'check result dropped: the connection changed while it ran');
      return store.getHealth(connection.name) ?? record;
    }
    if (decision.alert) {
      await store.audit({ actor: 'spokebot', action: 'health.alert', outcome: 'ok', connection: connection.name, detail: { state: report.state, kind: decision.kind } });
      await this.alert(connection, record, decision.kind, now);
    } else await this.alertAgain(connection, record, now);
    await this.remind(connection, report.expiries, now);
    if (redraw && previous?.state !== record.state) await this.options.notifier.statesChanged();
    return record;
  }

  /** Checks every active connection whose check is due; returns how many were checked. */
  sweep(): Promise<number> {
    // One sweep at a time: a slow one is not overtaken by the next tick.
    this.sweeping ??= this.runSweep().finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  start(tickMs: number): void {
    this.timer = setInterval(() => {
      this.sweep().catch((error: unknown) => this.options.logger.error({ err: error }, 'health sweep failed'));
    }, tickMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a sweep in progress, so nothing writes after shutdown. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.sweeping?.catch(() => undefined);
  }

  /**
   * Due checks are claimed from the store a chunk at a time (store.claimDueChecks), so replicas
   * sharing a store split the sweep between them and each check runs on one of them; more are
   * claimed as checks finish probing. A claim whose replica dies runs out and the check is due again.
   *
   * Each chunk's reads are started together (probe.readAhead: a few `IN` queries for the whole
   * chunk, each site's tenant_info once per sweep); several chunks are out at once, so the next
   * chunks' reads are in flight while this one's results are judged and saved. Saving (the store
   * makes each result durable before it counts) and notices happen after a check's probe and
   * hold neither a slot nor a place in the claim-ahead: what waits on the disk does not keep
   * the next requests from going out.
   */
  private async runSweep(): Promise<number> {
    const { store, logger, intervalMs, probe } = this.options;
    const leaseMs = checkClaimMs(intervalMs);
    const ahead = SWEEP_CHUNK * SWEEP_CHUNKS_AHEAD;
    const before = new Map<string, HealthRecord['state'] | undefined>();
    /** Claimed checks still probing: what the claim-ahead counts. */
    const probing = new Set<Promise<void>>();
    /** Every claimed check until its result is saved and its notices sent. */
    const finishing = new Set<Promise<void>>();
    let checked = 0;
    try {
      for (;;) {
        if (probing.size > ahead - SWEEP_CHUNK) {
          await Promise.race(probing);
          continue;
        }
        // Read before the claim is asked for, so the store's lease runs out no sooner than this.
        const claimEnds = this.options.now().getTime() + leaseMs;
        // A whole chunk, so that each of its reads is one query (a claim of 60 would make two of each).
        const names = await store.claimDueChecks({ limit: SWEEP_CHUNK, leaseMs });
        if (names.length === 0) break;
        checked += names.length;
        const connections: Connection[] = [];
        for (const name of names) {
          before.set(name, store.getHealth(name)?.state);
          const connection = store.getConnection(name);
          if (connection?.state === 'connected') connections.push(connection);
        }
        if (this.options.now().getTime() < claimEnds) probe.readAhead(connections);
        for (const name of names) {
          let probed!: () => void;
          const probeOver = new Promise<void>((resolve) => (probed = resolve)).finally(() => probing.delete(probeOver));
          probing.add(probeOver);
          const done = this.checkClaimed(name, claimEnds, probed).finally(() => {
            probed();
            finishing.delete(done);
          });
          finishing.add(done);
        }
      }
      await Promise.all(finishing);
    } finally {
      probe.endSweep();
    }
    // One redraw of the views that show states per sweep, not one per connection.
    if ([...before].some(([name, state]) => state !== store.getHealth(name)?.state)) await this.options.notifier.statesChanged();
    logger.debug({ checked }, 'health sweep done');
    return checked;
  }

  /**
   * One claimed check; never rejects (a failure is logged and waits an interval like any other check).
   * A check whose claim ran out before its slot came (a host so starved, or a process so paused,
   * that a minute passed) is left alone: another replica may have claimed it since, and reading
   * ServiceNow for it twice is what the claim is for. It is still due, so it is not lost.
   */
  private async checkClaimed(name: string, claimEnds: number, probed: () => void): Promise<void> {
    const { store } = this.options;
    // Read when its turn comes: removed meanwhile, it is not checked.
    const connection = store.getConnection(name);
    if (connection?.state !== 'connected') return;
    try {
      // The site slot first, then a global one: a busy site must not hold slots other sites could use.
      const slot: Slot = (probe) => this.site(connection.siteOrigin)(() => this.all(() => (this.options.now().getTime() < claimEnds ? probe() : Promise.reject(new ClaimRanOut(name)))));
      await this.checkWith(connection, { redraw: false, slot, probed });
    } catch (error) {
      if (error instanceof ClaimRanOut) {
        this.options.logger.warn({ connection: name }, error.message);
        return;
      }
      this.options.logger.error({ connection: name, err: error }, 'health check failed');
      // Not again at every tick: the next try waits an interval like any other.
      const previous = store.getHealth(name);
      if (previous) await store.saveHealth(name, { ...previous, nextCheckAt: new Date(this.options.now().getTime() + this.options.intervalMs).toISOString() }).catch(() => undefined);
    }
  }

  private site(origin: string): LimitFunction {
    let limit = this.sites.get(origin);
    if (!limit) {
      limit = pLimit(this.options.perSite ?? 4);
      this.sites.set(origin, limit);
    }
    return limit;
  }

  private async remind(connection: Connection, expiries: HealthRecord['expiries'], now: Date): Promise<void> {
    const { store } = this.options;
    const plan = dueReminders(connection.name, expiries, this.options.reminderDays, store.remindersHandled(), now);
    await store.markReminders(plan.skip);
    for (const key of plan.skip) await store.setUndeliveredNotice(reminderNotice(key), undefined);
    for (const due of plan.send) {
      const key = reminderNotice(due.key);
      if (!noticeDue(store.undeliveredNotice(key), now)) continue;
      // Claimed in the store before it goes: of two checks (two replicas, or Check now beside the sweep), one sends it.
      if (!(await store.claimReminder(due.key, REMINDER_CLAIM_MS))) continue;
      const detail = { kind: due.expiry.kind, threshold: due.threshold, daysLeft: due.daysLeft };
      // A store that fails mid-notice must not leave the claim standing for its whole lease: the
      // next check would find it held, and a threshold the clock passes meanwhile is overtaken.
      const outcome = await this.notice(connection, key, 'reminder', detail, () => this.options.notifier.reminder(connection, due), now).catch(async (error: unknown) => {
        await store.releaseReminder(due.key).catch(() => undefined);
        throw error;
      });
      if (outcome === 'later') {
        await store.releaseReminder(due.key);
        continue;
      }
      // Sent, or given up after its last try: not sent again either way.
      await store.markReminders([due.key]);
      if (outcome === 'delivered') await store.audit({ actor: 'spokebot', action: 'reminder.sent', outcome: 'ok', connection: connection.name, detail });
    }
  }

  /** Tells of a state change. One that reaches nobody is owed, and tried again at later checks while the state holds. */
  private async alert(connection: Connection, record: HealthRecord, kind: AlertKind, now: Date): Promise<void> {
    const key = alertNotice(connection.name);
    // A new alert replaces one still owed, with a fresh count of tries.
    await this.options.store.setUndeliveredNotice(key, undefined);
    await this.notice(connection, key, 'health.alert', { state: record.state, kind }, () => this.options.notifier.stateChanged(connection, record, kind), now, kind);
  }

  private async alertAgain(connection: Connection, record: HealthRecord, now: Date): Promise<void> {
    const key = alertNotice(connection.name);
    const owed = this.options.store.undeliveredNotice(key);
    if (!owed?.alert || !noticeDue(owed, now)) return;
    // The state it told of is over: what the channel hears now is the rules' call, not this alert's.
    const holds = owed.alert === 'recovered' ? record.state === 'ok' : record.state === owed.alert;
    if (!holds) return this.options.store.setUndeliveredNotice(key, undefined);
    const kind = owed.alert;
    await this.notice(connection, key, 'health.alert', { state: record.state, kind }, () => this.options.notifier.stateChanged(connection, record, kind), now, kind);
  }

  /**
   * Sends one notice. It counts as sent when the channel or the admin's DM took it; when neither
   * did, it waits and is tried again (core/notice-retry.ts), and after the last try it is given
   * up, logged and audited, so a Slack that refuses both is not asked at every check for ever.
   */
  private async notice(
    connection: Connection,
    key: string,
    action: string,
    detail: Record<string, string | number>,
    send: () => Promise<Delivery>,
    now: Date,
    alert?: AlertKind,
  ): Promise<'delivered' | 'later' | 'given_up'> {
    const { store, logger } = this.options;
    const delivery = await send().catch((error: unknown): Delivery => ({ delivered: false, problem: (error as Error).message }));
    if (delivery.delivered) {
      await store.setUndeliveredNotice(key, undefined);
      return 'delivered';
    }
    const tries = (store.undeliveredNotice(key)?.tries ?? 0) + 1;
    const next = nextNoticeTry(tries, now);
    if (next.giveUp) {
      await store.setUndeliveredNotice(key, undefined);
      logger.error({ connection: connection.name, notice: action, tries, problem: delivery.problem }, 'health notice reached nobody; given up');
      await store.audit({ actor: 'spokebot', action: `${action.replace(/^health\./, '')}.undelivered`, outcome: 'failed', connection: connection.name, detail: { ...detail, problem: delivery.problem, tries } });
      return 'given_up';
    }
    await store.setUndeliveredNotice(key, { tries, nextAt: next.nextAt, lastError: delivery.problem, ...(alert ? { alert } : {}) });
    logger.warn({ connection: connection.name, notice: action, tries, nextAt: next.nextAt, problem: delivery.problem }, 'health notice reached nobody; will try again');
    return 'later';
  }
}

/** A sweep's claim on a check ran out before the check began (see HealthMonitor.checkClaimed). */
class ClaimRanOut extends Error {
  constructor(connection: string) {
    super(`the claim on ${connection}'s due check ran out before the check began; left to whichever replica claims it now`);
  }
}

/** Keys of notices that reached nobody: one owed alert per connection, each reminder by its own key. */
const alertNotice = (connection: string) => `alert|${connection}`;
const reminderNotice = (key: string) => `reminder|${key}`;

function pick(previous: HealthRecord | undefined): Partial<HealthRecord> {
  if (!previous?.alertedState) return {};
  return { alertedState: previous.alertedState, ...(previous.alertedAt ? { alertedAt: previous.alertedAt } : {}) };
}
