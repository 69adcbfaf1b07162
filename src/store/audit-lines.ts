import type { FileHandle } from 'node:fs/promises';

/**
 * The lines of a JSON Lines file read a chunk at a time, so the file's length costs time only
 * for the lines a caller goes on to ask for, and memory never more than a chunk and a line.
 * The lines of [0, end) are what splitting it at every newline gives, less the empty piece after
 * a last newline: an unterminated last line (a torn write) is a line, an empty line is one too.
 * Lines come a chunk's worth at a time: one await per line would cost more than the parsing.
 */

/** Big enough that a read call's overhead does not show, small enough to stay in cache. */
export const CHUNK = 256 * 1024;

export interface Line {
  bytes: Buffer;
  /** Byte offset of the line's first byte in the file. */
  start: number;
}

/**
 * Reads [position, position + size) into a buffer that also holds `before` ahead of it and `after`
 * behind it (a line cut by the chunk's edge): copying those few bytes is cheaper than copying the chunk.
 * The file must not have shrunk below the range.
 */
async function readAt(handle: FileHandle, position: number, size: number, around: { before?: Buffer; after?: Buffer } = {}): Promise<Buffer> {
  const before = around.before ?? EMPTY;
  const after = around.after ?? EMPTY;
  const buffer = Buffer.allocUnsafe(before.length + size + after.length);
  before.copy(buffer, 0);
  after.copy(buffer, before.length + size);
  for (let filled = 0; filled < size; ) {
    const { bytesRead } = await handle.read(buffer, before.length + filled, size - filled, position + filled);
    if (bytesRead === 0) throw new Error(`the audit log ended at byte ${position + filled}, before byte ${position + size} it had a moment ago`);
    filled += bytesRead;
  }
  return buffer;
}

const EMPTY = Buffer.alloc(0);

/** The lines of [0, end), oldest first, in batches. */
export async function* linesForward(handle: FileHandle, end: number, chunkSize = CHUNK): AsyncGenerator<Line[]> {
  let carry: Buffer = Buffer.alloc(0); // the start of a line whose newline is in a chunk not read yet
  for (let position = 0; position < end; position += chunkSize) {
    const bytes = await readAt(handle, position, Math.min(chunkSize, end - position), { before: carry });
    const base = position - carry.length;
    const lines: Line[] = [];
    let lineStart = 0;
    for (let nl = bytes.indexOf(0x0a); nl >= 0; nl = bytes.indexOf(0x0a, lineStart)) {
      lines.push({ bytes: bytes.subarray(lineStart, nl), start: base + lineStart });
      lineStart = nl + 1;
    }
    carry = bytes.subarray(lineStart);
    if (lines.length > 0) yield lines;
  }
  if (carry.length > 0) yield [{ bytes: carry, start: end - carry.length }];
}

/**
 * The lines of [0, end), newest first, in batches. With `containing`, only the lines that hold
 * those bytes (which must not hold a newline): found by searching the chunk for them, so the
 * lines in between cost no splitting at all.
 */
export async function* linesBackward(handle: FileHandle, end: number, options: { containing?: Buffer; chunkSize?: number } = {}): AsyncGenerator<Line[]> {
  const { containing, chunkSize = CHUNK } = options;
  let carry: Buffer = Buffer.alloc(0); // the end of a line whose start is in a chunk not read yet
  for (let position = end; position > 0; ) {
    const size = Math.min(chunkSize, position);
    const last = position === end;
    position -= size;
    let bytes = await readAt(handle, position, size, { after: carry });
    // Without the file's last newline every piece between newlines is a line, empty ones included.
    if (last && bytes[size - 1] === 0x0a) bytes = bytes.subarray(0, size - 1);
    // The bytes before the first newline may be the end of a line that starts in the chunk before: kept for then.
    const firstNewline = position > 0 ? bytes.indexOf(0x0a) : -1;
    if (position > 0 && firstNewline < 0) {
      carry = bytes;
      continue;
    }
    const whole = firstNewline + 1; // where the lines that are whole in `bytes` start
    const spans = containing ? linesHolding(bytes, whole, containing) : linesOf(bytes, whole);
    carry = bytes.subarray(0, Math.max(0, firstNewline));
    if (spans.length > 0) yield spans.map(({ from, to }) => ({ bytes: bytes.subarray(from, to), start: position + from }));
  }
}

/** A line's bytes in a chunk: [from, to). */
interface Span {
  from: number;
  to: number;
}

/** The pieces of bytes[whole, length) between newlines, newest first. */
function linesOf(bytes: Buffer, whole: number): Span[] {
  const spans: Span[] = [];
  for (let to = bytes.length; ; ) {
    // lastIndexOf would take a negative offset as counted from the end: never asked below `whole`.
    const newline = to > whole ? bytes.lastIndexOf(0x0a, to - 1) : -1;
    const from = newline >= whole ? newline + 1 : whole;
    spans.push({ from, to });
    if (from === whole) return spans;
    to = from - 1;
  }
}

/** The pieces of bytes[whole, length) between newlines that hold `needle`, newest first. */
function linesHolding(bytes: Buffer, whole: number, needle: Buffer): Span[] {
  const spans: Span[] = [];
  // Searched back from `searchEnd` (the newline after the lines still to search, or the end).
  for (let searchEnd = bytes.length; searchEnd - needle.length >= whole; ) {
    const at = bytes.lastIndexOf(needle, searchEnd - needle.length);
    if (at < whole) break;
    const newlineBefore = at > whole ? bytes.lastIndexOf(0x0a, at - 1) : -1;
    const from = newlineBefore >= whole ? newlineBefore + 1 : whole;
    const newlineAfter = bytes.indexOf(0x0a, at + needle.length);
    spans.push({ from, to: newlineAfter >= 0 && newlineAfter < searchEnd ? newlineAfter : searchEnd });
    searchEnd = from - 1;
  }
  return spans;
}

/** How many newlines [0, end) holds: the number of the line that starts at `end`, less one. */
export async function countNewlines(handle: FileHandle, end: number, chunkSize = 1024 * 1024): Promise<number> {
  // One buffer for the whole file: nothing read is kept, and a long log then costs no garbage.
  const buffer = Buffer.allocUnsafe(Math.min(chunkSize, end));
  let count = 0;
  for (let position = 0; position < end; ) {
    const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, end - position), position);
    if (bytesRead === 0) throw new Error(`the audit log ended at byte ${position}, before byte ${end} it had a moment ago`);
    for (let nl = buffer.indexOf(0x0a); nl >= 0 && nl < bytesRead; nl = buffer.indexOf(0x0a, nl + 1)) count++;
    position += bytesRead;
  }
  return count;
}
