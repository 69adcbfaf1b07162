import { expiryDaysLeft, type Expiry } from './health.js';

/**
 * Reminders before each expiry the bot can know, at fixed thresholds (30, 14, 7, 3, 1 days by
 * default), each sent once. A threshold passed while the bot was down is sent once, late; older
 * thresholds passed in the same gap are marked sent without a message, so nothing comes twice
 * and nobody gets three reminders at once.
 */
export interface DueReminder {
  key: string;
  expiry: Expiry;
  threshold: number;
  daysLeft: number;
}

export interface ReminderPlan {
  send: DueReminder[];
  /** Thresholds overtaken by a later one: recorded as handled, never sent. */
  skip: string[];
}

/** The typed day for an API token (the key it always had), the instant's UTC day otherwise. */
export function reminderKey(connection: string, expiry: Expiry, threshold: number): string {
  return `${connection}|${expiry.kind}|${expiry.on ?? expiry.at.slice(0, 10)}|${threshold}`;
}

export function dueReminders(connection: string, expiries: readonly Expiry[], thresholds: readonly number[], sent: ReadonlySet<string>, now: Date): ReminderPlan {
  const plan: ReminderPlan = { send: [], skip: [] };
  const descending = [...new Set(thresholds)].sort((a, b) => b - a);
  for (const expiry of expiries) {
    // Counted as the health check counts them, so a reminder and a check never disagree by a day.
    const daysLeft = expiryDaysLeft(expiry, now);
    if (daysLeft < 0) continue; // expired: that is an alert, not a reminder
    const passed = descending.filter((t) => daysLeft <= t);
    const unsent = passed.filter((t) => !sent.has(reminderKey(connection, expiry, t)));
    if (unsent.length === 0) continue;
    // The closest threshold passed is the one worth saying; the others are overtaken.
    const closest = Math.min(...unsent);
    for (const t of unsent) {
      const key = reminderKey(connection, expiry, t);
      if (t === closest) plan.send.push({ key, expiry, threshold: t, daysLeft });
      else plan.skip.push(key);
    }
  }
  return plan;
}
