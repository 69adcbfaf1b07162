import { once } from 'node:events';
import type { Writable } from 'node:stream';
import pg from 'pg';
import { auditLines } from './postgres-audit.js';

/**
 * The audit log of a PostgreSQL store, oldest first, as the same JSON Lines the file log holds
 * (each row keeps its line byte for byte, chain fields included), streamed through a cursor:
 * memory stays flat however long the log. Resolves with how many lines went out.
 */
export async function exportDatabaseAudit(url: string, out: Writable, since?: Date): Promise<number> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    let written = 0;
    for await (const line of auditLines(pool, since)) {
      // Backpressure: a slow reader (a pipe to a SIEM shipper) holds the cursor, not memory.
      if (!out.write(`${line}\n`)) await once(out, 'drain');
      written++;
    }
    return written;
  } finally {
    await pool.end();
  }
}

/** The whole log as the bytes a file log would hold, for `audit verify`'s chain check. */
export async function databaseAuditBytes(url: string): Promise<Buffer> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    const parts: Buffer[] = [];
    for await (const line of auditLines(pool)) parts.push(Buffer.from(`${line}\n`));
    return Buffer.concat(parts);
  } finally {
    await pool.end();
  }
}
