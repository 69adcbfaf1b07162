import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countNewlines, linesBackward, linesForward, type Line } from '../../src/store/audit-lines.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spokebot-lines-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** What the readers must give: the text split at newlines, less the empty piece after a last newline. */
function expectedLines(text: string): Array<[string, number]> {
  if (text === '') return [];
  const lines = (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n');
  let start = 0;
  return lines.map((line) => {
    const at = start;
    start += line.length + 1;
    return [line, at];
  });
}

async function read(batches: AsyncIterable<Line[]>): Promise<Array<[string, number]>> {
  const lines: Array<[string, number]> = [];
  for await (const batch of batches) for (const line of batch) lines.push([line.bytes.toString(), line.start]);
  return lines;
}

const TEXTS = ['', '\n', 'a', 'a\n', 'a\nb', 'a\nb\n', '\n\n', 'abc\n\ndef\nghij\nk', `${'x'.repeat(20)}\n${'y'.repeat(7)}\n\nz\n`, 'yay\naa\n\nzay\nqa'];

describe('audit log lines read a chunk at a time', () => {
  it.each(TEXTS)('reads %j the same forwards, backwards and by newline count, whatever the chunk size', async (text) => {
    const path = join(dir, 'lines');
    await writeFile(path, text);
    const handle = await open(path, 'r');
    try {
      for (const chunk of [1, 2, 3, 5, 64]) {
        expect(await read(linesForward(handle, text.length, chunk)), `chunk ${chunk}`).toEqual(expectedLines(text));
        expect(await read(linesBackward(handle, text.length, { chunkSize: chunk })), `chunk ${chunk}`).toEqual(expectedLines(text).reverse());
        for (const needle of ['a', 'y', 'yy', 'z', 'q']) {
          const holding = expectedLines(text).filter(([line]) => line.includes(needle));
          expect(await read(linesBackward(handle, text.length, { chunkSize: chunk, containing: Buffer.from(needle) })), `chunk ${chunk}, ${needle}`).toEqual(holding.reverse());
        }
        expect(await countNewlines(handle, text.length, chunk)).toBe(text.split('\n').length - 1);
      }
    } finally {
      await handle.close();
    }
  });

  it('reads only up to the end it is given, not what was appended since', async () => {
    const path = join(dir, 'grown');
    await writeFile(path, 'one\ntwo\nthree\n');
    const handle = await open(path, 'r');
    try {
      expect(await read(linesBackward(handle, 8, { chunkSize: 3 }))).toEqual([['two', 4], ['one', 0]]);
    } finally {
      await handle.close();
    }
  });
});
