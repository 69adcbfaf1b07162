import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from '../src/store/audit-log.js';
import { ms, summarise } from './stats.js';

const EXISTING = 100_000;
const APPENDS = 2_000;

function event(i: number) {
  return {
    at: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
    actor: `U${(i % 50).toString().padStart(8, '0')}`,
    action: i % 3 === 0 ? 'servicenow.write' : 'request.created',
    outcome: 'ok' as const,
    connection: `Confluence ${i % 200}`,
    detail: { table: 'oauth_entity_scope', sysId: i.toString(16).padStart(32, '0'), outcome: 'created' },
  };
}

/** Audit append latency with 100,000 entries already in the log, and the log's size. */
export async function benchAuditAppend(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'spokebot-audit-bench-'));
  const path = join(dir, 'spokebot.json.audit.jsonl');
  try {
    await writeFile(path, Array.from({ length: EXISTING }, (_, i) => JSON.stringify(event(i))).join('\n') + '\n', { mode: 0o600 });
    const openedAt = performance.now();
    const log = await AuditLog.open(path);
    const openMs = performance.now() - openedAt;
    const samples: number[] = [];
    for (let i = 0; i < APPENDS; i++) {
      const started = performance.now();
      await log.append(event(EXISTING + i));
      samples.push(performance.now() - started);
    }
    const latestStarted = performance.now();
    await log.latest({ connection: 'Confluence 7', limit: 30 });
    const latestMs = performance.now() - latestStarted;
    await log.close();
    const s = summarise(samples);
    const size = (await stat(path)).size;
    console.log(`\nAudit log append, ${EXISTING.toLocaleString('en')} entries already there, ${APPENDS} appends one after another`);
    console.log(`  append p50 ${ms(s.p50)}   p99 ${ms(s.p99)}   max ${ms(s.max)}`);
    console.log(`  file ${(size / 1024 / 1024).toFixed(1)} MiB (${Math.round(size / (EXISTING + APPENDS))} bytes an entry)   load on start ${ms(openMs)}   latest 30 for one connection ${ms(latestMs)}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
