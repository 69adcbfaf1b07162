/**
 * `spokebot audit verify [--file path]` (also `npm run audit:verify -- …`): checks the audit log's
 * hash chain (src/store/audit-chain.ts) and either proves it or names the first broken entry.
 *
 * Like `audit export`, it reads only SPOKE_DB_PATH (the log lives beside the store) and opens the
 * log read-only, so it runs beside the bot, and on a host that holds no other configuration.
 * Exit 0 when every link holds, 1 when one does not, 64 on a bad argument, 66 when there is no
 * log, 78 on a bad SPOKE_DB_PATH.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { envSchema } from '../config.js';
import { describeChain, lineHash, splitLines, verifyChain } from '../store/audit-chain.js';
import { databaseAuditBytes } from '../store/postgres/database-audit-export.js';
import { redactDatabaseUrl } from '../store/postgres/postgres-url.js';

const EX_USAGE = 64;
const EX_NOINPUT = 66;
const EX_CONFIG = 78;

const HELP = `usage: spokebot audit verify [--file path] [--noted sha256]
       (or: npm run audit:verify -- [--file path] [--noted sha256])

Checks the audit log's hash chain: every entry carries the SHA-256 of the entry before it, so an
entry edited, deleted, inserted or moved after it was written breaks the chain there. Prints what
holds, or the first broken entry (its line and what was done to it). A last line torn by a crash
is reported as torn, not as tampering. Entries written before the chain existed are counted, not
checked. The newest entry's hash is printed: kept somewhere else and given back with --noted, it
also shows whether entries were later removed from the end, which the chain alone cannot.

  --file path      the log to check; default <SPOKE_DB_PATH>.audit.jsonl
                   (SPOKE_DB_PATH defaults to ./.data/spokebot.json); or the audit_log
                   table when SPOKE_DATABASE_URL is set
  --noted sha256   a newest-entry hash printed by an earlier verify: the entry must still be there

Exit 0 when the chain holds (and the noted entry is there), 1 when not.
`;

function fail(message: string, code: number): number {
  process.stderr.write(`audit verify: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
  return code;
}

async function main(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let values: { file?: string | undefined; noted?: string | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({ args, options: { file: { type: 'string' }, noted: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false }));
  } catch (error) {
    return fail(`${(error as Error).message} (see --help)`, EX_USAGE);
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const noted = values.noted?.toLowerCase();
  if (noted !== undefined && !/^[0-9a-f]{64}$/.test(noted)) return fail(`--noted takes the 64 hex digits of a sha256 that verify printed; got ${JSON.stringify(values.noted)}`, EX_USAGE);
  const databaseUrl = values.file === undefined ? envSchema.shape.SPOKE_DATABASE_URL.safeParse(env.SPOKE_DATABASE_URL) : undefined;
  if (databaseUrl && !databaseUrl.success) return fail(`SPOKE_DATABASE_URL: ${databaseUrl.error.issues[0]?.message ?? 'invalid'}`, EX_CONFIG);
  let file = values.file;
  if (databaseUrl?.data) {
    // Replicas keep the log in PostgreSQL; its rows hold the same chained lines a file holds.
    const where = redactDatabaseUrl(databaseUrl.data);
    try {
      return report(await databaseAuditBytes(databaseUrl.data), `${where} audit_log`, noted);
    } catch (error) {
      return fail(`cannot read the audit log in ${where}: ${(error as Error).message}`, EX_NOINPUT);
    }
  }
  if (file === undefined) {
    // The bot's own rule for the variable (its default, non-empty), not a second copy.
    const dbPath = envSchema.shape.SPOKE_DB_PATH.safeParse(env.SPOKE_DB_PATH);
    if (!dbPath.success) return fail(`SPOKE_DB_PATH: ${dbPath.error.issues[0]?.message ?? 'invalid'}`, EX_CONFIG);
    file = `${dbPath.data}.audit.jsonl`;
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return fail(`no audit log at ${file}; set SPOKE_DB_PATH to the bot's store, or pass --file`, EX_NOINPUT);
    return fail(`cannot read ${file} (${code ?? (error as Error).message})`, EX_NOINPUT);
  }
  return report(bytes, file, noted);
}

/** The verdict on stdout, where a script reads it; the exit code says the same. */
function report(bytes: Buffer, where: string, noted: string | undefined): number {
  const chain = verifyChain(bytes);
  const lines = describeChain(chain);
  // The chain cannot see entries removed from its end; a hash kept from an earlier run can.
  let missing = false;
  if (noted !== undefined) {
    const at = splitLines(bytes).lines.findIndex((line) => lineHash(line) === noted);
    missing = at < 0;
    lines.push(missing ? `MISSING: no line has the noted hash ${noted}: entries were removed from the end, or the log was rewritten` : `the noted entry is still there, at line ${at + 1}`);
  }
  process.stdout.write(lines.map((line) => `${where}: ${line}\n`).join(''));
  return chain.broken || missing ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2), process.env);
