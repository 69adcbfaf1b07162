import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Low } from 'lowdb';
import { AuditLog } from './audit-log.js';
import type { SetupRequest } from '../core/setup-request.js';
import { SecretBox } from './secret-box.js';
import { SecureJsonFile, removeStaleTemps } from './secure-json-file.js';
import { StoreAccessError, connectionCredentialBinding, revealCredentialWith, revealSecretWith, setupSecretBinding, storeFileProblem, unlockStore } from './store-key.js';
import { TERMINAL_STATUSES, type AccessRequest, type AuditEvent, type Connection, type HealthRecord, type PendingSetup, type Rotation, type StoreData } from './schema.js';
import type { PlanOutcome, ReportRefusal, SpokeStore, UndeliveredNotice } from './spoke-store.js';
import {
  CONNECTION_STATES,
  SUPERSEDED,
  changedConnection,
  checkStillCounts,
  nameHolders,
  nameRefuser,
  replacingConnection,
  setupExpiry,
  type ConnectionChange,
  type ConnectionPatch,
  type ConnectionState,
} from './store-rules.js';

const TERMINAL = TERMINAL_STATUSES;

/** How finely a user's last App Home open is kept. */
const HOME_OPEN_PRECISION_MS = 86_400_000;

/**
 * Sets a key of a record keyed by names or ids. Defined, not assigned: assigning to `__proto__`
 * would replace the object's prototype.
 */
function ownKey<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}


/**
 * The embedded store: lowdb, one JSON file written whole on every change, for one process. Every
 * change is one `db.update`, so a check and its write cannot interleave with another's. Claims
 * live in memory and a restart starts with none; leases are always granted, since only this
 * process could hold them.
 */
export class LowdbSpokeStore implements SpokeStore {
  private constructor(
    private readonly db: Low<StoreData>,
    private readonly box: SecretBox,
    private readonly now: () => Date,
    readonly auditLog: AuditLog,
  ) {}

  /**
   * The audit log lives beside the store: `<SPOKE_DB_PATH>.audit.jsonl`. A key that did not seal
   * the store is refused (StoreKeyError) before anything is written, audit log included.
   */
  static async open(path: string, encryptionKey: Buffer, now: () => Date = () => new Date()): Promise<LowdbSpokeStore> {
    try {
      const file = new SecureJsonFile<StoreData>(path);
      const db = new Low<StoreData>(file, await unlockStore(path, encryptionKey, file));
      // After the key is proven: a refused start changes nothing in the folder.
      const staleTempsRemoved = await removeStaleTemps(path);
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      const auditLog = await AuditLog.open(`${path}.audit.jsonl`);
      // Audit events from before the log had its own file move there, once.
      if (db.data.audit.length > 0) {
        for (const event of db.data.audit) await auditLog.append(event);
        db.data.audit = [];
        await db.write();
      }
      const store = new LowdbSpokeStore(db, new SecretBox(encryptionKey), now, auditLog);
      store.staleTempsRemoved = staleTempsRemoved;
      return store;
    } catch (error) {
      // A system error (a folder it may not write, the audit log a directory, a full disk) named
      // with its file and fix, like an unreadable store, rather than as a bare code and a stack.
      const problem = storeFileProblem((error as NodeJS.ErrnoException).path ?? path, error);
      if (problem) throw new StoreAccessError((error as NodeJS.ErrnoException).path ?? path, problem.reason, problem.hint);
      throw error;
    }
  }

  readonly shared = false;
  /**
   * Where each connection is in the store's list, by name: a sweep of 10,000 connections looks
   * each up several times, and a scan per lookup made the sweep quadratic. Connections are only
   * added or replaced in place (never removed from the list), so an entry stays right once made.
   */
  private readonly connectionAt = new Map<string, number>();
  staleTempsRemoved = 0;
  /** Due checks' and reminders' claims: key → until (ms). */
  private readonly checkClaims = new Map<string, number>();
  /** Where claimDueChecks stopped looking last time; the next claim starts there. */
  private claimCursor = 0;
  private readonly reminderClaims = new Map<string, number>();

