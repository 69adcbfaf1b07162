import type { ConsentBasis } from '../core/health.js';
import { RECORD_KEYS } from '../core/record-keys.js';
import { SERVICENOW_FACTS } from '../core/spoke-catalogue.js';
import { ServiceNowError } from './errors.js';
import type { ServiceNowRecord, ServiceNowTableClient } from './table-client.js';

/*
 * How spokebot knows that an admin consented, and when, from what ServiceNow keeps in
 * `oauth_credential`. It reads only the rows' existence, dates and scopes, never a token.
 *
 * A refresh writes those rows too: ServiceNow trades the refresh token for new tokens whenever
 * something uses the connection while no access token is current, and Atlassian rotates the
 * refresh token every time. So "a token row changed" is no proof of consent. A change to the
 * refresh-token rows, after the link was handed out and not already in the baseline taken then,
 * counts as a consent only when a refresh cannot have made it:
 *  1. the granted scopes changed (`oauth_credential.scopes`, used only where the instance's
 *     dictionary has the column): a refresh keeps the grant's scopes;
 *  2. no refresh could happen then: ServiceNow held no refresh token before it, or it held an
 *     access token that was still current (a refresh comes only once none is; 5 minutes of slack
 *     for code that refreshes early). Only access tokens seen settled beside their refresh-token
 *     rows count, so the one a refresh is still writing is never taken for the one before it;
 *  3. it is a new row, on an instance seen to keep its refresh-token rows across refreshes (one
 *     updated well after its creation): there a refresh updates a row and never makes one.
 *
 * Not confirmed about ServiceNow's token rows (docs/verify-on-an-instance.md says how to check):
 *  - whether a refresh updates the refresh-token row in place (likely) or replaces it with a new
 *    row. Rule 3 trusts a new row only once the instance has shown that it keeps rows (one
 *    instance stores its refreshes one way). Until then a consent the other rules cannot tell
 *    from a refresh (an idle connection whose access token lapsed, the same scopes) is not taken
 *    for one: the watch times out saying so, and Try again works, since that consent left a
 *    current access token behind (rule 2);
 *  - whether a consent makes a new row or updates the old one in place: either is seen;
 *  - that nothing on the instance refreshes more than 5 minutes before the access token lapses
 *    (rule 2), and that a refresh keeps the granted scopes (rule 1; compared as sets, so another
 *    order or spacing is the same grant);
 *  - that the instance's clock and the bot's differ by less than 2 minutes.
 * Both watches (setup and re-consent), the sweep that looks for a late consent and the health
 * check's 365-day clock (consentClock below) go through this file.
 */

/** A row updated this long after its creation was kept and updated in place. */
const KEPT_AFTER_MS = 120_000;
/** ServiceNow's clock and the bot's may differ a little; rows older than the link by more are old. */
const CLOCK_SLACK_MS = 120_000;
/** Code that refreshes a little early (a scheduled job, a spoke) counts as a refresh still. */
const EARLY_REFRESH_MS = 5 * 60_000;
/** An access token and the refresh-token row written with it differ by less than this. */
const SAME_WRITE_MS = 1_000;

/** The OAuth 2.0 credential and its entity profile: the pair ServiceNow files tokens under. */
export interface TokenOwner {
  credential: string;
  profile: string;
}

/** One `oauth_credential` row as the rule sees it (dates in ms, ServiceNow's clock). */
export interface TokenRow {
  sysId: string;
  type: string;
  created: number;
  updated: number;
  /** The granted scopes as a sorted set, where the instance has the column. */
  scopes?: string;
  /** When the token stops being current, where the instance has the column and it is set. */
  expires?: number;
}

/** What ServiceNow held for a credential when a consent link was handed out. Kept in the store. */
export interface TokenBaseline {
  /** The refresh-token rows, as `sys_id@sys_updated_on`. */
  rows: string[];
  /** Their granted scopes; absent where the instance has no scopes column. */
  scopes?: string[];
  /** The newest settled access token then: when it was written and when it stops being current. */
  access?: { changedAt: string; expires: string };
  /** The instance had shown that it keeps refresh-token rows across refreshes. */
  rowsKept?: boolean;
}

/** A consent and what told it from a refresh. */
export interface ConsentEvidence {
  via: 'scopes' | 'first_token' | 'access_current' | 'rows_kept';
  /** A new refresh-token row, or one changed in place. */
  change: 'new_row' | 'changed_row';
  /** When ServiceNow wrote it (the row's own date, ISO): where the 365 days start. */
  at: string;
  /** The refresh-token row it left. */
  row: string;
}

