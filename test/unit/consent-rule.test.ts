import { describe, expect, it } from 'vitest';
import { daysLeft, endOfDay, lastDay } from '../../src/core/calendar.js';
import { ConsentJudge, consentClock, type TokenRow } from '../../src/servicenow/consent-watcher.js';

const MIN = 60_000;
const link = new Date('2026-11-30T10:00:00Z');
const t = (minutes: number) => link.getTime() + minutes * MIN;
const refresh = (sysId: string, created: number, updated = created, scopes = 'offline_access read:me'): TokenRow => ({ sysId, type: 'refresh_token', created, updated, scopes });
const access = (sysId: string, changed: number, expires: number): TokenRow => ({ sysId, type: 'access_token', created: changed, updated: changed, expires });

/** The rows when the link was handed out: a token consented 3 hours before, its access token lapsed. */
const before = [refresh('r1', t(-180)), access('a1', t(-180), t(-120))];
const baselineOf = (rows: TokenRow[], extra: object = {}) => ({
  rows: rows.filter((r) => r.type === 'refresh_token').map((r) => `${r.sysId}@${r.updated}`),
  scopes: ['offline_access', 'read:me'],
  access: { changedAt: new Date(t(-180)).toISOString(), expires: new Date(t(-120)).toISOString() },
  ...extra,
});

describe('the consent rule', () => {
  it('a refresh in place (same row, new sys_updated_on) is not a consent', () => {
    const judge = new ConsentJudge(baselineOf(before), link);
    expect(judge.judge([refresh('r1', t(-180), t(5)), access('a1', t(-180), t(65))])).toBeUndefined();
    expect(judge.unproven).toBe(new Date(t(5)).toISOString());
  });

  it('a refresh that replaces the row is not a consent while the instance has not shown it keeps rows', () => {
    const judge = new ConsentJudge(baselineOf(before), link);
    expect(judge.judge([refresh('r2', t(5)), access('a2', t(5), t(65))])).toBeUndefined();
    // A consent after it, while the access token that refresh left is current, is one.
    expect(judge.judge([refresh('r3', t(6)), access('a3', t(6), t(66))])).toMatchObject({ via: 'access_current', change: 'new_row', row: 'r3', at: new Date(t(6)).toISOString() });
  });

  it('a new row is a consent on an instance seen keeping rows, and a first token always is', () => {
    expect(new ConsentJudge(baselineOf(before, { rowsKept: true }), link).judge([refresh('r2', t(5))])).toMatchObject({ via: 'rows_kept' });
    expect(new ConsentJudge({ rows: [] }, link).judge([refresh('r1', t(1))])).toMatchObject({ via: 'first_token' });
  });

  it('changed scopes are a consent, even in place', () => {
    const judge = new ConsentJudge(baselineOf(before), link);
    expect(judge.judge([refresh('r1', t(-180), t(5), 'offline_access read:me write:page:confluence')])).toMatchObject({ via: 'scopes', change: 'changed_row' });
    // The same scopes in another order are the same grant.
    expect(new ConsentJudge(baselineOf(before), link).judge([refresh('r1', t(-180), t(5), 'read:me  offline_access')])).toBeUndefined();
  });

  it('an access token written with the change is not taken for one current before it', () => {
    const judge = new ConsentJudge(baselineOf(before), link);
    // ServiceNow wrote the new access token a moment before the refresh token, and one look saw only that.
    expect(judge.judge([refresh('r1', t(-180)), access('a1', t(5), t(65))])).toBeUndefined();
    expect(judge.judge([refresh('r2', t(5) + 2000), access('a1', t(5), t(65))])).toBeUndefined();
  });

  it('a row older than the link that the baseline missed is not news', () => {
    expect(new ConsentJudge({ rows: [] }, link).judge([refresh('old', t(-60))])).toBeUndefined();
  });

  it('reads the baselines of re-consents stored before (sys_id@glide date)', () => {
    const judge = new ConsentJudge({ rows: ['r1@2026-11-30 07:00:00'] }, link);
    expect(judge.judge([refresh('r1', t(-180))])).toBeUndefined();
  });
});

describe('where the 365 days start', () => {
  const watched = { at: new Date(t(0)).toISOString(), row: 'r1', change: 'new_row' as const };
  const never = async () => false;
  it('a watched consent, or the row it made', async () => {
    expect(await consentClock(refresh('r1', t(0), t(500)), watched, never)).toMatchObject({ start: watched.at, basis: 'watched' });
    expect(await consentClock(refresh('r1', t(-500), t(0)), { ...watched, change: 'changed_row' }, never)).toMatchObject({ start: watched.at, basis: 'watched' });
  });
  it('the token row where nothing was watched', async () => {
    expect(await consentClock(refresh('r9', t(-500)), undefined, never)).toMatchObject({ start: new Date(t(-500)).toISOString(), basis: 'token_row' });
  });
  it('a newer row moves it only where rows are kept; elsewhere the earlier date stays', async () => {
    expect(await consentClock(refresh('r2', t(900)), watched, never)).toMatchObject({ start: watched.at, basis: 'watched_before_newer_row' });
    expect(await consentClock(refresh('r2', t(900)), watched, async () => true)).toMatchObject({ start: new Date(t(900)).toISOString(), basis: 'newer_token_row' });
    expect(await consentClock(refresh('r2', t(900), t(990)), watched, never)).toMatchObject({ basis: 'newer_token_row' });
  });
});

describe('days in a calendar', () => {
  it('a day ends at midnight where it was typed, across daylight saving', () => {
    expect(endOfDay('2027-03-10', 'Australia/Sydney').toISOString()).toBe('2027-03-10T13:00:00.000Z');
    expect(endOfDay('2027-03-10', 'America/Los_Angeles').toISOString()).toBe('2027-03-11T08:00:00.000Z');
    expect(endOfDay('2027-03-13', 'America/Los_Angeles').toISOString()).toBe('2027-03-14T08:00:00.000Z');
    expect(endOfDay('2027-03-14', 'America/Los_Angeles').toISOString()).toBe('2027-03-15T07:00:00.000Z');
    expect(lastDay('2027-03-11T08:00:00.000Z', 'America/Los_Angeles')).toBe('2027-03-10');
  });
  it('counts whole calendar days, 0 on the last one, negative once past', () => {
    const end = endOfDay('2027-03-10', 'America/Los_Angeles');
    expect(daysLeft(end, new Date('2027-02-24T18:00:00Z'), 'America/Los_Angeles')).toBe(14);
    expect(daysLeft(end, new Date('2027-03-11T07:59:59Z'), 'America/Los_Angeles')).toBe(0);
    expect(daysLeft(end, new Date('2027-03-11T08:00:00Z'), 'America/Los_Angeles')).toBe(-1);
    // An instant that is not a midnight: the day it falls on is the last day.
    expect(daysLeft('2026-12-05T10:00:00.000Z', new Date('2026-12-05T09:00:00Z'))).toBe(0);
    expect(daysLeft('2026-12-05T10:00:00.000Z', new Date('2026-12-05T10:30:00Z'))).toBe(-1);
  });
});
