/**
 * Dates people type are days in their own calendar, and every view counts the days to an expiry
 * with the one function here, so the health check, the reminder, `/spoke list` and App Home can
 * never disagree by a day (one rounding down, another up, or one in UTC and another local).
 */

const DAY = 86_400_000;

/**
 * The zone for a date whose typist's zone nobody recorded (stored before zones were): the day
 * is taken to end where it ends first, UTC+14, so such a date is never counted past its end.
 */
export const EARLIEST_ZONE = 'Etc/GMT-14';

const formats = new Map<string, Intl.DateTimeFormat>();

function formatFor(zone: string): Intl.DateTimeFormat {
  let format = formats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formats.set(zone, format);
  }
  return format;
}

/** Whether the runtime knows the IANA zone (Slack's `tz`, e.g. Australia/Sydney). */
export function isTimeZone(zone: string): boolean {
  try {
    formatFor(zone);
    return true;
  } catch {
    return false;
  }
}

function wallClock(instant: number, zone: string): { y: number; m: number; d: number; h: number; min: number; s: number } {
  const parts = Object.fromEntries(formatFor(zone).formatToParts(new Date(instant)).map((p) => [p.type, p.value]));
  return { y: Number(parts.year), m: Number(parts.month), d: Number(parts.day), h: Number(parts.hour), min: Number(parts.minute), s: Number(parts.second) };
}

/** How far the zone's wall clock is ahead of UTC at that instant. */
function offsetAt(instant: number, zone: string): number {
  const whole = Math.floor(instant / 1000) * 1000;
  const w = wallClock(whole, zone);
  return Date.UTC(w.y, w.m - 1, w.d, w.h, w.min, w.s) - whole;
}

/** The calendar date (YYYY-MM-DD) it is in the zone at that instant. */
export function dateInZone(instant: Date, zone: string): string {
  const at = instant.getTime();
  const known = knownDays.get(zone)?.get(Math.floor(at / DAY))?.find((day) => at >= day.from && at < day.until);
  if (known !== undefined) return known.date;
  const date = formatDate(wallClock(at, zone));
  rememberDay(zone, date, at);
  return date;
}

function formatDate(w: { y: number; m: number; d: number }): string {
  return `${String(w.y).padStart(4, '0')}-${String(w.m).padStart(2, '0')}-${String(w.d).padStart(2, '0')}`;
}

/**
 * Days dateInZone has answered, per zone, with the instants each spans, filed under every UTC
 * day it touches (a day in a zone touches two or three). Asking Intl for every instant was the
 * costliest step of a health check: a sweep asks for today and for every connection's expiry,
 * several times each, and those are a few hundred days at most. A day's bounds come from
 * startOfDay and endOfDay, so a remembered answer is the one Intl would give.
 */
const knownDays = new Map<string, Map<number, Array<{ date: string; from: number; until: number }>>>();
/** UTC days filed per zone before its file is started afresh: about twenty years of days, a few hundred KB. */
const KNOWN_UTC_DAYS_PER_ZONE = 8_192;

function rememberDay(zone: string, date: string, at: number): void {
  const day = { date, from: startOfDay(date, zone).getTime(), until: endOfDay(date, zone).getTime() };
  // Only a span that holds the instant it was asked for, and whose first and last instants are
  // on that date by Intl itself: where a zone skipped its midnight (São Paulo's daylight saving
  // began at 00:00), startOfDay answers the hour before the day began, and that hour is the
  // day before's. Such a day is not remembered; it is asked of Intl each time.
  if (!(day.from <= at && at < day.until)) return;
  if (formatDate(wallClock(day.from, zone)) !== date || formatDate(wallClock(day.until - 1, zone)) !== date) return;
  let byUtcDay = knownDays.get(zone);
  if (!byUtcDay || byUtcDay.size >= KNOWN_UTC_DAYS_PER_ZONE) knownDays.set(zone, (byUtcDay = new Map()));
  for (let utcDay = Math.floor(day.from / DAY); utcDay * DAY < day.until; utcDay++) {
    const filed = byUtcDay.get(utcDay);
    if (filed) filed.push(day);
    else byUtcDay.set(utcDay, [day]);
  }
}

/** Days since 1970-01-01 of a calendar date: differences of these are calendar days. */
export function dayNumber(date: string): number {
  const [y, m, d] = date.split('-').map(Number);
  return Math.round(Date.UTC(y!, m! - 1, d!) / DAY);
}

export function addDays(date: string, days: number): string {
  return new Date((dayNumber(date) + days) * DAY).toISOString().slice(0, 10);
}

/** The instant the day begins in the zone (its midnight, wherever daylight saving puts it). */
export function startOfDay(date: string, zone: string): Date {
  const [y, m, d] = date.split('-').map(Number);
  const wall = Date.UTC(y!, m! - 1, d!);
  let at = wall - offsetAt(wall, zone);
  // The offset at the guess may be the one before a clock change; the one at the answer decides.
  const again = wall - offsetAt(at, zone);
  if (again !== at) at = again;
  return new Date(at);
}

/** The first instant after the day is over in the zone: something valid "until D" dies then. */
export function endOfDay(date: string, zone: string): Date {
  return startOfDay(addDays(date, 1), zone);
}

/** What a day that cannot be read is shown as. */
export const UNKNOWN_DAY = 'an unreadable date';

/** The last calendar day (in the zone) on which something dying at `at` is still alive. */
export function lastDay(at: Date | string, zone = 'UTC'): string {
  const end = typeof at === 'string' ? Date.parse(at) : at.getTime();
  // A stored date that does not parse is shown as such rather than breaking a whole list.
  if (!Number.isFinite(end)) return UNKNOWN_DAY;
  return dateInZone(new Date(end - 1), zone);
}

/**
 * Whole calendar days from today to the last day before `at`, both in `zone`: 0 means it dies
 * at the end of today, 14 that the last day is two weeks from today. Once `at` has passed the
 * answer is negative, even on the day itself. The only day count the bot shows or acts on.
 */
export function daysLeft(at: Date | string, now: Date, zone = 'UTC'): number {
  const end = typeof at === 'string' ? Date.parse(at) : at.getTime();
  // Unknown: NaN compares false with every threshold, so no reminder fires on a date nobody can read.
  if (!Number.isFinite(end)) return Number.NaN;
  const days = dayNumber(lastDay(new Date(end), zone)) - dayNumber(dateInZone(now, zone));
  return now.getTime() >= end ? Math.min(days, -1) : days;
}

