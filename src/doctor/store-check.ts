import { readFile } from 'node:fs/promises';
import type { Config } from '../config.js';
import { SpokeError } from '../errors.js';
import { describeChain, verifyChain } from '../store/audit-chain.js';
import { checkStoreKey, storeFileProblem } from '../store/store-key.js';
import { fail, ok, warn, type CheckResult } from './check-result.js';
import { databaseChecks } from './database-check.js';

/**
 * Store: SPOKE_ENCRYPTION_KEY opens the store at SPOKE_DB_PATH, and the audit log beside it holds
 * its hash chain. Read-only, so it is safe while the bot runs; a store that does not exist yet is
 * fine (the bot creates it at start).
 */
export async function storeChecks({ config }: { config: Config }): Promise<CheckResult[]> {
  if (config.SPOKE_DATABASE_URL) return databaseChecks(config.SPOKE_DATABASE_URL, config.SPOKE_ENCRYPTION_KEY);
  return [await keyCheck(config), await auditLogCheck(`${config.SPOKE_DB_PATH}.audit.jsonl`)];
}

async function keyCheck(config: Config): Promise<CheckResult> {
  const path = config.SPOKE_DB_PATH;
  try {
    const { status, sealed } = await checkStoreKey(path, config.SPOKE_ENCRYPTION_KEY);
    if (status === 'new') return ok('Store', 'encryption key', `no store at ${path} yet; one will be created`);
    return ok('Store', 'encryption key', `${path} opens with SPOKE_ENCRYPTION_KEY, ${sealed} sealed secret${sealed === 1 ? '' : 's'}`);
  } catch (error) {
    // StoreKeyError and StoreUnreadableError carry what to do; anything else is still worth a line.
    if (error instanceof SpokeError) return fail('Store', 'encryption key', error.message, error.hint);
    return fail('Store', 'encryption key', `cannot check ${path}: ${(error as Error).message}`, 'check SPOKE_DB_PATH and the file permissions');
  }
}

/** The same proof as `spokebot audit verify`, in one row: a broken chain fails, a torn or unreadable line warns. */
async function auditLogCheck(path: string): Promise<CheckResult> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return ok('Store', 'audit log', `no audit log at ${path} yet; the bot creates it at start`);
    const problem = storeFileProblem(path, error);
    return fail('Store', 'audit log', `cannot read ${path}: ${problem?.reason ?? (error as Error).message}`, problem?.hint ?? 'check the file permissions');
  }
  return auditChainRow(bytes, path);
}

/** The audit chain's verdict as one row, wherever the lines came from (a file, the audit_log table). */
export function auditChainRow(bytes: Buffer, where: string): CheckResult {
  const report = verifyChain(bytes);
  const [verdict, ...notes] = describeChain(report);
  const detail = `${where}: ${verdict}`;
  if (report.broken) return fail('Store', 'audit log', detail, 'Compare the log with a backup or your SIEM copy from that line on; `spokebot audit verify` says the same.');
  if (report.unreadableBeforeChain.length > 0 || report.tornAtEnd.length > 0) {
    return warn('Store', 'audit log', `${detail}; ${notes.filter((n) => !n.startsWith('newest entry')).join('; ')}`, '`spokebot audit verify` shows the lines; a torn last line is noted by the bot at its next start.');
  }
  return ok('Store', 'audit log', detail);
}
