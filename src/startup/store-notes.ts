import type { Logger } from '../logger.js';
import type { AuditTrail, SpokeStore, UnreadableLines } from '../store/spoke-store.js';

/**
 * What opening the store found and put right or could not: said once at start, in the log, so a
 * crash's leftovers and a damaged audit log are never passed over in silence.
 */
export function logStoreOpened(logger: Logger, store: SpokeStore): void {
  const removed = store.staleTempsRemoved;
  if (removed > 0) {
    logger.info({ removed }, `removed ${removed} stale temporary cop${removed === 1 ? 'y' : 'ies'} of the store that writes cut off by a crash or kill had left`);
  }
  const log = store.auditLog;
  if (log.tornAtOpen.length > 0) {
    const torn = log.tornAtOpen;
    const which = torn.length === 1 ? `last line (line ${torn[0]}) was` : `last lines (lines ${torn.join(', ')}) were`;
    logger.warn({ file: log.location, lines: torn }, `the audit log's ${which} cut off by a crash mid-append; noted in the log, and later entries chain past ${torn.length === 1 ? 'it' : 'them'}`);
  }
  // A file's unreadable lines are counted in the background after open (reading a long log whole
  // would hold up the start): said when the count is done, a moment after "spokebot is running".
  const counted = log.unreadableCounted ?? Promise.resolve(log.unreadable);
  counted.then(
    (found) => logUnreadable(logger, log, found),
    (error: unknown) => logger.warn({ file: log.location, err: { message: (error as Error).message } }, `could not count the unreadable lines of the audit log ${log.location}: run \`spokebot audit verify\``),
  );
}

function logUnreadable(logger: Logger, log: AuditTrail, found: UnreadableLines | undefined): void {
  // Undefined: the store was closed before the count was done.
  if (!found || found.count === 0) return;
  const { count, firstLine } = found;
  logger.warn({ file: log.location, unreadable: count, firstLine }, `${count} unreadable line${count === 1 ? '' : 's'} in the audit log ${log.location} (first at line ${firstLine}): run \`spokebot audit verify\``);
}
