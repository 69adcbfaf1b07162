import type { Config } from '../config.js';
import { SpokeError } from '../errors.js';
import { checkStoreKey } from '../store/store-key.js';
import { fail, ok, type CheckResult } from './check-result.js';

/**
 * Store: SPOKE_ENCRYPTION_KEY opens the store at SPOKE_DB_PATH. Read-only, so it is safe while
 * the bot runs; a store that does not exist yet is fine (the bot creates it at start).
 */
export async function storeChecks({ config }: { config: Config }): Promise<CheckResult[]> {
  const path = config.SPOKE_DB_PATH;
  try {
    const { status, sealed } = await checkStoreKey(path, config.SPOKE_ENCRYPTION_KEY);
    if (status === 'new') return [ok('Store', 'encryption key', `no store at ${path} yet; one will be created`)];
    return [ok('Store', 'encryption key', `${path} opens with SPOKE_ENCRYPTION_KEY, ${sealed} sealed secret${sealed === 1 ? '' : 's'}`)];
  } catch (error) {
    // StoreKeyError and StoreUnreadableError carry what to do; anything else is still worth a line.
    if (error instanceof SpokeError) return [fail('Store', 'encryption key', error.message, error.hint)];
    return [fail('Store', 'encryption key', `cannot check ${path}: ${(error as Error).message}`, 'check SPOKE_DB_PATH and the file permissions')];
  }
}
