import { describe, expect, it } from 'vitest';
import { decideAlert } from '../../src/core/alert-policy.js';
import { evaluateHealth, nextExpiry, type HealthFacts } from '../../src/core/health.js';
import { dueReminders, reminderKey } from '../../src/core/reminders.js';

const now = new Date('2026-11-23T12:00:00Z');
const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000).toISOString();
const healthy3lo: HealthFacts = {
  method: 'oauth_3lo',
  records: { missing: [], inactive: [], urlExpected: 'https://api.atlassian.com/', urlActual: 'https://api.atlassian.com/' },
  scopes: { expected: ['read:me', 'offline_access'], actual: ['offline_access', 'read:me'] },
  site: { expectedCloudId: 'c1', cloudId: 'c1' },
  refreshToken: { present: true, lastRefreshed: daysAgo(2), consentedAt: daysAgo(40) },
};
const options = { warnDays: 14 };

describe('evaluateHealth', () => {
  it('is ok when everything matches, and knows both refresh-token deadlines', () => {
    const report = evaluateHealth(healthy3lo, now, options);
    expect(report.state).toBe('ok');
    expect(report.expiries.map((e) => e.kind)).toEqual(['refresh_idle', 'refresh_cap']);
    expect(nextExpiry(report.expiries)).toMatchObject({ kind: 'refresh_idle', at: new Date(Date.parse(daysAgo(2)) + 90 * 86_400_000).toISOString() });
  });

  it('reports scope drift with both lists, as a warning that re-consent fixes', () => {
    const report = evaluateHealth({ ...healthy3lo, scopes: { expected: ['read:me', 'write:page:confluence', 'offline_access'], actual: ['read:me', 'offline_access', 'read:account'] } }, now, options);
    expect(report.state).toBe('warning');
    const scopes = report.checks.find((c) => c.check === 'scopes')!;
    expect(scopes).toMatchObject({ status: 'warning', fix: 'reconsent' });
    expect(scopes.summary).toContain('Missing: write:page:confluence; added: read:account');
  });

  it('fails on a renamed site, a missing refresh token, missing records, a 90-day idle token', () => {
    expect(evaluateHealth({ ...healthy3lo, site: { expectedCloudId: 'c1', cloudId: 'c2' } }, now, options).checks.find((c) => c.check === 'site')).toMatchObject({ status: 'failing', fix: 'setup' });
    expect(evaluateHealth({ ...healthy3lo, refreshToken: { present: false } }, now, options)).toMatchObject({ state: 'failing' });
    expect(evaluateHealth({ ...healthy3lo, records: { missing: ['http_connection'], inactive: [], urlExpected: 'x' } }, now, options).state).toBe('failing');
    const idle = evaluateHealth({ ...healthy3lo, refreshToken: { present: true, lastRefreshed: daysAgo(91), consentedAt: daysAgo(100) } }, now, options);
    expect(idle.checks.find((c) => c.check === 'refresh_token')).toMatchObject({ status: 'failing', fix: 'reconsent' });
    const capped = evaluateHealth({ ...healthy3lo, refreshToken: { present: true, lastRefreshed: daysAgo(1), consentedAt: daysAgo(360) } }, now, options);
    expect(capped.checks.find((c) => c.check === 'refresh_token')).toMatchObject({ status: 'warning', summary: expect.stringContaining('dies in 5 days') });
  });

  it('treats an expired API token and a refused sign-in as failing, to be fixed by rotating', () => {
    const token: HealthFacts = { method: 'api_token', records: healthy3lo.records, site: healthy3lo.site, credential: { ok: true }, tokenExpiry: { at: '2026-11-21T00:00:00.000Z', on: '2026-11-20', zone: 'UTC' } };
    expect(evaluateHealth(token, now, options).checks.find((c) => c.check === 'credential')).toMatchObject({ status: 'failing', fix: 'rotate', summary: expect.stringContaining('expired on 2026-11-20') });
    const refused = evaluateHealth({ ...token, tokenExpiry: { at: '2027-06-02T00:00:00.000Z', on: '2027-06-01', zone: 'UTC' }, credential: { ok: false, summary: 'Atlassian refused the token' } }, now, options);
    expect(refused).toMatchObject({ state: 'failing' });
  });

  it('judges an API token by its date when the sign-in was skipped (budget spent): near expiry warns, a distant date stays skipped', () => {
    const skipped = { skipped: 'Not signed in this time: the sign-in budget is spent until 12:15 UTC.' };
    const soon: HealthFacts = { method: 'api_token', records: healthy3lo.records, site: healthy3lo.site, credential: skipped, tokenExpiry: { at: '2026-11-26T00:00:00.000Z', on: '2026-11-25', zone: 'UTC' } };
    const report = evaluateHealth(soon, now, options);
    expect(report.state).toBe('warning');
    expect(report.checks.find((c) => c.check === 'credential')).toMatchObject({ status: 'warning', fix: 'rotate', summary: expect.stringMatching(/^The API token expires in 2 days.*budget is spent/) });
    const far = evaluateHealth({ ...soon, tokenExpiry: { at: '2027-06-02T00:00:00.000Z', on: '2027-06-01', zone: 'UTC' } }, now, options);
    expect(far.checks.find((c) => c.check === 'credential')).toMatchObject({ status: 'skipped', summary: skipped.skipped });
  });
});