  async createSetup(request: SetupRequest, userId: string, ttlMs: number, viewId?: string): Promise<PendingSetup> {
    const id = randomUUID();
    const at = this.now();
    const { secret, ...rest } = request;
    const setup: PendingSetup = {
      id,
      ...rest,
      userId,
      status: 'checking_site',
      sealedSecret: this.box.seal(secret, setupSecretBinding(id)),
      written: [],
      createdAt: at.toISOString(),
      updatedAt: at.toISOString(),
      expiresAt: new Date(at.getTime() + ttlMs).toISOString(),
      ...(viewId ? { viewId } : {}),
    };
    await this.db.update((data) => data.setups.push(setup));
    return setup;
  }

  getSetup(id: string): PendingSetup | undefined {
    return this.db.data.setups.find((s) => s.id === id);
  }

  listSetups(filter: (setup: PendingSetup) => boolean = () => true): PendingSetup[] {
    return this.db.data.setups.filter(filter);
  }

  async updateSetup(id: string, patch: Partial<Omit<PendingSetup, 'id' | 'sealedSecret'>>, options: { wipeSecret?: boolean } = {}): Promise<PendingSetup> {
    let updated: PendingSetup | undefined;
    await this.db.update((data) => {
      const setup = data.setups.find((s) => s.id === id);
      if (!setup) return;
      Object.assign(setup, patch, { updatedAt: this.now().toISOString() });
      if (options.wipeSecret || TERMINAL.includes(setup.status)) delete setup.sealedSecret;
      updated = setup;
    });
    if (!updated) throw new Error(`no setup ${id}`);
    return updated;
  }

  /**
   * Moves a setup on only if it is in one of the `from` states, checked and changed in one step,
   * so a double click or two concurrent requests cannot both start the same work.
   */
  async transitionSetup(id: string, from: readonly PendingSetup['status'][], patch: Partial<Omit<PendingSetup, 'id' | 'sealedSecret'>>, options: { wipeSecret?: boolean } = {}): Promise<PendingSetup | undefined> {
    let moved: PendingSetup | undefined;
    await this.db.update((data) => {
      const setup = data.setups.find((s) => s.id === id);
      if (!setup || !from.includes(setup.status)) return;
      Object.assign(setup, patch, { updatedAt: this.now().toISOString() });
      if (options.wipeSecret || TERMINAL.includes(setup.status)) delete setup.sealedSecret;
      moved = setup;
    });
    return moved;
  }

  /** The other setup that holds this setup's connection name now, if any (a look only: planSetup decides). */
  nameHolder(setup: PendingSetup): PendingSetup | undefined {
    return nameRefuser(setup, nameHolders(setup, this.db.data.setups));
  }

  /**
   * Moves a setup whose check passed (`checking_site`) to `planned`, which reserves its connection
   * name, checked and changed in one step: when another setup holds the name, nothing changes
   * and that setup is returned. The same admin's earlier setup of the name gives way (cancelled)
   * unless it is writing: starting again means the new answers. Undefined when the setup is gone
   * or no longer checking (cancelled or expired meanwhile).
   */
  async planSetup(id: string, patch: Partial<Omit<PendingSetup, 'id' | 'sealedSecret' | 'status'>>): Promise<PlanOutcome | undefined> {
    let outcome: PlanOutcome | undefined;
    await this.db.update((data) => {
      const setup = data.setups.find((s) => s.id === id);
      if (!setup || setup.status !== 'checking_site') return;
      const holders = nameHolders(setup, data.setups);
      const other = nameRefuser(setup, holders);
      if (other) {
        outcome = { heldBy: structuredClone(other) };
        return;
      }
      const at = this.now().toISOString();
      for (const own of holders) {
        own.status = 'cancelled';
        own.failure = SUPERSEDED;
        own.updatedAt = at;
        delete own.sealedSecret;
      }
      Object.assign(setup, patch, { status: 'planned', updatedAt: at });
      outcome = { planned: setup, superseded: holders };
    });
    return outcome;
  }

  /** Replaces the sealed secret (an admin re-entering it after fixing the form). */
  async resealSecret(id: string, secret: string): Promise<void> {
    await this.db.update((data) => {
      const setup = data.setups.find((s) => s.id === id);
      if (setup) setup.sealedSecret = this.box.seal(secret, setupSecretBinding(id));
    });
  }

  /** Seals a credential the bot keeps for a connection (API token, service-account secret). */
  sealCredential(connectionName: string, secret: string): Connection['sealedCredential'] {
    return this.box.seal(secret, connectionCredentialBinding(connectionName));
  }

