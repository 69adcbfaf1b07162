import { SpokeError } from '../errors.js';

/** The `{"error":{"message","detail"},"status":"failure"}` body ServiceNow sends with a failure. */
export interface ServiceNowErrorBody {
  message: string;
  detail?: string | null;
}

/** ServiceNow's own words about a failure, quoted for the admin. */
function quoted(body: ServiceNowErrorBody | undefined): string {
  return body ? `ServiceNow said: "${[body.message, body.detail].filter(Boolean).join(': ')}". ` : '';
}

export abstract class ServiceNowError extends SpokeError {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly serviceNow: ServiceNowErrorBody | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class ServiceNowUnauthorizedError extends ServiceNowError {
  readonly code = 'servicenow_unauthorized';
  readonly hint = 'ServiceNow refused the integration user: check SERVICENOW_USERNAME and SERVICENOW_PASSWORD (or SERVICENOW_TOKEN), then press Retry.';
}

export class ServiceNowForbiddenError extends ServiceNowError {
  readonly code = 'servicenow_forbidden';
  get hint(): string {
    return `The integration user may not write this record. ${quoted(this.serviceNow)}Give it the admin role (or oauth_admin and connection_admin), then press Retry.`;
  }
}

export class ServiceNowRateLimitedError extends ServiceNowError {
  readonly code = 'servicenow_rate_limited';
  readonly hint = 'ServiceNow kept answering 429 (rate limit) after waiting as asked. Wait a few minutes, or raise the Table API rule in sys_rate_limit_rules, then press Retry.';
}

export class ServiceNowUnavailableError extends ServiceNowError {
  readonly code = 'servicenow_unavailable';
  readonly hint = 'ServiceNow answered with server errors after several tries. Check the instance is up (and not hibernating), then press Retry.';
}

export class ServiceNowUnreachableError extends ServiceNowError {
  readonly code = 'servicenow_unreachable';
  readonly hint = 'ServiceNow did not answer in time or dropped the connection. Check SERVICENOW_INSTANCE_URL and the network, then press Retry.';
}

/**
 * ServiceNow did not answer in time. Unlike a dropped connection, the transaction may still be
 * running and commit later, so a lookup now proves nothing: the write is not tried again.
 */
export class ServiceNowTimeoutError extends ServiceNowError {
  readonly code = 'servicenow_timeout';
  readonly hint = 'ServiceNow did not answer in time and may still be finishing the write. Wait a minute, then press Retry: spokebot looks for the record before writing it again.';
}

export class ServiceNowRejectedError extends ServiceNowError {
  readonly code = 'servicenow_rejected';
  get hint(): string {
    return `${quoted(this.serviceNow)}Check the record in ServiceNow, then press Retry.`;
  }
}

export class ServiceNowResponseError extends ServiceNowError {
  readonly code = 'servicenow_unexpected_response';
  readonly hint = 'ServiceNow answered in a shape spokebot does not know; check SERVICENOW_INSTANCE_URL points at the instance itself, not a login or proxy page.';
}

/** ServiceNow never created the default profile it should make when an application registry is saved. */
export class DefaultProfileMissingError extends ServiceNowError {
  readonly code = 'servicenow_default_profile_missing';
  readonly hint = 'Open the Application Registry record in ServiceNow and save it once so ServiceNow creates its default OAuth profile, then press Retry.';
}

export function errorForStatus(status: number, body: ServiceNowErrorBody | undefined, what: string): ServiceNowError {
  const message = `ServiceNow ${what} failed with HTTP ${status}${body ? `: ${body.message}` : ''}`;
  if (status === 401) return new ServiceNowUnauthorizedError(message, status, body);
  if (status === 403) return new ServiceNowForbiddenError(message, status, body);
  if (status === 429) return new ServiceNowRateLimitedError(message, status, body);
  if (status >= 500) return new ServiceNowUnavailableError(message, status, body);
  return new ServiceNowRejectedError(message, status, body);
}

/**
 * The instance's dictionary has no such column (or table). ServiceNow would silently ignore the
 * term or field, so the request is never sent: a dropped query term returns every row.
 */
export class ServiceNowMissingColumnError extends ServiceNowError {
  readonly code = 'servicenow_missing_column';
  constructor(
    readonly table: string,
    readonly column: string,
  ) {
    super(`ServiceNow has no column ${table}.${column} on this instance`, undefined, undefined);
  }
  get hint(): string {
    return `This instance's dictionary (sys_dictionary) has no column "${this.column}" on table "${this.table}", which spokebot needs. Check the plugin or spoke that owns ${this.table} is installed and up to date (npm run doctor lists every missing column); spokebot wrote nothing that needs it.`;
  }
}

export class ServiceNowMissingTableError extends ServiceNowError {
  readonly code = 'servicenow_missing_table';
  constructor(readonly table: string) {
    super(`ServiceNow has no table ${table} on this instance`, undefined, undefined);
  }
  get hint(): string {
    return `This instance has no table "${this.table}" (sys_db_object). Activate the plugin or install the spoke that provides it (npm run doctor checks every table spokebot uses).`;
  }
}

/** The integration user may not read the dictionary, so no column can be proven to exist. */
export class ServiceNowDictionaryUnreadableError extends ServiceNowError {
  readonly code = 'servicenow_dictionary_unreadable';
  readonly hint = 'spokebot reads sys_db_object and sys_dictionary to prove every column it uses exists before it queries or writes. Give the integration user read access to them (the admin role, or personalize_dictionary), then try again.';
}

/**
 * Rows came back that do not satisfy the query's own terms: the instance ignored a term (a
 * column it lacks, or a reference that does not walk). Acting on them could mean acting on
 * another connection's records, so nothing is.
 */
export class ServiceNowQueryWidenedError extends ServiceNowError {
  readonly code = 'servicenow_query_widened';
  constructor(
    readonly table: string,
    readonly column: string,
  ) {
    super(`ServiceNow ignored the term on ${table}.${column} and returned rows it does not match`, undefined, undefined);
  }
  get hint(): string {
    return `ServiceNow ignored the condition on "${this.column}" of table "${this.table}" (it returns more rows than asked when a column does not exist or is not readable). Run npm run doctor to see which column this instance lacks.`;
  }
}
