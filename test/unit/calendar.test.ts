import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dateInZone, endOfDay, startOfDay } from '../../src/core/calendar.js';

/** The date as Intl gives it for that very instant, with nothing remembered. */
function dateByIntl(instant: Date, zone: string): string {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(instant).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}`;
}

/** Zones with the awkward days: daylight saving at midnight, half-hour offsets, both ends of the clock, a skipped day. */
const ZONES = ['UTC', 'America/Sao_Paulo', 'America/Havana', 'Asia/Beirut', 'Australia/Lord_Howe', 'Asia/Kolkata', 'Pacific/Kiritimati', 'Etc/GMT+12', 'Pacific/Apia', 'Europe/London', 'America/New_York'];
const RUNS = Number(process.env.FUZZ_RUNS ?? 300);

describe('the date in a zone', () => {
  it('is the date Intl gives for that instant, however the instants before it were asked', () => {
    // Instants asked in runs near one another (a sweep asks about the same day over and over),
    // then jumps: what is remembered of one day must never answer for another.
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES),
        fc.array(fc.tuple(fc.integer({ min: Date.UTC(2010, 0, 1), max: Date.UTC(2035, 0, 1) }), fc.array(fc.integer({ min: -36 * 3_600_000, max: 36 * 3_600_000 }), { maxLength: 8 })), { minLength: 1, maxLength: 6 }),
        (zone, runs) => {
          for (const [base, steps] of runs) {
            for (const at of [base, ...steps.map((step) => base + step)]) {
              expect(dateInZone(new Date(at), zone)).toBe(dateByIntl(new Date(at), zone));
            }
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('is right on the evening before a midnight the zone skipped (found by the property above)', () => {
    // São Paulo's daylight saving began at 00:00 on 2018-11-04: 23:00 on the 3rd (02:00Z) was
    // still the 3rd, whichever days were asked about before.
    const zone = 'America/Sao_Paulo';
    dateInZone(new Date('2018-11-04T12:00:00Z'), zone);
    dateInZone(new Date('2018-11-03T12:00:00Z'), zone);
    expect(dateInZone(new Date('2018-11-04T02:00:00.415Z'), zone)).toBe('2018-11-03');
    expect(dateInZone(new Date('2018-11-04T02:59:59.999Z'), zone)).toBe('2018-11-03');
    expect(dateInZone(new Date('2018-11-04T03:00:00Z'), zone)).toBe('2018-11-04');
  });

  it('holds from the first instant of the day to the last, and not a millisecond either side', () => {
    for (const [zone, date] of [
      ['America/Sao_Paulo', '2018-11-04'], // the clocks went from 00:00 to 01:00: the day began at 01:00
      ['America/Havana', '2024-03-10'],
      ['Pacific/Apia', '2011-12-31'], // a day Samoa skipped
      ['Australia/Lord_Howe', '2025-04-06'], // half an hour back
      ['Asia/Kolkata', '2026-11-30'],
    ] as const) {
      const from = startOfDay(date, zone).getTime();
      const until = endOfDay(date, zone).getTime();
      if (dateByIntl(new Date(from), zone) !== date) continue; // the day did not happen there
      expect(dateInZone(new Date(until - 1), zone)).toBe(date);
      expect(dateInZone(new Date(from), zone)).toBe(date);
      expect(dateInZone(new Date(from - 1), zone)).not.toBe(date);
      expect(dateInZone(new Date(until), zone)).not.toBe(date);
      expect(dateInZone(new Date(from + 1), zone)).toBe(date);
    }
  });
});