  revealCredential(connection: Connection): string | undefined {
    return revealCredentialWith(this.box, connection);
  }

  revealSecret(setup: PendingSetup): string | undefined {
    return revealSecretWith(this.box, setup);
  }

  /**
   * Ends setups past their hard expiry (`expiresAt`) or, given `idleMs`, left waiting for the
   * admin that long since they last moved; wipes their secrets and says why in `failure`.
   * Returns those it ended. A setup that is writing is left to finish (or fail) on its own.
   */
  async expireSetups(idleMs?: number): Promise<PendingSetup[]> {
    const now = this.now().getTime();
    const ended: PendingSetup[] = [];
    await this.db.update((data) => {
      for (const setup of data.setups) {
        const failure = setupExpiry(setup, now, idleMs);
        if (!failure) continue;
        setup.failure = failure;
        setup.status = 'expired';
        setup.updatedAt = new Date(now).toISOString();
        delete setup.sealedSecret;
        ended.push(setup);
      }
    });
    return ended;
  }

  async startRotation(rotation: Omit<Rotation, 'id' | 'startedAt' | 'updatedAt'>): Promise<Rotation> {
    const at = this.now().toISOString();
    const started: Rotation = { ...rotation, id: randomUUID(), startedAt: at, updatedAt: at };
    await this.db.update((data) => void data.rotations.push(started));
    return started;
  }

  async updateRotation(id: string, patch: Partial<Omit<Rotation, 'id' | 'kind' | 'connection' | 'userId' | 'startedAt'>>): Promise<void> {
    await this.db.update((data) => {
      const rotation = data.rotations.find((r) => r.id === id);
      if (rotation) Object.assign(rotation, patch, { updatedAt: this.now().toISOString() });
    });
  }

  async endRotation(id: string): Promise<void> {
    if (!this.db.data.rotations.some((r) => r.id === id)) return;
    await this.db.update((data) => {
      data.rotations = data.rotations.filter((r) => r.id !== id);
    });
  }

  listRotations(): Rotation[] {
    return [...this.db.data.rotations];
  }

  /**
   * Puts a record built afresh (a setup's result, an adopted connection), never a copy read
   * earlier and changed: changes go through transitionConnection. A connection of that name is
   * replaced only in one of `over` (undefined otherwise), and its credential counts as changed,
   * so a check still running on the one replaced is discarded.
   */
  /** The connection's place in the list, -1 when there is none. */
  private connectionIndex(name: string): number {
    const at = this.connectionAt.get(name);
    const list = this.db.data.connections;
    if (at !== undefined && list[at]?.name === name) return at;
    // Not known yet (the store was just opened), or the list changed under us: look once and remember.
    const found = list.findIndex((c) => c.name === name);
    if (found >= 0) this.connectionAt.set(name, found);
    return found;
  }

  async saveConnection(connection: Connection, over: readonly ConnectionState[] = CONNECTION_STATES): Promise<Connection | undefined> {
    let saved: Connection | undefined;
    await this.db.update((data) => {
      const index = this.connectionIndex(connection.name);
      const replaced = data.connections[index];
      if (replaced && !over.includes(replaced.state)) return;
      saved = replacingConnection(connection, replaced);
      if (replaced) data.connections[index] = saved;
      else this.connectionAt.set(connection.name, data.connections.push(saved) - 1);
    });
    return saved;
  }

  /**
   * Changes a connection only if it is still in one of `from` (and passes `guard`), checked and
   * changed in one step, so a flow that read the connection a while ago cannot save its copy over
   * what happened meanwhile: a rotation that ends after a removal must not bring the connection
   * back. `patch` may be worked out from the connection as it is then. The stored object is
   * replaced, not edited, so a copy handed out earlier stays as it was.
   */
  async transitionConnection(name: string, from: readonly ConnectionState[], patch: ConnectionPatch | ((current: Connection) => ConnectionPatch), change: ConnectionChange = {}): Promise<Connection | undefined> {
    let moved: Connection | undefined;
    await this.db.update((data) => {
      const index = this.connectionIndex(name);
      const next = changedConnection(data.connections[index], from, patch, change);
      if (!next) return;
      data.connections[index] = next;
      moved = next;
    });
    return moved;
  }

