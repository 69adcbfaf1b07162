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

export type QueryTerms = Readonly<Record<string, string>>;

function checkedField(field: string): string {
  if (!FIELD.test(field)) throw new UnsafeQueryValueError(field);
  return field;
}

function checkedValue(field: string, value: string): string {
  // ServiceNow evaluates `javascript:` values server-side; a typed name must never do that.
  if (UNSAFE_VALUE.test(value) || /^\s*javascript:/i.test(value)) throw new UnsafeQueryValueError(field);
  return value;
}

/** `{ name: 'a', active: 'true' }` → `name=a^active=true`; every term is an equality. */
export function equalsQuery(terms: QueryTerms, orderByDesc?: string): string {
  const parts = Object.entries(terms).map(([field, value]) => `${checkedField(field)}=${checkedValue(field, value)}`);
  if (orderByDesc) parts.push(`ORDERBYDESC${checkedField(orderByDesc)}`);
  return parts.join('^');
}
