import type { Dispatcher } from 'undici';
import type { Config } from '../config.js';
import { createLogger, type Logger } from '../logger.js';
import { serviceNowClientFromConfig } from '../servicenow/client-from-config.js';
import { atlassianChecks } from './atlassian-checks.js';
import { fail, type CheckArea, type CheckResult } from './check-result.js';
import { serviceNowChecks } from './servicenow-checks.js';
import { slackChecks } from './slack-checks.js';
import { storeChecks } from './store-check.js';

export interface DoctorDeps {
  /** Where the clients log; the CLI keeps them quiet so the table is the whole output. */
  logger?: Logger;
  /** The same knobs createApp's tuning has, for tests: quicker retries, a custom dispatcher. */
  tuning?: {
    slackRetries?: number;
    serviceNowRetryDelayMs?: number;
    serviceNowMaxRetries?: number;
    dispatcher?: Dispatcher;
    /** Per-request timeout for the Slack and Atlassian calls (ServiceNow uses SERVICENOW_TIMEOUT). */
    timeoutMs?: number;
  };
}

export interface DoctorOutcome {
  results: CheckResult[];
  failed: boolean;
  /** Requests the ServiceNow checks sent, when the table client counts them. */
  serviceNowRequests?: number;
}

/**
 * `spokebot doctor`: every area checked at once (they share nothing), each returning its lines.
 * A check that throws becomes a failing line of its area instead of ending the run, so one
 * surprise never hides the other areas' answers.
 */
export async function runDoctor(config: Config, deps: DoctorDeps = {}): Promise<DoctorOutcome> {
  const logger = deps.logger ?? createLogger('silent');
  const tuning = deps.tuning ?? {};
  const client = serviceNowClientFromConfig(config, logger, tuning);
  const timeouts = tuning.timeoutMs !== undefined ? { timeoutMs: tuning.timeoutMs } : {};
  const areas = await Promise.all([
    guarded('Slack', () => slackChecks({ config, logger, ...(tuning.slackRetries !== undefined ? { retries: tuning.slackRetries } : {}), ...timeouts })),
    guarded('ServiceNow', () => serviceNowChecks({ config, client })),
    guarded('Atlassian', () => atlassianChecks({ config, ...(tuning.dispatcher ? { dispatcher: tuning.dispatcher } : {}), ...timeouts })),
    guarded('Store', () => storeChecks({ config })),
  ]);
  const results = areas.flat();
  // The table client may count its requests (rate limits are per request); report it when it does.
  const count = (client as { requestCount?: unknown }).requestCount;
  return {
    results,
    failed: results.some((r) => r.status === 'fail'),
    ...(typeof count === 'number' ? { serviceNowRequests: count } : {}),
  };
}

async function guarded(area: CheckArea, checks: () => Promise<CheckResult[]>): Promise<CheckResult[]> {
  try {
    return await checks();
  } catch (error) {
    const e = error as { message?: string; hint?: unknown };
    return [fail(area, 'checks', `the ${area} checks stopped: ${e.message ?? String(error)}`, typeof e.hint === 'string' ? e.hint : 'run again with LOG_LEVEL=debug and report it')];
  }
}