  getConnection(name: string): Connection | undefined {
    return this.db.data.connections[this.connectionIndex(name)];
  }

  listConnections(): Connection[] {
    return [...this.db.data.connections];
  }

  async createRequest(request: Omit<AccessRequest, 'id'>): Promise<AccessRequest> {
    let created: AccessRequest | undefined;
    await this.db.update((data) => {
      created = { ...request, id: (data.requests.at(-1)?.id ?? 0) + 1 };
      data.requests.push(created);
    });
    return created!;
  }

  /** A copy: deciding goes through transitionRequest, never through the object handed out. */
  getRequest(id: number): AccessRequest | undefined {
    const request = this.db.data.requests.find((r) => r.id === id);
    return request ? structuredClone(request) : undefined;
  }

  listRequests(filter: (request: AccessRequest) => boolean = () => true): AccessRequest[] {
    return this.db.data.requests.filter(filter);
  }

  /**
   * Moves a request on only if it is still in one of `from`, checked and changed in one step:
   * two approvers clicking at the same moment (or one clicking twice) produce one decision.
   */
  async transitionRequest(id: number, from: readonly AccessRequest['state'][], patch: Partial<Omit<AccessRequest, 'id'>>, guard: (request: AccessRequest) => boolean = () => true): Promise<AccessRequest | undefined> {
    let moved: AccessRequest | undefined;
    await this.db.update((data) => {
      const request = data.requests.find((r) => r.id === id);
      if (!request || !from.includes(request.state) || !guard(request)) return;
      Object.assign(request, patch);
      moved = request;
    });
    return moved;
  }

  getHealth(name: string): HealthRecord | undefined {
    // Names are typed: `constructor` or `__proto__` must not find what every object inherits.
    return Object.hasOwn(this.db.data.health, name) ? this.db.data.health[name] : undefined;
  }

  async saveHealth(name: string, record: HealthRecord): Promise<void> {
    await this.db.update((data) => ownKey(data.health, name, record));
    this.checkClaims.delete(name);
  }

  /**
   * Keeps a check's result only if the connection is still there, not removed, and holds the
   * credential the check began with, checked and saved in one step: a check that signed in with
   * a credential rotated away meanwhile must not leave its refusal (and a back-off) on the new one.
   */
  async saveCheckResult(name: string, credentialVersion: number | undefined, record: HealthRecord, basedOn?: { checkedAt: string | undefined }): Promise<boolean> {
    let kept = false;
    await this.db.update((data) => {
      if (!checkStillCounts(data.connections[this.connectionIndex(name)], credentialVersion)) return;
      if (basedOn && this.getHealth(name)?.checkedAt !== basedOn.checkedAt) return;
      ownKey(data.health, name, record);
      kept = true;
    });
    // Kept or refused, this check is over: a refused one is due again at once, not when its claim runs out.
    this.checkClaims.delete(name);
    return kept;
  }

  async claimDueChecks({ limit, leaseMs }: { limit: number; leaseMs: number }): Promise<string[]> {
    const now = this.now().getTime();
    const claimed: string[] = [];
    const { connections } = this.db.data;
    // From where the last claim stopped, round the list once: a sweep claims chunk after chunk,
    // and starting at the top each time re-read every connection already claimed (quadratic:
    // 10,000 connections cost 50 million looks a sweep). Every connection is still looked at
    // before a claim comes back short.
    const start = this.claimCursor < connections.length ? this.claimCursor : 0;
    for (let looked = 0; looked < connections.length && claimed.length < limit; looked++) {
      const index = (start + looked) % connections.length;
      const connection = connections[index]!;
      this.claimCursor = index + 1;
      if (connection.state !== 'connected') continue;
      if (Date.parse(this.getHealth(connection.name)?.nextCheckAt ?? '1970-01-01') > now) continue;
      if ((this.checkClaims.get(connection.name) ?? 0) > now) continue;
      this.checkClaims.set(connection.name, now + leaseMs);
      claimed.push(connection.name);
    }
    return claimed;
  }

  async claimReminder(key: string, leaseMs: number): Promise<boolean> {
    const now = this.now().getTime();
    if (this.db.data.reminders.includes(key) || (this.reminderClaims.get(key) ?? 0) > now) return false;
    this.reminderClaims.set(key, now + leaseMs);
    return true;
  }

