import type { WebClient } from '@slack/web-api';
import { isTimeZone } from '../core/calendar.js';
import type { Logger } from '../logger.js';

/**
 * Each person's time zone, as Slack has it (`users.info` → `tz`): a date they type (an API
 * token's expiry) is a day in their calendar. Kept an hour per person; asked for when a form
 * opens, so that its submission, which must be answered within 3 seconds, rarely waits.
 */
export class UserZones {
  private readonly zones = new Map<string, { zone: string; until: number }>();
  private readonly asking = new Map<string, Promise<string | undefined>>();

  constructor(
    private readonly client: WebClient,
    private readonly logger: Logger,
    private readonly cacheMs = 3_600_000,
  ) {}

  /**
   * The user's IANA zone, or UTC when Slack does not answer within `waitMs` or names no zone
   * the runtime knows (a late answer is still kept for next time).
   */
  async zoneOf(userId: string, waitMs = 1_000): Promise<string> {
    const known = this.zones.get(userId);
    if (known && known.until > Date.now()) return known.zone;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), waitMs);
    });
    const zone = await Promise.race([this.ask(userId), late]).finally(() => clearTimeout(timer));
    return zone ?? 'UTC';
  }

  /** Starts asking Slack now (a form was opened), without waiting. */
  warm(userId: string): void {
    const known = this.zones.get(userId);
    if (!known || known.until <= Date.now()) void this.ask(userId);
  }

  private ask(userId: string): Promise<string | undefined> {
    let asking = this.asking.get(userId);
    if (!asking) {
      asking = this.client.users
        .info({ user: userId })
        .then((info) => {
          const zone = info.user?.tz;
          if (!zone || !isTimeZone(zone)) return undefined;
          this.zones.set(userId, { zone, until: Date.now() + this.cacheMs });
          return zone;
        })
        .catch((error: unknown) => {
          this.logger.warn({ user: userId, err: { message: (error as Error).message } }, 'could not read a time zone from Slack; counting dates in UTC');
          return undefined;
        })
        .finally(() => this.asking.delete(userId));
      this.asking.set(userId, asking);
    }
    return asking;
  }
}
