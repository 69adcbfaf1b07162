import { SpokeError } from '../../errors.js';
import { StoreKeyError } from '../store-key.js';

/**
 * PostgreSQL could not be reached, or dropped the connection, while the store read or wrote. The
 * step it was taking is one transaction, so it happened whole or not at all: the caller may say
 * so and let the person try again, and the process goes on.
 */
export class StoreUnavailableError extends SpokeError {
  readonly code = 'store_unavailable';
  readonly hint: string;
  constructor(
    readonly location: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot reach the store at ${location}: ${reason}`, options);
    this.hint = `Check that PostgreSQL at ${location} is running and that this host can reach it, and that SPOKE_DATABASE_URL names the right host, port, database, user and password. Nothing was changed by the step that failed; it can be tried again.`;
  }
}

/** The role in SPOKE_DATABASE_URL was refused (wrong password, no such role or database, no rights). */
export class StoreAccessDeniedError extends SpokeError {
  readonly code = 'store_access_denied';
  readonly hint: string;
  constructor(
    readonly location: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`PostgreSQL at ${location} refused the bot: ${reason}`, options);
    this.hint =
      'Check the user, password and database in SPOKE_DATABASE_URL, and that the role may connect to the database and use its tables (README, "Running several replicas", lists the grants).';
  }
}

/** A migration cannot run, or the database's schema is not the one these migration files make. */
export class StoreMigrationError extends SpokeError {
  readonly code = 'store_migration';
  constructor(
    message: string,
    readonly hint: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A key that did not seal this database's secrets: the file store's StoreKeyError (so every
 * caller that handles that one handles this), with a database's way out instead of a file's.
 */
export class PostgresStoreKeyError extends StoreKeyError {
  constructor(location: string, detail: string) {
    super(
      location,
      detail,
      'Set SPOKE_ENCRYPTION_KEY to the key that sealed this database (from your backup of it; every replica uses the same key). If that key is lost, the secrets it sealed are lost too: point SPOKE_DATABASE_URL at a new, empty database, start the bot, and set the connections up again, re-entering their secrets.',
    );
  }
}

/** SQLSTATE classes and socket errors that mean the server is gone or unreachable, not that a statement was wrong. */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08004', '08006']);
const UNAVAILABLE_SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);
const ACCESS_SQLSTATES = new Set(['28000', '28P01', '3D000', '42501']);

/**
 * The typed error for a failure talking to PostgreSQL, or the error itself when it is none of
 * those (a statement that is wrong is a bug, and should surface as one).
 */
export function storeErrorFor(error: unknown, location: string): unknown {
  if (error instanceof SpokeError) return error;
  const code = (error as { code?: unknown } | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof code === 'string' && ACCESS_SQLSTATES.has(code)) return new StoreAccessDeniedError(location, message, { cause: error });
  const unavailable =
    (typeof code === 'string' && (UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_SOCKET_CODES.has(code))) ||
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended|not queryable/i.test(message);
  return unavailable ? new StoreUnavailableError(location, message, { cause: error }) : error;
}
