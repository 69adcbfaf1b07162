import { AtlassianClient } from '../src/atlassian/atlassian-client.js';
import { TenantInfoClient } from '../src/atlassian/tenant-info.js';
import { SERVICENOW_TABLES } from '../src/core/spoke-catalogue.js';
import { HealthMonitor } from '../src/health/health-monitor.js';
import { HealthProbe } from '../src/health/health-probe.js';
import type { Logger } from '../src/logger.js';
import { ServiceNowTableClient } from '../src/servicenow/table-client.js';
import { CredentialVerifier } from '../src/setup/credential-verifier.js';
import type { SpokeStore } from '../src/store/spoke-store.js';

/**
 * The bot's ServiceNow client and HealthProbe, built as app.ts builds them, against the sweep
 * benches' stand-ins. The client keeps its own pool of 16 sockets, as the bot's does: the sweep's
 * ideal counts 16 requests in flight at most.
 */
export function benchProbe(o: { store: SpokeStore; serviceNowUrl: string; authUrl: string; apiUrl: string; logger: Logger; now?: () => Date }): { serviceNow: ServiceNowTableClient; probe: HealthProbe } {
  const { store, logger } = o;
  const serviceNow = new ServiceNowTableClient({ instanceUrl: o.serviceNowUrl, auth: { username: 'bench', password: 'bench' }, logger, knownTables: SERVICENOW_TABLES });
  const probe = new HealthProbe({
    store,
    serviceNow,
    tenantInfo: new TenantInfoClient({ allowlist: ['http://127.0.0.1:*'], logger }),
    verifier: new CredentialVerifier(new AtlassianClient({ authUrl: o.authUrl, logger }), o.apiUrl),
    apiUrl: o.apiUrl,
    now: o.now ?? (() => new Date()),
    authBackoffMs: 6 * 3_600_000,
  });
  return { serviceNow, probe };
}

/** The bot's default check interval. */
export const BENCH_CHECK_INTERVAL_MS = 3_600_000;

/**
 * The bot's HealthMonitor as the sweep benches run it: the bot's defaults (hourly checks, the
 * usual reminder days), a notifier that delivers everything and counts alerts.
 */
export function benchMonitor(options: { store: SpokeStore; probe: HealthProbe; logger: Logger; concurrency?: number; perSite?: number; now?: () => Date }): { monitor: HealthMonitor; alerts: () => number } {
  let alerts = 0;
  const monitor = new HealthMonitor({
    store: options.store,
    probe: options.probe,
    notifier: { stateChanged: async () => (alerts++, { delivered: true }), reminder: async () => ({ delivered: true }), statesChanged: async () => undefined },
    logger: options.logger,
    now: options.now ?? (() => new Date()),
    intervalMs: BENCH_CHECK_INTERVAL_MS,
    reminderDays: [30, 14, 7, 3, 1],
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    ...(options.perSite !== undefined ? { perSite: options.perSite } : {}),
  });
  return { monitor, alerts: () => alerts };
}

/** One sweep as the benches time it: wall time, this process's CPU, ServiceNow requests, and the peak RSS sampled every 50 ms. */
export async function measuredSweep(monitor: HealthMonitor, serviceNow: { requestCount: number }): Promise<{ checked: number; sweepMs: number; cpuMs: number; serviceNowRequests: number; rssBefore: number; sweepPeakRss: number }> {
  const rssBefore = process.memoryUsage.rss();
  let sweepPeakRss = rssBefore;
  const sampler = setInterval(() => (sweepPeakRss = Math.max(sweepPeakRss, process.memoryUsage.rss())), 50);
  const cpuBefore = process.cpuUsage();
  const requestsBefore = serviceNow.requestCount;
  const started = performance.now();
  try {
    const checked = await monitor.sweep();
    const sweepMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    return { checked, sweepMs, cpuMs: (cpu.user + cpu.system) / 1000, serviceNowRequests: serviceNow.requestCount - requestsBefore, rssBefore, sweepPeakRss: Math.max(sweepPeakRss, process.memoryUsage.rss()) };
  } finally {
    clearInterval(sampler);
  }
}
