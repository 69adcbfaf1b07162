/**
 * The bot's side of bench/health-sweep.ts, in a process of its own so its memory is the bot's
 * alone: the real HealthMonitor, HealthProbe and lowdb store, built as app.ts builds them, minus
 * Slack (the notifier only counts). The harness bundles this file with esbuild and runs it on
 * plain node, so not even tsx's loader is in its RSS.
 *
 * Reads one JSON line on stdin (see SweepChildInput: the stand-ins' URLs and the connections
 * they seeded), seeds the store and prints `{ ready }`; on "go" runs one sweep and prints
 * `{ done }` (SweepChildReport); exits on "exit" or when stdin closes. Each "go" after the first
 * runs an interval later on the bot's clock, when every connection is due again: the sweep the
 * bot makes every hour, after the first one since it started (which reads the instance's
 * dictionary, kept for an hour).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SPOKES } from '../src/core/spoke-catalogue.js';
import { BENCH_CHECK_INTERVAL_MS, benchMonitor, benchProbe, measuredSweep } from './bench-monitor.js';
import { createLogger } from '../src/logger.js';
import { SpokeStore } from '../src/store/spoke-store.js';

export interface SweepChildInput {
  serviceNowUrl: string;
  authUrl: string;
  apiUrl: string;
  connections: Array<{ name: string; siteOrigin: string; cloudId: string; records: Record<string, string> }>;
  concurrency: number;
  perSite: number;
}

export interface SweepChildReport {
  checked: number;
  ok: number;
  alerts: number;
  sweepMs: number;
  /** CPU this process spent during the sweep, user + system. */
  cpuMs: number;
  /** Table API requests the bot sent during the sweep (dictionary reads included). */
  serviceNowRequests: number;
  /** RSS once the store was open and seeded, just before the sweep. */
  rssBefore: number;
  /** The largest RSS sampled (every 50 ms) during the sweep. */
  sweepPeakRss: number;
  /** The store file's size after the sweep. */
  storeBytes: number;
}

const MiB = 1024 * 1024;

/**
 * With SPOKE_BENCH_PROFILE=<folder>, a CPU profile of the sweep alone (not the seeding) is
 * written there; returns what stops it.
 */
async function startProfile(): Promise<(() => Promise<void>) | undefined> {
  const folder = process.env.SPOKE_BENCH_PROFILE;
  if (!folder) return undefined;
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    await writeFile(join(folder, `health-sweep-${process.pid}-${sweeps}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  };
}
const say = (line: unknown) => process.stdout.write(`${JSON.stringify(line)}\n`);
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const input = JSON.parse(String((await lines.next()).value)) as SweepChildInput;
const rssAtStart = process.memoryUsage.rss();

const dir = await mkdtemp(join(tmpdir(), 'spokebot-bench-'));
const path = join(dir, 'db.json');
/** The bot's clock: moved on by an interval before each sweep after the first. */
let clockAheadMs = 0;
const now = () => new Date(Date.now() + clockAheadMs);
const store = await SpokeStore.open(path, Buffer.alloc(32, 5), now);
const at = new Date().toISOString();
// All at once: the store folds changes made together into a few file writes.
await Promise.all(
  input.connections.map((c) =>
    store.saveConnection({ ...c, spoke: 'confluence', method: 'oauth_3lo', channel: 'C1', scopes: [...SPOKES.confluence.defaultScopes], createdBy: 'U1', createdAt: at, connectedAt: at, state: 'connected' }),
  ),
);
const seeded = input.connections.length;
input.connections = [];

const logger = createLogger('silent');
const { serviceNow, probe } = benchProbe({ store, serviceNowUrl: input.serviceNowUrl, authUrl: input.authUrl, apiUrl: input.apiUrl, logger, now });
const { monitor, alerts } = benchMonitor({ store, probe, logger, concurrency: input.concurrency, perSite: input.perSite, now });
let sweeps = 0;
say({ ready: { pid: process.pid, seeded, rssAtStartMiB: Math.round(rssAtStart / MiB) } });

for (;;) {
  const line = (await lines.next()).value as string | undefined;
  if (line === undefined || line === 'exit') break;
  if (line !== 'go') continue;
  if (sweeps++ > 0) clockAheadMs += BENCH_CHECK_INTERVAL_MS + 1000;
  const profile = await startProfile();
  const { checked, sweepMs, cpuMs, serviceNowRequests, rssBefore, sweepPeakRss } = await measuredSweep(monitor, serviceNow);
  await profile?.();
  const { size: storeBytes } = await import('node:fs/promises').then((fs) => fs.stat(path));
  const ok = store.listConnections().filter((c) => store.getHealth(c.name)?.state === 'ok').length;
  const report: SweepChildReport = { checked, ok, alerts: alerts(), sweepMs, cpuMs, serviceNowRequests, rssBefore, sweepPeakRss, storeBytes };
  say({ done: report });
}
await monitor.stop();
await store.close();
await rm(dir, { recursive: true, force: true });
process.exit(0);
