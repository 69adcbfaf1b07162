import type { Logger } from './logger.js';
import { SpokeError } from './errors.js';

/**
 * Slow work that runs after Slack has been acked (Slack retries a request it has no answer to within 3 seconds, so: ack first). Tasks are
 * tracked so shutdown and tests can wait for them, and a failure reaches one place that logs
 * it with what to do, instead of every listener catching and logging on its own.
 */
export class BackgroundTasks {
  private readonly running = new Set<Promise<void>>();
  private readonly controller = new AbortController();

  constructor(private readonly logger: Logger) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  run(name: string, task: (signal: AbortSignal) => Promise<void>): void {
    const promise = task(this.controller.signal)
      .catch((error: unknown) => {
        if (error instanceof SpokeError) this.logger.error({ task: name, code: error.code, hint: error.hint, err: { message: error.message } }, 'background task failed');
        else this.logger.error({ task: name, err: error }, 'background task crashed');
      })
      .finally(() => this.running.delete(promise));
    this.running.add(promise);
  }

  /** Resolves when nothing is running (tests use it to wait for the work after an ack). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  async stop(): Promise<void> {
    this.controller.abort();
    await this.idle();
  }
}
