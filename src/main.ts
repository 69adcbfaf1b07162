import { createApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';

/** Loads config, builds the bot, starts it, and shuts it down cleanly on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const logger = createLogger(config.LOG_LEVEL);
  const bot = await createApp({ config, logger });
  const { url } = await bot.start();
  logger.info({ mode: config.SLACK_APP_TOKEN ? 'socket' : 'http', url }, 'spokebot is running');
  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'stopping');
    await bot.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

void main();
