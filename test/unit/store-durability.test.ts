import { existsSync, readlinkSync } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, readFile, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AuditLog } from '../../src/store/audit-log.js';
import { SecureJsonFile, removeStaleTemps } from '../../src/store/secure-json-file.js';
import { SpokeStore } from '../../src/store/spoke-store.js';
import { StoreKeyError } from '../../src/store/store-key.js';

const KEY = Buffer.alloc(32, 5);
let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spokebot-durable-'));
  path = join(dir, 'spokebot.json');
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

/** Node's own FileHandle class (not ours), to watch its calls. */
async function fileHandlePrototype(): Promise<FileHandle> {
  const handle = await open(join(dir, 'probe'), 'w');
  const prototype = Object.getPrototypeOf(handle) as FileHandle;
  await handle.close();
  await rm(join(dir, 'probe'));
  return prototype;
}

const STALE = ['spokebot.json.4242.tmp', 'spokebot.json.1.tmp', 'spokebot.json.99999999.tmp'];
/** Beside the store but not its temporary copies: none of these may go. */
const KEPT = [
  'spokebot.json.bak',
  'spokebot.json.abc.tmp',
  'spokebot.json.12.tmp.keep',
  'spokebot.json.12.TMP',
  'spokebot.json.-1.tmp',
  'other.json.4242.tmp',
  'xspokebot.json.7.tmp',
  'spokebot.json.7.tmpx',
  'notes.txt',
];

async function plant(): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const name of [...STALE, ...KEPT]) await writeFile(join(dir, name), `a copy: ${name}`);
  // A folder that matches the pattern is not a temporary file either.
  await mkdir(join(dir, 'spokebot.json.77.tmp'));
}

describe('stale temporary copies of the store', () => {
  it('are removed at open, and nothing else in the folder is touched', async () => {
    await (await SpokeStore.open(path, KEY)).close();
    await plant();
    // This process's own temporary name may be another opener's write in progress.
    const own = `spokebot.json.${process.pid}.tmp`;
    await writeFile(join(dir, own), 'mine');

    const store = await SpokeStore.open(path, KEY);
    expect(store.staleTempsRemoved).toBe(STALE.length);
    await store.close();
    const left = await readdir(dir);
    for (const name of STALE) expect(left).not.toContain(name);
    for (const name of [...KEPT, own, 'spokebot.json', 'spokebot.json.audit.jsonl', 'spokebot.json.77.tmp']) expect(left).toContain(name);
    for (const name of KEPT) expect(await readFile(join(dir, name), 'utf8')).toBe(`a copy: ${name}`);
  });

  it('are left alone when the key is refused: a refused start changes nothing', async () => {
    await (await SpokeStore.open(path, KEY)).close();
    await plant();
    await expect(SpokeStore.open(path, Buffer.alloc(32, 6))).rejects.toBeInstanceOf(StoreKeyError);
    for (const name of STALE) expect(existsSync(join(dir, name))).toBe(true);
  });

  it('counts nothing in a folder that does not exist yet', async () => {
    expect(await removeStaleTemps(join(dir, 'none', 'spokebot.json'))).toBe(0);
  });

  it('a write that fails leaves no temporary copy behind', async () => {
    const prototype = await fileHandlePrototype();
    vi.spyOn(prototype, 'sync').mockRejectedValueOnce(Object.assign(new Error('input/output error'), { code: 'EIO' }));
    const file = new SecureJsonFile<{ n: number }>(path);
    await expect(file.write({ n: 1 })).rejects.toThrow('input/output error');
    expect(await readdir(dir)).toEqual([]);
    await file.write({ n: 2 });
    expect(await readdir(dir)).toEqual(['spokebot.json']);
  });
});

describe.skipIf(!existsSync('/proc/self/fd'))('what is synced, and when', () => {
  /** Every fsync and fdatasync in order: the file or folder it was for, and the store's text at that moment. */
  async function watchSyncs(): Promise<Array<{ call: string; target: string; store: string }>> {
    const prototype = await fileHandlePrototype();
    const seen: Array<{ call: string; target: string; store: string }> = [];
    for (const call of ['sync', 'datasync'] as const) {
      const original = prototype[call];
      vi.spyOn(prototype, call).mockImplementation(async function (this: FileHandle) {
        seen.push({ call, target: readlinkSync(`/proc/self/fd/${this.fd}`), store: existsSync(path) ? await readFile(path, 'utf8') : '' });
        return original.call(this);
      });
    }
    return seen;
  }

  it('a store write syncs the temporary file, renames it, then syncs the folder so the rename survives a power loss', async () => {
    const file = new SecureJsonFile<{ n: number }>(path);
    await file.write({ n: 1 });
    const seen = await watchSyncs();
    await file.write({ n: 2 });
    expect(seen.map(({ call, target }) => [call, target])).toEqual([
      ['sync', `${path}.${process.pid}.tmp`],
      ['sync', dir],
    ]);
    // The folder is synced after the rename: the new store is in place when it is.
    expect(seen[1]!.store).toBe('{"n":2}');
  });

  it('an audit append is synced before it resolves; creating the log syncs its folder', async () => {
    const seen = await watchSyncs();
    const log = await AuditLog.open(join(dir, 'audit.jsonl'));
    expect(seen.map(({ call, target }) => [call, target])).toEqual([['sync', dir]]);
    await log.append({ at: new Date().toISOString(), actor: 'U1', action: 'x', outcome: 'ok' });
    expect(seen.map(({ call, target }) => [call, target])).toEqual([
      ['sync', dir],
      ['datasync', join(dir, 'audit.jsonl')],
    ]);
    await log.close();
    // Opening an existing log creates nothing, so it has no folder to sync.
    const again = await AuditLog.open(join(dir, 'audit.jsonl'));
    await again.close();
    expect(seen).toHaveLength(2);
  });
});
