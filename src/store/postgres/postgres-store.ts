import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import pg from 'pg';
import type { SetupRequest } from '../../core/setup-request.js';
import type { Logger } from '../../logger.js';
import { SecretBox } from '../secret-box.js';
import { TERMINAL_STATUSES, accessRequestSchema, connectionSchema, healthRecordSchema, pendingSetupSchema, rotationSchema } from '../schema.js';
import type { AccessRequest, AuditEvent, Connection, HealthRecord, PendingSetup, Rotation } from '../schema.js';
import type { PlanOutcome, ReportRefusal, SpokeStore, UndeliveredNotice } from '../spoke-store.js';
import { connectionCredentialBinding, revealCredentialWith, revealSecretWith, setupSecretBinding } from '../store-key.js';
import {
  CONNECTION_STATES,
  NAME_HOLDING,
  SUPERSEDED,
  changedConnection,
  checkStillCounts,
  nameHolders,
  nameKey,
  nameRefuser,
  replacingConnection,
  setupExpiry,
  type ConnectionChange,
  type ConnectionPatch,
  type ConnectionState,
} from '../store-rules.js';
import { NAME_LOCK_SPACE } from './advisory-locks.js';
import { decodeRow, type CachedTable } from './cached-tables.js';
import { ChangeListener, type ChangeNotice } from './change-listener.js';
import { Database } from './database.js';
import { applyMigrations } from './migrate.js';
import { auditEvents, PostgresAuditTrail } from './postgres-audit.js';
import { storeErrorFor } from './postgres-errors.js';
import { proveDatabaseKey } from './postgres-key.js';
import { redactDatabaseUrl } from './postgres-url.js';
import { StoreCache } from './store-cache.js';

export interface PostgresStoreOptions {
  /** SPOKE_DATABASE_URL. */
  url: string;
  encryptionKey: Buffer;
  /** The clock every time the store writes or compares comes from (tests move it); never PostgreSQL's now(). */
  now?: () => Date;
  logger?: Logger;
  /** Connections in the pool (10 by default); the change listener holds one more. */
  poolMax?: number;
}

type SetupPatch = Partial<Omit<PendingSetup, 'id' | 'sealedSecret'>>;

/** A row as `to_jsonb` gives it, the one shape the cache takes. */
interface JsonRow {
  row: unknown;
}

/** How finely a user's last App Home open is kept (as the file store keeps it). */
const HOME_OPEN_PRECISION_MS = 86_400_000;

/** Setup states setupExpiry never ends: over, or running on their own (see store-rules.ts). */
const NEVER_EXPIRING: readonly PendingSetup['status'][] = [...TERMINAL_STATUSES, 'awaiting_consent', 'writing'];

/** A stored time PostgreSQL can take, or -infinity ("due now") for one that does not parse, as the file store reads it. */
const dueAt = (time: string | undefined): string => (time !== undefined && !Number.isNaN(Date.parse(time)) ? time : '-infinity');

/**
 * spokebot's store on PostgreSQL, shared by replicas. Every replica keeps the tables in memory and
 * answers reads from there, synchronously (reads sit on Slack's 3-second ack path); other
 * replicas' writes reach it as change notices, its own from the row each write returns.
 *
 * Every write is one atomic step in the database: a conditional change locks its row
 * (SELECT … FOR UPDATE), applies the same JS rule the file store applies (store-rules.ts), writes
 * and commits; claims and leases are single conditional statements. So two replicas acting at
 * once produce one decision, one plan, one claim. Leases and claims are held by `replicaId`.
 */
/** How often a replica clears leases that ran out, and how long after running out they go. */
const LEASE_PURGE_EVERY_MS = 10 * 60_000;

export class PostgresSpokeStore implements SpokeStore {
  readonly shared = true;
  readonly staleTempsRemoved = 0;
  readonly auditLog: PostgresAuditTrail;
  /** Who holds this replica's leases and claims: the host, the process and a random part (a restarted process is someone else). */
  readonly replicaId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  /** When this replica last cleared run-out leases (ms). */
  private leasesPurgedAt = 0;
  private listener: ChangeListener | undefined;

  private constructor(
    private readonly db: Database,
    private readonly cache: StoreCache,
    private readonly box: SecretBox,
    private readonly now: () => Date,
    private readonly logger: Logger | undefined,
  ) {
    this.auditLog = new PostgresAuditTrail(db.pool, db.location);
  }

