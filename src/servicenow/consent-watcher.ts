import { SERVICENOW_FACTS } from '../core/spoke-catalogue.js';
import { ServiceNowError } from './errors.js';
import type { ServiceNowRecord, ServiceNowTableClient } from './table-client.js';

export interface ConsentWatchOptions {
  timeoutMs: number;
  firstDelayMs?: number;
  maxDelayMs?: number;
  signal?: AbortSignal;
  now?: () => Date;
  onError?: (error: ServiceNowError) => void;
  /**
   * Refresh-token rows that existed before a re-consent (`sys_id@sys_updated_on`): they do not
   * count, whatever their time, since glide_date_time has whole seconds only.
   */
  baseline?: ReadonlySet<string>;
}

export function tokenRowKey(row: ServiceNowRecord): string {
  return `${row.sys_id}@${String(row.sys_updated_on)}`;
}

/** The OAuth 2.0 credential and its entity profile: the pair ServiceNow files tokens under. */
export interface TokenOwner {
  credential: string;
  profile: string;
}

/**
 * Refresh-token rows of one credential: `oauth_credential` → `oauth_requestor_profile`
 * (`requestor_id` = the credential, `oauth_entity_profile` = its profile). Both terms are
 * dot-walks the client proves against the dictionary and checks every returned row against.
 */
export function findRefreshTokens(client: ServiceNowTableClient, owner: TokenOwner, options: { fields: string[]; limit: number; orderByDesc?: string }): Promise<ServiceNowRecord[]> {
  const terms = { [SERVICENOW_FACTS.tokenRequestor.credential]: owner.credential, [SERVICENOW_FACTS.tokenRequestor.profile]: owner.profile, type: 'refresh_token' };
  return client.findRecords('oauth_credential', terms, options);
}

/** The refresh-token rows ServiceNow holds for a credential now (a re-consent's baseline). */
export async function currentRefreshTokens(client: ServiceNowTableClient, owner: TokenOwner): Promise<Set<string>> {
  const rows = await findRefreshTokens(client, owner, { fields: ['sys_updated_on'], limit: 20 });
  return new Set(rows.map(tokenRowKey));
}

export type ConsentResult = { status: 'connected'; tokenUpdatedOn: string } | { status: 'timeout' } | { status: 'aborted' };

/** ServiceNow's glide_date_time as the Table API prints it: `2026-11-23 15:07:16`, UTC. */
export function parseGlideDateTime(text: string): Date | undefined {
  const match = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})$/.exec(text);
  return match ? new Date(`${match[1]}T${match[2]}Z`) : undefined;
}

/**
 * Waits until ServiceNow holds a refresh token for the credential, written after `since`:
 * proof that the admin consented and ServiceNow exchanged the code. The bot reads only the
 * row's existence and dates, never the token: ServiceNow owns it.
 */
export async function waitForRefreshToken(
  client: ServiceNowTableClient,
  owner: TokenOwner,
  since: Date,
  options: ConsentWatchOptions,
): Promise<ConsentResult> {
  const now = options.now ?? (() => new Date());
  // The deadline counts from when the consent link was handed over, so a watch resumed after a
  // restart does not start its clock again.
  const deadline = since.getTime() + options.timeoutMs;
  let delay = options.firstDelayMs ?? 2_000;
  // glide_date_time has whole seconds: compare against `since` rounded down.
  const sinceSecond = Math.floor(since.getTime() / 1000) * 1000;
  while (!options.signal?.aborted) {
    let rows: ServiceNowRecord[] = [];
    try {
      rows = await findRefreshTokens(client, owner, { fields: ['sys_updated_on', 'sys_created_on'], limit: 5 });
    } catch (error) {
      // A ServiceNow hiccup during a 15-minute watch is not the admin's problem: keep watching
      // until the deadline, which reports the likely causes if the token never shows up.
      if (!(error instanceof ServiceNowError)) throw error;
      options.onError?.(error);
    }
    const fresh = rows.find((row) => !options.baseline?.has(tokenRowKey(row)) && (parseGlideDateTime(String(row.sys_updated_on))?.getTime() ?? 0) >= sinceSecond);
    if (fresh) return { status: 'connected', tokenUpdatedOn: String(fresh.sys_updated_on) };
    const left = deadline - now().getTime();
    if (left <= 0) return { status: 'timeout' };
    await abortableSleep(Math.min(delay, left), options.signal);
    delay = Math.min(delay * 1.5, options.maxDelayMs ?? 30_000);
  }
  return { status: 'aborted' };
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
