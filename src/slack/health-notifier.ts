import type { WebClient } from '@slack/web-api';
import type { HealthNotifier } from '../health/health-monitor.js';
import type { DueReminder } from '../core/reminders.js';
import type { Logger } from '../logger.js';
import type { Connection, HealthRecord, SpokeStore } from '../store/spoke-store.js';
import type { AdminDirectory } from './admin-directory.js';
import { reminderMessage, stateChangeMessage } from './blocks/health-blocks.js';
import { homeView } from './home/home-view.js';
import { homePending } from './home/home-pending.js';

/**
 * Health news into Slack: state changes to the connection's channel, reminders to the channel
 * and the admin who set the connection up, and fresh App Home views for those who opened it.
 */
export class SlackHealthNotifier implements HealthNotifier {
  constructor(
    private readonly client: WebClient,
    private readonly store: SpokeStore,
    private readonly admins: AdminDirectory,
    private readonly logger: Logger,
  ) {}

  async stateChanged(connection: Connection, record: HealthRecord, kind: 'failing' | 'warning' | 'recovered'): Promise<void> {
    await this.post(connection.channel, stateChangeMessage(connection, record, kind));
  }

  /** The channel post must succeed (else the reminder is tried again); the DM is a courtesy. */
  async reminder(connection: Connection, due: DueReminder): Promise<void> {
    const message = reminderMessage(connection, due);
    await this.client.chat.postMessage({ channel: connection.channel, text: message.text, blocks: message.blocks as never });
    const dm = await this.client.conversations.open({ users: connection.createdBy }).catch(() => undefined);
    if (dm?.channel?.id) await this.post(dm.channel.id, message);
  }

  async statesChanged(): Promise<void> {
    for (const userId of this.store.homeViewers()) {
      const isAdmin = await this.admins.isAdmin(userId);
      await this.client.views.publish({ user_id: userId, view: homeView(this.store, homePending(this.store, isAdmin), isAdmin) }).catch((error: unknown) => {
        this.logger.warn({ user: userId, err: { message: (error as Error).message } }, 'could not refresh App Home');
      });
    }
  }

  /** A channel that refuses the bot is logged, not fatal: the DM and App Home still carry it. */
  private async post(channel: string, message: { text: string; blocks: unknown[] }): Promise<void> {
    try {
      await this.client.chat.postMessage({ channel, text: message.text, blocks: message.blocks as never });
    } catch (error) {
      this.logger.warn({ channel, err: { message: (error as Error).message } }, 'could not post health news');
    }
  }
}