  /**
   * Connects, brings the schema up to date (migrations, under a lock other replicas wait on),
   * proves the key (a key that did not seal this database is refused before anything is
   * written), starts listening for changes and reads every cached table. Throws
   * StoreUnavailableError / StoreAccessDeniedError / StoreMigrationError / StoreKeyError /
   * StoreUnreadableError, each with what to do.
   */
  static async open(options: PostgresStoreOptions): Promise<PostgresSpokeStore> {
    const location = redactDatabaseUrl(options.url);
    const logger = options.logger;
    const pool = new pg.Pool({ connectionString: options.url, max: options.poolMax ?? 10, application_name: 'spokebot', connectionTimeoutMillis: 10_000 });
    // An idle connection the server drops must not crash the process: the pool replaces it.
    pool.on('error', (error) => logger?.warn({ database: location, err: error.message }, 'an idle database connection failed; the next step opens a new one'));
    const cache = new StoreCache();
    const store = new PostgresSpokeStore(new Database(pool, location), cache, new SecretBox(options.encryptionKey), options.now ?? (() => new Date()), logger);
    try {
      await applyMigrations(pool, logger);
      await proveDatabaseKey(pool, options.encryptionKey, location);
      // Listening before the first read: a change committed while it runs arrives as a notice.
      store.listener = await ChangeListener.start({
        url: options.url,
        location,
        logger,
        onNotice: (notice) => store.applyNotice(notice),
        onResumed: () => cache.loadAll(pool),
      });
      await cache.loadAll(pool);
      logger?.info({ database: location, replica: store.replicaId }, 'store open on PostgreSQL');
      return store;
    } catch (error) {
      await store.listener?.close();
      await pool.end().catch(() => undefined);
      throw storeErrorFor(error, location);
    }
  }

  /** Another replica's change (or this one's, again): kept if newer than what is here. */
  private applyNotice(notice: ChangeNotice): void {
    const table = notice.table as CachedTable;
    try {
      if (notice.deleted) this.cache.drop(table, notice.key, notice.version);
      else if (notice.row) this.cache.apply(table, notice.row);
      else {
        this.cache.refresh(this.db.pool, table, notice.key, notice.version).catch((error: unknown) => {
          this.logger?.warn({ table, err: error instanceof Error ? error.message : String(error) }, 'could not read a changed row; it is read again when the next change of it arrives');
        });
      }
    } catch (error) {
      // A row another writer left unreadable: this replica keeps what it had, and says so.
      this.logger?.error({ table, err: error instanceof Error ? error.message : String(error) }, 'ignored a changed row that is not spokebot data');
    }
  }

  /** Keeps a row this replica wrote (committed) in its cache, read-your-own-writes without waiting for the notice. */
  private keep<T extends CachedTable>(table: T, row: unknown) {
    const kept = this.cache.apply(table, row);
    // Undefined only when the row was deleted since (a tombstone is newer): hand out what was written.
    return kept ?? decodeRow(table, row).value;
  }

  // ---- setups ----

  async createSetup(request: SetupRequest, userId: string, ttlMs: number, viewId?: string): Promise<PendingSetup> {
    const id = randomUUID();
    const at = this.now();
    const { secret, ...rest } = request;
    const setup = pendingSetupSchema.parse({
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
    });
    const { rows } = await this.db.query<JsonRow>('INSERT INTO setups (id, name_key, status, doc) VALUES ($1, $2, $3, $4) RETURNING to_jsonb(setups.*) AS row', [
      id,
      nameKey(setup.connectionName),
      setup.status,
      JSON.stringify(setup),
    ]);
    return this.keep('setups', rows[0]!.row);
  }

  getSetup(id: string): PendingSetup | undefined {
    return this.cache.tables.setups.get(id);
  }

  listSetups(filter: (setup: PendingSetup) => boolean = () => true): PendingSetup[] {
    return [...this.cache.tables.setups.values()].filter(filter);
  }

  private async lockSetup(client: pg.PoolClient, id: string, seen?: unknown[]): Promise<PendingSetup | undefined> {
    const { rows } = await client.query<JsonRow>('SELECT to_jsonb(s) AS row FROM setups s WHERE id = $1 FOR UPDATE', [id]);
    if (rows[0]) seen?.push(rows[0].row);
    return rows[0] ? decodeRow('setups', rows[0].row).value : undefined;
  }

