import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { SweepChildInput, SweepChildReport } from './health-sweep-child.js';

/** Connections per run: the 1,000, and 10,000 to show what grows with them. */
const SIZES = (process.env.SPOKE_BENCH_HEALTH_SIZES ?? '1000,10000').split(',').map(Number);
/** Runs per size; the figures printed are the medians. */
const RUNS = Number(process.env.SPOKE_BENCH_HEALTH_RUNS ?? 3);
const SITES = 50;
const LATENCY_MS = 50;
/** The bot's HealthMonitor defaults. */
const CONCURRENCY = 16;
const PER_SITE = 4;
const MiB = 1024 * 1024;

interface Seeded {
  serviceNowUrl: string;
  authUrl: string;
  apiUrl: string;
  connections: SweepChildInput['connections'];
}

/** JSON lines from a child, one at a time; a child that exits first fails the wait. */
function lineReader(child: ChildProcess, label: string): () => Promise<unknown> {
  const iterator = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  return async () => {
    const next = await iterator.next();
    if (next.done) throw new Error(`${label} (pid ${child.pid}) ended early`);
    return JSON.parse(String(next.value));
  };
}

/**
 * The bot's side bundled into one plain ES module (esbuild, which tsx brings), so the child runs
 * on bare node and its RSS is the bot's: no tsx loader, no harness, no stand-ins.
 */
async function bundleChild(): Promise<string> {
  const { build } = await import('esbuild');
  const dir = join('node_modules', '.cache', 'spokebot-bench');
  await mkdir(dir, { recursive: true });
  const outfile = join(dir, 'health-sweep-child.mjs');
  await build({ entryPoints: ['bench/health-sweep-child.ts'], outfile, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'warning' });
  return outfile;
}

interface Run {
  report: SweepChildReport;
  /** Every HTTP request the stand-ins answered during the sweep (ServiceNow and Atlassian). */
  requests: number;
  /** CPU the stand-ins' process spent during the sweep: on 2 cores, the bot's share of the machine is what it leaves. */
  standInsCpuMs: number;
  idealMs: number;
  perCheckIdealMs: number;
}

/**
 * One sweep of `connections` connected 3LO connections on 50 sites: stand-ins (answering in
 * 50 ms) in one process, the bot in another.
 *
 * The ideal: every request waits LATENCY_MS, and at most CONCURRENCY (16) of the bot's requests
 * are in flight at once, as its concurrency setting allows; the requests that must follow one
 * another (claim, then one round of reads, then the save) are one round deep. So the ideal is
 * ceil(requests / 16) × 50 ms for the requests this sweep sends, with none of the bot's own CPU
 * or disk time. The figure printed beside it, "a round per check", is the ideal of the sweep as
 * it was before reads were batched (16 checks at once, each one round of concurrent reads:
 * connections / 16 × 50 ms), for comparing with the figures from before.
 */