describe('dueReminders', () => {
  const expiry = { kind: 'api_token' as const, at: '2026-12-23T00:00:00.000Z' }; // 30 days ahead (rounded up)
  const thresholds = [30, 14, 7, 3, 1];

  it('sends each threshold once', () => {
    const first = dueReminders('c', [expiry], thresholds, new Set(), now);
    expect(first.send.map((r) => r.threshold)).toEqual([30]);
    const sent = new Set(first.send.map((r) => r.key));
    expect(dueReminders('c', [expiry], thresholds, sent, now).send).toEqual([]);
  });

  it('after a gap, sends only the latest threshold passed and marks the older ones', () => {
    const later = new Date('2026-12-17T12:00:00Z'); // 6 days left: 30, 14 and 7 all passed
    const plan = dueReminders('c', [expiry], thresholds, new Set([reminderKey('c', expiry, 30)]), later);
    expect(plan.send.map((r) => r.threshold)).toEqual([7]);
    expect(plan.skip).toEqual([reminderKey('c', expiry, 14)]);
  });

  it('says nothing for an expiry that has passed', () => {
    expect(dueReminders('c', [expiry], thresholds, new Set(), new Date('2027-01-05T00:00:00Z'))).toEqual({ send: [], skip: [] });
  });
});

describe('decideAlert', () => {
  const quiet = 3_600_000;
  it('alerts on a change seen twice in a row, then holds during the quiet period, then reports the state that stuck', () => {
    expect(decideAlert({}, 'ok', undefined, now, quiet)).toEqual({ alert: false });
    expect(decideAlert({}, 'failing', 'ok', now, quiet)).toEqual({ alert: false });
    expect(decideAlert({}, 'failing', 'failing', now, quiet)).toEqual({ alert: true, kind: 'failing' });
    const memory = { alertedState: 'failing' as const, alertedAt: now.toISOString() };
    const soon = new Date(now.getTime() + 60_000);
    expect(decideAlert(memory, 'ok', 'ok', soon, quiet)).toEqual({ alert: false });
    expect(decideAlert(memory, 'failing', 'ok', soon, quiet)).toEqual({ alert: false });
    expect(decideAlert(memory, 'ok', 'failing', new Date(now.getTime() + quiet), quiet)).toEqual({ alert: false });
    expect(decideAlert(memory, 'ok', 'ok', new Date(now.getTime() + quiet), quiet)).toEqual({ alert: true, kind: 'recovered' });
  });

  it('never alerts while a check flaps', () => {
    let memory = {};
    let previous: 'ok' | 'failing' | undefined = 'ok';
    let alerts = 0;
    for (let i = 0; i < 8; i++) {
      const state = i % 2 === 0 ? 'failing' : 'ok';
      const decision = decideAlert(memory, state, previous, new Date(now.getTime() + i * quiet), quiet);
      if (decision.alert) {
        alerts++;
        memory = { alertedState: state, alertedAt: new Date(now.getTime() + i * quiet).toISOString() };
      }
      previous = state;
    }
    expect(alerts).toBe(0);
  });
});