  private async writeSetup(client: pg.PoolClient, setup: PendingSetup): Promise<unknown> {
    const doc = pendingSetupSchema.parse(setup);
    const { rows } = await client.query<JsonRow>('UPDATE setups SET name_key = $2, status = $3, doc = $4 WHERE id = $1 RETURNING to_jsonb(setups.*) AS row', [
      doc.id,
      nameKey(doc.connectionName),
      doc.status,
      JSON.stringify(doc),
    ]);
    return rows[0]!.row;
  }

  /**
   * Changes one setup in one step: its row locked, `change` worked out from it as it is then
   * (undefined: leave it), written, committed. Undefined when the setup is gone or left as it was.
   */
  private async changeSetup(id: string, change: (setup: PendingSetup) => PendingSetup | undefined): Promise<PendingSetup | undefined> {
    const seen: unknown[] = [];
    const row = await this.db.transaction(async (client) => {
      const setup = await this.lockSetup(client, id, seen);
      const next = setup && change(setup);
      return next && (await this.writeSetup(client, next));
    });
    return row === undefined ? this.refused('setups', seen) : this.keep('setups', row);
  }

  /**
   * A conditional change the database refused: the row it was judged on, read under its lock, is
   * at least as new as the cache's, so the cache takes it now. A caller reading after the refusal
   * (to say "already approved by …") then sees what refused it, not a copy whose notice is still
   * on its way from the replica that won.
   */
  private refused<T extends CachedTable>(table: T, seen: readonly unknown[]): undefined {
    for (const row of seen) this.cache.apply(table, row);
    return undefined;
  }

  /** A setup with `patch` applied, as the file store applies it: the secret goes with wipeSecret or an ending. */
  private patched(setup: PendingSetup, patch: SetupPatch, wipeSecret: boolean | undefined): PendingSetup {
    const next: PendingSetup = { ...setup, ...patch, updatedAt: this.now().toISOString() };
    if (wipeSecret || TERMINAL_STATUSES.includes(next.status)) delete next.sealedSecret;
    return next;
  }

  async updateSetup(id: string, patch: SetupPatch, options: { wipeSecret?: boolean } = {}): Promise<PendingSetup> {
    const updated = await this.changeSetup(id, (setup) => this.patched(setup, patch, options.wipeSecret));
    if (!updated) throw new Error(`no setup ${id}`);
    return updated;
  }

  async transitionSetup(id: string, from: readonly PendingSetup['status'][], patch: SetupPatch, options: { wipeSecret?: boolean } = {}): Promise<PendingSetup | undefined> {
    return this.changeSetup(id, (setup) => (from.includes(setup.status) ? this.patched(setup, patch, options.wipeSecret) : undefined));
  }

  nameHolder(setup: PendingSetup): PendingSetup | undefined {
    return nameRefuser(setup, nameHolders(setup, this.cache.tables.setups.values()));
  }