async function sweepOnce(bundle: string, connections: number): Promise<{ first: Run; next: Run }> {
  const standIns = spawn(process.execPath, ['--import', 'tsx', 'bench/standins-process.ts', String(connections), String(SITES), String(LATENCY_MS)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const fromStandIns = lineReader(standIns, 'stand-ins');
  let bot: ChildProcess | undefined;
  try {
    const seeded = (await fromStandIns()) as Seeded;
    bot = spawn(process.execPath, [bundle], { stdio: ['pipe', 'pipe', 'inherit'] });
    const fromBot = lineReader(bot, 'bot');
    const input: SweepChildInput = { ...seeded, concurrency: CONCURRENCY, perSite: PER_SITE };
    bot.stdin!.write(`${JSON.stringify(input)}\n`);
    await fromBot();
    const sweep = async (): Promise<Run> => {
      standIns.stdin!.write('stats\n');
      const before = (await fromStandIns()) as { requests: number; cpuMs: number };
      bot!.stdin!.write('go\n');
      const { done: report } = (await fromBot()) as { done: SweepChildReport };
      standIns.stdin!.write('stats\n');
      const after = (await fromStandIns()) as { requests: number; cpuMs: number };
      const requests = after.requests - before.requests;
      return { report, requests, standInsCpuMs: after.cpuMs - before.cpuMs, idealMs: Math.max(1, Math.ceil(requests / CONCURRENCY)) * LATENCY_MS, perCheckIdealMs: (connections / CONCURRENCY) * LATENCY_MS };
    };
    const first = await sweep();
    return { first, next: await sweep() };
  } finally {
    const exited = (child: ChildProcess | undefined) => (child && child.exitCode === null ? new Promise((resolve) => child.once('exit', resolve)) : undefined);
    const waits = [exited(bot), exited(standIns)];
    bot?.stdin!.write('exit\n');
    standIns.stdin!.write('exit\n');
    await Promise.all(waits);
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]!;

export async function benchHealthSweep(): Promise<void> {
  const bundle = await bundleChild();
  console.log(`\nHealth sweep, connected 3LO connections on ${SITES} sites, ${LATENCY_MS} ms added to every ServiceNow and Atlassian answer, ${CONCURRENCY} checks at once (${PER_SITE} per site); stand-ins and bot each in their own process, the bot on bare node (bundled); median of ${RUNS} runs; load ${loadavg()[0]!.toFixed(1)}`);
  console.log(`  ideal = ceil(requests / ${CONCURRENCY} in flight) × ${LATENCY_MS} ms: the requests this sweep sends, none of the bot's CPU or disk time`);
  for (const connections of SIZES) {
    const pairs: Array<{ first: Run; next: Run }> = [];
    for (let i = 0; i < RUNS; i++) pairs.push(await sweepOnce(bundle, connections));
    printSweep(`${connections} connections, the first sweep after start (reads the instance's dictionary, kept an hour)`, connections, pairs.map((p) => p.first));
    printSweep(`${connections} connections, the next sweep an hour later (every sweep after the first)`, connections, pairs.map((p) => p.next));
  }
}

function printSweep(label: string, connections: number, runs: Run[]): void {
  const pick = (f: (run: Run) => number) => median(runs.map(f));
  const wall = pick((r) => r.report.sweepMs);
  const ideal = pick((r) => r.idealMs);
  const requests = pick((r) => r.requests);
  const perCheckIdeal = pick((r) => r.perCheckIdealMs);
  const last = runs.at(-1)!.report;
  console.log(`  ${label}:`);
  console.log(`    wall ${(wall / 1000).toFixed(2)} s (runs ${runs.map((r) => (r.report.sweepMs / 1000).toFixed(2)).join(', ')})   ideal ${(ideal / 1000).toFixed(2)} s   ratio ${(wall / ideal).toFixed(2)} (per run ${runs.map((r) => (r.report.sweepMs / r.idealMs).toFixed(2)).join(', ')})`);
  console.log(`    requests ${requests} (${(requests / connections).toFixed(2)} per connection; ServiceNow ${pick((r) => r.report.serviceNowRequests)})   a round per check would take ${(perCheckIdeal / 1000).toFixed(2)} s (${(wall / perCheckIdeal).toFixed(2)}×)   bot CPU in the sweep ${(pick((r) => r.report.cpuMs) / 1000).toFixed(2)} s, stand-ins' ${(pick((r) => r.standInsCpuMs) / 1000).toFixed(2)} s`);
  console.log(`    bot RSS before the sweep ${(pick((r) => r.report.rssBefore) / MiB).toFixed(0)} MiB, peak during it ${(pick((r) => r.report.sweepPeakRss) / MiB).toFixed(0)} MiB   store file ${(last.storeBytes / MiB).toFixed(1)} MiB   states ok ${last.ok}/${last.checked}   alerts ${last.alerts}`);
}
