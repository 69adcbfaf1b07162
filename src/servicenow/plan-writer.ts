import { planLevels, refsIn, type FieldValue, type PlannedRecord, type RecordPlan, type SecretName } from '../core/record-plan.js';
import { SpokeError } from '../errors.js';
import { SPOKES } from '../core/spoke-catalogue.js';
import { decideAlias } from './shipped-alias.js';
import { DefaultProfileMissingError, ServiceNowError, ServiceNowUnavailableError, ServiceNowUnreachableError } from './errors.js';
import type { ServiceNowRecord, ServiceNowTableClient } from './table-client.js';

export type WriteOutcome = 'created' | 'updated' | 'unchanged' | 'found';

export interface WrittenRecord {
  key: string;
  table: string;
  label: string;
  sysId: string;
  outcome: WriteOutcome;
  /** For a child alias: the name of the shipped alias it hangs under. */
  childOf?: string;
}

export type Secrets = Partial<Record<SecretName, string>>;

export interface PlanWriterOptions {
  /** How often to look for the default profile ServiceNow creates, and how long to wait between looks. */
  profileLookups?: number;
  profileLookupDelayMs?: number;
  /** Extra insert attempts after a 5xx or dropped connection, each preceded by a fresh lookup. */
  insertAttempts?: number;
  onRecord?: (record: WrittenRecord) => void;
  /**
   * Holds a lock shared by every process writing to this instance (replicas on one store);
   * resolves with its release. Without it the lock is this process's alone.
   */
  sharedLock?: (key: string) => Promise<() => Promise<void>>;
}

/** A write failed: what is already in ServiceNow, and the failure that stopped the rest. */
export class PlanWriteError extends SpokeError {
  readonly code = 'plan_write_failed';
  constructor(
    readonly failure: SpokeError,
    readonly failedRecord: PlannedRecord,
    readonly written: WrittenRecord[],
  ) {
    super(`writing ${failedRecord.table} "${failedRecord.label}" failed: ${failure.message}`, { cause: failure });
  }
  get hint(): string {
    return this.failure.hint;
  }
}

/** The secret a record needs was wiped (the setup expired or was cancelled) before it was written. */
export class SecretNotHeldError extends SpokeError {
  readonly code = 'secret_not_held';
  readonly hint = 'spokebot no longer holds the secret for this setup (it expired or was cancelled). Run the setup again.';
  constructor(readonly secret: SecretName) {
    super(`the ${secret} is no longer held`);
  }
}

export class SpokeNotInstalledError extends ServiceNowError {
  readonly code = 'spoke_not_installed';
  get hint(): string {
    return `ServiceNow has no "${this.aliasName}" connection alias. Install the spoke from the ServiceNow Store (or activate its plugin), then press Retry.`;
  }
  constructor(readonly aliasName: string) {
    super(`no sys_alias named ${aliasName}`, 404, undefined);
  }
}

/**
 * Writes a plan level by level, each level's records concurrently. Every record is found by
 * its stable key before it is created, so running a plan again (after a failure, or twice)
 * updates or skips what exists and never duplicates.
 */
export class PlanWriter {
  /**
   * One alias decision per spoke at a time, held from the alias step until the plan's connection
   * is written (the end of the write): whether the shipped alias is free is read from the
   * connections on it, so two setups deciding together would both find it free. Within a process
   * a queue; across replicas, also the shared lock (a lease in the store) when one is given.
   */
  private readonly aliasLocks = new Map<string, Promise<void>>();

  constructor(
    private readonly client: ServiceNowTableClient,
    private readonly options: PlanWriterOptions = {},
  ) {}

  async write(plan: RecordPlan, secrets: Secrets, onRecord = this.options.onRecord): Promise<Map<string, WrittenRecord>> {
    await this.requirePlanColumns(plan);
    const written = new Map<string, WrittenRecord>();
    let unlock: (() => Promise<void>) | undefined;
    try {
      for (const level of planLevels(plan)) {
        const alias = level.find((record) => record.action === 'alias');
        if (alias?.spoke !== undefined && !unlock) unlock = await this.lockAlias(alias.spoke);
        await this.writeLevel(level, written, secrets, onRecord);
      }
    } finally {
      await unlock?.();
    }
    return written;
  }

