/**
 * `spokebot store migrate` (also `npm run store:migrate`): moves a lowdb deployment into
 * PostgreSQL, the store file and the audit log beside it, in one transaction, into an empty
 * database (src/store/copy-to-postgres.ts does the copying).
 *
 * It reads only the three variables it needs, not the bot's whole configuration, so it runs on a
 * host that holds no Slack or ServiceNow settings. The lowdb files are only read: unsetting
 * SPOKE_DATABASE_URL afterwards takes the bot back to them.
 * Exit 0 on success, 1 when the database already holds data or the copy failed (nothing written),
 * 64 on a bad argument, 66 when there is no store file, 78 on a bad variable or a wrong key.
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { envSchema } from '../config.js';
import { SpokeError } from '../errors.js';
import { NoStoreFileError, copyToPostgres, readLowdbSource, type CopyCounts } from '../store/copy-to-postgres.js';
import { applyMigrations } from '../store/postgres/migrate.js';
import { storeErrorFor } from '../store/postgres/postgres-errors.js';
import { redactDatabaseUrl } from '../store/postgres/postgres-url.js';
import { StoreKeyError, StoreUnreadableError } from '../store/store-key.js';

const EX_USAGE = 64;
const EX_NOINPUT = 66;
const EX_CONFIG = 78;

const HELP = `usage: spokebot store migrate   (or: npm run store:migrate)

Copies a lowdb store (SPOKE_DB_PATH) and its audit log (<SPOKE_DB_PATH>.audit.jsonl) into the
PostgreSQL database SPOKE_DATABASE_URL names, in one transaction: all of it, or nothing. It
applies the schema first, and refuses a database that already holds spokebot data.

STOP THE BOT FIRST: what it writes to the file after the copy would not be in PostgreSQL.

Secrets are copied still sealed: keep SPOKE_ENCRYPTION_KEY as it is. Audit entries keep their
order and are chained afresh in the database; lines of the log that do not parse (torn by a
crash) are skipped and counted. The lowdb files are only read: to go back, unset
SPOKE_DATABASE_URL.

  SPOKE_DB_PATH          the store to copy (default ./.data/spokebot.json)
  SPOKE_ENCRYPTION_KEY   the key the store is sealed with
  SPOKE_DATABASE_URL     the database to copy into, postgres://user:password@host:5432/db

Then start the bot (every replica) with SPOKE_DATABASE_URL set.
Exit 0 when copied, 1 when the database is not empty or the copy failed (nothing written),
66 when there is no store file, 78 when a variable or the key is wrong.
`;

// The bot's own rules for these variables (defaults, a 32-byte base64 key, a postgres:// URL), not a second copy.
const migrateEnvSchema = envSchema.pick({ SPOKE_DB_PATH: true, SPOKE_ENCRYPTION_KEY: true, SPOKE_DATABASE_URL: true });

/** One line on stderr: operators read this in a terminal or a job log, where a stack is noise. */
function fail(message: string, code: number): number {
  process.stderr.write(`store migrate: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
  return code;
}

const count = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en')} ${n === 1 ? one : many}`;

/** What was moved, in one line: the four things an admin checks first, then the rest. */
function summary(counts: CopyCounts, seconds: number, location: string): string {
  const skipped = counts.auditLinesSkipped > 0 ? ` (${count(counts.auditLinesSkipped, 'unreadable audit line')} skipped)` : '';
  const rest = [
    count(counts.health, 'health record'),
    count(counts.rotations, 'rotation'),
    count(counts.reminders, 'reminder'),
    count(counts.homeOpens, 'App Home open'),
    count(counts.undeliveredNotices, 'undelivered notice'),
    count(counts.reportRefusals, 'report refusal'),
  ].join(', ');
  return (
    `moved ${count(counts.connections, 'connection')}, ${count(counts.setups, 'setup')}, ${count(counts.requests, 'request')} and ` +
    `${count(counts.auditEntries, 'audit entry', 'audit entries')}${skipped} into ${location} in ${seconds.toFixed(1)} s (with ${rest})\n`
  );
}

async function main(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  try {
    const { values } = parseArgs({ args, options: { help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false });
    if (values.help) {
      process.stdout.write(HELP);
      return 0;
    }
  } catch (error) {
    return fail(`${(error as Error).message}; it takes no arguments (see --help)`, EX_USAGE);
  }

  const parsed = migrateEnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'environment');
      // zod's "expected string, received undefined" reads poorly for a variable not set at all.
      const message = env[name] === undefined && !issue.message.startsWith('required') ? 'required' : issue.message;
      return `${name}: ${message}`;
    });
    return fail(problems.join('; '), EX_CONFIG);
  }
  const { SPOKE_DB_PATH: path, SPOKE_ENCRYPTION_KEY: key, SPOKE_DATABASE_URL: url } = parsed.data;
  // Optional for the bot (unset means lowdb); here it is where everything goes.
  if (url === undefined) return fail('SPOKE_DATABASE_URL: required: the PostgreSQL database to copy into, postgres://user:password@host:5432/database', EX_CONFIG);
  const location = redactDatabaseUrl(url);

  const started = performance.now();
  let source;
  try {
    source = await readLowdbSource(path, key);
  } catch (error) {
    if (error instanceof NoStoreFileError) return fail(`${error.message}. ${error.hint}`, EX_NOINPUT);
    if (error instanceof StoreKeyError || error instanceof StoreUnreadableError) return fail(`${error.message}. ${error.hint}`, EX_CONFIG);
    if (error instanceof SpokeError) return fail(`${error.message}. ${error.hint}`, EX_NOINPUT);
    return fail(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`, EX_NOINPUT);
  }

  // A bounded wait: an unreachable host is reported in seconds, not after the system's TCP timeout.
  const pool = new pg.Pool({ connectionString: url, max: 2, application_name: 'spokebot store migrate', connectionTimeoutMillis: 10_000 });
  // An idle client that loses its server must not crash the process: the query in flight says so.
  pool.on('error', () => undefined);
  try {
    await applyMigrations(pool);
    const counts = await copyToPostgres(pool, source, key, location);
    process.stdout.write(summary(counts, (performance.now() - started) / 1000, location));
    process.stdout.write(`${path} is unchanged: unset SPOKE_DATABASE_URL to go back to it; otherwise start the bot with SPOKE_DATABASE_URL set\n`);
    return 0;
  } catch (error) {
    const known = storeErrorFor(error, location);
    if (known instanceof SpokeError) return fail(`${known.message}. ${known.hint}`, 1);
    return fail(`the copy failed, and nothing was written to ${location}: ${known instanceof Error ? known.message : String(known)}`, 1);
  } finally {
    await pool.end();
  }
}

process.exitCode = await main(process.argv.slice(2), process.env);
