import { EARLIEST_ZONE, daysLeft, endOfDay, lastDay } from './calendar.js';
import type { AuthMethod } from './spoke-catalogue.js';

/**
 * Health rules (README, "Keeping watch"), pure: facts gathered from ServiceNow and Atlassian go in,
 * a state with its reasons and the one action that fixes each comes out.
 */
export const CHECKS = ['records', 'scopes', 'site', 'refresh_token', 'credential'] as const;
export type CheckName = (typeof CHECKS)[number];
export const CHECK_STATUSES = ['ok', 'warning', 'failing', 'skipped'] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];
export const HEALTH_STATES = ['ok', 'warning', 'failing'] as const;
export type HealthState = (typeof HEALTH_STATES)[number];
/** The one thing that fixes a problem, offered as a button. */
export const FIX_ACTIONS = ['reconsent', 'rotate', 'check_now', 'setup'] as const;
export type FixAction = (typeof FIX_ACTIONS)[number];

export interface CheckResult {
  check: CheckName;
  status: CheckStatus;
  summary: string;
  fix?: FixAction;
}

export const EXPIRY_KINDS = ['api_token', 'refresh_idle', 'refresh_cap'] as const;
export type ExpiryKind = (typeof EXPIRY_KINDS)[number];

export interface Expiry {
  kind: ExpiryKind;
  /** When it dies, as an ISO date-time. */
  at: string;
  /** The last day it lives, as the admin typed it (API tokens), in `zone`. */
  on?: string;
  /** The zone its days are counted in (the admin's, for an API token); UTC when absent. */
  zone?: string;
  /** What the date is counted from, where ServiceNow leaves it uncertain. */
  note?: string;
}

/** The day an expiry is shown with: the typed one, or the last day it lives (UTC). */
export function expiryDay(expiry: Expiry): string {
  return expiry.on ?? lastDay(expiry.at, expiry.zone ?? 'UTC');
}

/** Days to an expiry, as every view and rule counts them (core/calendar.ts). */
export function expiryDaysLeft(expiry: Expiry, now: Date): number {
  return daysLeft(expiry.at, now, expiry.zone ?? 'UTC');
}

/**
 * An API token's expiry: the end of the typed day in the zone of the admin who typed it.
 * Connections stored before zones were kept count the day as ending where it ends first.
 */
export function apiTokenExpiry(connection: { tokenExpiresOn?: string | undefined; tokenExpiresAt?: string | undefined; tokenExpiryZone?: string | undefined }): Expiry | undefined {
  const on = connection.tokenExpiresOn;
  if (!on) return undefined;
  const zone = connection.tokenExpiryZone ?? EARLIEST_ZONE;
  return { kind: 'api_token', at: connection.tokenExpiresAt ?? endOfDay(on, zone).toISOString(), on, zone };
}

/** "Australia/Sydney", or "UTC+14" for the zone of dates stored before zones were kept. */
export function zoneLabel(zone: string): string {
  return zone === EARLIEST_ZONE ? 'UTC+14' : zone;
}

/**
 * Where the refresh token's 365 days were counted from (servicenow/consent-watcher.ts):
 * a consent spokebot watched; the token row's creation (no watched consent); a newer token row,
 * a consent spokebot did not watch; the watched consent, though a newer row that may be a
 * refresh's exists.
 */
export const CONSENT_BASES = ['watched', 'token_row', 'newer_token_row', 'watched_before_newer_row'] as const;
export type ConsentBasis = (typeof CONSENT_BASES)[number];

/** Atlassian refresh tokens: 90 days without use kill them, and 365 days after consent they die anyway. */
export const REFRESH_IDLE_DAYS = 90;
export const REFRESH_CAP_DAYS = 365;
const DAY = 86_400_000;

export interface HealthFacts {
  method: AuthMethod;
  /** Records chain (alias → connection → credential → profile → entity): what is missing or off. */
  records: { missing: string[]; inactive: string[]; urlExpected: string; urlActual?: string } | { error: string };
  /** Scope rows now in ServiceNow against what was set up (OAuth methods only). */
  scopes?: { expected: string[]; actual: string[] } | { error: string };
  site: { expectedCloudId: string; cloudId?: string; error?: string };
  /** 3LO only: the refresh token ServiceNow holds, and its dates. */
  refreshToken?: { present: false } | { present: true; lastRefreshed: string; consentedAt: string; basis?: ConsentBasis; rowCreated?: string } | { error: string };
  /** API token / service account: a live sign-in, or why none was tried. */
  credential?: { ok: true } | { ok: false; summary: string } | { skipped: string };
  /** API token: the end of its typed last day, in the typist's zone. */
  tokenExpiry?: { at: string; on: string; zone: string };
}

