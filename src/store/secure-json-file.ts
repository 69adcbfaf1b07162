import type { Dirent } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, chmod, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Adapter } from 'lowdb';

/**
 * A lowdb adapter that writes the way the store must survive (a kill at any moment leaves the old file or the new one, never half of one): the file is
 * created 0600, every write goes to a temporary file that is fsynced and renamed over the old
 * one (atomic on POSIX), the folder is fsynced so the rename itself survives a power loss, and
 * writes are queued so two never interleave. lowdb's own JSONFile
 * (steno) is atomic too but creates files with the process umask, which leaves them readable.
 */
/** The longest a write waits after the one before it. */
const MAX_WRITE_SPACING_MS = 2000;

const pause = (ms: number) => (ms < 1 ? Promise.resolve() : new Promise<void>((resolve) => setTimeout(resolve, ms)));

export class SecureJsonFile<T> implements Adapter<T> {
  private flushing: Promise<void> | undefined;
  private next: { data: T; done: Promise<void>; resolve: () => void; reject: (error: unknown) => void } | undefined;

  /** How long serialising and encoding the last write took: the next one starts three times as long after it ended. */
  private lastSerialiseMs = 0;
  /** When the last write was on disk (performance.now()); a write after a quiet spell waits for nothing. */
  private lastFlushEndedAt = 0;

  constructor(private readonly path: string) {}

  async read(): Promise<T | null> {
    try {
      const text = await readFile(this.path, 'utf8');
      await chmod(this.path, 0o600);
      return JSON.parse(text) as T;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  /**
   * Writes are coalesced: while one is on disk, later ones wait and only the newest data is
   * written after it (lowdb hands us its live document each time). Every caller's promise
   * resolves once a write that includes its change is durable. A thousand health checks
   * finishing together cost a few file writes, not a thousand: the first write after a quiet
   * spell waits for the end of the event loop's turn, so the changes made in that turn share it.
   * A write that follows another starts three times as long after it ended as serialising it took
   * (up to two seconds): a store then spends at most about a quarter of its CPU serialising,
   * however fast changes come. Between a large store's writes (10,000 connections, megabytes of
   * JSON) that is tens of milliseconds, between a small one's hardly anything, and a write after a
   * quiet spell (a click, not a sweep) waits for nothing. Disk time is not counted:
   * a slow fsync is no reason to hold the next change back.
   */
  write(data: T): Promise<void> {
    if (this.next) {
      this.next.data = data;
      return this.next.done;
    }
    let resolve!: () => void;
    let reject!: (error: unknown) => void;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.next = { data, done, resolve, reject };
    // Not before the end of this turn of the event loop: every change made in it (a batch of
    // health checks whose reads came back together) goes into the same write.
    this.flushing = (this.flushing ?? Promise.resolve())
      .then(() => pause(Math.min(this.lastFlushEndedAt + 3 * this.lastSerialiseMs - performance.now(), MAX_WRITE_SPACING_MS)))
      .then(endOfTurn)
      .then(() => this.flush());
    return done;
  }

  private async flush(): Promise<void> {
    const batch = this.next;
    this.next = undefined;
    if (!batch) return;
    try {
      const started = performance.now();
      // Compact JSON: the store is rewritten often and read by programs, not people. Encoded
      // here, not by writeFile, so that the time counted is all the CPU a write costs.
      const bytes = Buffer.from(JSON.stringify(batch.data), 'utf8');
      this.lastSerialiseMs = performance.now() - started;
      await this.replace(bytes);
      this.lastFlushEndedAt = performance.now();
      batch.resolve();
    } catch (error) {
      batch.reject(error);
    }
  }

  private madeDir = false;

  private async replace(bytes: Buffer): Promise<void> {
    if (!this.madeDir) {
      await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
      this.madeDir = true;
    }
    const temp = tempPath(this.path);
    try {
      const handle = await open(temp, 'w', 0o600);
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, this.path);
    } catch (error) {
      // A full disk or a refused write must not leave a copy of the store (secrets and all) behind.
      await unlink(temp).catch(() => undefined);
      throw error;
    }
    // The rename is an entry in the folder: until the folder is synced, a power loss can bring
    // back the old store, with the writes this promise already reported as durable.
    await syncDirectory(dirname(this.path));
  }
}

const endOfTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Where a write of `path` goes before it is renamed over it; one per process, so two never share one. */
const tempPath = (path: string): string => `${path}.${process.pid}.tmp`;

/**
 * fsync of a folder, which makes the names created, renamed or removed in it durable. Some file
 * systems cannot sync a folder (EINVAL) and some platforms cannot open one (EISDIR, EPERM): there
 * the rename is as durable as the system makes it, which is no reason to fail the write.
 */
export async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    if (!['EINVAL', 'EISDIR', 'EPERM', 'ENOTSUP'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
  } finally {
    await handle?.close();
  }
}

/**
 * Removes the temporary copies that writes killed mid-way left beside the store: every
 * `<name>.<pid>.tmp` in its folder but this process's own. Each is a whole copy of the store,
 * sealed secrets included, that nothing will ever read. Nothing else in the folder is touched.
 * Returns how many it removed.
 */
export async function removeStaleTemps(path: string): Promise<number> {
  const dir = dirname(path);
  const name = basename(path);
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  // This process's own name is spared: another opener in this process may be writing it. Left
  // by an earlier process that had the same pid, it goes with this process's first write anyway.
  const own = basename(tempPath(path));
  let removed = 0;
  for (const entry of entries) {
    const file = entry.name;
    if (!entry.isFile() || file === own || !file.startsWith(`${name}.`) || !/^\d+\.tmp$/.test(file.slice(name.length + 1))) continue;
    try {
      await unlink(join(dir, file));
      removed++;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return removed;
}
