import type { Logger } from '../logger.js';

/** EX_SOFTWARE: an internal error, so a supervisor restarts the bot (78 means "fix the config first"). */
export const EX_SOFTWARE = 70;

export interface LastResortOptions {
  logger: Logger;
  /** Stops the bot: background tasks get their bounded stop, the store is written; nothing when there is no bot yet. */
  stop: () => Promise<void>;
  exit: (code: number) => void;
  /** How long stopping may take before the process exits anyway (a broken state may hang it). */
  stopTimeoutMs?: number;
}

export interface LastResort {
  /** For `process.on('uncaughtException')`: log, stop cleanly, exit 70. */
  uncaughtException(error: unknown): void;
  /** For `process.on('unhandledRejection')`: log and keep serving. */
  unhandledRejection(reason: unknown): void;
  /** A failure that must end the process the same way (start-up threw something unforeseen). */
  fatal(error: unknown, what: string): void;
}

/**
 * What the process does with an error nothing else caught, in both transports.
 *
 * An uncaught exception was thrown out of a synchronous callback (a timer, an event emitter, a
 * socket handler) partway through: whatever that code was changing (a library's internal
 * state, a half-written response, a lock in our own code) is now unknown, and serving on could
 * run every later request on a broken state. So the bot logs it, stops as on SIGTERM (new work
 * refused, background tasks get their bounded stop, the store is written) and exits 70 for its
 * supervisor (Docker `--restart`, Kubernetes) to start it again; consent watches, due checks and
 * interrupted setups resume from the store.
 *
 * An unhandled rejection is an async function that failed with nobody awaiting it: its own
 * try/finally blocks ran and its failure stayed in its own promise chain, and the state it
 * shares with the rest is what any failed request leaves. Stopping every watch and write in
 * flight for one such promise would turn a lost fire-and-forget call into an outage, so the bot
 * logs it with its stack and keeps serving. (Background tasks already catch their own failures;
 * this is the net under everything else.)
 */
export function lastResort(options: LastResortOptions): LastResort {
  const { logger } = options;
  let stopping = false;

  const stopAndExit = (error: unknown, message: string) => {
    if (stopping) {
      // The stop under way carries on; its timeout still ends the process.
      logger.fatal({ err: errorFields(error) }, `${message} while already stopping`);
      return;
    }
    stopping = true;
    logger.fatal({ err: errorFields(error), exitCode: EX_SOFTWARE }, `${message}: the process state is unknown, so spokebot stops (background tasks get their bounded stop, the store is written) and exits ${EX_SOFTWARE} for its supervisor to restart it; watches and checks resume from the store`);
    const timeoutMs = options.stopTimeoutMs ?? 10_000;
    // Left referenced on purpose: if stopping hangs, this timer alone keeps the process alive
    // until the exit, instead of a quiet exit 0 that a supervisor would not restart.
    const timer = setTimeout(() => {
      logger.fatal({ timeoutMs }, `stopping took longer than ${timeoutMs} ms; exiting ${EX_SOFTWARE} without it`);
      options.exit(EX_SOFTWARE);
    }, timeoutMs);
    options
      .stop()
      .catch((stopError: unknown) => logger.error({ err: errorFields(stopError) }, 'stopping after an uncaught exception failed too'))
      .finally(() => {
        clearTimeout(timer);
        options.exit(EX_SOFTWARE);
      });
  };

  return {
    uncaughtException: (error) => stopAndExit(error, 'uncaught exception'),
    unhandledRejection: (reason) => {
      logger.error({ err: errorFields(reason) }, 'unhandled promise rejection: logged and survived, spokebot keeps serving. A promise nobody awaited failed; the stack says which, and it is a bug to report');
    },
    fatal: (error, what) => stopAndExit(error, what),
  };
}

/** Message and stack only: an error's other fields may hold what a request carried. */
function errorFields(error: unknown): { name?: string; message: string; stack?: string } {
  if (error instanceof Error) return { name: error.name, message: error.message, ...(error.stack ? { stack: error.stack } : {}) };
  return { message: String(error) };
}
