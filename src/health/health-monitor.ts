import pLimit, { type LimitFunction } from 'p-limit';
import { decideAlert } from '../core/alert-policy.js';
import { evaluateHealth } from '../core/health.js';
import { dueReminders, type DueReminder } from '../core/reminders.js';
import type { Logger } from '../logger.js';
import type { Connection, HealthRecord, SpokeStore } from '../store/spoke-store.js';
import type { HealthProbe } from './health-probe.js';

/** How the outside world hears about health: implemented by the Slack side. */
export interface HealthNotifier {
  stateChanged(connection: Connection, record: HealthRecord, kind: 'failing' | 'warning' | 'recovered'): Promise<void>;
  reminder(connection: Connection, due: DueReminder): Promise<void>;
  /** A state changed: views that show states (App Home) should be drawn again. */
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
    const running = this.inFlight.get(connection.name);
    if (running) return running;
    const last = options.reuseWithinMs ? this.options.store.getHealth(connection.name) : undefined;
    if (last && this.options.now().getTime() - Date.parse(last.checkedAt) < options.reuseWithinMs!) return Promise.resolve(last);
    const check = this.runCheck(connection, options.redraw ?? true).finally(() => this.inFlight.delete(connection.name));
    this.inFlight.set(connection.name, check);
    return check;
  }

  private async runCheck(connection: Connection, redraw: boolean): Promise<HealthRecord> {
    const { store, now: clock, intervalMs } = this.options;
    const previous = store.getHealth(connection.name);
    const { facts, authFailedAt } = await this.options.probe.probe(connection, previous);
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
    await store.saveHealth(connection.name, record);
    if (decision.alert) {
      await store.audit({ actor: 'spokebot', action: 'health.alert', outcome: 'ok', connection: connection.name, detail: { state: report.state, kind: decision.kind } });
      await this.options.notifier.stateChanged(connection, record, decision.kind);
    }
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

  private async runSweep(): Promise<number> {
    const now = this.options.now().getTime();
    const due = this.options.store
      .listConnections()
      .filter((c) => c.state === 'connected')
      .filter((c) => Date.parse(this.options.store.getHealth(c.name)?.nextCheckAt ?? '1970-01-01') <= now);
    const before = new Map(due.map((c) => [c.name, this.options.store.getHealth(c.name)?.state]));
    // The site slot first, then a global one: a busy site must not hold slots other sites could use.
    const results = await Promise.allSettled(due.map((c) => this.site(c.siteOrigin)(() => this.all(() => this.check(c, { redraw: false })))));
    for (const [i, result] of results.entries()) {
      if (result.status === 'fulfilled') continue;
      const connection = due[i]!;
      this.options.logger.error({ connection: connection.name, err: result.reason }, 'health check failed');
      // Not again at every tick: the next try waits an interval like any other.
      const previous = this.options.store.getHealth(connection.name);
      if (previous) await this.options.store.saveHealth(connection.name, { ...previous, nextCheckAt: new Date(now + this.options.intervalMs).toISOString() });
    }
    // One redraw of the views that show states per sweep, not one per connection.
    if (due.some((c) => before.get(c.name) !== this.options.store.getHealth(c.name)?.state)) await this.options.notifier.statesChanged();
    return due.length;
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
    for (const due of plan.send) {
      // Marked once the channel has it: a failed post is tried again at the next check.
      try {
        await this.options.notifier.reminder(connection, due);
      } catch (error) {
        this.options.logger.warn({ connection: connection.name, err: { message: (error as Error).message } }, 'reminder not delivered; will try again');
        continue;
      }
      await store.markReminders([due.key]);
      await store.audit({ actor: 'spokebot', action: 'reminder.sent', outcome: 'ok', connection: connection.name, detail: { kind: due.expiry.kind, threshold: due.threshold, daysLeft: due.daysLeft } });
    }
  }
}

function pick(previous: HealthRecord | undefined): Partial<HealthRecord> {
  if (!previous?.alertedState) return {};
  return { alertedState: previous.alertedState, ...(previous.alertedAt ? { alertedAt: previous.alertedAt } : {}) };
}
