import { constants } from 'node:fs';
import { access, open, readFile, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { GENESIS, TORN_WRITE, chainedLine, lineHash, parseLine, splitLines, tornLinesNoted } from './audit-chain.js';
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
 */
export class AuditLog implements AuditTrail {
  private readonly events: AuditEvent[] = [];
  private pending: Pending[] = [];
  private draining: Promise<void> | undefined;
  /** The hash the next entry carries as `prev` and the seq it follows: kept here so an append reads nothing. */
  private lastHash = GENESIS;
  private lastSeq = 0;
  /** Set after a failed write: what reached the disk is unknown, so the next write first reads the end of the file again. */
  private tailUnknown = false;
  private unreadableFound: UnreadableLines = { count: 0 };
  private tornFound: number[] = [];

  private constructor(
    private readonly handle: FileHandle,
    readonly path: string,
  ) {}

  static async open(path: string): Promise<AuditLog> {
    let bytes = Buffer.alloc(0);
    let created = false;
    let handle: FileHandle;
    try {
      try {
        bytes = await readFile(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        created = true;
      }
      handle = await open(path, 'a', 0o600);
    } catch (error) {
      // Named here: a read that fails on a directory does not say which file it was reading.
      const problem = storeFileProblem(path, error);
      throw problem ? new StoreAccessError(path, problem.reason, problem.hint) : error;
    }
    const log = new AuditLog(handle, path);
    try {
      await handle.chmod(0o600);
      // A new file's name lives in its folder: without this a power loss could lose the whole file.
      if (created) await syncDirectory(dirname(path));
      const { torn, unexplained } = await log.load(bytes, true);
      log.unreadableFound = { count: unexplained.length, ...(unexplained.length ? { firstLine: unexplained[0] } : {}) };
      log.tornFound = torn;
      // Noted in the log itself, so later starts and `audit verify` know these lines for what they are.
      if (torn.length > 0) await log.append(tornWriteNote(torn));
    } catch (error) {
      await handle.close();
      throw error;
    }
    return log;
  }

  /**
   * Reads the log: the events, the chain's end, the unreadable lines. A torn last line (a crash
   * mid-append) is ended with a newline so the next entry does not glue onto it. `torn`: the torn
   * lines nothing has noted yet; `unexplained`: unreadable lines in the middle no note explains.
   */
  private async load(bytes: Buffer, keepEvents: boolean): Promise<{ torn: number[]; unexplained: number[] }> {
    const { lines, tail } = splitLines(bytes);
    if (tail.length > 0) {
      // The newline is needed whether or not the tail parses (a whole entry that lost only its newline).
      await this.handle.writeFile('\n');
      lines.push(tail);
    }
    const unreadable: number[] = [];
    const noted = new Set<number>();
    let lastReadable = -1;
    this.lastSeq = 0;
    for (let i = 0; i < lines.length; i++) {
      const parsed = parseLine(lines[i]!);
      if (parsed.kind === 'unreadable') {
        unreadable.push(i + 1);
        continue;
      }
      if (keepEvents) this.events.push(parsed.event);
      for (const line of tornLinesNoted(parsed.event)) noted.add(line);
      if (parsed.kind === 'chained') this.lastSeq = parsed.seq;
      lastReadable = i;
    }
    this.lastHash = lastReadable >= 0 ? lineHash(lines[lastReadable]!) : GENESIS;
    // Unreadable lines after the last readable one are what crashes tore since the last start.
    const torn = unreadable.filter((n) => n - 1 > lastReadable);
    const unexplained = unreadable.filter((n) => n - 1 < lastReadable && !noted.has(n));
    return { torn, unexplained };
  }

  /** Unreadable lines in the middle of the log (not torn writes the bot noted), as found at open. */
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
          const { torn } = await this.load(await readFile(this.path), false);
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
        await this.handle.writeFile(`${lines.join('\n')}\n`);
        await this.handle.datasync();
        this.lastHash = prev;
        this.lastSeq = seq;
        for (const { event, resolve } of batch) {
          this.events.push(event);
          resolve();
        }
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

  all(): readonly AuditEvent[] {
    return this.events;
  }

  /** The newest events first, optionally for one connection and since a date. */
  async latest(options: { connection?: string; since?: Date; limit?: number } = {}): Promise<AuditEvent[]> {
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
    await this.draining;
    await this.handle.close();
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
