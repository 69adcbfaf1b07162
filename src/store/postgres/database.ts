import type pg from 'pg';
import { storeErrorFor } from './postgres-errors.js';

/**
 * The pool as the store uses it: every step is one query or one transaction, and a failure to
 * reach PostgreSQL comes out as StoreUnavailableError (what the user should do next) rather than
 * a socket error, so one failed step never takes the process down.
 */
export class Database {
  constructor(
    readonly pool: pg.Pool,
    /** SPOKE_DATABASE_URL without its password. */
    readonly location: string,
  ) {}

  async query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(sql, params);
    } catch (error) {
      throw storeErrorFor(error, this.location);
    }
  }

  /**
   * Runs `work` in one transaction (READ COMMITTED; the row locks it takes make its check and its
   * write one step) and commits, or rolls back when it throws. Work that decides to change
   * nothing just returns: committing a transaction that wrote nothing releases its locks.
   */
  async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw storeErrorFor(error, this.location);
    }
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => (broken = true));
      throw storeErrorFor(error, this.location);
    } finally {
      // A connection that could not even roll back is not handed to the next caller.
      client.release(broken);
    }
  }
}
