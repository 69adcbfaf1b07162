/**
 * A health notice (an alert or a reminder) goes to the connection's channel and to the DM of the
 * admin who set it up, and counts as sent when either took it. When neither did, it is tried
 * again after a wait that doubles (1 h, 2 h, 4 h, 8 h), at the checks that fall after it, and
 * given up after the fifth try: a notice about an expiry days away is worth little a day late,
 * and a Slack that refuses both paths for that long needs a person, whom the log tells.
 */
export const NOTICE_RETRY = { firstMs: 3_600_000, maxMs: 12 * 3_600_000, tries: 5 } as const;

export type NoticeRetry = { giveUp: true } | { giveUp: false; nextAt: string };

/** After failed try number `tries` (1 for the first), when to try again, or that it is given up. */
export function nextNoticeTry(tries: number, now: Date): NoticeRetry {
  if (tries >= NOTICE_RETRY.tries) return { giveUp: true };
  const wait = Math.min(NOTICE_RETRY.firstMs * 2 ** Math.max(tries - 1, 0), NOTICE_RETRY.maxMs);
  return { giveUp: false, nextAt: new Date(now.getTime() + wait).toISOString() };
}

/** Whether a notice that reached nobody may be tried now. */
export function noticeDue(undelivered: { nextAt: string } | undefined, now: Date): boolean {
  return undelivered === undefined || Date.parse(undelivered.nextAt) <= now.getTime();
}