export type ConsentResult =
  | { status: 'connected'; evidence: ConsentEvidence }
  /** `unproven`: a change the rule could not tell from a refresh (when ServiceNow wrote it). */
  | { status: 'timeout'; unproven?: string }
  | { status: 'aborted' };

export interface ConsentWatchOptions {
  timeoutMs: number;
  /** What ServiceNow held when the link was handed out; taken at the first look when missing (stores from before baselines). */
  baseline?: TokenBaseline;
  firstDelayMs?: number;
  maxDelayMs?: number;
  signal?: AbortSignal;
  now?: () => Date;
  onError?: (error: ServiceNowError) => void;
}

/** ServiceNow's glide_date_time as the Table API prints it: `2026-11-23 15:07:16`, UTC. */
export function parseGlideDateTime(text: string): Date | undefined {
  const match = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})$/.exec(text);
  return match ? new Date(`${match[1]}T${match[2]}Z`) : undefined;
}

const OPTIONAL_COLUMNS = ['scopes', 'expires'] as const;

/**
 * The columns of `oauth_credential` the rule may use beyond those the bot needs: proven against
 * the instance's dictionary (a column ServiceNow does not have would be dropped without a word),
 * and simply left out where missing or unprovable.
 */
async function optionalColumns(client: ServiceNowTableClient): Promise<string[]> {
  if (!client.schema) return [];
  try {
    await client.requireColumns('oauth_credential', []);
    const gaps = await client.schema.missing('oauth_credential', OPTIONAL_COLUMNS);
    if (gaps.some((gap) => gap.column === '')) return [];
    return OPTIONAL_COLUMNS.filter((column) => !gaps.some((gap) => gap.column === column));
  } catch (error) {
    if (error instanceof ServiceNowError) return [];
    throw error;
  }
}

function scopeSet(text: unknown): string | undefined {
  if (typeof text !== 'string') return undefined;
  return [...new Set(text.split(/[\s,]+/).filter(Boolean))].sort().join(' ');
}

function toTokenRow(row: ServiceNowRecord): TokenRow[] {
  const created = parseGlideDateTime(String(row.sys_created_on ?? ''));
  const updated = parseGlideDateTime(String(row.sys_updated_on ?? ''));
  if (!created || !updated) return [];
  const expires = 'expires' in row ? parseGlideDateTime(String(row.expires)) : undefined;
  const scopes = 'scopes' in row ? scopeSet(row.scopes) : undefined;
  return [{ sysId: row.sys_id, type: String(row.type), created: created.getTime(), updated: updated.getTime(), ...(scopes !== undefined ? { scopes } : {}), ...(expires ? { expires: expires.getTime() } : {}) }];
}

/**
 * The refresh- and access-token rows of one credential: `oauth_credential` →
 * `oauth_requestor_profile` (`requestor_id` = the credential, `oauth_entity_profile` = its
 * profile). Both terms are dot-walks the client proves against the dictionary and checks every
 * returned row against.
 */
export async function readTokenRows(client: ServiceNowTableClient, owner: TokenOwner): Promise<TokenRow[]> {
  const terms = { [SERVICENOW_FACTS.tokenRequestor.credential]: owner.credential, [SERVICENOW_FACTS.tokenRequestor.profile]: owner.profile, type: ['refresh_token', 'access_token'] };
  const fields = ['type', 'sys_created_on', 'sys_updated_on', ...(await optionalColumns(client))];
  const rows = (await client.findRecords('oauth_credential', terms, { fields, limit: 20, orderByDesc: 'sys_created_on' })).flatMap(toTokenRow);
  if (rows.some(keptInPlace)) keptSeen.add(client);
  return rows;
}

/** Owners per query of `readRefreshTokenRowsOf`: two `IN` lists of 32-character sys_ids keep the URL near 3.5 KB. */
export const TOKEN_OWNERS_PER_QUERY = 50;

/** The key `readRefreshTokenRowsOf` files an owner's rows under. */
export const tokenOwnerKey = (owner: TokenOwner) => `${owner.credential}|${owner.profile}`;

/**
 * The refresh-token rows of many credentials (the health sweep), one query per
 * TOKEN_OWNERS_PER_QUERY owners instead of one per credential: both dot-walked terms become `IN`
 * lists, proven against the dictionary and checked on every row by the client as in
 * readTokenRows, and each row is then filed under the owner whose credential *and* profile it
 * names, so a row of one credential under another's profile belongs to neither. Access-token
 * rows are not read: only the refresh token's dates are judged here.
 *
 * An owner missing from the answer was not read: its chunk came back as long as the limit, so
 * ServiceNow may have cut it, and the caller reads that owner alone (readTokenRows).
 */
