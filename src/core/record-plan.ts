/**
 * A plan is the list of ServiceNow records a setup will write (docs/servicenow-records.md), shown to the
 * admin before anything is written and then executed as is, so what was shown is what lands.
 * Records point at each other with `ref`s; the refs give the dependency order, and records on
 * the same level are independent and written concurrently.
 */
import type { SpokeId } from './spoke-catalogue.js';

/** The one secret a setup carries: an OAuth client secret or an API token. */
export type SecretName = 'secret';
export type FieldValue = string | { ref: string } | { secret: SecretName };

export type RecordAction =
  /** Find by `match`; create with match + fields, or update fields that differ. */
  | 'upsert'
  /** Find by `match` only: ServiceNow creates it itself (the default OAuth profile). */
  | 'find'
  /** Use the spoke's shipped alias, or a child alias named `fields.name` when it already has a connection. */
  | 'alias';

export interface PlannedRecord {
  key: string;
  table: string;
  /** What an admin would call it: the record's name, or what it links. */
  label: string;
  action: RecordAction;
  match: Record<string, FieldValue>;
  fields: Record<string, FieldValue>;
  /** For `alias`: the spoke whose shipped alias (found by name and id suffix) the connection goes under. */
  spoke?: SpokeId;
}

export interface RecordPlan {
  records: PlannedRecord[];
  /** Things the admin should know before confirming (extra scopes, policy notes). */
  warnings: string[];
  /**
   * What ServiceNow said about the alias when the plan was drawn; absent when it was not asked
   * or did not answer. The writer decides again when it writes: ServiceNow may change meanwhile.
   */
  alias?: AliasPreview;
}

export interface AliasPreview {
  /** The shipped alias's name (Confluence Cloud). */
  shipped: string;
  /** A child alias of this name, because the shipped one already serves other connections. */
  child?: { name: string; servedBy: string[]; exists: boolean };
}

export const SECRET_MASK = '••••';

export function refsIn(values: Record<string, FieldValue>): string[] {
  return Object.values(values).flatMap((value) => (typeof value === 'object' && 'ref' in value ? [value.ref] : []));
}

export function refsOf(record: PlannedRecord): string[] {
  return [...refsIn(record.match), ...refsIn(record.fields)];
}

/** Groups records into levels: every record's refs point at earlier levels. */
export function planLevels(plan: RecordPlan): PlannedRecord[][] {
  const levelOf = new Map<string, number>();
  const byKey = new Map(plan.records.map((r) => [r.key, r]));
  const visit = (record: PlannedRecord, trail: string[]): number => {
    const known = levelOf.get(record.key);
    if (known !== undefined) return known;
    if (trail.includes(record.key)) throw new Error(`record plan has a cycle: ${[...trail, record.key].join(' → ')}`);
    const level = Math.max(
      -1,
      ...refsOf(record).map((ref) => {
        const target = byKey.get(ref);
        if (!target) throw new Error(`record ${record.key} refers to unknown record ${ref}`);
        return visit(target, [...trail, record.key]);
      }),
    ) + 1;
    levelOf.set(record.key, level);
    return level;
  };
  plan.records.forEach((record) => visit(record, []));
  const levels: PlannedRecord[][] = [];
  for (const record of plan.records) (levels[levelOf.get(record.key)!] ??= []).push(record);
  return levels;
}

export function planDepth(plan: RecordPlan): number {
  return planLevels(plan).length;
}

/** A field value as the plan shows it: secrets masked, refs named by the record they point to. */
export function describeValue(value: FieldValue, plan: RecordPlan): string {
  if (typeof value === 'string') return value;
  if ('secret' in value) return SECRET_MASK;
  const target = plan.records.find((r) => r.key === value.ref);
  return target ? `→ ${target.label}` : `→ ${value.ref}`;
}
