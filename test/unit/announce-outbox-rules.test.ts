import { describe, expect, it } from 'vitest';
import { announcementOwed, cardOwed, nextAnnounceDelayMs } from '../../src/core/access-request.js';

const MIN = 60_000;

describe('when an owed card is tried again', () => {
  it('waits what Retry-After says on a 429', () => {
    expect(nextAnnounceDelayMs(1, { kind: 'ratelimited', error: 'ratelimited', retryAfterMs: 7000 })).toBe(7000);
    expect(nextAnnounceDelayMs(9, { kind: 'ratelimited', error: 'ratelimited', retryAfterMs: 0 })).toBe(1000);
  });

  it('backs off from 30 s, doubling, to at most 30 minutes', () => {
    const transient = { kind: 'transient' as const, error: 'HTTP 503', inDoubt: true };
    expect([1, 2, 3, 4, 5, 6, 7, 8, 50].map((n) => nextAnnounceDelayMs(n, transient))).toEqual([30_000, MIN, 2 * MIN, 4 * MIN, 8 * MIN, 16 * MIN, 30 * MIN, 30 * MIN, 30 * MIN]);
  });

  it('tries a card a person must unblock from 5 minutes on, never slower than every 30', () => {
    const blocked = { kind: 'blocked' as const, error: 'not_in_channel' };
    expect([1, 2, 3, 4, 5, 6, 100].map((n) => nextAnnounceDelayMs(n, blocked))).toEqual([5 * MIN, 5 * MIN, 5 * MIN, 5 * MIN, 8 * MIN, 16 * MIN, 30 * MIN]);
  });
});

describe('what is owed', () => {
  it('an open request without a card owes it, even one saved before the outbox existed; a decided one owes nothing', () => {
    expect(cardOwed({ state: 'open' })).toBe(true);
    expect(cardOwed({ state: 'open', card: { channel: 'C1', ts: '1.2' } })).toBe(false);
    expect(cardOwed({ state: 'withdrawn' })).toBe(false);
    expect(announcementOwed({ state: 'open', card: { channel: 'C1', ts: '1.2' }, announce: { attempts: 0 } })).toBe(true);
    expect(announcementOwed({ state: 'open', card: { channel: 'C1', ts: '1.2' } })).toBe(false);
    expect(announcementOwed({ state: 'open' })).toBe(true);
  });
});
