import type { FileHandle } from 'node:fs/promises';
import { GENESIS, lineHash, parseLine } from './audit-chain.js';
import { countNewlines, linesBackward } from './audit-lines.js';

export interface ChainEnd {
  /** The hash the next entry carries as `prev`: of the last readable line, or GENESIS. */
  lastHash: string;
  /** The seq of the newest entry on the chain, 0 before the chain starts. */
  lastSeq: number;
  /** 1-based numbers of the unreadable lines after the last readable one: what crashes tore since. */
  torn: number[];
  /** Whether [0, size) ends with a newline (an empty file does); if not, the next entry would glue onto its last line. */
  terminated: boolean;
}

/** Every chained line has it; a line without it is not on the chain and need not be parsed. */
const PREV_KEY = Buffer.from('"prev"');

/**
 * Where the chain in [0, size) ends, read from the last lines back: an append needs only the last
 * readable line, so a start costs the same whatever the log's length. Two cases read further:
 * a log whose last readable line is from before the chain looks back for the newest chained
 * entry (a log upgraded from before the chain, until the bot first appends to it), and torn lines
 * at the end are numbered by counting the newlines before them (once, at the start after a crash).
 */
export async function readChainEnd(handle: FileHandle, size: number): Promise<ChainEnd> {
  const end: ChainEnd = { lastHash: GENESIS, lastSeq: 0, torn: [], terminated: size === 0 || (await lastByte(handle, size)) === 0x0a };
  let tornCount = 0;
  let tornStart = size;
  // Where the last readable line starts, when it is from before the chain (it has no seq).
  let legacyAt: number | undefined;
  lastReadable: for await (const batch of linesBackward(handle, size)) {
    for (const line of batch) {
      const parsed = parseLine(line.bytes);
      if (parsed.kind === 'unreadable') {
        tornCount++;
        tornStart = line.start;
        continue;
      }
      end.lastHash = lineHash(line.bytes);
      if (parsed.kind === 'chained') end.lastSeq = parsed.seq;
      else legacyAt = line.start;
      break lastReadable;
    }
  }
  if (legacyAt !== undefined) end.lastSeq = await newestSeqBefore(handle, legacyAt);
  if (tornCount > 0) {
    const first = (await countNewlines(handle, tornStart)) + 1;
    end.torn = Array.from({ length: tornCount }, (_, i) => first + i);
  }
  return end;
}

/** The seq of the newest chained entry in [0, end), 0 when none: only lines holding "prev" are parsed. */
async function newestSeqBefore(handle: FileHandle, end: number): Promise<number> {
  for await (const batch of linesBackward(handle, end, { containing: PREV_KEY })) {
    for (const line of batch) {
      const parsed = parseLine(line.bytes);
      if (parsed.kind === 'chained') return parsed.seq;
    }
  }
  return 0;
}

async function lastByte(handle: FileHandle, size: number): Promise<number> {
  const byte = Buffer.alloc(1);
  await handle.read(byte, 0, 1, size - 1);
  return byte[0]!;
}
