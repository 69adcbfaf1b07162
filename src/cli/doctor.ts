/**
 * `npm run doctor` / `spokebot doctor`: checks a deployment's configuration against the real
 * Slack, ServiceNow and Atlassian, prints one table, and exits 1 when anything fails (0
 * otherwise, warnings included), 78 when the environment itself is invalid.
 */
import { ConfigError, loadConfig, type Config } from '../config.js';
import { runDoctor } from '../doctor/doctor.js';
import { reportSummary, reportTable } from '../doctor/report.js';
import { createLogger } from '../logger.js';

async function main(): Promise<number> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 78; // EX_CONFIG, as the bot itself exits
    }
    throw error;
  }
  // The table is the output; client logs would only interleave with it, so they appear (on
  // stderr) when LOG_LEVEL asks for debugging.
  const verbose = config.LOG_LEVEL === 'debug' || config.LOG_LEVEL === 'trace';
  const logger = createLogger(verbose ? config.LOG_LEVEL : 'silent', process.stderr);
  const started = performance.now();
  const outcome = await runDoctor(config, { logger });
  const ms = Math.round(performance.now() - started);
  console.log(reportTable(outcome.results));
  console.log('');
  const requests = outcome.serviceNowRequests !== undefined ? `, ${outcome.serviceNowRequests} ServiceNow request${outcome.serviceNowRequests === 1 ? '' : 's'}` : '';
  console.log(`${reportSummary(outcome.results)}; took ${ms} ms${requests}`);
  return outcome.failed ? 1 : 0;
}

// Exit explicitly: pooled keep-alive connections would otherwise hold the process open a while.
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`spokebot doctor crashed: ${(error as Error).message ?? String(error)}`);
    process.exit(1);
  },
);
