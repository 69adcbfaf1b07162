import { appendFile, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/store/audit-log.js';

let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spokebot-audit-'));
  path = join(dir, 'audit.jsonl');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const event = (i: number, connection = 'c1') => ({ at: new Date(Date.UTC(2026, 10, 1, 0, i)).toISOString(), actor: 'U1', action: 'setup.started', outcome: 'ok' as const, connection });

describe('AuditLog', () => {
  it('appends JSON lines to a 0600 file and reads them back after a restart', async () => {
    const log = await AuditLog.open(path);
    await Promise.all([log.append(event(1)), log.append(event(2)), log.append(event(3, 'c2'))]);
    await log.close();
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const lines = (await readFile(path, 'utf8')).trim().split('\n');
    expect(lines.map((l) => JSON.parse(l).at)).toEqual([event(1).at, event(2).at, event(3).at]);
    const again = await AuditLog.open(path);
    expect(again.all()).toHaveLength(3);
    expect(again.latest({ connection: 'c1' }).map((e) => e.at)).toEqual([event(2).at, event(1).at]);
    expect(again.latest({ since: new Date(event(2).at) }).map((e) => e.at)).toEqual([event(3).at, event(2).at]);
    await again.close();
  });

  it('survives a crash mid-append: earlier entries kept, the torn line skipped, later appends clean', async () => {
    const log = await AuditLog.open(path);
    await log.append(event(1));
    await log.close();
    await appendFile(path, '{"at":"2026-11-01T00:02:00.000Z","actor":"U1","act');
    const reopened = await AuditLog.open(path);
    expect(reopened.all()).toHaveLength(1);
    await reopened.append(event(3));
    await reopened.close();
    const last = await AuditLog.open(path);
    expect(last.all().map((e) => e.at)).toEqual([event(1).at, event(3).at]);
    await last.close();
  });
});
