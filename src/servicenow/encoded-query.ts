import { UnsafeQueryValueError } from '../errors.js';

/**
 * Builds ServiceNow encoded queries (`sysparm_query`). ServiceNow silently ignores what it does
 * not understand and splits terms on `^`, so a value holding `^` or a line break could turn
 * `name=x` into `name=x^ORactive=true`. There is no escape for `^` in encoded queries, so such
 * values are refused rather than escaped.
 * https://docs.servicenow.com "Encoded query strings"
 */
const FIELD = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*$/;
const UNSAFE_VALUE = /[\^\r\n\u0000-\u001f]/;

/**
 * Each term is an equality; a list is `fieldINa,b,c` (so its values may not hold commas), and
 * `{ endsWith }` is `fieldENDSWITHvalue`.
 */
export type TermValue = string | readonly string[] | { readonly endsWith: string };
export type QueryTerms = Readonly<Record<string, TermValue>>;

function checkedField(field: string): string {
  if (!FIELD.test(field)) throw new UnsafeQueryValueError(field);
  return field;
}

function checkedValue(field: string, value: string): string {
  // ServiceNow evaluates `javascript:` values server-side; a typed name must never do that.
  if (UNSAFE_VALUE.test(value) || /^\s*javascript:/i.test(value)) throw new UnsafeQueryValueError(field);
  return value;
}

/** Whether a returned value satisfies the term (string columns compare case-insensitively on an instance). */
export function satisfiesTerm(actual: unknown, expected: TermValue): boolean {
  return termMatcher(expected)(actual);
}

/**
 * satisfiesTerm for one term, made once for checking many rows: an `IN` list is lowercased into
 * a set once, not once per row (a sweep checks 50 rows against 50 ids, query after query).
 */
export function termMatcher(expected: TermValue): (actual: unknown) => boolean {
  if (typeof expected === 'string') {
    const wanted = expected.toLowerCase();
    return (actual) => typeof actual === 'string' && actual.toLowerCase() === wanted;
  }
  if ('endsWith' in expected) {
    const suffix = expected.endsWith.toLowerCase();
    return (actual) => typeof actual === 'string' && actual.toLowerCase().endsWith(suffix);
  }
  const wanted = new Set(expected.map((e) => e.toLowerCase()));
  return (actual) => typeof actual === 'string' && wanted.has(actual.toLowerCase());
}

/** `{ name: 'a', id: ['x', 'y'], path: { endsWith: '.b' } }` → `name=a^idINx,y^pathENDSWITH.b`. */
export function equalsQuery(terms: QueryTerms, orderByDesc?: string): string {
  const parts = Object.entries(terms).map(([field, value]) => {
    if (typeof value === 'string') return `${checkedField(field)}=${checkedValue(field, value)}`;
    if ('endsWith' in value) return `${checkedField(field)}ENDSWITH${checkedValue(field, value.endsWith)}`;
    if (value.length === 0 || value.some((v) => v.includes(','))) throw new UnsafeQueryValueError(field);
    return `${checkedField(field)}IN${value.map((v) => checkedValue(field, v)).join(',')}`;
  });
  if (orderByDesc) parts.push(`ORDERBYDESC${checkedField(orderByDesc)}`);
  return parts.join('^');
}
