import type { FileHandle } from 'node:fs/promises';
import { parseLine, tornLinesNoted } from './audit-chain.js';
import { linesForward } from './audit-lines.js';
import type { UnreadableLines } from './spoke-store.js';

/**
 * Counts the unreadable lines of [0, end) that no crash explains, reading the log once from the
 * start in constant memory: meant to run in the background after start, where parsing every line
 * of a long log costs no start-up time. Resolves undefined when `stop` is aborted first.
 *
 * A crash can tear only the lines being appended, and the bot notes them in the very entry it
 * writes next (at its next start, or after a failed write: audit-log.ts). So a run of unreadable
 * lines is explained when the readable line that ends it is a TORN_WRITE naming them; a run at
 * the end is a torn write this start has just noted, and is not counted either. This keeps only
 * the current run in memory, where `spokebot audit verify` (audit-chain.ts) accepts a note
 * anywhere in the log: a note the bot did not write right after its torn lines is counted here.
 */
/** Small: each chunk is parsed in one go on the event loop, between the bot's own work (a few ms). */
const COUNT_CHUNK = 64 * 1024;

export async function countUnexplainedLines(handle: FileHandle, end: number, stop: AbortSignal): Promise<UnreadableLines | undefined> {
  let count = 0;
  let firstLine: number | undefined;
  let lineNumber = 0;
  let runStart = 0; // the first of the unreadable lines since the last readable one, 0 when there are none
  for await (const batch of linesForward(handle, end, COUNT_CHUNK)) {
    if (stop.aborted) return undefined;
    for (const { bytes } of batch) {
      lineNumber++;
      const parsed = parseLine(bytes);
      if (parsed.kind === 'unreadable') {
        if (runStart === 0) runStart = lineNumber;
        continue;
      }
      if (runStart > 0) {
        const noted = new Set(tornLinesNoted(parsed.event));
        for (let n = runStart; n < lineNumber; n++) {
          if (noted.has(n)) continue;
          count++;
          firstLine ??= n;
        }
        runStart = 0;
      }
    }
  }
  return firstLine === undefined ? { count } : { count, firstLine };
}
