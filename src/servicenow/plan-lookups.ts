import type { FieldValue, PlannedRecord, RecordPlan } from '../core/record-plan.js';
import { SPOKES, type SpokeId } from '../core/spoke-catalogue.js';
import { satisfiesTerm, type QueryTerms } from './encoded-query.js';
import { aliasDecision, pickShippedAlias, shippedAliasLookups, type AliasDecision } from './shipped-alias.js';
import type { Lookup, ServiceNowRecord } from './table-client.js';

/**
 * Every record of a plan looked up in one round, before anything is written. A record is found
 * by its own match terms, and a record that points at a parent by the parent's terms walked
 * through the reference (`oauth_entity.name=…`), so no lookup waits for another's answer.
 * Records of one table looked up the same way share one query (`oauth_entity_scopeIN…`), and
 * each picks its rows from the answer by its own terms.
 */
export class PlanLookups {
  readonly lookups: Lookup[] = [];
  private readonly records = new Map<string, { lookup: number; terms: Record<string, string> }>();
  private alias: AliasLookups | undefined;

  constructor(plan: RecordPlan) {
    const byKey = new Map(plan.records.map((record) => [record.key, record]));
    const groups = new Map<string, Array<{ record: PlannedRecord; terms: Record<string, string> }>>();
    for (const record of plan.records) {
      if (record.action === 'alias') {
        this.alias = this.aliasLookups(record);
        continue;
      }
      // A record that cannot be named without a written parent (none today) is looked up when it is written.
      const terms = walkedTerms(record.match, byKey, '');
      if (terms === undefined) continue;
      const shape = `${record.table}|${Object.keys(terms).sort().join(',')}|${lookupFields(record).sort().join(',')}`;
      groups.set(shape, [...(groups.get(shape) ?? []), { record, terms }]);
    }
    for (const members of groups.values()) {
      const shared = sharedTerms(members.map((m) => m.terms));
      const parts = shared === undefined ? members.map((m) => [m]) : [members];
      for (const part of parts) {
        const first = part[0]!.record;
        const lookup = this.add({ table: first.table, terms: sharedTerms(part.map((m) => m.terms))!, fields: lookupFields(first), limit: limitFor(part.length) });
        for (const { record, terms } of part) this.records.set(record.key, { lookup, terms });
      }
    }
  }

  /** The lookups that serve a record: its own, or for the alias, every one its decision reads. */
  lookupsOf(key: string): Lookup[] {
    const own = this.records.get(key);
    if (own !== undefined) return [this.lookups[own.lookup]!];
    const alias = this.alias;
    if (alias === undefined || alias.key !== key) return [];
    return [alias.byName, alias.byId, alias.children, alias.ours, alias.onByName, alias.onById].map((index) => this.lookups[index]!);
  }

  /** What the round found, once `answers` (one per lookup, in order) came back. */
  found(answers: readonly ServiceNowRecord[][]): FoundRecords {
    return new FoundRecords(this, answers);
  }

  /** The rows answered for a record, or undefined when its lookup cannot settle it (not in the round, or cut at its limit). */
  rowsFor(answers: readonly ServiceNowRecord[][], key: string): ServiceNowRecord[] | undefined {
    const entry = this.records.get(key);
    const rows = entry === undefined ? undefined : complete(this.lookups[entry.lookup]!, answers[entry.lookup]!);
    return rows?.filter((row) => Object.entries(entry!.terms).every(([field, value]) => satisfiesTerm(row[field], value)));
  }

  /** The alias decision as the round found it; undefined when it cannot settle it (the writer asks again, exactly). */
  aliasFor(answers: readonly ServiceNowRecord[][]): { decision: AliasDecision | undefined } | undefined {
    const alias = this.alias;
    if (alias === undefined) return undefined;
    const rows = (index: number) => complete(this.lookups[index]!, answers[index]!);
    const [byName, byId, children, ours, onByName, onById] = [alias.byName, alias.byId, alias.children, alias.ours, alias.onByName, alias.onById].map(rows);
    if (!byName || !byId || !children || !ours || !onByName || !onById) return undefined;
    const spoke = SPOKES[alias.spoke];
    const shipped = pickShippedAlias(spoke, [...byName, ...byId]);
    if (shipped === undefined) return { decision: undefined };
    // Connections on any alias of the shipped one's name or id suffix: keep those on the shipped one itself.
    const onShipped = [...new Map([...onByName, ...onById].map((row) => [row.sys_id, row])).values()].filter((row) => row.connection_alias === shipped.sys_id);
    const existingChild = children.find((row) => row.parent === shipped.sys_id && equalsIgnoringCase(row.name, alias.connectionName));
    const connection = ours.find((row) => equalsIgnoringCase(row.name, alias.connectionName));
    return { decision: aliasDecision(shipped, alias.connectionName, { existingChild, ours: connection, onShipped: onShipped.slice(0, 5) }) };
  }

