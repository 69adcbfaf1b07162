/**
 * One bot start for bench/audit-start.ts, in a process of its own so its RSS is the store's alone:
 * imports first (their memory is not the log's), then opens the lowdb store over a prepared audit
 * log and times what `/spoke audit` asks of it. argv: the store path, a busy connection, a
 * connection with no entries. Prints one JSON line (AuditStartFigures).
 */
import { LowdbSpokeStore } from '../src/store/lowdb-store.js';

export interface AuditStartFigures {
  openMs: number;
  rssGrowthMiB: number;
  /** `/spoke audit` right after start, while the unreadable lines are being counted. */
  latestAtStartMs: number;
  latestMs: number;
  latestConnectionMs: number;
  latestAbsentMs: number;
  /** When the store counts unreadable lines after start: how long that took and the RSS growth then. */
  countedMs?: number;
  countedRssGrowthMiB?: number;
}

const MiB = 1024 * 1024;
const timed = async <T>(work: () => Promise<T>): Promise<number> => {
  const started = performance.now();
  await work();
  return performance.now() - started;
};

async function main(): Promise<void> {
  const [path, connection, absent] = process.argv.slice(2) as [string, string, string];
  const key = Buffer.alloc(32, 7);
  const baseline = process.memoryUsage().rss;
  const started = performance.now();
  const store = await LowdbSpokeStore.open(path, key);
  const openMs = performance.now() - started;
  const rssGrowthMiB = (process.memoryUsage().rss - baseline) / MiB;
  const latestAtStartMs = await timed(() => store.auditLog.latest({ limit: 30 }));
  // Present from the version that counts unreadable lines in the background; looked up by name so
  // the same bench also measures the version before it.
  const counted = (store.auditLog as { unreadableCounted?: Promise<unknown> }).unreadableCounted;
  let countedMs: number | undefined;
  let countedRssGrowthMiB: number | undefined;
  if (counted) {
    await counted;
    countedMs = performance.now() - started;
    countedRssGrowthMiB = (process.memoryUsage().rss - baseline) / MiB;
  }
  const figures: AuditStartFigures = {
    openMs,
    rssGrowthMiB,
    latestAtStartMs,
    latestMs: await timed(() => store.auditLog.latest({ limit: 30 })),
    latestConnectionMs: await timed(() => store.auditLog.latest({ connection, limit: 30 })),
    latestAbsentMs: await timed(() => store.auditLog.latest({ connection: absent, limit: 30 })),
    ...(countedMs === undefined ? {} : { countedMs, countedRssGrowthMiB }),
  };
  await store.close();
  console.log(JSON.stringify(figures));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
