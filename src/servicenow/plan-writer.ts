import { planLevels, refsIn, refsOf, type FieldValue, type PlannedRecord, type RecordPlan, type SecretName } from '../core/record-plan.js';
import { SpokeError } from '../errors.js';
import { SPOKES } from '../core/spoke-catalogue.js';
import { satisfiesTerm } from './encoded-query.js';
import { PlanLookups, type FoundRecords } from './plan-lookups.js';
import { decideAlias, type AliasDecision } from './shipped-alias.js';
import { DefaultProfileMissingError, ServiceNowError, ServiceNowUnavailableError, ServiceNowUnreachableError } from './errors.js';
import type { ServiceNowRecord, ServiceNowTableClient } from './table-client.js';
import { WrittenSecrets } from './written-secrets.js';

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
 * Writes a plan: first one round of lookups for every record (one Batch API call where the
 * instance takes it; see PlanLookups), then only what is missing or differs, each record as
 * soon as the records it refers to are written, independent ones concurrently. Every record is found by its stable key before it is
 * created, so running a plan again (after a failure, or twice) updates or skips what exists and
 * never duplicates; when everything exists and nothing changed, the round is all that is sent.
 */
export class PlanWriter {
  /**
   * One alias decision per spoke at a time, held from the alias step until the plan's connection
   * is written (the end of the write): whether the shipped alias is free is read from the
   * connections on it, so two setups deciding together would both find it free. Within a process
   * a queue; across replicas, also the shared lock (a lease in the store) when one is given.
   */
  private readonly aliasLocks = new Map<string, Promise<void>>();
  /** Secrets this process wrote, so a rerun with the same one need not send it again. */
  private readonly writtenSecrets = new WrittenSecrets();

  constructor(
    private readonly client: ServiceNowTableClient,
    private readonly options: PlanWriterOptions = {},
  ) {}

  async write(plan: RecordPlan, secrets: Secrets, onRecord = this.options.onRecord): Promise<Map<string, WrittenRecord>> {
    const lookups = new PlanLookups(plan);
    await this.requirePlanColumns(plan, lookups);
    const written = new Map<string, WrittenRecord>();
    // The alias decision reads which connections the shipped alias serves, so the lock is held
    // from before the round that reads them until the connection is written.
    const aliasSpoke = plan.records.find((record) => record.action === 'alias')?.spoke;
    const unlock = aliasSpoke === undefined ? undefined : await this.lockAlias(aliasSpoke);
    try {
      const found = await this.lookUp(plan, lookups);
      await this.writeInOrder(plan, found, written, secrets, onRecord);
    } finally {
      await unlock?.();
    }
    return written;
  }

