/**
 * A subset of ServiceNow's encoded query language (sysparm_query). Like a real instance with
 * glide.invalid_query.returns_no_rows=false, a term naming an unknown column, or one we cannot
 * parse, is dropped silently: the query then matches MORE rows. Tests rely on this to prove the
 * client never lets a value change the shape of its query.
 */
import type { Row } from './servicenow-schema.js';

type Op = '=' | '!=' | 'ISEMPTY' | 'ISNOTEMPTY' | 'LIKE' | 'NOT LIKE' | 'STARTSWITH' | 'ENDSWITH' | 'IN' | 'NOT IN';

interface Filter {
  field: string;
  op: Op;
  value: string;
}

export interface EncodedQuery {
  filters: Filter[];
  orderBy: Array<{ field: string; desc: boolean }>;
  /** Terms that were dropped, kept for debugging failed tests. */
  ignored: string[];
}

// Column names are lowercase, so the operator starts at the first character outside [a-z0-9_.].
const TERM = /^([a-z0-9_.]+)(ISNOTEMPTY|ISEMPTY|NOT LIKE|LIKE|STARTSWITH|ENDSWITH|NOT IN|IN|!=|=)(.*)$/s;

export function parseEncodedQuery(query: string, isKnown: (path: string) => boolean): EncodedQuery {
  const parsed: EncodedQuery = { filters: [], orderBy: [], ignored: [] };
  // `^OR` / `^NQ` are not supported: after the split they read as unknown columns and drop out.
  for (const term of query.split('^')) {
    if (term === '' || term === 'EQ') continue;
    const order = /^ORDERBY(DESC)?(.+)$/.exec(term);
    if (order !== null) {
      const field = order[2] ?? '';
      if (isKnown(field)) parsed.orderBy.push({ field, desc: order[1] !== undefined });
      else parsed.ignored.push(term);
      continue;
    }
    const m = TERM.exec(term);
    if (m === null || !isKnown(m[1] ?? '')) {
      parsed.ignored.push(term);
      continue;
    }
    parsed.filters.push({ field: m[1] ?? '', op: m[2] as Op, value: m[3] ?? '' });
  }
  return parsed;
}

/** A filter with its value prepared once per query: lowercased, and for IN / NOT IN split into a set. */
interface Prepared {
  field: string;
  op: Op;
  value: string;
  list: ReadonlySet<string> | undefined;
}

function prepare(f: Filter): Prepared {
  const value = f.value.toLowerCase();
  return { field: f.field, op: f.op, value, list: f.op === 'IN' || f.op === 'NOT IN' ? new Set(value.split(',')) : undefined };
}

/** Comparisons are case-insensitive, as string columns are on a stock instance. */
function matches(actual: string, f: Prepared): boolean {
  const a = actual.toLowerCase();
  const v = f.value;
  switch (f.op) {
    case '=':
      return a === v;
    case '!=':
      return a !== v;
    case 'ISEMPTY':
      return a === '';
    case 'ISNOTEMPTY':
      return a !== '';
    case 'LIKE':
      return a.includes(v);
    case 'NOT LIKE':
      return !a.includes(v);
    case 'STARTSWITH':
      return a.startsWith(v);
    case 'ENDSWITH':
      return a.endsWith(v);
    case 'IN':
      return f.list?.has(a) === true;
    case 'NOT IN':
      return f.list?.has(a) !== true;
  }
}

export function runQuery(rows: Row[], query: EncodedQuery, valueOf: (row: Row, path: string) => string): Row[] {
  const filters = query.filters.map(prepare);
  const hits = rows.filter((row) => filters.every((f) => matches(valueOf(row, f.field), f)));
  if (query.orderBy.length === 0) return hits;
  // Array.prototype.sort is stable, so ties keep insertion order.
  return [...hits].sort((x, y) => {
    for (const { field, desc } of query.orderBy) {
      const c = valueOf(x, field).localeCompare(valueOf(y, field));
      if (c !== 0) return desc ? -c : c;
    }
    return 0;
  });
}
