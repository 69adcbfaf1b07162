import pg from 'pg';
import { z } from 'zod';
import type { Logger } from '../../logger.js';
import { CACHED_TABLE_NAMES } from './cached-tables.js';

/** The channel the tables' triggers notify on (migration 0003). */
export const CHANGES_CHANNEL = 'spokebot_changes';

export const changeNoticeSchema = z.object({
  table: z.enum(CACHED_TABLE_NAMES as [string, ...string[]]),
  key: z.string(),
  version: z.number().int(),
  deleted: z.boolean(),
  /** The row as to_jsonb gives it, when it fitted in the notice. */
  row: z.record(z.string(), z.unknown()).optional(),
});
export type ChangeNotice = z.infer<typeof changeNoticeSchema>;

export interface ChangeListenerOptions {
  url: string;
  location: string;
  onNotice(notice: ChangeNotice): void;
  /** After a lost connection is back: notices sent meanwhile are lost, so everything is read again. */
  onResumed(): Promise<void>;
  logger?: Logger;
}

const FIRST_RETRY_MS = 250;
const LAST_RETRY_MS = 30_000;

/**
 * One dedicated connection LISTENing for change notices (a pooled connection would drop the
 * LISTEN when handed back). When it is lost, it is made again with a growing wait, and the
 * replica reads everything again, since notices sent meanwhile went nowhere.
 */
export class ChangeListener {
  private client: pg.Client | undefined;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs = FIRST_RETRY_MS;
  /** A reconnect (and reload) under way, which close() waits for. */
  private retrying: Promise<void> | undefined;

  private constructor(private readonly options: ChangeListenerOptions) {}

  /** Resolves once LISTEN is in place, so no change after it is missed; throws if the first connection fails. */
  static async start(options: ChangeListenerOptions): Promise<ChangeListener> {
    const listener = new ChangeListener(options);
    await listener.connect();
    return listener;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.options.url, application_name: 'spokebot-changes' });
    client.on('notification', (message) => this.receive(message.payload));
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, undefined));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    } catch (error) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      throw error;
    }
    this.client = client;
  }

  private receive(payload: string | undefined): void {
    let notice: ChangeNotice;
    try {
      notice = changeNoticeSchema.parse(JSON.parse(payload ?? ''));
    } catch {
      // Not one of ours (someone NOTIFYing the channel by hand): nothing to apply.
      this.options.logger?.warn({ channel: CHANGES_CHANNEL }, 'ignored a change notice that is not spokebot’s');
      return;
    }
    this.options.onNotice(notice);
  }

  private lost(client: pg.Client, error: Error | undefined): void {
    if (this.client !== client || this.closed) return;
    this.client = undefined;
    client.removeAllListeners('end');
    client.end().catch(() => undefined);
    this.options.logger?.warn(
      { database: this.options.location, err: error?.message },
      'lost the connection that hears other replicas’ changes; reconnecting, reads may lag until then',
    );
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.closed) return;
    const wait = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, LAST_RETRY_MS);
    this.retryTimer = setTimeout(() => {
      this.retrying = this.retry().finally(() => (this.retrying = undefined));
    }, wait);
    this.retryTimer.unref();
  }

  private async retry(): Promise<void> {
    if (this.closed) return;
    try {
      await this.connect();
      if (this.closed) return;
      this.retryMs = FIRST_RETRY_MS;
      await this.options.onResumed();
      this.options.logger?.info({ database: this.options.location }, 'change notices resumed; read every cached table again');
    } catch (error) {
      // Closed meanwhile: the failure is the closing (an ended pool), not news.
      if (this.closed) return;
      this.options.logger?.warn({ database: this.options.location, err: error instanceof Error ? error.message : String(error) }, 'reconnecting for change notices failed; trying again');
      // A failed reload after a good LISTEN: drop the connection, so the retry reloads again.
      const client = this.client;
      this.client = undefined;
      if (client) {
        client.removeAllListeners('end');
        await client.end().catch(() => undefined);
      }
      this.scheduleRetry();
    }
  }

  /** Whether LISTEN is in place now (false while reconnecting). */
  get listening(): boolean {
    return this.client !== undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.retrying;
    const client = this.client;
    this.client = undefined;
    if (client) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
    }
  }
}
