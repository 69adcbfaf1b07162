import pg from 'pg';
import { StoreAccessDeniedError, StoreUnavailableError, storeErrorFor } from './postgres-errors.js';
import { redactDatabaseUrl } from './postgres-url.js';

export type DatabaseProbe = { ok: true } | { ok: false; refused: StoreAccessDeniedError } | { ok: false; unreachable: StoreUnavailableError };

/**
 * One connection and `SELECT 1` against SPOKE_DATABASE_URL: reachable and accepting the role, or
 * refused (no wait fixes a wrong password), or not reachable yet (a database still starting).
 */
export async function probeDatabase(url: string, timeoutMs = 5000): Promise<DatabaseProbe> {
  const location = redactDatabaseUrl(url);
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  // An error event after connect (the server going away) must not become an uncaught exception.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return { ok: true };
  } catch (error) {
    const typed = storeErrorFor(error, location);
    if (typed instanceof StoreAccessDeniedError) return { ok: false, refused: typed };
    if (typed instanceof StoreUnavailableError) return { ok: false, unreachable: typed };
    return { ok: false, unreachable: new StoreUnavailableError(location, error instanceof Error ? error.message : String(error), { cause: error }) };
  } finally {
    await client.end().catch(() => undefined);
  }
}