  /** The one round of lookups; a failure is the plan's, with nothing written. */
  private async lookUp(plan: RecordPlan, lookups: PlanLookups): Promise<FoundRecords> {
    try {
      return lookups.found(await this.client.findEach(lookups.lookups));
    } catch (error) {
      if (!(error instanceof SpokeError)) throw error;
      const table = (error as { table?: unknown }).table;
      throw new PlanWriteError(error, plan.records.find((record) => record.table === table) ?? plan.records[0]!, []);
    }
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

  /**
   * Each record is written as soon as the records it refers to are (a child never before its
   * parents), so one slow insert holds up only the records below it, not a whole level. After
   * the first failure nothing more starts; what is in flight finishes, and the failure is
   * reported with everything written.
   */
  private async writeInOrder(plan: RecordPlan, found: FoundRecords, written: Map<string, WrittenRecord>, secrets: Secrets, onRecord: PlanWriterOptions['onRecord']): Promise<void> {
    planLevels(plan); // refuses a cycle or an unknown ref before anything is written
    const byKey = new Map(plan.records.map((record) => [record.key, record]));
    const tasks = new Map<string, Promise<void>>();
    let failure: { record: PlannedRecord; reason: unknown } | undefined;
    const settled = (record: PlannedRecord): Promise<void> => {
      let task = tasks.get(record.key);
      if (task === undefined) {
        const parents = refsOf(record);
        task = Promise.all(parents.map((key) => settled(byKey.get(key)!))).then(async () => {
          if (failure !== undefined || parents.some((key) => !written.has(key))) return;
          let result: WrittenRecord;
          try {
            result = await this.writeRecord(record, found, written, secrets);
          } catch (reason) {
            failure ??= { record, reason };
            return;
          }
          written.set(result.key, result);
          onRecord?.(result);
        });
        tasks.set(record.key, task);
      }
      return task;
    };
    await Promise.all(plan.records.map(settled));
    if (failure === undefined) return;
    if (!(failure.reason instanceof SpokeError)) throw failure.reason;
    throw new PlanWriteError(failure.reason, failure.record, [...written.values()]);
  }

  /**
   * Every table and column the plan names, and every column its lookups walk through, proven
   * against the instance's dictionary before the first write: an instance that lacks one stops
   * the setup with nothing written, not half way. Once the dictionary is read (the plan drawn
   * earlier read it), this sends nothing.
   */
  private async requirePlanColumns(plan: RecordPlan, lookups: PlanLookups): Promise<void> {
    const checks = plan.records.map(async (record) => {
      const columns = [...Object.keys(record.match), ...Object.keys(record.fields), ...(record.action === 'alias' ? ['id', 'parent'] : [])];
      await this.client.requireColumns(record.table, columns);
      for (const lookup of lookups.lookupsOf(record.key)) {
        await this.client.requireColumns(lookup.table, [...Object.keys(lookup.terms), ...(lookup.fields ?? [])]);
      }
      return record;
    });
    const results = await Promise.allSettled(checks);
    const failed = results.findIndex((result) => result.status === 'rejected');
    if (failed < 0) return;
    const reason = (results[failed] as PromiseRejectedResult).reason;
    if (!(reason instanceof SpokeError)) throw reason;
    throw new PlanWriteError(reason, plan.records[failed]!, []);
  }

  private async writeRecord(record: PlannedRecord, found: FoundRecords, written: Map<string, WrittenRecord>, secrets: Secrets): Promise<WrittenRecord> {
    const resolve = (values: Record<string, FieldValue>) => resolveFields(values, written, secrets);
    const done = (row: ServiceNowRecord, outcome: WriteOutcome): WrittenRecord => ({ key: record.key, table: record.table, label: record.label, sysId: row.sys_id, outcome });
    switch (record.action) {
      case 'find': {
        const match = resolve(record.match);
        const existing = rowMatching(found.rowsFor(record.key), match);
        return done(existing ?? (await this.findCreatedByServiceNow(record, match)), 'found');
      }
      case 'alias':
        return this.resolveAlias(record, found, resolve(record.match), resolve(record.fields), done);
      case 'upsert': {
        const match = resolve(record.match);
        const fields = resolve(record.fields);
        // A record whose parent was created in this run cannot exist yet: nothing to look for.
        const parentIsNew = refsIn(record.match).some((key) => written.get(key)?.outcome === 'created');
        const existing = parentIsNew ? undefined : await this.existing(record, found, match);
        if (!existing) return done(await this.insert(record, match, fields), 'created');
        const changed = this.changedFields(record, existing, fields);
        if (Object.keys(changed).length === 0) return done(existing, 'unchanged');
        const updated = await this.client.updateRecord(record.table, existing.sys_id, changed, { encryptedFields: secretColumns(record).length > 0 });
        this.rememberSecrets(record, existing.sys_id, updated, changed);
        return done(existing, 'updated');
      }
    }
  }

  /**
   * The record as the round found it: the row under the parents this run resolved (the round
   * found children by their parents' names, so a row under a namesake parent is not ours). A
   * lookup the round could not settle is made again now, exactly.
   */
  private async existing(record: PlannedRecord, found: FoundRecords, match: Record<string, string>): Promise<ServiceNowRecord | undefined> {
    const rows = found.rowsFor(record.key);
    return rows === undefined ? this.client.findOne(record.table, match) : rowMatching(rows, match);
  }

  /** Columns whose stored value differs from what the plan wants; a secret counts as changed unless this process wrote that very secret there and nobody wrote it since. */
  private changedFields(record: PlannedRecord, existing: ServiceNowRecord, wanted: Record<string, string>): Record<string, string> {
    const secrets = secretColumns(record);
    const differs = ([column, value]: [string, string]) =>
      secrets.includes(column) ? !this.writtenSecrets.holds(record.table, existing.sys_id, column, value, existing[column]) : String(existing[column] ?? '') !== value;
    return Object.fromEntries(Object.entries(wanted).filter(differs));
  }

  /** After a write that carried secrets: what their columns read now, for the next run to compare. */
  private rememberSecrets(record: PlannedRecord, sysId: string, answer: ServiceNowRecord, sent: Record<string, string>): void {
    for (const column of secretColumns(record)) {
      if (sent[column] !== undefined) this.writtenSecrets.remember(record.table, sysId, column, sent[column], answer[column]);
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
        const created = await this.client.createRecord(record.table, { ...match, ...fields }, { encryptedFields: secretColumns(record).length > 0 });
        this.rememberSecrets(record, created.sys_id, created, fields);
        return created;
      } catch (error) {
        const uncertain = error instanceof ServiceNowUnavailableError || error instanceof ServiceNowUnreachableError;
        if (!uncertain || attempt >= attempts) throw error;
        const committed = await this.client.findOne(record.table, match);
        if (committed) {
          if (secretColumns(record).length > 0) this.rememberSecrets(record, committed.sys_id, await this.client.updateRecord(record.table, committed.sys_id, fields, { encryptedFields: true }), fields);
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
   * shown), under the spoke's lock, from what the round found, by the same function the plan
   * used to say what it found; asked again exactly when the round could not settle it.
   */
  private async resolveAlias(
    record: PlannedRecord,
    found: FoundRecords,
    match: Record<string, string>,
    child: Record<string, string>,
    done: (row: ServiceNowRecord, outcome: WriteOutcome) => WrittenRecord,
  ): Promise<WrittenRecord> {
    const spoke = record.spoke === undefined ? undefined : SPOKES[record.spoke];
    const connectionName = child.name ?? '';
    const decision: AliasDecision | undefined = spoke === undefined ? undefined : (found.alias() ?? { decision: await decideAlias(this.client, spoke, connectionName) }).decision;
    if (!decision) throw new SpokeNotInstalledError(match.name ?? record.label);
    const { shipped } = decision;
    const shippedName = String(shipped.name);
    const asChild = (row: ServiceNowRecord, outcome: WriteOutcome): WrittenRecord => ({ ...done(row, outcome), label: connectionName, childOf: shippedName });
    if (decision.existingChild) return asChild(decision.existingChild, 'found');
    if (decision.useShipped) return { ...done(shipped, 'found'), label: shippedName };
    return asChild(await this.insert({ ...record, action: 'upsert' }, { name: connectionName, parent: shipped.sys_id }, child), 'created');
  }
}

/** The row whose columns hold every value of `match` (a reference's sys_id included), as ServiceNow compares them. */
function rowMatching(rows: readonly ServiceNowRecord[] | undefined, match: Record<string, string>): ServiceNowRecord | undefined {
  return rows?.find((row) => Object.entries(match).every(([column, value]) => satisfiesTerm(row[column], value)));
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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