  /** The shipped alias, a child alias of our connection's name, our connection, and the connections on any alias that could be the shipped one. */
  private aliasLookups(record: PlannedRecord): AliasLookups | undefined {
    const connectionName = typeof record.fields.name === 'string' ? record.fields.name : undefined;
    if (record.spoke === undefined || connectionName === undefined) return undefined;
    const spoke = SPOKES[record.spoke];
    const [byName, byId] = shippedAliasLookups(spoke);
    const onShipped = ['name', 'connection_alias'];
    return {
      key: record.key,
      spoke: spoke.id,
      connectionName,
      byName: this.add(byName),
      byId: this.add(byId),
      children: this.add({ table: 'sys_alias', terms: { name: connectionName }, fields: ['name', 'id', 'parent'], limit: 20 }),
      ours: this.add({ table: 'http_connection', terms: { name: connectionName }, fields: onShipped, limit: 20 }),
      onByName: this.add({ table: 'http_connection', terms: { 'connection_alias.name': spoke.aliasName }, fields: onShipped, limit: 20 }),
      onById: this.add({ table: 'http_connection', terms: { 'connection_alias.id': { endsWith: `.${spoke.aliasIdSuffix}` } }, fields: onShipped, limit: 20 }),
    };
  }

  /** Adds a lookup, or widens the one already asking the same terms of the same table; returns its index. */
  private add(lookup: Lookup): number {
    const same = this.lookups.findIndex((l) => l.table === lookup.table && JSON.stringify(l.terms) === JSON.stringify(lookup.terms));
    if (same < 0) return this.lookups.push(lookup) - 1;
    const earlier = this.lookups[same]!;
    this.lookups[same] = { ...earlier, fields: [...new Set([...(earlier.fields ?? []), ...(lookup.fields ?? [])])], limit: Math.max(earlier.limit ?? 0, lookup.limit ?? 0) };
    return same;
  }
}

/** What one round of lookups found: rows by record key, and the alias decision. */
export class FoundRecords {
  constructor(
    private readonly plan: PlanLookups,
    private readonly answers: readonly ServiceNowRecord[][],
  ) {}

  rowsFor(key: string): ServiceNowRecord[] | undefined {
    return this.plan.rowsFor(this.answers, key);
  }

  alias(): { decision: AliasDecision | undefined } | undefined {
    return this.plan.aliasFor(this.answers);
  }
}

interface AliasLookups {
  key: string;
  spoke: SpokeId;
  connectionName: string;
  byName: number;
  byId: number;
  children: number;
  ours: number;
  onByName: number;
  onById: number;
}

/**
 * The match terms with every reference replaced by the referenced record's own terms, walked
 * through the column (`oauth_entity_profile.oauth_entity.name`); undefined when a reference
 * leads to a record that is not found by name (the alias, decided apart).
 */
function walkedTerms(match: Record<string, FieldValue>, byKey: ReadonlyMap<string, PlannedRecord>, prefix: string): Record<string, string> | undefined {
  const terms: Record<string, string> = {};
  for (const [column, value] of Object.entries(match)) {
    if (typeof value === 'string') terms[`${prefix}${column}`] = value;
    else if ('ref' in value) {
      const target = byKey.get(value.ref);
      const walked = target === undefined || target.action === 'alias' ? undefined : walkedTerms(target.match, byKey, `${prefix}${column}.`);
      if (walked === undefined) return undefined;
      Object.assign(terms, walked);
    } else return undefined; // a secret never names a record
  }
  return terms;
}

/**
 * Columns to read back: the match's own columns (a reference's sys_id, to tell which parent a
 * row hangs under) and every field (to see what differs). Dot-walked terms are added by the
 * client, so each row can be checked against them.
 */
function lookupFields(record: PlannedRecord): string[] {
  return [...new Set(['sys_id', ...Object.keys(record.match), ...Object.keys(record.fields)])];
}

/** One set of terms for several records: a term all share stays a value, one that differs becomes a list; undefined when a value cannot go in a list. */
function sharedTerms(all: ReadonlyArray<Record<string, string>>): QueryTerms | undefined {
  const terms: Record<string, string | string[]> = {};
  for (const field of Object.keys(all[0] ?? {})) {
    const values = [...new Set(all.map((t) => t[field]!))];
    if (values.length > 1 && values.some((v) => v.includes(','))) return undefined;
    terms[field] = values.length === 1 ? values[0]! : values;
  }
  return terms;
}

/** Room for duplicates an earlier fault may have left, so a full page is a sign of something else. */
function limitFor(records: number): number {
  return Math.max(20, records * 10);
}

/** The rows, unless the answer filled the lookup's limit: then some may be missing, and nothing is concluded from it. */
function complete(lookup: Lookup, rows: ServiceNowRecord[]): ServiceNowRecord[] | undefined {
  return rows.length >= (lookup.limit ?? 100) ? undefined : rows;
}

function equalsIgnoringCase(actual: unknown, expected: string): boolean {
  return satisfiesTerm(actual, expected);
}
