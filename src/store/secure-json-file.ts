import { mkdir, open, readFile, rename, chmod } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Adapter } from 'lowdb';

/**
 * A lowdb adapter that writes the way the store must survive (a kill at any moment leaves the old file or the new one, never half of one): the file is
 * created 0600, every write goes to a temporary file that is fsynced and renamed over the old
 * one (atomic on POSIX), and writes are queued so two never interleave. lowdb's own JSONFile
 * (steno) is atomic too but creates files with the process umask, which leaves them readable.
 */
export class SecureJsonFile<T> implements Adapter<T> {
  private flushing: Promise<void> | undefined;
  private next: { data: T; done: Promise<void>; resolve: () => void; reject: (error: unknown) => void } | undefined;

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
   * finishing together cost a few file writes, not a thousand.
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
    this.flushing = (this.flushing ?? Promise.resolve()).then(() => this.flush());
    return done;
  }

  private async flush(): Promise<void> {
    const batch = this.next;
    this.next = undefined;
    if (!batch) return;
    try {
      // Compact JSON: the store is rewritten often and read by programs, not people.
      await this.replace(JSON.stringify(batch.data));
      batch.resolve();
    } catch (error) {
      batch.reject(error);
    }
  }

  private madeDir = false;

  private async replace(text: string): Promise<void> {
    if (!this.madeDir) {
      await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
      this.madeDir = true;
    }
    const temp = `${this.path}.${process.pid}.tmp`;
    const handle = await open(temp, 'w', 0o600);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, this.path);
  }
}
