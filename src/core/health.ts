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
}

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
  refreshToken?: { present: false } | { present: true; lastRefreshed: string; consentedAt: string } | { error: string };
  /** API token / service account: a live sign-in, or why none was tried. */
  credential?: { ok: true } | { ok: false; summary: string } | { skipped: string };
  tokenExpiresOn?: string;
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
  const idle = new Date(Date.parse(t.lastRefreshed) + REFRESH_IDLE_DAYS * DAY);
  const cap = new Date(Date.parse(t.consentedAt) + REFRESH_CAP_DAYS * DAY);
  expiries.push({ kind: 'refresh_idle', at: idle.toISOString() }, { kind: 'refresh_cap', at: cap.toISOString() });
  const first = idle < cap ? idle : cap;
  const daysLeft = Math.floor((first.getTime() - now.getTime()) / DAY);
  const sinceRefresh = Math.floor((now.getTime() - Date.parse(t.lastRefreshed)) / DAY);
  const sinceConsent = Math.floor((now.getTime() - Date.parse(t.consentedAt)) / DAY);
  const detail = `Last refreshed ${sinceRefresh} days ago, consented ${sinceConsent} days ago.`;
  if (daysLeft < 0) return { check: 'refresh_token', status: 'failing', summary: `The refresh token has expired. ${detail}`, fix: 'reconsent' };
  if (daysLeft <= options.warnDays) return { check: 'refresh_token', status: 'warning', summary: `The refresh token dies in ${daysLeft} days. ${detail}`, fix: 'reconsent' };
  return { check: 'refresh_token', status: 'ok', summary: detail };
}

function credentialCheck(facts: HealthFacts, now: Date, options: HealthOptions, expiries: Expiry[]): CheckResult {
  const c = facts.credential;
  if (facts.tokenExpiresOn) expiries.push({ kind: 'api_token', at: `${facts.tokenExpiresOn}T00:00:00.000Z` });
  if (!c) return { check: 'credential', status: 'skipped', summary: 'ServiceNow holds the tokens of this connection.' };
  if ('skipped' in c) return { check: 'credential', status: 'skipped', summary: c.skipped };
  if (!c.ok) return { check: 'credential', status: 'failing', summary: c.summary, fix: 'rotate' };
  if (facts.tokenExpiresOn) {
    const daysLeft = Math.floor((Date.parse(`${facts.tokenExpiresOn}T00:00:00Z`) - now.getTime()) / DAY);
    if (daysLeft < 0) return { check: 'credential', status: 'failing', summary: `The API token expired on ${facts.tokenExpiresOn}.`, fix: 'rotate' };
    if (daysLeft <= options.warnDays) return { check: 'credential', status: 'warning', summary: `Signs in, but the API token expires in ${daysLeft} days (${facts.tokenExpiresOn}).`, fix: 'rotate' };
  }
  return { check: 'credential', status: 'ok', summary: 'Signs in.' };
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
