import type { FileHandle } from 'node:fs/promises';

/**
 * The lines of a JSON Lines file read a chunk at a time, so the file's length costs time only
 * for the lines a caller goes on to ask for, and memory never more than a chunk and a line.
 * The lines of [0, end) are what splitting it at every newline gives, less the empty piece after
 * a last newline: an unterminated last line (a torn write) is a line, an empty line is one too.
 */

/** Big enough that a read call's overhead does not show, small enough to stay in cache. */
const CHUNK = 256 * 1024;

export interface Line {
  bytes: Buffer;
  /** Byte offset of the line's first byte in the file. */
  start: number;
}

/** Reads [position, position + size); the file must not have shrunk below it. */
async function readAt(handle: FileHandle, position: number, size: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(size);
  let filled = 0;
  while (filled < size) {
    const { bytesRead } = await handle.read(buffer, filled, size - filled, position + filled);
    if (bytesRead === 0) throw new Error(`the audit log ended at byte ${position + filled}, before byte ${position + size} it had a moment ago`);
    filled += bytesRead;
  }
  return buffer;
}

/** The lines of [0, end), oldest first. */
export async function* linesForward(handle: FileHandle, end: number, chunkSize = CHUNK): AsyncGenerator<Line> {
  let carry: Buffer = Buffer.alloc(0); // the start of a line whose newline is in a chunk not read yet
  for (let position = 0; position < end; position += chunkSize) {
    const chunk = await readAt(handle, position, Math.min(chunkSize, end - position));
    const bytes = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    const base = position - carry.length;
    let lineStart = 0;
    for (let nl = bytes.indexOf(0x0a); nl >= 0; nl = bytes.indexOf(0x0a, lineStart)) {
      yield { bytes: bytes.subarray(lineStart, nl), start: base + lineStart };
      lineStart = nl + 1;
    }
    carry = bytes.subarray(lineStart);
  }
  if (carry.length > 0) yield { bytes: carry, start: end - carry.length };
}

/** The lines of [0, end), newest first. */
export async function* linesBackward(handle: FileHandle, end: number, chunkSize = CHUNK): AsyncGenerator<Line> {
  let carry: Buffer = Buffer.alloc(0); // the end of a line whose start is in a chunk not read yet
  let atEnd = true; // the next piece is the one after the file's last newline
  for (let position = end; position > 0; ) {
    const size = Math.min(chunkSize, position);
    position -= size;
    const chunk = await readAt(handle, position, size);
    const bytes = carry.length > 0 ? Buffer.concat([chunk, carry]) : chunk;
    let lineEnd = bytes.length;
    // lastIndexOf takes a negative offset as counted from the end: stop at 0 instead.
    for (let nl = bytes.lastIndexOf(0x0a, lineEnd - 1); nl >= 0; nl = lineEnd > 0 ? bytes.lastIndexOf(0x0a, lineEnd - 1) : -1) {
      if (!(atEnd && nl + 1 === lineEnd)) yield { bytes: bytes.subarray(nl + 1, lineEnd), start: position + nl + 1 };
      atEnd = false;
      lineEnd = nl;
    }
    carry = bytes.subarray(0, lineEnd);
  }
  // The first line of the file, which no newline precedes.
  if (!(atEnd && carry.length === 0)) yield { bytes: carry, start: 0 };
}

/** How many newlines [0, end) holds: the number of the line that starts at `end`, less one. */
export async function countNewlines(handle: FileHandle, end: number, chunkSize = 1024 * 1024): Promise<number> {
  let count = 0;
  for (let position = 0; position < end; position += chunkSize) {
    const chunk = await readAt(handle, position, Math.min(chunkSize, end - position));
    for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, nl + 1)) count++;
  }
  return count;
}
