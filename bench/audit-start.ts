import { spawn } from 'node:child_process';
import { appendFile, mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GENESIS, chainedLine, lineHash } from '../src/store/audit-chain.js';
import type { AuditEvent } from '../src/store/schema.js';
import type { AuditStartFigures } from './audit-start-child.js';
import { ms } from './stats.js';

const SIZES = [100_000, 1_000_000];
const CONNECTIONS = 200;
/** Lines built and written at a time: big writes, bounded memory. */
const CHUNK = 20_000;

function event(i: number): AuditEvent {
  return {
    at: new Date(Date.UTC(2026, 0, 1) + i * 1_000).toISOString(),
    actor: `U${(i % 50).toString().padStart(8, '0')}`,
    action: i % 3 === 0 ? 'servicenow.write' : 'request.created',
    outcome: 'ok',
    connection: `Confluence ${i % CONNECTIONS}`,
    detail: { table: 'oauth_entity_scope', sysId: i.toString(16).padStart(32, '0'), outcome: 'created' },
  };
}

/** A chained log of `entries` lines, as the bot would have written it. */
async function writeLog(path: string, entries: number): Promise<void> {
  const handle = await open(path, 'w', 0o600);
  try {
    let prev = GENESIS;
    for (let from = 0; from < entries; from += CHUNK) {
      const lines: string[] = [];
      for (let i = from; i < Math.min(entries, from + CHUNK); i++) {
        const line = chainedLine(event(i), i + 1, prev);
        prev = lineHash(line);
        lines.push(line);
      }
      await handle.write(`${lines.join('\n')}\n`);
    }
  } finally {
    await handle.close();
  }
}

/** One start in a fresh process (RSS is then the bot's alone, not this harness's). */
function startOnce(storePath: string): Promise<AuditStartFigures> {
  const child = fileURLToPath(new URL('./audit-start-child.ts', import.meta.url));
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, storePath, 'Confluence 7', 'Jira nowhere'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (chunk) => (out += chunk));
    proc.on('error', reject);
    proc.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!) as AuditStartFigures) : reject(new Error(`audit-start child exited ${code}`))));
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const mib = (value: number) => `${value.toFixed(1)} MiB`;

/** Start time and memory over a long audit log, and `/spoke audit`'s reads: the median of 3 starts per size. */
export async function benchAuditStart(): Promise<void> {
  console.log('\nStart over a long audit log (lowdb store, a fresh process per start, median of 3)');
  console.log('  entries        file        open   RSS growth   latest 30 at start   unreadable counted (RSS then)   then: latest 30   of one connection   of one with none');
  const torn: string[] = [];
  for (const entries of SIZES) {
    const dir = await mkdtemp(join(tmpdir(), 'spokebot-audit-start-'));
    try {
      const storePath = join(dir, 'spokebot.json');
      const logPath = `${storePath}.audit.jsonl`;
      await writeLog(logPath, entries);
      const size = (await stat(logPath)).size;
      const runs: AuditStartFigures[] = [];
      for (let i = 0; i < 3; i++) runs.push(await startOnce(storePath));
      const of = (pick: (f: AuditStartFigures) => number | undefined) => median(runs.map((f) => pick(f) ?? NaN));
      const counted = runs[0]!.countedMs === undefined ? 'at open' : `after ${ms(of((f) => f.countedMs))} (${mib(of((f) => f.countedRssGrowthMiB))})`;
      const cells = [
        entries.toLocaleString('en').padStart(9),
        mib(size / 1024 / 1024).padStart(11),
        ms(of((f) => f.openMs)).padStart(11),
        mib(of((f) => f.rssGrowthMiB)).padStart(12),
        ms(of((f) => f.latestAtStartMs)).padStart(20),
        counted.padStart(31),
        ms(of((f) => f.latestMs)).padStart(17),
        ms(of((f) => f.latestConnectionMs)).padStart(19),
        ms(of((f) => f.latestAbsentMs)).padStart(18),
      ];
      console.log(`  ${cells.join('')}`);
      // After a crash the torn last line is numbered, which counts the newlines before it.
      const afterCrash: AuditStartFigures[] = [];
      for (let i = 0; i < 3; i++) {
        await appendFile(logPath, '{"at":"2026-01-01T00:00:00.000Z","actor":"U1","act');
        afterCrash.push(await startOnce(storePath));
      }
      torn.push(`  ${entries.toLocaleString('en').padStart(9)}: open ${ms(median(afterCrash.map((f) => f.openMs)))}, RSS growth ${mib(median(afterCrash.map((f) => f.rssGrowthMiB)))}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  console.log('  a start after a crash mid-append (the torn last line numbered and noted):');
  for (const line of torn) console.log(line);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  benchAuditStart().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
