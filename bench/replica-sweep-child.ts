/**
 * One bot replica for bench/replicas-sweep.ts, in a process of its own: the real HealthMonitor,
 * HealthProbe and PostgresSpokeStore against the stand-ins. Built as app.ts builds them, minus
 * Slack (the notifier only counts).
 *
 * SPOKE_BENCH_REPLICA holds a JSON object (see ReplicaOptions; in the environment, not argv, so the key is not in ps). Prints one JSON line `{ ready }` once the store
 * is open; on "go" on stdin runs one sweep and prints `{ done }` with what it did; exits on "exit"
 * or when stdin closes (the harness died).
 */
import { createInterface } from 'node:readline';
import { benchMonitor, benchProbe, measuredSweep } from './bench-monitor.js';
import { createLogger } from '../src/logger.js';
import { PostgresSpokeStore } from '../src/store/postgres/postgres-store.js';

export interface ReplicaOptions {
  databaseUrl: string;
  keyHex: string;
  serviceNowUrl: string;
  authUrl: string;
  apiUrl: string;
  /** HealthMonitor's concurrency and perSite (the bot's defaults are 16 and 4). */
  concurrency: number;
  perSite: number;
}

export interface ReplicaReport {
  /** What sweep() returned (checks claimed and run). */
  checked: number;
  /** Every connection this replica probed, once per probe. */
  probed: string[];
  /** saveCheckResult answers of false (a result another check had overtaken). */
  dropped: number;
  alerts: number;
  /** Table API requests this replica sent during the sweep (retries and dictionary reads included). */
  serviceNowRequests: number;
  sweepMs: number;
  /** CPU this process spent during the sweep, user + system. */
  cpuMs: number;
  /** Peak resident set of this process over its whole life (getrusage ru_maxrss). */
  maxRss: number;
  /** The largest RSS sampled during the sweep. */
  sweepPeakRss: number;
}

const options = JSON.parse(process.env.SPOKE_BENCH_REPLICA ?? '{}') as ReplicaOptions;
const say = (line: unknown) => process.stdout.write(`${JSON.stringify(line)}\n`);

const logger = createLogger('silent');
const store = await PostgresSpokeStore.open({ url: options.databaseUrl, encryptionKey: Buffer.from(options.keyHex, 'hex'), logger });

const probed: string[] = [];
let dropped = 0;
const saveCheckResult = store.saveCheckResult.bind(store);
store.saveCheckResult = async (...args) => {
  const kept = await saveCheckResult(...args);
  if (!kept) dropped++;
  return kept;
};

const { serviceNow, probe } = benchProbe({ store, serviceNowUrl: options.serviceNowUrl, authUrl: options.authUrl, apiUrl: options.apiUrl, logger });
const probeOne = probe.probe.bind(probe);
probe.probe = (connection, previous) => {
  probed.push(connection.name);
  return probeOne(connection, previous);
};
const { monitor, alerts } = benchMonitor({ store, probe, logger, concurrency: options.concurrency, perSite: options.perSite });

say({ ready: { pid: process.pid, connections: store.listConnections().length, replica: store.replicaId } });

for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'go') {
    const { checked, sweepMs, cpuMs, serviceNowRequests, sweepPeakRss } = await measuredSweep(monitor, serviceNow);
    const report: ReplicaReport = { checked, probed, dropped, alerts: alerts(), serviceNowRequests, sweepMs, cpuMs, maxRss: process.resourceUsage().maxRSS * 1024, sweepPeakRss };
    say({ done: report });
  }
  if (line === 'exit') break;
}
await monitor.stop();
await store.close();
process.exit(0);
