import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { LowdbSpokeStore } from './lowdb-store.js';
import type { SpokeStore } from './spoke-store.js';

/**
 * The store the configuration names: PostgreSQL, shared by replicas, when SPOKE_DATABASE_URL is
 * set; else the lowdb file at SPOKE_DB_PATH, for one process.
 */
export async function openStore(config: Pick<Config, 'SPOKE_DB_PATH' | 'SPOKE_DATABASE_URL' | 'SPOKE_ENCRYPTION_KEY'>, now: () => Date, logger: Logger): Promise<SpokeStore> {
  if (config.SPOKE_DATABASE_URL) {
    // Loaded only when asked for: a lowdb deployment never opens a database connection.
    const { PostgresSpokeStore } = await import('./postgres/postgres-store.js');
    return PostgresSpokeStore.open({ url: config.SPOKE_DATABASE_URL, encryptionKey: config.SPOKE_ENCRYPTION_KEY, now, logger: logger.child({ component: 'store' }) });
  }
  return LowdbSpokeStore.open(config.SPOKE_DB_PATH, config.SPOKE_ENCRYPTION_KEY, now);
}