  async releaseReminder(key: string): Promise<void> {
    this.reminderClaims.delete(key);
  }

  async acquireLease(_key: string, _ttlMs: number): Promise<boolean> {
    // One process: every lease is this process's own, so none is ever refused, and none need be kept.
    return true;
  }

  async releaseLease(_key: string): Promise<void> {}

  remindersHandled(): ReadonlySet<string> {
    return new Set(this.db.data.reminders);
  }

  async markReminders(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.db.update((data) => {
      const known = new Set(data.reminders);
      for (const key of keys) if (!known.has(key)) data.reminders.push(key);
    });
    for (const key of keys) this.reminderClaims.delete(key);
  }

  /** Users who opened App Home at or after `since` (all with a known time when omitted), the most recent first. */
  homeViewers(since?: Date): string[] {
    const from = since?.getTime() ?? Number.NEGATIVE_INFINITY;
    return Object.entries(this.db.data.homeOpens)
      .filter(([, at]) => Date.parse(at) >= from)
      .sort(([, a], [, b]) => Date.parse(b) - Date.parse(a))
      .map(([user]) => user);
  }

  /**
   * Records that `userId` opened App Home now. Not rewritten more than once a day per user: the
   * redraw window is counted in days, and every write rewrites the whole store file.
   */
  async rememberHomeViewer(userId: string): Promise<void> {
    const now = this.now();
    const last = Object.hasOwn(this.db.data.homeOpens, userId) ? Date.parse(this.db.data.homeOpens[userId]!) : Number.NaN;
    if (now.getTime() - last < HOME_OPEN_PRECISION_MS) return;
    await this.db.update((data) => ownKey(data.homeOpens, userId, now.toISOString()));
  }

  /** Forgets viewers who last opened Home before `before` (and those with no time); returns how many. */
  async forgetHomeViewers(before: Date): Promise<number> {
    const old = Object.entries(this.db.data.homeOpens).filter(([, at]) => !(Date.parse(at) >= before.getTime())).map(([user]) => user);
    const legacy = this.db.data.homeViewers.length;
    if (old.length === 0 && legacy === 0) return 0;
    await this.db.update((data) => {
      for (const user of old) delete data.homeOpens[user];
      data.homeViewers = [];
    });
    return old.length + legacy;
  }

  undeliveredNotice(key: string): UndeliveredNotice | undefined {
    return Object.hasOwn(this.db.data.undeliveredNotices, key) ? this.db.data.undeliveredNotices[key] : undefined;
  }

  undeliveredNoticeKeys(prefix: string): string[] {
    return Object.keys(this.db.data.undeliveredNotices).filter((key) => key.startsWith(prefix));
  }

  /** Records a notice that reached nobody and when to try it again; undefined `notice` settles it (delivered, or given up). */
  async setUndeliveredNotice(key: string, notice: UndeliveredNotice | undefined): Promise<void> {
    if (notice === undefined && this.undeliveredNotice(key) === undefined) return;
    await this.db.update((data) => {
      if (notice === undefined) delete data.undeliveredNotices[key];
      else ownKey(data.undeliveredNotices, key, notice);
    });
  }

  reportRefusal(connection: string): ReportRefusal | undefined {
    return Object.hasOwn(this.db.data.reportRefusals, connection) ? this.db.data.reportRefusals[connection] : undefined;
  }

  /** Records (or, with undefined, clears) the refusal of a connection's report channel. */
  async setReportRefusal(connection: string, refusal: ReportRefusal | undefined): Promise<void> {
    if (refusal === undefined && this.reportRefusal(connection) === undefined) return;
    await this.db.update((data) => {
      if (refusal === undefined) delete data.reportRefusals[connection];
      else ownKey(data.reportRefusals, connection, refusal);
    });
  }

  async audit(event: Omit<AuditEvent, 'at'>): Promise<void> {
    await this.auditLog.append({ at: this.now().toISOString(), ...event });
  }

  /** The whole trail, oldest first, read from the file (the log keeps none of it in memory): for tests and small tools. */
  async auditTrail(): Promise<AuditEvent[]> {
    const events: AuditEvent[] = [];
    for await (const event of this.auditLog.entries()) events.push(event);
    return events;
  }

  async close(): Promise<void> {
    await this.auditLog.close();
  }
}
