import { formatDuration } from '../core/duration.js';
import { TERMINAL_STATUSES, type Connection, type PendingSetup } from './schema.js';

/**
 * The rules every store applies the same way, whichever engine holds the rows: which setups hold
 * a connection name, when a setup expires, how a connection change is made. Each store runs them
 * inside its own atomic step (lowdb's one-process update, a PostgreSQL transaction).
 */

/**
 * A setup in one of these holds its connection name, from the plan until it ends (connected,
 * cancelled, expired): a second setup of that name would rewrite the same ServiceNow records, so
 * the first admin's consent link would authorise the other admin's app.
 */
export const NAME_HOLDING: readonly PendingSetup['status'][] = ['planned', 'writing', 'write_failed', 'awaiting_consent', 'consent_timeout'];

/** Names as ServiceNow matches them in a query: case aside. */
export const sameName = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

/** The key two setups of one connection name share (what a PostgreSQL lock is taken on). */
export const nameKey = (name: string) => name.trim().toLowerCase();

/**
 * States that wait for the admin while holding the sealed secret: left alone for the idle limit,
 * the secret is wiped. Writing runs on its own (and is turned into write_failed after a restart),
 * consent is bounded by its own timeout, and a consent timeout holds no secret.
 */
const IDLE_EXPIRES: readonly PendingSetup['status'][] = ['checking_site', 'site_failed', 'credential_failed', 'planned', 'write_failed'];

/** Why a setup expires now (past its hard cap, or idle past `idleMs`), or undefined when it does not. */
export function setupExpiry(setup: PendingSetup, now: number, idleMs?: number): PendingSetup['failure'] | undefined {
  if (TERMINAL_STATUSES.includes(setup.status) || setup.status === 'awaiting_consent' || setup.status === 'writing') return undefined;
  const hardCap = Date.parse(setup.expiresAt) <= now;
  const idle = idleMs !== undefined && IDLE_EXPIRES.includes(setup.status) && now - Date.parse(setup.updatedAt) >= idleMs;
  if (!hardCap && !idle) return undefined;
  const left = setup.status.replace(/_/g, ' ');
  return hardCap
    ? { code: 'expired', message: `it was not finished within the time a setup may take (SPOKE_SETUP_TTL); it was ${left}`, hint: 'Open the setup again and enter the secret again.' }
    : { code: 'idle', message: `nothing moved it on for ${formatDuration(idleMs!)} (SPOKE_SETUP_IDLE); it was ${left}`, hint: 'Open the setup again and enter the secret again.' };
}

/** What a setup's own earlier setup of the same name is told when the newer one replaces it. */
export const SUPERSEDED: NonNullable<PendingSetup['failure']> = {
  code: 'superseded',
  message: 'a newer setup of the same connection name by the same admin replaced it',
  hint: 'Carry on with the newer setup.',
};

/**
 * Of the setups holding `setup`'s name (all of them, `setup` excluded), the one that refuses it,
 * if any: another admin's, or the same admin's while it writes. The rest give way.
 */
export function nameRefuser(setup: PendingSetup, holders: readonly PendingSetup[]): PendingSetup | undefined {
  return holders.find((s) => s.userId !== setup.userId || s.status === 'writing');
}

/** Setups other than `setup` that hold its connection name now. */
export function nameHolders(setup: PendingSetup, setups: Iterable<PendingSetup>): PendingSetup[] {
  return [...setups].filter((s) => s.id !== setup.id && NAME_HOLDING.includes(s.status) && sameName(s.connectionName, setup.connectionName));
}

export type ConnectionState = Connection['state'];
export const CONNECTION_STATES: readonly ConnectionState[] = ['awaiting_consent', 'connected', 'removed'];
type OptionalConnectionKey = { [K in keyof Connection]-?: undefined extends Connection[K] ? K : never }[keyof Connection];
export type ConnectionPatch = Partial<Omit<Connection, 'name'>>;

export interface ConnectionChange {
  /** Fields removed by the change (a wiped credential). */
  unset?: readonly OptionalConnectionKey[];
  /** The credential changed: a check that began with the old one is discarded (credentialVersion). */
  newCredential?: boolean;
  /** A further condition on the connection as it is at that moment. */
  guard?: (connection: Connection) => boolean;
}

/** The connection after a change, or undefined when `current` is not in `from` or fails the guard. */
export function changedConnection(
  current: Connection | undefined,
  from: readonly ConnectionState[],
  patch: ConnectionPatch | ((current: Connection) => ConnectionPatch),
  change: ConnectionChange,
): Connection | undefined {
  if (!current || !from.includes(current.state) || !(change.guard?.(current) ?? true)) return undefined;
  const next: Connection = { ...current, ...(typeof patch === 'function' ? patch(current) : patch), name: current.name };
  for (const key of change.unset ?? []) delete next[key];
  if (change.newCredential) next.credentialVersion = (current.credentialVersion ?? 0) + 1;
  return next;
}

/** A connection built afresh put over `replaced`: its credential counts as changed. */
export function replacingConnection(connection: Connection, replaced: Connection | undefined): Connection {
  return replaced ? { ...connection, credentialVersion: Math.max(connection.credentialVersion ?? 0, (replaced.credentialVersion ?? 0) + 1) } : connection;
}

/** Whether a check's result may be kept: the connection is there, not removed, with the credential the check began with. */
export function checkStillCounts(connection: Connection | undefined, credentialVersion: number | undefined): boolean {
  return Boolean(connection && connection.state !== 'removed' && (connection.credentialVersion ?? 0) === (credentialVersion ?? 0));
}
