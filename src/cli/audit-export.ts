/**
 * `spokebot audit export [--since YYYY-MM-DD] [--file path]` (also `npm run audit:export -- …`):
 * the audit log as JSON Lines on stdout for a SIEM, and how many entries on stderr, so the count
 * never mixes into what is being ingested.
 *
 * It reads only SPOKE_DB_PATH (the log lives beside the store), not the bot's whole
 * configuration: exporting from a host or container that holds no Slack or ServiceNow settings
 * must work. It opens the log read-only, so it can run beside the bot.
 * Exit 0 on success, 64 on a bad argument, 66 when there is no log, 78 on a bad SPOKE_DB_PATH.
 */
import { parseArgs } from 'node:util';
import { envSchema } from '../config.js';
import { exportAudit } from '../store/audit-export.js';
import { exportDatabaseAudit } from '../store/postgres/database-audit-export.js';
import { redactDatabaseUrl } from '../store/postgres/postgres-url.js';

const EX_USAGE = 64;
const EX_NOINPUT = 66;
const EX_CONFIG = 78;

const HELP = `usage: spokebot audit export [--since YYYY-MM-DD] [--file path]
       (or: npm run audit:export -- [--since YYYY-MM-DD] [--file path])

Prints the audit log (requests, decisions, setups, ServiceNow writes, rotations, removals,
alerts, reminders) as JSON Lines on stdout, oldest first, for a SIEM; the number of entries
goes to stderr. A torn last line (a crash mid-append) is skipped.

  --since YYYY-MM-DD   only entries from that day on (00:00 UTC)
  --file path          the log to read; default <SPOKE_DB_PATH>.audit.jsonl
                       (SPOKE_DB_PATH defaults to ./.data/spokebot.json), or the
                       audit_log table when SPOKE_DATABASE_URL is set
`;

/** One line on stderr: this runs in terminals and cron jobs, where a stack is noise. */
function fail(message: string, code: number): number {
  process.stderr.write(`audit export: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
  return code;
}

/**
 * A calendar date, strictly: `new Date('2026-02-30')` quietly becomes 2 March, and a partial or
 * local-time form would shift the cut-off by the host's time zone.
 */
function parseDay(text: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return undefined;
  const day = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(day.getTime()) && day.toISOString().slice(0, 10) === text ? day : undefined;
}

async function main(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let values: { since?: string | undefined; file?: string | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      args,
      options: { since: { type: 'string' }, file: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return fail(`${(error as Error).message} (see --help)`, EX_USAGE);
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }

  let since: Date | undefined;
  if (values.since !== undefined) {
    since = parseDay(values.since);
    if (!since) return fail(`--since takes a date as YYYY-MM-DD, e.g. 2026-11-01; got ${JSON.stringify(values.since)}`, EX_USAGE);
  }

  // `spokebot audit export | head` closes the pipe early; that is the reader's choice, not a crash.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });

  // Replicas keep the log in PostgreSQL: streamed from there with a cursor.
  const databaseUrl = values.file === undefined ? envSchema.shape.SPOKE_DATABASE_URL.safeParse(env.SPOKE_DATABASE_URL) : undefined;
  if (databaseUrl && !databaseUrl.success) return fail(`SPOKE_DATABASE_URL: ${databaseUrl.error.issues[0]?.message ?? 'invalid'}`, EX_CONFIG);
  if (databaseUrl?.data) {
    const where = redactDatabaseUrl(databaseUrl.data);
    try {
      const count = await exportDatabaseAudit(databaseUrl.data, process.stdout, since);
      process.stderr.write(`${count} audit event${count === 1 ? '' : 's'}${since ? ` since ${values.since}` : ''} from ${where}\n`);
      return 0;
    } catch (error) {
      return fail(`cannot read the audit log in ${where}: ${(error as Error).message}`, EX_NOINPUT);
    }
  }

  let file = values.file;
  if (file === undefined) {
    // The bot's own rule for the variable (its default, non-empty), not a second copy.
    const dbPath = envSchema.shape.SPOKE_DB_PATH.safeParse(env.SPOKE_DB_PATH);
    if (!dbPath.success) return fail(`SPOKE_DB_PATH: ${dbPath.error.issues[0]?.message ?? 'invalid'}`, EX_CONFIG);
    file = `${dbPath.data}.audit.jsonl`;
  }

  try {
    const count = await exportAudit(file, process.stdout, since);
    process.stderr.write(`${count} audit event${count === 1 ? '' : 's'}${since ? ` since ${values.since}` : ''} from ${file}\n`);
    return 0;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return fail(`no audit log at ${file}; set SPOKE_DB_PATH to the bot's store, or pass --file`, EX_NOINPUT);
    if (code === 'EACCES' || code === 'EISDIR') return fail(`cannot read ${file} (${code})`, EX_NOINPUT);
    return fail(`failed: ${error instanceof Error ? error.message : String(error)}`, 1);
  }
}

process.exitCode = await main(process.argv.slice(2), process.env);
