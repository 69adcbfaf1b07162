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

/** Every line the bot writes has it; a line without it is not on the chain and need not be parsed. */
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
  let lastReadableFound = false;
  lines: for await (const batch of linesBackward(handle, size)) {
    for (const line of batch) {
      if (lastReadableFound && !line.bytes.includes(PREV_KEY)) continue;
      const parsed = parseLine(line.bytes);
      if (parsed.kind === 'unreadable') {
        if (!lastReadableFound) {
          tornCount++;
          tornStart = line.start;
        }
        continue;
      }
      if (!lastReadableFound) {
        lastReadableFound = true;
        end.lastHash = lineHash(line.bytes);
      }
      if (parsed.kind === 'chained') {
        end.lastSeq = parsed.seq;
        break lines;
      }
    }
  }
  if (tornCount > 0) {
    const first = (await countNewlines(handle, tornStart)) + 1;
    end.torn = Array.from({ length: tornCount }, (_, i) => first + i);
  }
  return end;
}

async function lastByte(handle: FileHandle, size: number): Promise<number> {
  const byte = Buffer.alloc(1);
  await handle.read(byte, 0, 1, size - 1);
  return byte[0]!;
}
