import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { logStoreOpened } from '../../src/startup/store-notes.js';
import type { AuditTrail, SpokeStore, UnreadableLines } from '../../src/store/spoke-store.js';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  return { lines, logger: createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) }) };
}

/** A store whose audit log is still counting its unreadable lines: settle `counted` to finish. */
function storeCounting(counted: Promise<UnreadableLines | undefined>): SpokeStore {
  const auditLog: Partial<AuditTrail> = { location: '/data/spokebot.json.audit.jsonl', tornAtOpen: [], unreadable: { count: 0 }, unreadableCounted: counted };
  return { staleTempsRemoved: 0, auditLog } as unknown as SpokeStore;
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('logStoreOpened and the audit log counted after open', () => {
  it('warns of unreadable lines once the count is done, not before', async () => {
    const { lines, logger } = capture();
    let finish!: (found: UnreadableLines) => void;
    logStoreOpened(logger, storeCounting(new Promise((resolve) => (finish = resolve))));
    await settle();
    expect(lines).toEqual([]);
    finish({ count: 2, firstLine: 7 });
    await settle();
    expect(lines).toEqual([expect.objectContaining({ level: 40, unreadable: 2, firstLine: 7, msg: '2 unreadable lines in the audit log /data/spokebot.json.audit.jsonl (first at line 7): run `spokebot audit verify`' })]);
  });

  it('says nothing for a clean log, or one closed before its count was done', async () => {
    const { lines, logger } = capture();
    logStoreOpened(logger, storeCounting(Promise.resolve({ count: 0 })));
    logStoreOpened(logger, storeCounting(Promise.resolve(undefined)));
    await settle();
    expect(lines).toEqual([]);
  });

  it('says so when the log could not be read to the end', async () => {
    const { lines, logger } = capture();
    logStoreOpened(logger, storeCounting(Promise.reject(new Error('EIO: i/o error, read'))));
    await settle();
    expect(lines).toEqual([expect.objectContaining({ level: 40, msg: 'could not count the unreadable lines of the audit log /data/spokebot.json.audit.jsonl: run `spokebot audit verify`', err: expect.objectContaining({ message: 'EIO: i/o error, read' }) })]);
  });
});
