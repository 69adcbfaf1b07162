import { appendFile, mkdtemp, open, readFile, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GENESIS, TORN_WRITE, chainedLine, lineHash, verifyChain } from '../../src/store/audit-chain.js';
import { AuditLog } from '../../src/store/audit-log.js';
import type { AuditEvent } from '../../src/store/schema.js';

let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spokebot-audit-'));
  path = join(dir, 'audit.jsonl');
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

const event = (i: number, connection = 'c1') => ({ at: new Date(Date.UTC(2026, 10, 1, 0, i)).toISOString(), actor: 'U1', action: 'setup.started', outcome: 'ok' as const, connection });
const fileLines = async () => (await readFile(path, 'utf8')).split('\n').slice(0, -1);
const verify = async () => verifyChain(await readFile(path));
/** Every readable entry of the log, oldest first, as it streams them. */
async function entriesOf(log: AuditLog): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  for await (const event of log.entries()) events.push(event);
  return events;
}

/** Node's own FileHandle class (not ours), to watch or fail its calls. */
async function fileHandlePrototype(): Promise<FileHandle> {
  const handle = await open(join(dir, 'probe'), 'w');
  const prototype = Object.getPrototypeOf(handle) as FileHandle;
  await handle.close();
  return prototype;
}

describe('AuditLog', () => {
  it('appends JSON lines to a 0600 file and reads them back after a restart', async () => {
    const log = await AuditLog.open(path);
    await Promise.all([log.append(event(1)), log.append(event(2)), log.append(event(3, 'c2'))]);
    await log.close();
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const lines = await fileLines();
    expect(lines.map((l) => JSON.parse(l).at)).toEqual([event(1).at, event(2).at, event(3).at]);
    const again = await AuditLog.open(path);
    expect(await entriesOf(again)).toHaveLength(3);
    expect((await again.latest({ connection: 'c1' })).map((e) => e.at)).toEqual([event(2).at, event(1).at]);
    expect((await again.latest({ since: new Date(event(2).at) })).map((e) => e.at)).toEqual([event(3).at, event(2).at]);
    expect(await again.unreadableCounted).toEqual({ count: 0 });
    expect(again.unreadable).toEqual({ count: 0 });
    await again.close();
  });

  it('chains every entry to the exact bytes of the line before it, and goes on from the last line after a restart', async () => {
    const log = await AuditLog.open(path);
    await log.append(event(1));
    await log.append(event(2));
    await log.close();
    const reopened = await AuditLog.open(path);
    await reopened.append(event(3));
    // The entries come back without the chain fields (the schema strips them).
    expect((await entriesOf(reopened)).map((e) => Object.keys(e))).not.toContainEqual(expect.arrayContaining(['prev']));
    await reopened.close();

    const lines = await fileLines();
    const parsed = lines.map((l) => JSON.parse(l));
    expect(parsed.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(parsed[0].prev).toBe(GENESIS);
    expect(parsed[1].prev).toBe(lineHash(lines[0]!));
    expect(parsed[2].prev).toBe(lineHash(lines[1]!));
    // The existing fields come first, as before (in the schema's order); the chain is two fields more, last.
    expect(Object.keys(parsed[0])).toEqual(['at', 'actor', 'action', 'connection', 'outcome', 'seq', 'prev']);
    expect(await verify()).toMatchObject({ chained: 3, chainStart: 1, legacy: 0 });
  });

  it('keeps appends made together in the order they were made, written with fewer syncs than entries', async () => {
    const prototype = await fileHandlePrototype();
    const syncs = vi.spyOn(prototype, 'datasync');
    const log = await AuditLog.open(path);
    await Promise.all(Array.from({ length: 50 }, (_, i) => log.append(event(i))));
    await log.close();
    const parsed = (await fileLines()).map((l) => JSON.parse(l));
    expect(parsed.map((e) => e.at)).toEqual(Array.from({ length: 50 }, (_, i) => event(i).at));
    expect(parsed.map((e) => e.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(syncs.mock.calls.length).toBeGreaterThan(0);
    expect(syncs.mock.calls.length).toBeLessThan(50);
    expect((await verify()).broken).toBeUndefined();
  });

  it('resolves an append only after its line is synced to disk', async () => {
    const prototype = await fileHandlePrototype();
    const order: string[] = [];
    const datasync = prototype.datasync;
    vi.spyOn(prototype, 'datasync').mockImplementation(async function (this: FileHandle) {
      await datasync.call(this);
      order.push('synced');
    });
    const log = await AuditLog.open(path);
    await log.append(event(1)).then(() => order.push('resolved'));
    await log.close();
    expect(order).toEqual(['synced', 'resolved']);
  });

  it('survives a crash mid-append: the torn line is ended, noted in the log, and later appends chain past it', async () => {
    const log = await AuditLog.open(path);
    await log.append(event(1));
    await log.close();
    await appendFile(path, '{"at":"2026-11-01T00:02:00.000Z","actor":"U1","act');
    // What a crash mid-append leaves, before the bot starts again.
    expect(await verify()).toMatchObject({ tornAtEnd: [2], chained: 1 });
    expect((await verify()).broken).toBeUndefined();

    const reopened = await AuditLog.open(path);
    expect(reopened.tornAtOpen).toEqual([2]);
    expect(await reopened.unreadableCounted).toEqual({ count: 0 });
    expect((await entriesOf(reopened)).map((e) => e.action)).toEqual(['setup.started', TORN_WRITE]);
    expect((await entriesOf(reopened))[1]!.detail).toMatchObject({ lines: ['2'] });
    await reopened.append(event(3));
    await reopened.close();

    const last = await AuditLog.open(path);
    expect((await entriesOf(last)).map((e) => e.at)).toEqual([event(1).at, expect.any(String), event(3).at]);
    expect(last.tornAtOpen).toEqual([]);
    expect(await last.unreadableCounted).toEqual({ count: 0 });
    await last.close();
    const report = await verify();
    expect(report).toMatchObject({ chained: 3, tornNoted: [2], tornAtEnd: [] });
    expect(report.broken).toBeUndefined();
  });

  it('counts unreadable lines in the middle of the log, with the first one’s line number', async () => {
    const log = await AuditLog.open(path);
    for (let i = 1; i <= 5; i++) await log.append(event(i));
    await log.close();
    const lines = await fileLines();
    lines[1] = 'garbled ☠ not json';
    lines[3] = '{"at":"2026-11-01T00:04:00.000Z"}';
    await writeFile(path, `${lines.join('\n')}\n`);

    const reopened = await AuditLog.open(path);
    expect(await reopened.unreadableCounted).toEqual({ count: 2, firstLine: 2 });
    expect(reopened.unreadable).toEqual({ count: 2, firstLine: 2 });
    expect(reopened.tornAtOpen).toEqual([]);
    expect((await entriesOf(reopened)).map((e) => e.at)).toEqual([event(1).at, event(3).at, event(5).at]);
    await reopened.close();
  });

  it('starts the chain after entries written before it, which stay as they are', async () => {
    const legacy = [event(1), event(2)].map((e) => JSON.stringify(e)).join('\n');
    await writeFile(path, `${legacy}\n`, { mode: 0o600 });
    const log = await AuditLog.open(path);
    await log.append(event(3));
    await log.close();
    const lines = await fileLines();
    expect(lines.slice(0, 2).join('\n')).toBe(legacy);
    expect(JSON.parse(lines[2]!)).toMatchObject({ seq: 1, prev: lineHash(lines[1]!) });
    expect(await verify()).toMatchObject({ legacy: 2, chainStart: 3, chained: 1 });
  });

  it('after a last line without a hash, goes on from the newest entry on the chain and chains onto that line', async () => {
    const log = await AuditLog.open(path);
    for (let i = 1; i <= 3; i++) await log.append(event(i));
    await log.close();
    // What an older version of the bot appending to the same file would leave.
    await appendFile(path, `${JSON.stringify(event(4))}\n`);
    const reopened = await AuditLog.open(path);
    await reopened.append(event(5));
    await reopened.close();
    const lines = await fileLines();
    expect(JSON.parse(lines[4]!)).toMatchObject({ seq: 4, prev: lineHash(lines[3]!) });
  });

  it('after a failed write, reads the end of the file again so the chain still holds', async () => {
    const prototype = await fileHandlePrototype();
    const log = await AuditLog.open(path);
    await log.append(event(1));
    const writeFileOriginal = prototype.writeFile;
    // The disk fills part-way through a line: half of it lands, then the write fails.
    vi.spyOn(prototype, 'writeFile').mockImplementationOnce(async function (this: FileHandle, data: unknown) {
      await writeFileOriginal.call(this, String(data).slice(0, 20));
      throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    });
    await expect(log.append(event(2))).rejects.toThrow('no space');
    await log.append(event(3));
    await log.close();
    const report = await verify();
    expect(report.broken).toBeUndefined();
    expect(report.tornNoted).toEqual([2]);
    expect((await fileLines()).map((l) => JSON.parse(l.startsWith('{"at"') && l.length > 30 ? l : '{}').action)).toEqual(['setup.started', undefined, TORN_WRITE, 'setup.started']);
  });

  describe('a long log', () => {
    const LONG = 6_000; // about 1.2 MB: several of the readers' 256 KiB chunks
    const longEvent = (i: number) => ({ ...event(i, `c${i % 7}`), detail: { n: String(i) } });

    /** A chained log of `entries` lines, as the bot would have written it. */
    async function writeLongLog(entries: number): Promise<string[]> {
      const lines: string[] = [];
      let prev = GENESIS;
      for (let i = 1; i <= entries; i++) {
        lines.push(chainedLine(longEvent(i), i, prev));
        prev = lineHash(lines[i - 1]!);
      }
      await writeFile(path, `${lines.join('\n')}\n`, { mode: 0o600 });
      return lines;
    }

    it('opens by reading its end only, and chains the next entry onto the last line', async () => {
      await writeLongLog(LONG);
      const prototype = await fileHandlePrototype();
      const read = prototype.read;
      let bytesRead = 0;
      vi.spyOn(prototype, 'read').mockImplementation(async function (this: FileHandle, ...args: unknown[]) {
        const result = await (read as (...a: unknown[]) => Promise<{ bytesRead: number }>).apply(this, args);
        bytesRead += result.bytesRead;
        return result;
      } as FileHandle['read']);
      const log = await AuditLog.open(path);
      const atOpen = bytesRead;
      await log.append(event(LONG + 1));
      await log.unreadableCounted;
      await log.close();
      expect(atOpen).toBeLessThanOrEqual(256 * 1024 + 1);
      expect((await stat(path)).size).toBeGreaterThan(4 * atOpen);
      const report = await verify();
      expect(report.broken).toBeUndefined();
      expect(report.chained).toBe(LONG + 1);
    });

    it('numbers a torn last line by its place in the whole file', async () => {
      await writeLongLog(LONG);
      await appendFile(path, '{"at":"2026-11-01T00:02:00.000Z","act');
      const log = await AuditLog.open(path);
      expect(log.tornAtOpen).toEqual([LONG + 1]);
      expect(await log.unreadableCounted).toEqual({ count: 0 });
      await log.close();
      expect(await verify()).toMatchObject({ tornNoted: [LONG + 1], tornAtEnd: [], chained: LONG + 1 });
    });

    it('counts unreadable lines after open, without holding up the open', async () => {
      const lines = await writeLongLog(LONG);
      lines[4_999] = 'garbled';
      lines[5_000] = '{"at":"2026-11-01T00:00:00.000Z"}';
      await writeFile(path, `${lines.join('\n')}\n`);
      const log = await AuditLog.open(path);
      expect(log.unreadable).toEqual({ count: 0 });
      expect(await log.unreadableCounted).toEqual({ count: 2, firstLine: 5_000 });
      expect(log.unreadable).toEqual({ count: 2, firstLine: 5_000 });
      await log.close();
    });

    it('stops counting when closed, and says it did not finish', async () => {
      await writeLongLog(LONG);
      const log = await AuditLog.open(path);
      await log.close();
      expect(await log.unreadableCounted).toBeUndefined();
      expect(log.unreadable).toEqual({ count: 0 });
    });

    it('finds the latest entries of a connection, since a date, across chunks, newest first', async () => {
      await writeLongLog(LONG);
      const log = await AuditLog.open(path);
      await log.append({ ...event(LONG + 1), connection: 'Jira "quoted" ☃' });
      const numbers = (events: AuditEvent[]) => events.map((e) => Number(e.detail?.n));
      expect(numbers(await log.latest({ limit: 3 }))).toEqual([NaN, LONG, LONG - 1]);
      expect(numbers(await log.latest({ connection: 'c3', limit: 3 }))).toEqual([5_995, 5_988, 5_981]);
      // 1,500 back is several chunks before the end.
      const since = new Date(longEvent(LONG - 1_500).at);
      const sinceC0 = await log.latest({ connection: 'c0', since, limit: 1_000 });
      expect(numbers(sinceC0)).toEqual(Array.from({ length: LONG + 1 }, (_, i) => LONG - i).filter((n) => n >= LONG - 1_500 && n % 7 === 0));
      expect((await log.latest({ connection: 'Jira "quoted" ☃' })).map((e) => e.connection)).toEqual(['Jira "quoted" ☃']);
      expect(await log.latest({ connection: 'c9' })).toEqual([]);
      expect(await log.latest({ limit: 0 })).toEqual([]);
      await log.close();
    });
  });
});
