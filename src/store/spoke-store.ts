import type { SetupRequest } from '../core/setup-request.js';
import type { AccessRequest, AuditEvent, Connection, HealthRecord, PendingSetup, Rotation, StoreData } from './schema.js';
import type { ConnectionChange, ConnectionPatch, ConnectionState } from './store-rules.js';
import { LowdbSpokeStore } from './lowdb-store.js';

export type { AccessRequest, AuditEvent, Connection, HealthRecord, PendingSetup, Rotation };
export type { ConnectionChange, ConnectionPatch, ConnectionState };
export { NAME_HOLDING } from './store-rules.js';

/** What moving a setup to its plan did: planned (and which setups of the same admin gave way), or refused by the setup holding the name. */
export type PlanOutcome = { planned: PendingSetup; superseded: PendingSetup[] } | { heldBy: PendingSetup };

export type UndeliveredNotice = StoreData['undeliveredNotices'][string];
export type ReportRefusal = StoreData['reportRefusals'][string];

/** Lines of a file-based audit log that do not parse (always none in a database). */
export interface UnreadableLines {
  count: number;
  /** 1-based line number of the first one. */
  firstLine?: number;
}

/** The audit trail: append-only, whichever engine keeps it. */
export interface AuditTrail {
  append(event: AuditEvent): Promise<void>;
  /** Newest first: of one connection, from a day on, at most `limit`. */
  latest(options?: { connection?: string; since?: Date; limit?: number }): Promise<AuditEvent[]>;
  /** As far as counted: a file's are counted in the background after open (a long log is not read at start). */
  readonly unreadable: UnreadableLines;
  /** Where `unreadable` is counted after open: settles once it is final (undefined if the log closed first). */
  readonly unreadableCounted?: Promise<UnreadableLines | undefined>;
  /** Lines a crash tore mid-append, found and noted at open (a file only). */
  readonly tornAtOpen: readonly number[];
  /** Where the full log is, for a person to find: a file's path, or a database table. */
  readonly location: string;
  close(): Promise<void>;
}

/**
 * spokebot's own state: pending setups (secret sealed with AES-256-GCM), connections, access
 * requests, health, and the audit trail. Two implementations: lowdb (one process, the embedded
 * default) and PostgreSQL (shared by replicas).
 *
 * Reads are synchronous and may lag another replica's write by the time its change notice takes
 * to arrive; every decision is therefore a conditional write (the `transition*`, `claim*` and
 * lease methods), checked and made in one atomic step in the store itself, never a read followed
 * by a write.
 */
export interface SpokeStore {
  /** Whether other processes share this store (PostgreSQL): work another replica runs is theirs. */
  readonly shared: boolean;
  readonly auditLog: AuditTrail;
  /** Temporary copies of a store file that writes killed mid-way had left, removed at open. */
  readonly staleTempsRemoved: number;

  createSetup(request: SetupRequest, userId: string, ttlMs: number, viewId?: string): Promise<PendingSetup>;
  getSetup(id: string): PendingSetup | undefined;
  listSetups(filter?: (setup: PendingSetup) => boolean): PendingSetup[];
  updateSetup(id: string, patch: Partial<Omit<PendingSetup, 'id' | 'sealedSecret'>>, options?: { wipeSecret?: boolean }): Promise<PendingSetup>;
  /**
   * Moves a setup on only if it is in one of the `from` states, checked and changed in one step,
   * so a double click or two concurrent requests cannot both start the same work.
   */
  transitionSetup(id: string, from: readonly PendingSetup['status'][], patch: Partial<Omit<PendingSetup, 'id' | 'sealedSecret'>>, options?: { wipeSecret?: boolean }): Promise<PendingSetup | undefined>;
  /** The other setup that holds this setup's connection name now, if any (a look only: planSetup decides). */
  nameHolder(setup: PendingSetup): PendingSetup | undefined;
  /**
   * Moves a setup whose check passed (`checking_site`) to `planned`, which reserves its connection
   * name, checked and changed in one step across every process sharing the store: when another
   * setup holds the name, nothing changes and that setup is returned. The same admin's earlier
   * setup of the name gives way (cancelled) unless it is writing. Undefined when the setup is gone
   * or no longer checking.
   */
  planSetup(id: string, patch: Partial<Omit<PendingSetup, 'id' | 'sealedSecret' | 'status'>>): Promise<PlanOutcome | undefined>;
  /** Replaces the sealed secret (an admin re-entering it after fixing the form). */
  resealSecret(id: string, secret: string): Promise<void>;
  /** Seals a credential the bot keeps for a connection (API token, service-account secret). */
  sealCredential(connectionName: string, secret: string): Connection['sealedCredential'];
  revealCredential(connection: Connection): string | undefined;
  revealSecret(setup: PendingSetup): string | undefined;
  /**
   * Ends setups past their hard expiry (`expiresAt`) or, given `idleMs`, left waiting for the
   * admin that long since they last moved; wipes their secrets and says why in `failure`.
   * Returns those it ended (each once, whichever process ended it).
   */
  expireSetups(idleMs?: number): Promise<PendingSetup[]>;