  /** Waits for the spoke's alias lock (this process's queue, then the shared lock); resolves with the function that releases it. */
  private async lockAlias(spoke: string): Promise<() => Promise<void>> {
    const before = this.aliasLocks.get(spoke) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = before.then(() => mine);
    this.aliasLocks.set(spoke, tail);
    await before;
    const local = () => {
      release();
      if (this.aliasLocks.get(spoke) === tail) this.aliasLocks.delete(spoke);
    };
    try {
      const shared = await this.options.sharedLock?.(`alias:${spoke}`);
      return async () => {
        await shared?.().catch(() => undefined);
        local();
      };
    } catch (error) {
      local();
      throw error;
    }
  }

  private async writeLevel(level: PlannedRecord[], written: Map<string, WrittenRecord>, secrets: Secrets, onRecord: PlanWriterOptions['onRecord']): Promise<void> {
    const results = await Promise.allSettled(level.map((record) => this.writeRecord(record, written, secrets)));
    results.forEach((result) => {
      if (result.status === 'fulfilled') {
        written.set(result.value.key, result.value);
        onRecord?.(result.value);
      }
    });
    const failed = results.findIndex((r) => r.status === 'rejected');
    if (failed >= 0) {
      const reason = (results[failed] as PromiseRejectedResult).reason;
      if (!(reason instanceof SpokeError)) throw reason;
      throw new PlanWriteError(reason, level[failed]!, [...written.values()]);
    }
  }

  /**
   * Every table and column the plan names, proven against the instance's dictionary before the
   * first write: an instance that lacks one stops the setup with nothing written, not half way.
   */
  private async requirePlanColumns(plan: RecordPlan): Promise<void> {
    const checks = plan.records.map(async (record) => {
      const columns = [...Object.keys(record.match), ...Object.keys(record.fields), ...(record.action === 'alias' ? ['id', 'parent'] : [])];
      await this.client.requireColumns(record.table, columns);
      // The alias step also reads connections to see whether the shipped alias is taken.
      if (record.action === 'alias') await this.client.requireColumns('http_connection', ['name', 'connection_alias']);
      return record;
    });
    const results = await Promise.allSettled(checks);
    const failed = results.findIndex((result) => result.status === 'rejected');
    if (failed < 0) return;
    const reason = (results[failed] as PromiseRejectedResult).reason;
    if (!(reason instanceof SpokeError)) throw reason;
    throw new PlanWriteError(reason, plan.records[failed]!, []);
  }

  private async writeRecord(record: PlannedRecord, written: Map<string, WrittenRecord>, secrets: Secrets): Promise<WrittenRecord> {
    const resolve = (values: Record<string, FieldValue>) => resolveFields(values, written, secrets);
    const done = (row: ServiceNowRecord, outcome: WriteOutcome): WrittenRecord => ({ key: record.key, table: record.table, label: record.label, sysId: row.sys_id, outcome });
    switch (record.action) {
      case 'find':
        return done(await this.findCreatedByServiceNow(record, resolve(record.match)), 'found');
      case 'alias':
        return this.resolveAlias(record, resolve(record.match), resolve(record.fields), done);
      case 'upsert': {
        const match = resolve(record.match);
        const fields = resolve(record.fields);
        // A record whose parent was created in this run cannot exist yet: skip the lookup.
        const parentIsNew = refsIn(record.match).some((key) => written.get(key)?.outcome === 'created');
        const existing = parentIsNew ? undefined : await this.client.findOne(record.table, match);
        if (!existing) return done(await this.insert(record, match, fields), 'created');
        const changed = changedFields(existing, fields, secretColumns(record));
        if (Object.keys(changed).length === 0) return done(existing, 'unchanged');
        await this.client.updateRecord(record.table, existing.sys_id, changed, { encryptedFields: secretColumns(record).length > 0 });
        return done(existing, 'updated');
      }
    }
  }

