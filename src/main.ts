import { createApp, type SpokeBot } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { lastResort, type LastResort } from './startup/last-resort.js';
import { StartupRefusedError, preflight, storeRefusalLine } from './startup/preflight.js';
import { logStoreOpened } from './startup/store-notes.js';

const EX_CONFIG = 78;

/** Set once the logger exists; see startup/last-resort.ts for what each handler does and why. */
let lastResortHandlers: LastResort | undefined;

/**
 * Loads config, proves the tokens, the ServiceNow user and the store key (waiting out a network
 * that is not there yet), builds the bot, starts it, and shuts it down cleanly on SIGTERM/SIGINT.
 * Misconfiguration ends the process with one line and 78, not a stack trace and a restart loop.
 */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      // Someone who starts it with nothing set most likely has no accounts yet: say where to see it work anyway.
      console.error('No Slack, ServiceNow or Atlassian account yet? `npm run demo` (in a clone of the repository) runs the whole setup against local stand-ins.');
      process.exit(EX_CONFIG);
    }
    throw error;
  }
  const logger = createLogger(config.LOG_LEVEL);
  let bot: SpokeBot | undefined;
  // Uncaught exceptions stop the bot cleanly and exit 70 for the supervisor to restart it;
  // unhandled rejections are logged and survived. The same in HTTP and Socket Mode.
  lastResortHandlers = lastResort({ logger, stop: async () => void (await bot?.stop()), exit: (code) => process.exit(code) });
  process.on('uncaughtException', lastResortHandlers.uncaughtException);
  process.on('unhandledRejection', lastResortHandlers.unhandledRejection);
  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'stopping');
    try {
      // Before the bot exists (still waiting for Slack or ServiceNow) there is nothing to drain.
      await bot?.stop();
    } catch (error) {
      // A rejection here would only be logged now, leaving a process that ignored the signal.
      logger.error({ err: { message: (error as Error).message } }, 'stopping failed');
      process.exit(1);
    }
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));

  try {
    await preflight(config, { logger });
    bot = await createApp({ config, logger });
    logStoreOpened(logger, bot.store);
  } catch (error) {
    const line = error instanceof StartupRefusedError ? error.line : storeRefusalLine(error);
    if (line === undefined) throw error;
    console.error(line);
    process.exit(EX_CONFIG);
  }
  const { url } = await bot.start();
  logger.info({ mode: config.SLACK_APP_TOKEN ? 'socket' : 'http', url }, 'spokebot is running');
}

main().catch((error: unknown) => {
  // A start that failed in a way nothing above foresaw (the port taken…). With the handlers
  // installed Node no longer ends the process for a rejection, so this does.
  if (lastResortHandlers) lastResortHandlers.fatal(error, 'spokebot failed to start');
  else {
    console.error(error);
    process.exit(1);
  }
});
