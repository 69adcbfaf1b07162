import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import { auditEventSchema } from './schema.js';

/**
 * Streams the audit log out as JSON Lines for a SIEM, optionally from a date on; lines that do
 * not parse (a torn last line) are skipped. Streams, so 100,000 entries cost no memory.
 */
export async function exportAudit(path: string, out: Writable, since?: Date): Promise<number> {
  let written = 0;
  const from = since?.getTime() ?? 0;
  for await (const line of createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity })) {
    if (!line.trim()) continue;
    let event;
    try {
      event = auditEventSchema.parse(JSON.parse(line));
    } catch {
      continue;
    }
    if (Date.parse(event.at) < from) continue;
    out.write(`${JSON.stringify(event)}\n`);
    written++;
  }
  return written;
}
