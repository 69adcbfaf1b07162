import http from 'node:http';
import type { Dispatcher } from 'undici';
import type { Config } from '../config.js';
import { classifySlackFailure, refusedBotTokenMessage, slackClient } from '../doctor/slack-checks.js';
import { SpokeError } from '../errors.js';
import type { Logger } from '../logger.js';
import {
  ServiceNowRateLimitedError,
  ServiceNowResponseError,
  ServiceNowTimeoutError,
  ServiceNowUnauthorizedError,
  ServiceNowUnavailableError,
  ServiceNowUnreachableError,
} from '../servicenow/errors.js';
import { serviceNowClientFromConfig } from '../servicenow/client-from-config.js';
import { checkAuditLogFile } from '../store/audit-log.js';
import { StoreAccessError, StoreKeyError, StoreUnreadableError, checkStoreKey } from '../store/store-key.js';
import { probeDatabase } from '../store/postgres/database-probe.js';
import { StoreAccessDeniedError, StoreMigrationError } from '../store/postgres/postgres-errors.js';
import { redactDatabaseUrl } from '../store/postgres/postgres-url.js';

/**
 * Misconfiguration no wait will fix (a refused token or password, a store the key does not
 * open). main.ts prints `line` alone and exits 78 (EX_CONFIG): a restart loop would only repeat it.
 */
export class StartupRefusedError extends Error {
  constructor(readonly line: string) {
    super(line);
  }
}

/** The one line for a store the key does not open, that cannot be read or used, or undefined for any other error. */
export function storeRefusalLine(error: unknown): string | undefined {
  const refusals = [StoreKeyError, StoreUnreadableError, StoreAccessError, StoreAccessDeniedError, StoreMigrationError];
  if (refusals.some((kind) => error instanceof kind)) return `spokebot cannot start: ${(error as Error).message}. ${(error as StoreKeyError).hint}`;
  return undefined;
}

type Probe = { ok: true } | { ok: false; fatal: string } | { ok: false; waitFor: string; error: string };

export interface PreflightOptions {
  logger: Logger;
  /** First wait after a network failure; doubles each time up to maxDelayMs. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  dispatcher?: Dispatcher;
  /** Port for the interim /healthz while waiting (default config.PORT); null serves none. */
  healthPort?: number | null;
  /** Told each time the gate starts to wait (tests; the log says the same). */
  onWait?: (waiting: { url: string; error: string; delayMs: number }) => void;
}

/**
 * Before the bot takes any Slack traffic: the store opens with the key, Slack accepts the bot
 * token, ServiceNow accepts the integration user. A refusal throws StartupRefusedError. A
 * network failure (no answer, timeout, 5xx, rate limit) is waited out with exponential backoff
 * while PORT answers /healthz with 503 and what is awaited, so an orchestrator sees "not ready"
 * rather than a crash loop; the interim server is closed before this resolves, freeing the port.
 */
export async function preflight(config: Config, options: PreflightOptions): Promise<void> {
  const { logger } = options;
  const databaseUrl = config.SPOKE_DATABASE_URL;
  // The file store is proven here; a database's key is proven when the store opens (createApp).
  if (!databaseUrl) await storeProbe(config);
  const probes: Record<string, () => Promise<Probe>> = {
    ...(databaseUrl ? { database: () => databaseProbe(databaseUrl) } : {}),
    slack: () => slackProbe(config, logger),
    servicenow: () => serviceNowProbe(config, logger, options.dispatcher),
  };
  let pending = Object.keys(probes);
  let delayMs = options.initialDelayMs ?? 1000;
  const maxDelayMs = options.maxDelayMs ?? 60_000;
  let health: WaitingHealth | undefined;
  try {
    for (;;) {
      const results = await Promise.all(pending.map(async (name) => ({ name, result: await probes[name]!() })));
      const fatal = results.find((r) => 'fatal' in r.result);
      if (fatal && 'fatal' in fatal.result) throw new StartupRefusedError(fatal.result.fatal);
      const waiting = results.filter((r) => 'waitFor' in r.result).map((r) => ({ name: r.name, ...(r.result as { waitFor: string; error: string }) }));
      if (waiting.length === 0) return;
      pending = waiting.map((w) => w.name);
      const first = waiting[0]!;
      if (health === undefined && options.healthPort !== null) health = await waitingHealth(options.healthPort ?? config.PORT, logger);
      health?.set({ waitingFor: first.waitFor, error: first.error });
      for (const w of waiting) {
        logger.warn({ waitingFor: w.waitFor, error: w.error, retryInMs: delayMs }, `cannot reach ${w.waitFor} (${w.error}); trying again in ${Math.round(delayMs / 1000)} s`);
        options.onWait?.({ url: w.waitFor, error: w.error, delayMs });
      }
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      delayMs = Math.min(delayMs * 2, maxDelayMs);
    }
  } finally {
    await health?.close();
  }
}

