import { mkdir, open, readFile, rename, chmod } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Adapter } from 'lowdb';

/**
 * A lowdb adapter that writes the way the store must survive (SPEC section 9): the file is
 * created 0600, every write goes to a temporary file that is fsynced and renamed over the old
 * one (atomic on POSIX), and writes are queued so two never interleave. lowdb's own JSONFile
 * (steno) is atomic too but creates files with the process umask, which leaves them readable.
 */
export class SecureJsonFile<T> implements Adapter<T> {
  private queue: Promise<void> = Promise.resolve();

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

  write(data: T): Promise<void> {
    // Serialise now, so the file gets the data as it was when write() was called.
    const text = JSON.stringify(data, null, 2);
    const next = this.queue.then(() => this.replace(text));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async replace(text: string): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
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