export async function readRefreshTokenRowsOf(client: ServiceNowTableClient, owners: readonly TokenOwner[]): Promise<Map<string, TokenRow[]>> {
  const { credential: credentialField, profile: profileField } = SERVICENOW_FACTS.tokenRequestor;
  const fields = ['type', 'sys_created_on', 'sys_updated_on', ...(await optionalColumns(client))];
  const read = new Map<string, TokenRow[]>();
  const chunks: TokenOwner[][] = [];
  for (let i = 0; i < owners.length; i += TOKEN_OWNERS_PER_QUERY) chunks.push(owners.slice(i, i + TOKEN_OWNERS_PER_QUERY));
  await Promise.all(
    chunks.map(async (chunk) => {
      // A credential usually has one refresh-token row; room for several each, and a full answer is not trusted.
      const limit = chunk.length * 8;
      const terms = { [credentialField]: [...new Set(chunk.map((o) => o.credential))], [profileField]: [...new Set(chunk.map((o) => o.profile))], type: 'refresh_token' };
      const rows = await client.findRecords('oauth_credential', terms, { fields, limit });
      if (rows.length >= limit) return;
      for (const owner of chunk) read.set(tokenOwnerKey(owner), []);
      for (const row of rows) {
        const owned = read.get(`${String(row[credentialField])}|${String(row[profileField])}`);
        owned?.push(...toTokenRow(row));
      }
    }),
  );
  for (const rows of read.values()) if (rows.some(keptInPlace)) keptSeen.add(client);
  return read;
}

/** The OAuth 2.0 credentials of the bot's 3LO connections: whether an instance keeps rows shows on any of them. */
export function threeLeggedCredentials(connections: ReadonlyArray<{ method: string; state: string; records: Readonly<Record<string, string>> }>): string[] {
  return connections.filter((c) => c.method === 'oauth_3lo' && c.state !== 'removed').map((c) => c.records[RECORD_KEYS.credential] ?? '');
}

/** Instances (by their client) seen keeping a refresh-token row across a refresh. */
const keptSeen = new WeakSet<ServiceNowTableClient>();

function keptInPlace(row: TokenRow): boolean {
  return row.type === 'refresh_token' && row.updated - row.created >= KEPT_AFTER_MS;
}

/**
 * Whether this instance has shown that it keeps refresh-token rows across refreshes: one of the
 * bot's own 3LO credentials (`credentials`) has a refresh-token row updated well after it was
 * created. Once seen, remembered for the life of the process (an instance does not change how it
 * stores tokens); not seen, asked again next time.
 */
export async function instanceKeepsRows(client: ServiceNowTableClient, credentials: readonly string[]): Promise<boolean> {
  if (keptSeen.has(client)) return true;
  // A sample is enough (any one such row shows it), and keeps the query's URL short.
  const ids = [...new Set(credentials)].filter((id) => /^[0-9a-f]{32}$/.test(id)).slice(0, 50);
  if (ids.length === 0) return false;
  const rows = await client.findRecords('oauth_credential', { [SERVICENOW_FACTS.tokenRequestor.credential]: ids, type: 'refresh_token' }, { fields: ['type', 'sys_created_on', 'sys_updated_on'], limit: 50, orderByDesc: 'sys_updated_on' });
  const kept = rows.flatMap(toTokenRow).some(keptInPlace);
  if (kept) keptSeen.add(client);
  return kept;
}

/**
 * What ServiceNow holds for a credential now: taken just before a consent link is handed out
 * (setup, Try again, re-consent), so that only what changes after it can be the admin's consent.
 * `credentials`: the bot's 3LO credentials, to learn whether the instance keeps rows (rule 3).
 */
export async function takeBaseline(client: ServiceNowTableClient, owner: TokenOwner, credentials: readonly string[] = []): Promise<TokenBaseline> {
  const rows = await readTokenRows(client, owner);
  return baselineOf(rows, rows.some(keptInPlace) || (await instanceKeepsRows(client, credentials).catch(() => false)));
}