  /**
   * After a 5xx or a dropped connection the insert may have been committed: look before trying
   * again. A timeout is not retried here (ServiceNowTimeoutError): the insert may still commit.
   */
  private async insert(record: PlannedRecord, match: Record<string, string>, fields: Record<string, string>): Promise<ServiceNowRecord> {
    const attempts = 1 + (this.options.insertAttempts ?? 2);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.client.createRecord(record.table, { ...match, ...fields }, { encryptedFields: secretColumns(record).length > 0 });
      } catch (error) {
        const uncertain = error instanceof ServiceNowUnavailableError || error instanceof ServiceNowUnreachableError;
        if (!uncertain || attempt >= attempts) throw error;
        const committed = await this.client.findOne(record.table, match);
        if (committed) {
          if (secretColumns(record).length > 0) await this.client.updateRecord(record.table, committed.sys_id, fields, { encryptedFields: true });
          return committed;
        }
      }
    }
  }

  private async findCreatedByServiceNow(record: PlannedRecord, match: Record<string, string>): Promise<ServiceNowRecord> {
    const lookups = this.options.profileLookups ?? 5;
    for (let i = 1; i <= lookups; i++) {
      const row = await this.client.findOne(record.table, match);
      if (row) return row;
      if (i < lookups) await sleep(this.options.profileLookupDelayMs ?? 300);
    }
    throw new DefaultProfileMissingError(`ServiceNow has not created ${record.label}`, undefined, undefined);
  }

  /**
   * The alias decision made again at write time (ServiceNow may have changed since the plan was
   * shown), by the same function the plan used to say what it found.
   */
  private async resolveAlias(
    record: PlannedRecord,
    match: Record<string, string>,
    child: Record<string, string>,
    done: (row: ServiceNowRecord, outcome: WriteOutcome) => WrittenRecord,
  ): Promise<WrittenRecord> {
    const spoke = record.spoke === undefined ? undefined : SPOKES[record.spoke];
    const connectionName = child.name ?? '';
    const decision = spoke === undefined ? undefined : await decideAlias(this.client, spoke, connectionName);
    if (!decision) throw new SpokeNotInstalledError(match.name ?? record.label);
    const { shipped } = decision;
    const shippedName = String(shipped.name);
    const asChild = (row: ServiceNowRecord, outcome: WriteOutcome): WrittenRecord => ({ ...done(row, outcome), label: connectionName, childOf: shippedName });
    if (decision.existingChild) return asChild(decision.existingChild, 'found');
    if (decision.useShipped) return { ...done(shipped, 'found'), label: shippedName };
    return asChild(await this.insert({ ...record, action: 'upsert' }, { name: connectionName, parent: shipped.sys_id }, child), 'created');
  }
}

function secretColumns(record: PlannedRecord): string[] {
  return Object.entries(record.fields).flatMap(([column, v]) => (typeof v === 'object' && 'secret' in v ? [column] : []));
}

function resolveFields(values: Record<string, FieldValue>, written: Map<string, WrittenRecord>, secrets: Secrets): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [column, value] of Object.entries(values)) {
    if (typeof value === 'string') out[column] = value;
    else if ('ref' in value) {
      const target = written.get(value.ref);
      if (!target) throw new Error(`record ${value.ref} must be written before it is referenced`);
      out[column] = target.sysId;
    } else {
      const secret = secrets[value.secret];
      if (secret === undefined) throw new SecretNotHeldError(value.secret);
      out[column] = secret;
    }
  }
  return out;
}

/** Columns whose stored value differs from what the plan wants; secrets cannot be read back, so they are always sent. */
function changedFields(existing: ServiceNowRecord, wanted: Record<string, string>, secrets: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(wanted).filter(([column, value]) => secrets.includes(column) || String(existing[column] ?? '') !== value));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
