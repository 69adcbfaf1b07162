import { constants } from 'node:fs';
import { access, open, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { TORN_WRITE, GENESIS, chainedLine, lineHash, parseLine } from './audit-chain.js';
import { linesBackward, linesForward } from './audit-lines.js';
import { readChainEnd } from './audit-tail.js';
import { countUnexplainedLines } from './audit-unreadable.js';
import { auditEventSchema, type AuditEvent } from './schema.js';
import { syncDirectory } from './secure-json-file.js';
import { StoreAccessError, storeFileProblem } from './store-key.js';
import type { AuditTrail, UnreadableLines } from './spoke-store.js';

export type { UnreadableLines };

interface Pending {
  event: AuditEvent;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * The audit trail as an append-only JSON Lines file (one event a line, mode 0600): appending
 * never rewrites earlier entries, so a crash mid-append can cost at most the line being written,
 * and a SIEM can ingest the file as it is. Each entry is chained to the one before it
 * (audit-chain.ts), so `spokebot audit verify` can prove nothing was changed afterwards.
 *
 * An append resolves once its line is on disk (fdatasync): an entry the bot has acted on survives
 * a power loss. Appends are serialised through one queue; those that arrive while a write is on
 * disk go out together in the next write, so a burst costs a few syncs, not one each.
 *
 * Nothing of the log is kept in memory: opening reads its last lines (where the chain ends),
 * `latest` reads back from the end until it has enough, `entries` streams it, and the unreadable
 * lines are counted by one read in the background after open. A start then costs the same time
 * and memory whatever the log's length.
 */
export class AuditLog implements AuditTrail {
  private pending: Pending[] = [];
  private draining: Promise<void> | undefined;
  /** The hash the next entry carries as `prev` and the seq it follows: kept here so an append reads nothing. */
  private lastHash = GENESIS;
  private lastSeq = 0;
  /** The bytes of the file this log has read or written: reads stop here, so a write in flight is never half read. */
  private end = 0;
  /** Set after a failed write: what reached the disk is unknown, so the next write first reads the end of the file again. */
  private tailUnknown = false;
  private unreadableFound: UnreadableLines = { count: 0 };
  private tornFound: number[] = [];
  private readonly stopCounting = new AbortController();
  private counting: Promise<UnreadableLines | undefined> = Promise.resolve(undefined);

  private constructor(
    private readonly handle: FileHandle,
    readonly path: string,
  ) {}

  static async open(path: string): Promise<AuditLog> {
    let handle: FileHandle;
    let created = false;
    try {
      created = !(await exists(path));
      // Read and append through one descriptor: reads are positioned, appends always land at the end.
      handle = await open(path, 'a+', 0o600);
    } catch (error) {
      // Named here: a failure on a directory does not say which file it was opening.
      const problem = storeFileProblem(path, error);
      throw problem ? new StoreAccessError(path, problem.reason, problem.hint) : error;
    }
    const log = new AuditLog(handle, path);
    try {
      await handle.chmod(0o600);
      // A new file's name lives in its folder: without this a power loss could lose the whole file.
      if (created) await syncDirectory(dirname(path));
      const torn = await log.readEnd();
      log.tornFound = torn;
      log.countUnreadable(log.end);
      // Noted in the log itself, so later starts and `audit verify` know these lines for what they are.
      if (torn.length > 0) await log.append(tornWriteNote(torn));
    } catch (error) {
      log.stopCounting.abort();
      await log.counting.catch(() => undefined);
      await handle.close();
      throw error;
    }
    return log;
  }

  /**
   * Finds where the chain ends from the file's last lines, and ends a torn last line with a
   * newline so the next entry does not glue onto it. Returns the torn lines nothing has noted yet.
   */
  private async readEnd(): Promise<number[]> {
    const size = (await this.handle.stat()).size;
    const chainEnd = await readChainEnd(this.handle, size);
    // The newline is needed whether or not the last line parses (a whole entry that lost only its newline).
    if (!chainEnd.terminated) await this.handle.writeFile('\n');
    this.lastHash = chainEnd.lastHash;
    this.lastSeq = chainEnd.lastSeq;
    this.end = size + (chainEnd.terminated ? 0 : 1);
    return chainEnd.torn;
  }

  /** Starts counting the unreadable lines of [0, end) in the background; `unreadable` holds the result once known. */
  private countUnreadable(end: number): void {
    this.counting = countUnexplainedLines(this.handle, end, this.stopCounting.signal).then((found) => {
      if (found) this.unreadableFound = found;
      return found;
    });
    // Handled here so a failed count is never an unhandled rejection; whoever awaits it still sees the error.
    this.counting.catch(() => undefined);
  }

  /** Settles once `unreadable` is final: undefined if the log was closed first; rejects if the file could not be read. */
  get unreadableCounted(): Promise<UnreadableLines | undefined> {
    return this.counting;
  }

  /**
   * Unreadable lines in the log (not torn writes the bot noted): none until the background count
   * started at open is done (`unreadableCounted`).
   */
  get unreadable(): UnreadableLines {
    return this.unreadableFound;
  }

  /** Lines torn by a crash that this open found at the end of the log and noted. */
  get tornAtOpen(): readonly number[] {
    return this.tornFound;
  }

  /** Appends one event; resolves once it is on disk (appends are serialised, never interleaved). */
  append(event: AuditEvent): Promise<void> {
    const parsed = auditEventSchema.parse(event);
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ event: parsed, resolve, reject });
      // Started on the next microtask, so appends made together share one write.
      this.draining ??= Promise.resolve().then(() => this.drain());
    });
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0);
      try {
        if (this.tailUnknown) {
          const torn = await this.readEnd();
          this.tailUnknown = false;
          if (torn.length > 0) batch.unshift({ event: tornWriteNote(torn), resolve: () => undefined, reject: () => undefined });
        }
        let prev = this.lastHash;
        let seq = this.lastSeq;
        const lines = batch.map(({ event }) => {
          const line = chainedLine(event, ++seq, prev);
          prev = lineHash(line);
          return line;
        });
        const text = `${lines.join('\n')}\n`;
        await this.handle.writeFile(text);
        await this.handle.datasync();
        this.lastHash = prev;
        this.lastSeq = seq;
        this.end += Buffer.byteLength(text);
        for (const { resolve } of batch) resolve();
      } catch (error) {
        this.tailUnknown = true;
        for (const { reject } of batch) reject(error);
      }
    }
    this.draining = undefined;
  }

  get location(): string {
    return this.path;
  }

  /** Every readable entry, oldest first, read from the file as it goes (for export-like uses and tests). */
  async *entries(): AsyncGenerator<AuditEvent> {
    for await (const batch of linesForward(this.handle, this.end)) {
      for (const { bytes } of batch) {
        const parsed = parseLine(bytes);
        if (parsed.kind !== 'unreadable') yield parsed.event;
      }
    }
  }

  /**
   * The newest events first, optionally for one connection and since a date: read back from the
   * end of the file until `limit` are found, an older event than `since`, or the start.
   */
  async latest(options: { connection?: string; since?: Date; limit?: number } = {}): Promise<AuditEvent[]> {
    const { connection } = options;
    const since = options.since?.getTime() ?? 0;
    const limit = options.limit ?? 20;
    // The bot writes the name as JSON.stringify does: the lines without those bytes are other
    // connections', passed over unparsed (a hand-written line that escapes the name otherwise is missed).
    const containing = connection ? Buffer.from(JSON.stringify(connection)) : undefined;
    const out: AuditEvent[] = [];
    if (limit <= 0) return out;
    lines: for await (const batch of linesBackward(this.handle, this.end, containing ? { containing } : {})) {
      for (const { bytes } of batch) {
        const parsed = parseLine(bytes);
        if (parsed.kind === 'unreadable') continue;
        const { event } = parsed;
        if (connection && event.connection !== connection) continue;
        if (Date.parse(event.at) < since) break lines;
        out.push(event);
        if (out.length >= limit) break lines;
      }
    }
    return out;
  }

  async close(): Promise<void> {
    this.stopCounting.abort();
    await this.counting.catch(() => undefined);
    await this.draining;
    await this.handle.close();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

function tornWriteNote(lines: readonly number[]): AuditEvent {
  return { at: new Date().toISOString(), actor: 'spokebot', action: TORN_WRITE, outcome: 'ok', detail: { lines: lines.map(String), reason: 'cut off mid-append' } };
}

/**
 * Read-only: the audit log at `path`, if there is one, is a file the bot may read and append to.
 * Throws StoreAccessError naming the file and the fix (the start-up gate turns it into its line).
 */
export async function checkAuditLogFile(path: string): Promise<void> {
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw Object.assign(new Error('a directory'), { code: 'EISDIR', path });
    await access(path, constants.R_OK | constants.W_OK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    const problem = storeFileProblem(path, error);
    if (problem) throw new StoreAccessError(path, problem.reason, problem.hint);
    throw error;
  }
}