export interface HealthReport {
  state: HealthState;
  checks: CheckResult[];
  expiries: Expiry[];
}

export interface HealthOptions {
  /** An expiry this close is a warning (the first reminder threshold). */
  warnDays: number;
}

const list = (items: string[]) => items.join(', ') || 'none';

function recordsCheck(facts: HealthFacts): CheckResult {
  const r = facts.records;
  // A check that could not run is not a pass: "ok" here would hide an outage and fake a recovery.
  if ('error' in r) return { check: 'records', status: 'warning', summary: `ServiceNow could not be read: ${r.error}`, fix: 'check_now' };
  if (r.missing.length > 0) return { check: 'records', status: 'failing', summary: `Missing in ServiceNow: ${list(r.missing)}.`, fix: 'setup' };
  if (r.inactive.length > 0) return { check: 'records', status: 'failing', summary: `Inactive in ServiceNow: ${list(r.inactive)}.`, fix: 'setup' };
  if (r.urlActual !== undefined && r.urlActual !== r.urlExpected) {
    return { check: 'records', status: 'failing', summary: `The connection URL is ${r.urlActual}, not ${r.urlExpected}.`, fix: 'setup' };
  }
  return { check: 'records', status: 'ok', summary: 'Alias, connection, credential and registry are there and active.' };
}

function scopesCheck(facts: HealthFacts): CheckResult {
  const s = facts.scopes;
  if (!s) return { check: 'scopes', status: 'skipped', summary: 'No OAuth scopes for this method.' };
  if ('error' in s) return { check: 'scopes', status: 'warning', summary: `Scope rows could not be read: ${s.error}`, fix: 'check_now' };
  const missing = s.expected.filter((x) => !s.actual.includes(x));
  const added = s.actual.filter((x) => !s.expected.includes(x));
  if (missing.length === 0 && added.length === 0) return { check: 'scopes', status: 'ok', summary: `${s.expected.length} scopes as set up.` };
  // ServiceNow resets edited scope rows to the spoke defaults; either way the consent no longer matches.
  return {
    check: 'scopes',
    status: 'warning',
    summary: `Scope drift. Set up: ${list(s.expected)}. Now in ServiceNow: ${list(s.actual)}. Missing: ${list(missing)}; added: ${list(added)}.`,
    fix: facts.method === 'oauth_3lo' ? 'reconsent' : 'check_now',
  };
}

function siteCheck(facts: HealthFacts): CheckResult {
  const s = facts.site;
  if (s.error) return { check: 'site', status: 'failing', summary: `The site does not answer its Cloud ID: ${s.error}`, fix: 'check_now' };
  if (s.cloudId !== s.expectedCloudId) {
    return { check: 'site', status: 'failing', summary: `The site now has Cloud ID ${s.cloudId}, not ${s.expectedCloudId}: it was renamed, moved or deleted.`, fix: 'setup' };
  }
  return { check: 'site', status: 'ok', summary: 'The site answers with the same Cloud ID.' };
}

function refreshCheck(facts: HealthFacts, now: Date, options: HealthOptions, expiries: Expiry[]): CheckResult {
  const t = facts.refreshToken;
  if (!t) return { check: 'refresh_token', status: 'skipped', summary: 'No refresh token for this method.' };
  if ('error' in t) return { check: 'refresh_token', status: 'warning', summary: `oauth_credential could not be read: ${t.error}`, fix: 'check_now' };
  if (!t.present) return { check: 'refresh_token', status: 'failing', summary: 'ServiceNow holds no refresh token: consent again.', fix: 'reconsent' };
  const idle: Expiry = { kind: 'refresh_idle', at: new Date(Date.parse(t.lastRefreshed) + REFRESH_IDLE_DAYS * DAY).toISOString() };
  const note = capNote(t);
  const cap: Expiry = { kind: 'refresh_cap', at: new Date(Date.parse(t.consentedAt) + REFRESH_CAP_DAYS * DAY).toISOString(), ...(note ? { note } : {}) };
  expiries.push(idle, cap);
  const first = Date.parse(idle.at) < Date.parse(cap.at) ? idle : cap;
  const left = expiryDaysLeft(first, now);
  const sinceRefresh = Math.floor((now.getTime() - Date.parse(t.lastRefreshed)) / DAY);
  const sinceConsent = Math.floor((now.getTime() - Date.parse(t.consentedAt)) / DAY);
  const counted = t.basis === 'token_row' ? 'token row created' : 'consented';
  const detail = `Last refreshed ${sinceRefresh} days ago, ${counted} ${sinceConsent} days ago.${note ? ` ${note}` : ''}`;
  if (left < 0) return { check: 'refresh_token', status: 'failing', summary: `The refresh token has expired. ${detail}`, fix: 'reconsent' };
  if (left <= options.warnDays) return { check: 'refresh_token', status: 'warning', summary: `The refresh token dies ${inDays(left)} (${expiryDay(first)}). ${detail}`, fix: 'reconsent' };
  return { check: 'refresh_token', status: 'ok', summary: detail };
}

