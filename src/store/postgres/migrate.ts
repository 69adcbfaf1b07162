import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import type pg from 'pg';
import type { Logger } from '../../logger.js';
import { MIGRATION_LOCK } from './advisory-locks.js';
import { StoreMigrationError } from './postgres-errors.js';

/**
 * Schema migrations: plain SQL files `NNNN_name.sql` beside this module, applied in order at
 * start, each once, each in its own transaction, and recorded in `spokebot_migrations`. Every
 * replica runs this at start; a session-level advisory lock makes the second wait for the first
 * and then find nothing to do.
 *
 * The folder is found from this module's URL, so it works from src (tsx) and from dist (the
 * Dockerfile copies the .sql files there, since tsc does not).
 */
export const MIGRATIONS_DIRECTORY = new URL('./migrations/', import.meta.url);

const FILE_NAME = /^(\d{4})_([a-z0-9_-]+)\.sql$/i;

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

interface Recorded {
  version: number;
  name: string;
  checksum: string;
}

/** The migration files, oldest first. Two files with one version are refused: which runs would be a guess. */
export async function readMigrations(directory: URL = MIGRATIONS_DIRECTORY): Promise<Migration[]> {
  const migrations: Migration[] = [];
  for (const file of (await readdir(directory)).sort()) {
    const match = FILE_NAME.exec(file);
    if (!match) continue;
    const sql = await readFile(new URL(file, directory), 'utf8');
    migrations.push({ version: Number(match[1]), name: match[2]!, sql, checksum: createHash('sha256').update(sql).digest('hex') });
  }
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]!.version === migrations[i - 1]!.version) {
      throw new StoreMigrationError(
        `two migration files have version ${migrations[i]!.version} (${migrations[i - 1]!.name}, ${migrations[i]!.name})`,
        'Give each migration file its own number; this is a fault in the build, not in the database.',
      );
    }
  }
  return migrations;
}

/** Refuses a database these files did not make: an applied migration edited since, or one newer than the code. */
function checkRecorded(migrations: readonly Migration[], recorded: readonly Recorded[]): void {
  const files = new Map(migrations.map((m) => [m.version, m]));
  for (const done of recorded) {
    const file = files.get(done.version);
    if (!file) {
      throw new StoreMigrationError(
        `the database has migration ${done.version} (${done.name}), which this version of spokebot does not know: the database is newer than the code`,
        'Run the version of spokebot that migrated this database (or a newer one) on every replica; an older version may not write to a newer schema.',
      );
    }
    if (file.checksum !== done.checksum) {
      throw new StoreMigrationError(
        `migration ${done.version} (${done.name}) was applied from a file that has changed since`,
        'A migration that has run is never edited: put the change in a new migration file, and restore this one as it was.',
      );
    }
  }
}

/**
 * Brings the schema up to date. Returns the migrations this call applied (none when another
 * replica got there first). Throws StoreMigrationError when the database does not match the files.
 */
export async function applyMigrations(pool: pg.Pool, logger?: Logger, directory: URL = MIGRATIONS_DIRECTORY): Promise<Migration[]> {
  const migrations = await readMigrations(directory);
  const client = await pool.connect();
  let released = false;
  try {
    // Session-level: held across the transactions below, released in finally (or when the connection dies).
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK.toString()]);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS spokebot_migrations (
        version int PRIMARY KEY,
        name text NOT NULL,
        checksum text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
      const { rows } = await client.query<Recorded>('SELECT version, name, checksum FROM spokebot_migrations ORDER BY version');
      checkRecorded(migrations, rows);
      const done = new Set(rows.map((r) => r.version));
      const applied: Migration[] = [];
      for (const migration of migrations) {
        if (done.has(migration.version)) continue;
        try {
          await client.query('BEGIN');
          await client.query(migration.sql);
          await client.query('INSERT INTO spokebot_migrations (version, name, checksum) VALUES ($1, $2, $3)', [migration.version, migration.name, migration.checksum]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw new StoreMigrationError(
            `migration ${migration.version} (${migration.name}) failed and was rolled back: ${error instanceof Error ? error.message : String(error)}`,
            'The database is as it was before this migration. Check that the role in SPOKE_DATABASE_URL may create tables, functions and triggers in the database (or run the first start with its owner), then start again.',
            { cause: error },
          );
        }
        logger?.info({ migration: `${String(migration.version).padStart(4, '0')}_${migration.name}` }, 'applied store migration');
        applied.push(migration);
      }
      return applied;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK.toString()]).catch(() => {
        // The connection is gone, and the lock with it; it must not go back to the pool.
        client.release(true);
        released = true;
      });
    }
  } finally {
    if (!released) client.release();
  }
}