function baselineOf(rows: readonly TokenRow[], rowsKept: boolean): TokenBaseline {
  const refresh = rows.filter((r) => r.type === 'refresh_token');
  const access = settledAccess(rows).sort((a, b) => b.expires! - a.expires!)[0];
  const scopes = refresh.map((r) => r.scopes).filter((s): s is string => s !== undefined);
  return {
    rows: refresh.map((r) => `${r.sysId}@${r.updated}`),
    ...(refresh.length > 0 && scopes.length === refresh.length ? { scopes: [...new Set(scopes.join(' ').split(' ').filter(Boolean))].sort() } : {}),
    ...(access ? { access: { changedAt: new Date(Math.max(access.created, access.updated)).toISOString(), expires: new Date(access.expires!).toISOString() } } : {}),
    ...(rowsKept ? { rowsKept } : {}),
  };
}

/**
 * The access tokens that belong with the refresh-token rows read beside them. One written after
 * the newest of those rows is part of a write still under way (ServiceNow writes the two rows
 * one after the other): the refresh-token change it goes with has yet to show, and this access
 * token must not pass for one that was current before that change.
 */
function settledAccess(rows: readonly TokenRow[]): TokenRow[] {
  const refreshed = rows.filter((r) => r.type === 'refresh_token').map((r) => Math.max(r.created, r.updated));
  if (refreshed.length === 0) return [];
  const newest = Math.max(...refreshed);
  return rows.filter((r) => r.type === 'access_token' && r.expires !== undefined && Math.max(r.created, r.updated) <= newest + SAME_WRITE_MS);
}

/**
 * The rule of this file, applied look after look to what ServiceNow shows: remembers what it has
 * seen (the baseline, then every change it could not count), which access tokens were current
 * when, and whether the instance keeps rows.
 */
export class ConsentJudge {
  /** Refresh-token rows that are not a consent, with the sys_updated_on they were last seen with. */
  private readonly seen = new Map<string, number>();
  private scopes: string | undefined;
  /** When each access token seen settled before stops being current. */
  private readonly access: number[] = [];
  private rowsKept: boolean;
  private started: boolean;
  private readonly since: number;
  /** The last change the rule could not tell from a refresh, when ServiceNow made it. */
  unproven: string | undefined;

  constructor(baseline: TokenBaseline | undefined, since: Date) {
    this.since = since.getTime();
    this.started = baseline !== undefined;
    this.rowsKept = baseline?.rowsKept ?? false;
    for (const key of baseline?.rows ?? []) {
      // `sys_id@<ms>`, or `sys_id@<glide date>` in re-consents stored before this rule.
      const [id = '', stamp = ''] = key.split('@');
      this.seen.set(id, /^\d+$/.test(stamp) ? Number(stamp) : (parseGlideDateTime(stamp)?.getTime() ?? 0));
    }
    if (baseline?.scopes) this.scopes = baseline.scopes.join(' ');
    if (baseline?.access) this.access.push(Date.parse(baseline.access.expires));
  }

  /** The consent among these rows, if the rule can prove one; otherwise learns from them. */
  judge(rows: readonly TokenRow[]): ConsentEvidence | undefined {
    if (!this.started) {
      // No baseline was kept: what existed before the link (to the second) is the baseline.
      const before = rows.filter((r) => r.created < Math.floor(this.since / 1000) * 1000);
      const taken = baselineOf(before, false);
      for (const r of before.filter((x) => x.type === 'refresh_token')) this.seen.set(r.sysId, r.updated);
      this.scopes = taken.scopes?.join(' ');
      this.started = true;
    }
    if (rows.some(keptInPlace)) this.rowsKept = true;
    const refresh = rows.filter((r) => r.type === 'refresh_token').sort((a, b) => Math.max(a.created, a.updated) - Math.max(b.created, b.updated));
    let found: ConsentEvidence | undefined;
    for (const row of refresh) {
      const before = this.seen.get(row.sysId);
      if (before !== undefined && row.updated <= before) continue;
      const change = before === undefined ? 'new_row' : 'changed_row';
      const at = change === 'new_row' ? row.created : row.updated;
      if (at < this.since - CLOCK_SLACK_MS) {
        // Older than the link: a row the baseline did not list is not news.
        this.seen.set(row.sysId, row.updated);
        continue;
      }
      const via = this.why(row, change, at);
      if (via) {
        found = { via, change, at: new Date(at).toISOString(), row: row.sysId };
        break;
      }
      // A refresh could have made this: not a consent. Only a later change can be one now.
      this.seen.set(row.sysId, row.updated);
      this.unproven = new Date(at).toISOString();
    }
    // Settled access tokens seen now were written before any change a later look finds.
    for (const row of settledAccess(rows)) this.access.push(row.expires!);
    return found;
  }