  /**
   * planSetup across replicas: a transaction-level lock on the connection name (taken before any
   * row lock, so two plans of one name queue rather than deadlock), then the setup and every
   * setup holding its name locked, the file store's rule applied, and the result written at once.
   */
  async planSetup(id: string, patch: Partial<Omit<PendingSetup, 'id' | 'sealedSecret' | 'status'>>): Promise<PlanOutcome | undefined> {
    const outcome = await this.db.transaction(async (client): Promise<{ heldBy?: PendingSetup; planned?: unknown; superseded?: unknown[] } | undefined> => {
      // The name is read before it is locked; a rename in between is seen below, and its new name locked instead.
      for (;;) {
        const current = await client.query<{ name_key: string }>('SELECT name_key FROM setups WHERE id = $1', [id]);
        const key = current.rows[0]?.name_key;
        if (key === undefined) return undefined;
        await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [NAME_LOCK_SPACE, key]);
        const setup = await this.lockSetup(client, id);
        if (!setup || setup.status !== 'checking_site') return undefined;
        if (nameKey(setup.connectionName) !== key) continue;
        const { rows } = await client.query<JsonRow>(
          `SELECT to_jsonb(s) AS row FROM setups s WHERE name_key = $1 AND id <> $2 AND status = ANY($3::text[]) ORDER BY doc ->> 'createdAt', id FOR UPDATE`,
          [key, id, NAME_HOLDING],
        );
        const holders = nameHolders(
          setup,
          rows.map((r) => decodeRow('setups', r.row).value),
        );
        const other = nameRefuser(setup, holders);
        if (other) return { heldBy: other };
        const at = this.now().toISOString();
        const superseded: unknown[] = [];
        for (const own of holders) {
          const cancelled: PendingSetup = { ...own, status: 'cancelled', failure: SUPERSEDED, updatedAt: at };
          delete cancelled.sealedSecret;
          superseded.push(await this.writeSetup(client, cancelled));
        }
        const planned = await this.writeSetup(client, { ...setup, ...patch, status: 'planned', updatedAt: at });
        return { planned, superseded };
      }
    });
    if (!outcome) return undefined;
    if (outcome.heldBy) return { heldBy: outcome.heldBy };
    return { planned: this.keep('setups', outcome.planned), superseded: (outcome.superseded ?? []).map((row) => this.keep('setups', row)) };
  }

  async resealSecret(id: string, secret: string): Promise<void> {
    await this.changeSetup(id, (setup) => ({ ...setup, sealedSecret: this.box.seal(secret, setupSecretBinding(id)) }));
  }

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
   * Looks over the setups that can expire (without locks), then locks those that expire with
   * SKIP LOCKED and decides again on the locked row: two replicas expiring at once each end a
   * setup the other did not, and a setup one of them ended no longer expires for the other.
   */
  async expireSetups(idleMs?: number): Promise<PendingSetup[]> {
    const now = this.now().getTime();
    const rows = await this.db.transaction(async (client) => {
      const open = await client.query<JsonRow>('SELECT to_jsonb(s) AS row FROM setups s WHERE status <> ALL($1::text[])', [NEVER_EXPIRING]);
      const due = open.rows.map((r) => decodeRow('setups', r.row).value).filter((setup) => setupExpiry(setup, now, idleMs));
      if (due.length === 0) return [];
      const locked = await client.query<JsonRow>(`SELECT to_jsonb(s) AS row FROM setups s WHERE id = ANY($1::text[]) ORDER BY doc ->> 'createdAt', id FOR UPDATE SKIP LOCKED`, [
        due.map((s) => s.id),
      ]);
      const written: unknown[] = [];
      for (const { row } of locked.rows) {
        const setup = decodeRow('setups', row).value;
        const failure = setupExpiry(setup, now, idleMs);
        if (!failure) continue;
        const expired: PendingSetup = { ...setup, failure, status: 'expired', updatedAt: new Date(now).toISOString() };
        delete expired.sealedSecret;
        written.push(await this.writeSetup(client, expired));
      }
      return written;
    });
    return rows.map((row) => this.keep('setups', row));
  }

  // ---- rotations ----

  async startRotation(rotation: Omit<Rotation, 'id' | 'startedAt' | 'updatedAt'>): Promise<Rotation> {
    const at = this.now().toISOString();
    const started = rotationSchema.parse({ ...rotation, id: randomUUID(), startedAt: at, updatedAt: at });
    const { rows } = await this.db.query<JsonRow>('INSERT INTO rotations (id, doc) VALUES ($1, $2) RETURNING to_jsonb(rotations.*) AS row', [started.id, JSON.stringify(started)]);
    return this.keep('rotations', rows[0]!.row);
  }

  async updateRotation(id: string, patch: Partial<Omit<Rotation, 'id' | 'kind' | 'connection' | 'userId' | 'startedAt'>>): Promise<void> {
    const row = await this.db.transaction(async (client) => {
      const { rows } = await client.query<JsonRow>('SELECT to_jsonb(r) AS row FROM rotations r WHERE id = $1 FOR UPDATE', [id]);
      if (!rows[0]) return undefined;
      const next = rotationSchema.parse({ ...decodeRow('rotations', rows[0].row).value, ...patch, updatedAt: this.now().toISOString() });
      const updated = await client.query<JsonRow>('UPDATE rotations SET doc = $2 WHERE id = $1 RETURNING to_jsonb(rotations.*) AS row', [id, JSON.stringify(next)]);
      return updated.rows[0]!.row;
    });
    if (row !== undefined) this.keep('rotations', row);
  }

  async endRotation(id: string): Promise<void> {
    const { rows } = await this.db.query<{ version: string }>('DELETE FROM rotations WHERE id = $1 RETURNING version', [id]);
    if (rows[0]) this.cache.drop('rotations', id, Number(rows[0].version));
  }

  listRotations(): Rotation[] {
    return [...this.cache.tables.rotations.values()];
  }

  // ---- connections ----

  private async lockConnection(client: pg.PoolClient, name: string, seen?: unknown[]): Promise<Connection | undefined> {
    const { rows } = await client.query<JsonRow>('SELECT to_jsonb(c) AS row FROM connections c WHERE name = $1 FOR UPDATE', [name]);
    if (rows[0]) seen?.push(rows[0].row);
    return rows[0] ? decodeRow('connections', rows[0].row).value : undefined;
  }

  /**
   * Inserts (when there is none) or replaces (when the one there is in `over`) in one step. Two
   * replicas saving a new name at once: the insert that loses finds the winner's row and decides
   * again over it, as if it had come second.
   */
  async saveConnection(connection: Connection, over: readonly ConnectionState[] = CONNECTION_STATES): Promise<Connection | undefined> {
    const row = await this.db.transaction(async (client) => {
      for (;;) {
        const replaced = await this.lockConnection(client, connection.name);
        if (replaced && !over.includes(replaced.state)) return undefined;
        const saved = connectionSchema.parse(replacingConnection(connection, replaced));
        const written = replaced
          ? await client.query<JsonRow>('UPDATE connections SET state = $2, doc = $3 WHERE name = $1 RETURNING to_jsonb(connections.*) AS row', [saved.name, saved.state, JSON.stringify(saved)])
          : await client.query<JsonRow>('INSERT INTO connections (name, state, doc) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING RETURNING to_jsonb(connections.*) AS row', [
              saved.name,
              saved.state,
              JSON.stringify(saved),
            ]);
        if (!written.rows[0]) continue;
        // Every connection has a schedule row: claimDueChecks claims from it.
        await client.query(`INSERT INTO check_schedule (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`, [saved.name]);
        return written.rows[0].row;
      }
    });
    return row === undefined ? undefined : this.keep('connections', row);
  }

  async transitionConnection(name: string, from: readonly ConnectionState[], patch: ConnectionPatch | ((current: Connection) => ConnectionPatch), change: ConnectionChange = {}): Promise<Connection | undefined> {
    const seen: unknown[] = [];
    const row = await this.db.transaction(async (client) => {
      const next = changedConnection(await this.lockConnection(client, name, seen), from, patch, change);
      if (!next) return undefined;
      const doc = connectionSchema.parse(next);
      const { rows } = await client.query<JsonRow>('UPDATE connections SET state = $2, doc = $3 WHERE name = $1 RETURNING to_jsonb(connections.*) AS row', [name, doc.state, JSON.stringify(doc)]);
      return rows[0]!.row;
    });
    return row === undefined ? this.refused('connections', seen) : this.keep('connections', row);
  }

  getConnection(name: string): Connection | undefined {
    return this.cache.tables.connections.get(name);
  }

  listConnections(): Connection[] {
    return [...this.cache.tables.connections.values()];
  }

  // ---- access requests ----

  /** The id comes from the table's identity column, so two replicas never hand out one id twice. */
  async createRequest(request: Omit<AccessRequest, 'id'>): Promise<AccessRequest> {
    // Validated with a stand-in id; the database puts the real one in the document as it inserts.
    const { id: _standIn, ...doc } = accessRequestSchema.parse({ ...request, id: 0 });
    const { rows } = await this.db.query<JsonRow>(
      `WITH next AS (SELECT nextval(pg_get_serial_sequence('requests', 'id')) AS id)
       INSERT INTO requests (id, state, doc) SELECT id, $1, $2::jsonb || jsonb_build_object('id', id) FROM next
       RETURNING to_jsonb(requests.*) AS row`,
      [doc.state, JSON.stringify(doc)],
    );
    return this.keep('requests', rows[0]!.row);
  }

  getRequest(id: number): AccessRequest | undefined {
    const request = this.cache.tables.requests.get(String(id));
    return request ? structuredClone(request) : undefined;
  }

  listRequests(filter: (request: AccessRequest) => boolean = () => true): AccessRequest[] {
    return [...this.cache.tables.requests.values()].filter(filter);
  }

  async transitionRequest(id: number, from: readonly AccessRequest['state'][], patch: Partial<Omit<AccessRequest, 'id'>>, guard: (request: AccessRequest) => boolean = () => true): Promise<AccessRequest | undefined> {
    const seen: unknown[] = [];
    const row = await this.db.transaction(async (client) => {
      const { rows } = await client.query<JsonRow>('SELECT to_jsonb(r) AS row FROM requests r WHERE id = $1 FOR UPDATE', [id]);
      if (rows[0]) seen.push(rows[0].row);
      const request = rows[0] && decodeRow('requests', rows[0].row).value;
      if (!request || !from.includes(request.state) || !guard(request)) return undefined;
      const next = accessRequestSchema.parse({ ...request, ...patch, id });
      const updated = await client.query<JsonRow>('UPDATE requests SET state = $2, doc = $3 WHERE id = $1 RETURNING to_jsonb(requests.*) AS row', [id, next.state, JSON.stringify(next)]);
      return updated.rows[0]!.row;
    });
    return row === undefined ? this.refused('requests', seen) : this.keep('requests', row);
  }

  // ---- health and due checks ----

  getHealth(name: string): HealthRecord | undefined {
    return this.cache.tables.health.get(name);
  }

  /** Writes the record, schedules the next check at its nextCheckAt, and ends any claim on it. */
  private async writeHealth(client: pg.PoolClient, name: string, record: HealthRecord): Promise<unknown> {
    const doc = healthRecordSchema.parse(record);
    const { rows } = await client.query<JsonRow>('INSERT INTO health (name, doc) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET doc = EXCLUDED.doc RETURNING to_jsonb(health.*) AS row', [
      name,
      JSON.stringify(doc),
    ]);
    await client.query(
      `INSERT INTO check_schedule (name, due_at, claimed_until, claimed_by) VALUES ($1, $2, '-infinity', NULL)
       ON CONFLICT (name) DO UPDATE SET due_at = EXCLUDED.due_at, claimed_until = '-infinity', claimed_by = NULL`,
      [name, dueAt(doc.nextCheckAt)],
    );
    return rows[0]!.row;
  }

  async saveHealth(name: string, record: HealthRecord): Promise<void> {
    const row = await this.db.transaction((client) => this.writeHealth(client, name, record));
    this.keep('health', row);
  }

  /**
   * The connection's row lock serialises the results of one connection's checks across
   * replicas, so the credential test and the compare-and-set on `basedOn` hold until the write.
   */
  async saveCheckResult(name: string, credentialVersion: number | undefined, record: HealthRecord, basedOn?: { checkedAt: string | undefined }): Promise<boolean> {
    const row = await this.db.transaction(async (client) => {
      const counts = async () => {
        if (!checkStillCounts(await this.lockConnection(client, name), credentialVersion)) return false;
        if (!basedOn) return true;
        const stored = await client.query<{ checked_at: string | null }>(`SELECT doc ->> 'checkedAt' AS checked_at FROM health WHERE name = $1`, [name]);
        return (stored.rows[0]?.checked_at ?? undefined) === basedOn.checkedAt;
      };
      if (await counts()) return this.writeHealth(client, name, record);
      // Refused, the check is still over: this replica's claim ends, so the check still due runs at
      // the next sweep instead of waiting out the claim's lease (a minute at least).
      await client.query(`UPDATE check_schedule SET claimed_until = '-infinity', claimed_by = NULL WHERE name = $1 AND claimed_by = $2`, [name, this.replicaId]);
      return undefined;
    });
    if (row === undefined) return false;
    this.keep('health', row);
    return true;
  }

  /**
   * One statement: the due, unclaimed checks of connected connections, locked with SKIP LOCKED
   * (a row another replica is claiming right now is left to it) and claimed until the lease
   * runs out. Each name goes to one replica.
   *
   * The claim brings back the connection and health rows its checks are judged on, and the cache
   * takes them: a connection set up on another replica a moment ago, or a result another replica
   * saved, may not have reached this replica's cache by notice yet, and a check must neither skip
   * the connection nor start from a record the store has moved past (its result would be refused).
   */
  async claimDueChecks({ limit, leaseMs }: { limit: number; leaseMs: number }): Promise<string[]> {
    if (limit <= 0) return [];
    const now = this.now();
    const { rows } = await this.db.query<{ name: string; connection: unknown; health: unknown }>(
      `WITH claimed AS (
         UPDATE check_schedule SET claimed_until = $2, claimed_by = $3
         WHERE name IN (
           SELECT k.name FROM check_schedule k JOIN connections c USING (name)
           WHERE c.state = 'connected' AND k.due_at <= $1 AND k.claimed_until <= $1
           ORDER BY k.due_at, k.name LIMIT $4
           FOR UPDATE OF k SKIP LOCKED)
         RETURNING name)
       SELECT claimed.name, to_jsonb(c) AS connection, to_jsonb(h) AS health
       FROM claimed JOIN connections c USING (name) LEFT JOIN health h USING (name)`,
      [now, new Date(now.getTime() + leaseMs), this.replicaId, limit],
    );
    for (const row of rows) {
      this.cache.applyIfNewer('connections', row.connection);
      if (row.health !== null) this.cache.applyIfNewer('health', row.health);
    }
    return rows.map((r) => r.name);
  }

  // ---- reminders ----

  remindersHandled(): ReadonlySet<string> {
    const handled = new Set<string>();
    for (const [key, done] of this.cache.tables.reminders.keyed()) if (done) handled.add(key);
    return handled;
  }

  async markReminders(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    const { rows } = await this.db.query<JsonRow>(
      `INSERT INTO reminders (key, handled) SELECT DISTINCT unnest($1::text[]), true
       ON CONFLICT (key) DO UPDATE SET handled = true, claimed_until = '-infinity', claimed_by = NULL
       RETURNING to_jsonb(reminders.*) AS row`,
      [keys],
    );
    for (const { row } of rows) this.keep('reminders', row);
  }

  /** The row's unique key and one conditional upsert: of two replicas claiming one reminder, one gets it. */
  async claimReminder(key: string, leaseMs: number): Promise<boolean> {
    const now = this.now();
    const { rows } = await this.db.query<JsonRow>(
      `INSERT INTO reminders (key, handled, claimed_until, claimed_by) VALUES ($1, false, $2, $3)
       ON CONFLICT (key) DO UPDATE SET claimed_until = EXCLUDED.claimed_until, claimed_by = EXCLUDED.claimed_by
       WHERE NOT reminders.handled AND reminders.claimed_until <= $4
       RETURNING to_jsonb(reminders.*) AS row`,
      [key, new Date(now.getTime() + leaseMs), this.replicaId, now],
    );
    if (!rows[0]) return false;
    this.keep('reminders', rows[0].row);
    return true;
  }

  async releaseReminder(key: string): Promise<void> {
    await this.db.query(`UPDATE reminders SET claimed_until = '-infinity', claimed_by = NULL WHERE key = $1 AND claimed_by = $2 AND NOT handled`, [key, this.replicaId]);
  }

  // ---- leases ----

  async acquireLease(key: string, ttlMs: number): Promise<boolean> {
    const now = this.now();
    this.purgeLeases(now);
    const { rowCount } = await this.db.query(
      `INSERT INTO leases (key, holder, until) VALUES ($1, $2, $3)
       ON CONFLICT (key) DO UPDATE SET holder = EXCLUDED.holder, until = EXCLUDED.until
       WHERE leases.until <= $4 OR leases.holder = EXCLUDED.holder
       RETURNING key`,
      [key, this.replicaId, new Date(now.getTime() + ttlMs), now],
    );
    return rowCount === 1;
  }

  /**
   * Most leases end by release; those of a replica that died, and Slack deliveries' (kept until
   * they run out), would pile up: a replica clears those long run out now and then.
   */
  private purgeLeases(now: Date): void {
    if (now.getTime() - this.leasesPurgedAt < LEASE_PURGE_EVERY_MS) return;
    this.leasesPurgedAt = now.getTime();
    this.db.query('DELETE FROM leases WHERE until < $1', [new Date(now.getTime() - LEASE_PURGE_EVERY_MS)]).catch((error: unknown) => this.logger?.warn({ err: error }, 'could not clear run-out leases'));
  }

  async releaseLease(key: string): Promise<void> {
    await this.db.query('DELETE FROM leases WHERE key = $1 AND holder = $2', [key, this.replicaId]);
  }

  // ---- App Home viewers ----

  homeViewers(since?: Date): string[] {
    const from = since?.getTime() ?? Number.NEGATIVE_INFINITY;
    return [...this.cache.tables.home_opens.keyed()]
      .filter(([, at]) => Date.parse(at) >= from)
      .sort(([, a], [, b]) => Date.parse(b) - Date.parse(a))
      .map(([user]) => user);
  }

  /** Not rewritten more than once a day per user, as in the file store: the redraw window is counted in days. */
  async rememberHomeViewer(userId: string): Promise<void> {
    const now = this.now();
    const last = Date.parse(this.cache.tables.home_opens.get(userId) ?? '');
    if (now.getTime() - last < HOME_OPEN_PRECISION_MS) return;
    const { rows } = await this.db.query<JsonRow>(
      'INSERT INTO home_opens (user_id, opened_at) VALUES ($1, $2) ON CONFLICT (user_id) DO UPDATE SET opened_at = EXCLUDED.opened_at RETURNING to_jsonb(home_opens.*) AS row',
      [userId, now],
    );
    this.keep('home_opens', rows[0]!.row);
  }

  async forgetHomeViewers(before: Date): Promise<number> {
    const { rows } = await this.db.query<{ user_id: string; version: string }>('DELETE FROM home_opens WHERE opened_at < $1 RETURNING user_id, version', [before]);
    for (const row of rows) this.cache.drop('home_opens', row.user_id, Number(row.version));
    return rows.length;
  }

  // ---- undelivered notices and report refusals ----

  undeliveredNotice(key: string): UndeliveredNotice | undefined {
    return this.cache.tables.undelivered_notices.get(key);
  }

  undeliveredNoticeKeys(prefix: string): string[] {
    return [...this.cache.tables.undelivered_notices.keyed()].map(([key]) => key).filter((key) => key.startsWith(prefix));
  }

  async setUndeliveredNotice(key: string, notice: UndeliveredNotice | undefined): Promise<void> {
    await this.setKeyed('undelivered_notices', 'key', key, notice);
  }

  reportRefusal(connection: string): ReportRefusal | undefined {
    return this.cache.tables.report_refusals.get(connection);
  }

  async setReportRefusal(connection: string, refusal: ReportRefusal | undefined): Promise<void> {
    await this.setKeyed('report_refusals', 'connection', connection, refusal);
  }

  /**
   * Puts or (undefined) deletes a keyed document. The delete runs even when this replica's cache
   * has no such row: another replica may have written it a moment ago.
   */
  private async setKeyed(table: 'undelivered_notices' | 'report_refusals', keyColumn: string, key: string, value: object | undefined): Promise<void> {
    if (value === undefined) {
      const { rows } = await this.db.query<{ version: string }>(`DELETE FROM ${table} WHERE ${keyColumn} = $1 RETURNING version`, [key]);
      if (rows[0]) this.cache.drop(table, key, Number(rows[0].version));
      return;
    }
    // Validated by decoding the row as the cache would, before it is written.
    decodeRow(table, { [keyColumn]: key, version: 0, doc: value });
    const { rows } = await this.db.query<JsonRow>(
      `INSERT INTO ${table} (${keyColumn}, doc) VALUES ($1, $2) ON CONFLICT (${keyColumn}) DO UPDATE SET doc = EXCLUDED.doc RETURNING to_jsonb(${table}.*) AS row`,
      [key, JSON.stringify(value)],
    );
    this.keep(table, rows[0]!.row);
  }

  // ---- audit ----

  async audit(event: Omit<AuditEvent, 'at'>): Promise<void> {
    await this.auditLog.append({ at: this.now().toISOString(), ...event });
  }

  async auditTrail(): Promise<AuditEvent[]> {
    try {
      return await auditEvents(this.db.pool);
    } catch (error) {
      throw storeErrorFor(error, this.db.location);
    }
  }

  /** Whether another replica's changes are reaching this one now (false while the listener reconnects). */
  get hearingChanges(): boolean {
    return this.listener?.listening ?? false;
  }

  async close(): Promise<void> {
    await this.listener?.close();
    await this.auditLog.close();
    await this.db.pool.end();
  }
}