/**
 * The 365 days count from what ServiceNow can show; where that is not a consent spokebot watched,
 * the check and the reminder say what they were counted from.
 */
function capNote(t: { consentedAt: string; basis?: ConsentBasis; rowCreated?: string }): string | undefined {
  const created = t.rowCreated?.slice(0, 10);
  switch (t.basis) {
    case 'token_row':
      return `The 365 days are counted from the token row's creation on ${created}; ServiceNow does not say when consent was given.`;
    case 'newer_token_row':
      return `The 365 days are counted from the token row's creation on ${created}: a consent spokebot did not watch.`;
    case 'watched_before_newer_row':
      return `The 365 days are counted from the consent spokebot watched on ${t.consentedAt.slice(0, 10)}; ServiceNow holds a token row created later, on ${created}, and does not say whether a consent or a refresh made it.`;
    default:
      return undefined;
  }
}

/** "at the end of today" on the last day, else "in N days": the words the views use with daysLeft. */
export function inDays(days: number): string {
  return days === 0 ? 'at the end of today' : `in ${days} day${days === 1 ? '' : 's'}`;
}

function credentialCheck(facts: HealthFacts, now: Date, options: HealthOptions, expiries: Expiry[]): CheckResult {
  const c = facts.credential;
  const token: Expiry | undefined = facts.tokenExpiry ? { kind: 'api_token', ...facts.tokenExpiry } : undefined;
  if (token) expiries.push(token);
  if (!c) return { check: 'credential', status: 'skipped', summary: 'ServiceNow holds the tokens of this connection.' };
  if ('skipped' in c) {
    // No sign-in this time (the budget is spent), but the token's date is known: it still counts.
    const dated = token ? tokenExpiryCheck(token, now, options, '') : undefined;
    return dated && dated.status !== 'ok' ? { ...dated, summary: `${dated.summary} (${c.skipped})` } : { check: 'credential', status: 'skipped', summary: c.skipped };
  }
  if (!c.ok) return { check: 'credential', status: 'failing', summary: c.summary, fix: 'rotate' };
  if (token) return tokenExpiryCheck(token, now, options, 'Signs in');
  return { check: 'credential', status: 'ok', summary: 'Signs in.' };
}

/** An API token's date against the clock; `signedIn` opens the summary when a sign-in just worked. */
function tokenExpiryCheck(token: Expiry, now: Date, options: HealthOptions, signedIn: string): CheckResult {
  const left = expiryDaysLeft(token, now);
  const until = `the end of ${token.on} (${zoneLabel(token.zone!)})`;
  if (left < 0) return { check: 'credential', status: 'failing', summary: `The API token expired on ${token.on}: it was valid until ${until}.`, fix: 'rotate' };
  if (left <= options.warnDays) return { check: 'credential', status: 'warning', summary: `${signedIn ? `${signedIn}, but the` : 'The'} API token expires ${inDays(left)}: it is valid until ${until}.`, fix: 'rotate' };
  return { check: 'credential', status: 'ok', summary: `${signedIn ? `${signedIn}. ` : ''}The API token is valid until ${until}.` };
}

export function evaluateHealth(facts: HealthFacts, now: Date, options: HealthOptions): HealthReport {
  const expiries: Expiry[] = [];
  const checks = [recordsCheck(facts), scopesCheck(facts), siteCheck(facts), refreshCheck(facts, now, options, expiries), credentialCheck(facts, now, options, expiries)];
  const state: HealthState = checks.some((c) => c.status === 'failing') ? 'failing' : checks.some((c) => c.status === 'warning') ? 'warning' : 'ok';
  return { state, checks, expiries };
}

/** The soonest expiry, for lists and cards. */
export function nextExpiry(expiries: readonly Expiry[]): Expiry | undefined {
  return [...expiries].sort((a, b) => Date.parse(a.at) - Date.parse(b.at))[0];
}