  startRotation(rotation: Omit<Rotation, 'id' | 'startedAt' | 'updatedAt'>): Promise<Rotation>;
  updateRotation(id: string, patch: Partial<Omit<Rotation, 'id' | 'kind' | 'connection' | 'userId' | 'startedAt'>>): Promise<void>;
  endRotation(id: string): Promise<void>;
  listRotations(): Rotation[];

  /**
   * Puts a record built afresh (a setup's result, an adopted connection), never a copy read
   * earlier and changed: changes go through transitionConnection. A connection of that name is
   * replaced only in one of `over` (undefined otherwise), and its credential counts as changed.
   */
  saveConnection(connection: Connection, over?: readonly ConnectionState[]): Promise<Connection | undefined>;
  /**
   * Changes a connection only if it is still in one of `from` (and passes `guard`), checked and
   * changed in one step. `patch` may be worked out from the connection as it is then.
   */
  transitionConnection(name: string, from: readonly ConnectionState[], patch: ConnectionPatch | ((current: Connection) => ConnectionPatch), change?: ConnectionChange): Promise<Connection | undefined>;
  getConnection(name: string): Connection | undefined;
  listConnections(): Connection[];

  createRequest(request: Omit<AccessRequest, 'id'>): Promise<AccessRequest>;
  /** A copy: deciding goes through transitionRequest, never through the object handed out. */
  getRequest(id: number): AccessRequest | undefined;
  listRequests(filter?: (request: AccessRequest) => boolean): AccessRequest[];
  /**
   * Moves a request on only if it is still in one of `from` (and passes `guard`), checked and
   * changed in one step: two approvers clicking at the same moment, on one replica or two,
   * produce one decision.
   */
  transitionRequest(id: number, from: readonly AccessRequest['state'][], patch: Partial<Omit<AccessRequest, 'id'>>, guard?: (request: AccessRequest) => boolean): Promise<AccessRequest | undefined>;

  getHealth(name: string): HealthRecord | undefined;
  saveHealth(name: string, record: HealthRecord): Promise<void>;
  /**
   * Keeps a check's result only if the connection is still there, not removed, and holds the
   * credential the check began with, and (given `basedOn`) the stored record is still the one
   * the check started from (its `checkedAt`, or none): of two checks of one connection that ran
   * at once, on one replica or two, only the first result counts, so a state change is alerted
   * once. Either way the check is over: a result refused also ends this process's claim on the
   * check, so the check still due runs at the next sweep, not once the claim's lease runs out.
   */
  saveCheckResult(name: string, credentialVersion: number | undefined, record: HealthRecord, basedOn?: { checkedAt: string | undefined }): Promise<boolean>;
  /**
   * Claims up to `limit` connected connections whose check is due (`nextCheckAt` passed, or never
   * checked) and that no live claim holds, for `leaseMs`: each due check goes to one process. A
   * claim ends when its result is saved (saveCheckResult, saveHealth) or refused
   * (saveCheckResult), or when the lease runs out (the process died), and the check is due again then.
   */
  claimDueChecks(options: { limit: number; leaseMs: number }): Promise<string[]>;

  /** Reminder keys already sent (or given up). */
  remindersHandled(): ReadonlySet<string>;
  markReminders(keys: readonly string[]): Promise<void>;
  /**
   * Claims a reminder for sending, for `leaseMs`: false when it was sent (or given up) or another
   * process holds it. markReminders settles it; releaseReminder gives it back (to try later).
   */
  claimReminder(key: string, leaseMs: number): Promise<boolean>;
  releaseReminder(key: string): Promise<void>;

  /**
   * Leases on running work (a setup's write, a consent watch), held by this process: true when the
   * lease was free, had run out, or is already this process's (acquiring again is how a holder
   * renews it). Work whose lease runs out (its process died) is taken over by another process.
   */
  acquireLease(key: string, ttlMs: number): Promise<boolean>;
  releaseLease(key: string): Promise<void>;

  /** Users who opened App Home at or after `since` (all with a known time when omitted), the most recent first. */
  homeViewers(since?: Date): string[];
  rememberHomeViewer(userId: string): Promise<void>;
  /** Forgets viewers who last opened Home before `before`; returns how many. */
  forgetHomeViewers(before: Date): Promise<number>;

  undeliveredNotice(key: string): UndeliveredNotice | undefined;
  undeliveredNoticeKeys(prefix: string): string[];
  /** Records a notice that reached nobody and when to try it again; undefined `notice` settles it. */
  setUndeliveredNotice(key: string, notice: UndeliveredNotice | undefined): Promise<void>;

  reportRefusal(connection: string): ReportRefusal | undefined;
  /** Records (or, with undefined, clears) the refusal of a connection's report channel. */
  setReportRefusal(connection: string, refusal: ReportRefusal | undefined): Promise<void>;

  audit(event: Omit<AuditEvent, 'at'>): Promise<void>;
  /** The whole trail, oldest first (tests and small tools; exports stream instead). */
  auditTrail(): Promise<AuditEvent[]>;
  close(): Promise<void>;
}

/** The embedded default: `SpokeStore.open(path, key)` opens (or creates) a lowdb store file. */
export const SpokeStore = {
  open: (path: string, encryptionKey: Buffer, now?: () => Date): Promise<LowdbSpokeStore> => LowdbSpokeStore.open(path, encryptionKey, now),
};