async function storeProbe(config: Config): Promise<void> {
  try {
    // Read-only: SpokeStore.open proves the key again when createApp opens it for real.
    await checkStoreKey(config.SPOKE_DB_PATH, config.SPOKE_ENCRYPTION_KEY);
    // Before any wait for the network: an audit log the bot cannot append to is as final.
    await checkAuditLogFile(`${config.SPOKE_DB_PATH}.audit.jsonl`);
  } catch (error) {
    const line = storeRefusalLine(error);
    if (line) throw new StartupRefusedError(line);
    throw error;
  }
}

async function databaseProbe(url: string): Promise<Probe> {
  const probe = await probeDatabase(url);
  if (probe.ok) return probe;
  if ('refused' in probe) return { ok: false, fatal: `spokebot cannot start: ${probe.refused.message}. ${probe.refused.hint}` };
  return { ok: false, waitFor: redactDatabaseUrl(url), error: probe.unreachable.message };
}

async function slackProbe(config: Config, logger: Logger): Promise<Probe> {
  try {
    await slackClient(config.SLACK_BOT_TOKEN, config, { logger, retries: 0 }).auth.test();
    return { ok: true };
  } catch (error) {
    const failure = classifySlackFailure(error);
    if (failure.kind === 'refused') return { ok: false, fatal: `spokebot cannot start: ${refusedBotTokenMessage(failure.error)}` };
    if (failure.kind === 'unreachable') return { ok: false, waitFor: `${config.SLACK_API_URL}auth.test`, error: failure.message };
    return { ok: false, fatal: `spokebot cannot start: Slack answered auth.test with ${failure.error}; check SLACK_BOT_TOKEN and SLACK_API_URL` };
  }
}

async function serviceNowProbe(config: Config, logger: Logger, dispatcher: Dispatcher | undefined): Promise<Probe> {
  // The gate's own backoff decides when to try again. One request proves the user; whether the
  // instance has every table and column is the doctor's question (and each use's), not a reason
  // to keep the bot from starting.
  const client = serviceNowClientFromConfig(config, logger, dispatcher ? { dispatcher } : {}, { maxRetries: 0, checkColumns: false });
  try {
    await client.findRecords('sys_alias', {}, { limit: 1, fields: ['name'] });
    return { ok: true };
  } catch (error) {
    if (error instanceof ServiceNowUnauthorizedError) {
      const which = config.SERVICENOW_TOKEN ? 'SERVICENOW_TOKEN' : 'SERVICENOW_USERNAME/SERVICENOW_PASSWORD';
      return { ok: false, fatal: `spokebot cannot start: ServiceNow at ${config.SERVICENOW_INSTANCE_URL} refused the integration user (HTTP 401): check ${which}` };
    }
    const transient = [ServiceNowUnreachableError, ServiceNowTimeoutError, ServiceNowUnavailableError, ServiceNowRateLimitedError, ServiceNowResponseError];
    // A hibernating or restarting instance answers with errors or a holding page for a while.
    if (transient.some((kind) => error instanceof kind)) {
      return { ok: false, waitFor: config.SERVICENOW_INSTANCE_URL, error: (error as Error).message };
    }
    // Anything else came from an instance that answered and accepted the user (a 403 on this
    // table, a missing column…): not the gate's business; the bot reports it where it matters.
    logger.warn({ code: (error as SpokeError).code, err: { message: (error as Error).message } }, 'ServiceNow answered the start-up read with an error; npm run doctor says more');
    return { ok: true };
  }
}

interface WaitingHealth {
  set(status: { waitingFor: string; error: string }): void;
  close(): Promise<void>;
}

/** PORT while the gate waits: /healthz says not ready and what for; everything else is 503 too. */
async function waitingHealth(port: number, logger: Logger): Promise<WaitingHealth | undefined> {
  let status = { waitingFor: '', error: '' };
  const server = http.createServer((req, res) => {
    const body = JSON.stringify({ ok: false, ready: false, ...status });
    res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '5' });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    // Waiting matters more than reporting it; the bot's own start will hit the same port problem.
    logger.warn({ port, err: { code: (error as { code?: string }).code } }, 'cannot serve /healthz while waiting');
    return undefined;
  }
  return {
    set: (next) => void (status = next),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
