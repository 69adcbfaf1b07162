import { setTimeout as sleep } from 'node:timers/promises';
import type { WebClient } from '@slack/web-api';
import type { SlackDeps } from '../deps.js';
import { homeForUser } from './home-for-user.js';

export interface HomeRedrawOptions {
  /** Publishes in flight at once. */
  concurrency?: number;
  /** At most `max` publishes begun within any `perMs`. */
  max?: number;
  perMs?: number;
  /** Whose Home is redrawn: those who opened it within this long. */
  windowMs?: number;
}

/**
 * views.publish is a Tier 4 method: Slack allows it about 100 times a minute (more in bursts), so
 * a round of redraws is held to that, four at a time. Homes opened more than 30 days ago are not
 * redrawn: opening Home draws it afresh anyway, and every redraw spends the same budget.
 */
export const HOME_REDRAWS = { concurrency: 4, max: 100, perMs: 60_000, windowMs: 30 * 86_400_000 } as const;

type Deps = Pick<SlackDeps, 'store' | 'admins' | 'approvers' | 'logger' | 'now'>;

/**
 * App Home redraws after a state change. A health sweep only schedules them and returns: with
 * hundreds of viewers, publishing one after another would hold the sweep (and the next check)
 * for as many round trips to Slack. Each view is built when its turn comes, from the store as it
 * is then, by the same function that draws Home when someone opens it.
 */
export class HomeRedraws {
  /** Who is waiting for a redraw, in the order they were queued (the most recent viewers first). */
  private readonly pending = new Set<string>();
  /** When the publishes within the last `perMs` began (monotonic ms). */
  private readonly begun: number[] = [];
  private draining: Promise<void> | undefined;
  private readonly stopping = new AbortController();
  private readonly options: Required<HomeRedrawOptions>;

  constructor(
    private readonly deps: Deps,
    private readonly client: WebClient,
    options: HomeRedrawOptions = {},
  ) {
    this.options = { ...HOME_REDRAWS, ...options };
  }

  /**
   * Queues a redraw for every recent viewer and returns at once. A viewer already waiting is
   * drawn once, so a burst of state changes makes one publish each, with the latest states.
   */
  schedule(): void {
    if (this.stopping.signal.aborted) return;
    for (const user of this.deps.store.homeViewers(this.windowStart())) this.pending.add(user);
    this.kick();
  }

  /** Drops what is waiting and waits for the publishes in flight; nothing is published after. */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.pending.clear();
    await this.draining;
  }

  private windowStart(): Date {
    return new Date(this.deps.now().getTime() - this.options.windowMs);
  }

  private kick(): void {
    if (this.draining || this.stopping.signal.aborted) return;
    this.draining = this.drain()
      .catch((error: unknown) => this.deps.logger.error({ err: error }, 'App Home redraws stopped'))
      .finally(() => {
        this.draining = undefined;
        // Queued between the last look at the queue and the end of the round.
        if (this.pending.size > 0) this.kick();
      });
  }

  private async drain(): Promise<void> {
    await this.deps.store.forgetHomeViewers(this.windowStart()).catch((error: unknown) => this.deps.logger.warn({ err: { message: (error as Error).message } }, 'could not forget old App Home viewers'));
    const running = new Set<Promise<void>>();
    try {
      while (!this.stopping.signal.aborted) {
        if (this.pending.size === 0 && running.size === 0) break;
        if (this.pending.size === 0 || running.size >= this.options.concurrency) {
          await Promise.race(running);
          continue;
        }
        await this.turn();
        const user = this.pending.values().next().value;
        if (user === undefined) continue;
        this.pending.delete(user);
        const publishing: Promise<void> = this.publish(user).finally(() => running.delete(publishing));
        running.add(publishing);
      }
    } catch (error) {
      if (!this.stopping.signal.aborted) throw error;
    } finally {
      await Promise.allSettled(running);
    }
  }

  /** Waits until one more publish fits Slack's rate, and counts it. */
  private async turn(): Promise<void> {
    for (;;) {
      const now = performance.now();
      while (this.begun.length > 0 && this.begun[0]! <= now - this.options.perMs) this.begun.shift();
      if (this.begun.length < this.options.max) {
        this.begun.push(now);
        return;
      }
      await sleep(this.begun[0]! + this.options.perMs - now, undefined, { signal: this.stopping.signal, ref: false });
    }
  }

  private async publish(userId: string): Promise<void> {
    try {
      await this.client.views.publish({ user_id: userId, view: await homeForUser(this.deps, userId) });
    } catch (error) {
      this.deps.logger.warn({ user: userId, err: { message: (error as Error).message } }, 'could not redraw App Home');
    }
  }
}