  private why(row: TokenRow, change: ConsentEvidence['change'], at: number): ConsentEvidence['via'] | undefined {
    if (this.scopes !== undefined && row.scopes !== undefined && scopeSet(row.scopes) !== this.scopes) return 'scopes';
    if (this.seen.size === 0) return 'first_token';
    // Every access token known here was seen before this change was: it is the one ServiceNow held.
    if (this.access.some((expires) => expires - EARLY_REFRESH_MS > at)) return 'access_current';
    if (change === 'new_row' && this.rowsKept) return 'rows_kept';
    return undefined;
  }
}

/**
 * Waits until the rule sees a consent: proof that the admin consented and ServiceNow exchanged
 * the code. The deadline counts from when the link was handed over (`since`), so a watch resumed
 * after a restart does not start its clock again.
 */
export async function waitForConsent(client: ServiceNowTableClient, owner: TokenOwner, since: Date, options: ConsentWatchOptions): Promise<ConsentResult> {
  const now = options.now ?? (() => new Date());
  const deadline = since.getTime() + options.timeoutMs;
  const judge = new ConsentJudge(options.baseline, since);
  let delay = options.firstDelayMs ?? 2_000;
  while (!options.signal?.aborted) {
    try {
      const evidence = judge.judge(await readTokenRows(client, owner));
      if (evidence) return { status: 'connected', evidence };
    } catch (error) {
      // A ServiceNow hiccup during a 15-minute watch is not the admin's problem: keep watching
      // until the deadline, which reports the likely causes if no token shows up.
      if (!(error instanceof ServiceNowError)) throw error;
      options.onError?.(error);
    }
    const left = deadline - now().getTime();
    if (left <= 0) return { status: 'timeout', ...(judge.unproven ? { unproven: judge.unproven } : {}) };
    await abortableSleep(Math.min(delay, left), options.signal);
    delay = Math.min(delay * 1.5, options.maxDelayMs ?? 30_000);
  }
  return { status: 'aborted' };
}

/** One look, by the same rule, for a consent that came after its watch gave up (the setup sweep). */
export async function lookForConsent(client: ServiceNowTableClient, owner: TokenOwner, since: Date, baseline: TokenBaseline | undefined, credentials: readonly string[] = []): Promise<ConsentEvidence | undefined> {
  const rows = await readTokenRows(client, owner);
  const kept = baseline?.rowsKept || (await instanceKeepsRows(client, credentials).catch(() => false));
  return new ConsentJudge(baseline ? { ...baseline, ...(kept ? { rowsKept: true } : {}) } : undefined, since).judge(rows);
}

/** A consent spokebot saw land, as a connection keeps it (never set by adoption). */
export interface WatchedConsent {
  at: string;
  row: string;
  change: ConsentEvidence['change'];
}

/**
 * Where the 365 days of the refresh token ServiceNow holds start, from the best evidence there is,
 * erring early, never late:
 * - a consent spokebot watched is exact: the row it made or changed, at the time ServiceNow wrote it;
 * - no watched consent (an adopted connection, one from before spokebot kept them): the token
 *   row's creation, the only date ServiceNow has; a consent in place would leave that early, and
 *   a row made by a refresh, on an instance that replaces rows, late: the reminder says so;
 * - a row created after the watched consent: a consent spokebot did not watch, where the instance
 *   keeps rows across refreshes (that row, or another, was seen updated in place); elsewhere it
 *   could be a refresh's, so the earlier date, the watched consent's, stays, and the reminder says
 *   that ServiceNow holds a newer row.
 * `rowsKept`: asked only when a newer row must be judged (instanceKeepsRows).
 */
export interface ConsentClock {
  start: string;
  basis: ConsentBasis;
  /** When the refresh-token row was created. */
  rowCreated: string;
}

export async function consentClock(row: TokenRow, watched: WatchedConsent | undefined, rowsKept: () => Promise<boolean>): Promise<ConsentClock> {
  const created = row.created;
  const iso = (ms: number) => new Date(ms).toISOString();
  const rowCreated = iso(created);
  if (!watched) return { start: rowCreated, basis: 'token_row', rowCreated };
  const at = Date.parse(watched.at);
  if (row.sysId === watched.row) return { start: iso(watched.change === 'new_row' ? Math.min(at, created) : at), basis: 'watched', rowCreated };
  if (created <= at) return { start: rowCreated, basis: 'token_row', rowCreated };
  if (keptInPlace(row) || (await rowsKept())) return { start: rowCreated, basis: 'newer_token_row', rowCreated };
  return { start: watched.at, basis: 'watched_before_newer_row', rowCreated };
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
