import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Low } from 'lowdb';
import { AuditLog } from './audit-log.js';
import { formatDuration } from '../core/duration.js';
import type { SetupRequest } from '../core/setup-request.js';
import { SecretBox } from './secret-box.js';
import { SecureJsonFile, removeStaleTemps } from './secure-json-file.js';
import { StoreAccessError, connectionCredentialBinding, setupSecretBinding, storeFileProblem, unlockStore } from './store-key.js';
import { TERMINAL_STATUSES, type AccessRequest, type AuditEvent, type Connection, type HealthRecord, type PendingSetup, type Rotation, type StoreData } from './schema.js';

export type { AccessRequest, AuditEvent, Connection, HealthRecord, PendingSetup, Rotation };

const TERMINAL = TERMINAL_STATUSES;

/**
 * States that wait for the admin while holding the sealed secret: left alone for the idle limit,
 * the secret is wiped. Writing runs on its own (and is turned into write_failed after a restart),
 * consent is bounded by its own timeout, and a consent timeout holds no secret.
 */
const IDLE_EXPIRES: readonly PendingSetup['status'][] = ['checking_site', 'site_failed', 'credential_failed', 'planned', 'write_failed'];

/**
 * spokebot's own state on lowdb: pending setups (secret sealed with AES-256-GCM), connections,
 * and the audit trail. All writes go through here so the secret rules live in one place.
 */
export class SpokeStore {
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
  static async open(path: string, encryptionKey: Buffer, now: () => Date = () => new Date()): Promise<SpokeStore> {
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
      const store = new SpokeStore(db, new SecretBox(encryptionKey), now, auditLog);
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

  /** Temporary copies of the store that writes killed mid-way had left beside it, removed at open. */
  staleTempsRemoved = 0;

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
  async transitionSetup(id: string, from: readonly PendingSetup['status'][], patch: Partial<Omit<PendingSetup, 'id' | 'sealedSecret'>>): Promise<PendingSetup | undefined> {
    let moved: PendingSetup | undefined;
    await this.db.update((data) => {
      const setup = data.setups.find((s) => s.id === id);
      if (!setup || !from.includes(setup.status)) return;
      Object.assign(setup, patch, { updatedAt: this.now().toISOString() });
      if (TERMINAL.includes(setup.status)) delete setup.sealedSecret;
      moved = setup;
    });
    return moved;
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
    return connection.sealedCredential ? this.box.open(connection.sealedCredential, connectionCredentialBinding(connection.name)) : undefined;
  }

  revealSecret(setup: PendingSetup): string | undefined {
    return setup.sealedSecret ? this.box.open(setup.sealedSecret, setupSecretBinding(setup.id)) : undefined;
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
        if (TERMINAL.includes(setup.status) || setup.status === 'awaiting_consent' || setup.status === 'writing') continue;
        const hardCap = Date.parse(setup.expiresAt) <= now;
        const idle = idleMs !== undefined && IDLE_EXPIRES.includes(setup.status) && now - Date.parse(setup.updatedAt) >= idleMs;
        if (!hardCap && !idle) continue;
        const left = setup.status.replace(/_/g, ' ');
        setup.failure = hardCap
          ? { code: 'expired', message: `it was not finished within the time a setup may take (SPOKE_SETUP_TTL); it was ${left}`, hint: 'Open the setup again and enter the secret again.' }
          : { code: 'idle', message: `nothing moved it on for ${formatDuration(idleMs!)} (SPOKE_SETUP_IDLE); it was ${left}`, hint: 'Open the setup again and enter the secret again.' };
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

  async saveConnection(connection: Connection): Promise<void> {
    await this.db.update((data) => {
      const index = data.connections.findIndex((c) => c.name === connection.name);
      if (index >= 0) data.connections[index] = connection;
      else data.connections.push(connection);
    });
  }

  getConnection(name: string): Connection | undefined {
    return this.db.data.connections.find((c) => c.name === name);
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
    await this.db.update((data) => {
      // Defined, not assigned: assigning to `__proto__` would replace the object's prototype.
      Object.defineProperty(data.health, name, { value: record, enumerable: true, writable: true, configurable: true });
    });
  }

  remindersHandled(): ReadonlySet<string> {
    return new Set(this.db.data.reminders);
  }

  async markReminders(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.db.update((data) => {
      const known = new Set(data.reminders);
      for (const key of keys) if (!known.has(key)) data.reminders.push(key);
    });
  }

  homeViewers(): readonly string[] {
    return this.db.data.homeViewers;
  }

  async rememberHomeViewer(userId: string): Promise<void> {
    if (this.db.data.homeViewers.includes(userId)) return;
    await this.db.update((data) => void data.homeViewers.push(userId));
  }

  async audit(event: Omit<AuditEvent, 'at'>): Promise<void> {
    await this.auditLog.append({ at: this.now().toISOString(), ...event });
  }

  auditTrail(): AuditEvent[] {
    return [...this.auditLog.all()];
  }

  async close(): Promise<void> {
    await this.auditLog.close();
  }
}
