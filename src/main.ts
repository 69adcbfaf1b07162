import { createApp, type SpokeBot } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { StartupRefusedError, preflight, storeRefusalLine } from './startup/preflight.js';

const EX_CONFIG = 78;

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
  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'stopping');
    // Before the bot exists (still waiting for Slack or ServiceNow) there is nothing to drain.
    await bot?.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));

  try {
    await preflight(config, { logger });
    bot = await createApp({ config, logger });
  } catch (error) {
    const line = error instanceof StartupRefusedError ? error.line : storeRefusalLine(error);
    if (line === undefined) throw error;
    console.error(line);
    process.exit(EX_CONFIG);
  }
  const { url } = await bot.start();
  logger.info({ mode: config.SLACK_APP_TOKEN ? 'socket' : 'http', url }, 'spokebot is running');
}

void main();
