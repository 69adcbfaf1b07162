import { open, readFile, type FileHandle } from 'node:fs/promises';
import { auditEventSchema, type AuditEvent } from './schema.js';

/**
 * The audit trail as an append-only JSON Lines file (one event a line, mode 0600): appending
 * never rewrites earlier entries, so a crash mid-append can cost at most the line being
 * written, and a SIEM can ingest the file as it is. A torn last line is skipped on load.
 */
export class AuditLog {
  private readonly events: AuditEvent[] = [];
  private queue: Promise<void> = Promise.resolve();

  private constructor(
    private readonly handle: FileHandle,
    readonly path: string,
  ) {}

  static async open(path: string): Promise<AuditLog> {
    let text = '';
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const handle = await open(path, 'a', 0o600);
    await handle.chmod(0o600);
    const log = new AuditLog(handle, path);
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      const parsed = safeParse(line);
      if (parsed) log.events.push(parsed);
    }
    // A torn last line (crash mid-append) would glue onto the next event: end it first.
    if (text.length > 0 && !text.endsWith('\n')) await handle.write('\n');
    return log;
  }

  /** Appends one event; resolves once it is written (appends are serialised, never interleaved). */
  append(event: AuditEvent): Promise<void> {
    const line = `${JSON.stringify(auditEventSchema.parse(event))}\n`;
    const write = this.queue.then(async () => {
      await this.handle.write(line);
      this.events.push(event);
    });
    this.queue = write.catch(() => undefined);
    return write;
  }

  all(): readonly AuditEvent[] {
    return this.events;
  }

  /** The newest events first, optionally for one connection and since a date. */
  latest(options: { connection?: string; since?: Date; limit?: number } = {}): AuditEvent[] {
    const since = options.since?.getTime() ?? 0;
    const out: AuditEvent[] = [];
    for (let i = this.events.length - 1; i >= 0 && out.length < (options.limit ?? 20); i--) {
      const event = this.events[i]!;
      if (options.connection && event.connection !== options.connection) continue;
      if (Date.parse(event.at) < since) break;
      out.push(event);
    }
    return out;
  }

  async close(): Promise<void> {
    await this.queue;
    await this.handle.close();
  }
}

function safeParse(line: string): AuditEvent | undefined {
  try {
    const parsed = auditEventSchema.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
