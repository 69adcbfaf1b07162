import type { WebClient } from '@slack/web-api';
import type { Delivery, HealthNotifier } from '../health/health-monitor.js';
import type { DueReminder } from '../core/reminders.js';
import type { Logger } from '../logger.js';
import type { Connection, HealthRecord, SpokeStore } from '../store/spoke-store.js';
import { noticeForAdmin, reminderMessage, stateChangeMessage } from './blocks/health-blocks.js';
import type { Message } from './blocks/setup-messages.js';
import type { HomeRedraws } from './home/home-redraws.js';
import { slackFailureOf } from './tell-user.js';

/**
 * Refusals of a channel that no wait fixes: a person has to invite the bot, unarchive the
 * channel, choose another or grant a scope. Anything else (a 429, no answer) may pass by itself.
 */
const CHANNEL_REFUSALS: readonly string[] = ['not_in_channel', 'channel_not_found', 'is_archived', 'missing_scope', 'restricted_action'];

/**
 * Health news into Slack: state changes and reminders to the connection's channel and to the
 * admin who set the connection up, each path on its own (a channel that refuses the bot does
 * not keep the admin from hearing it), and App Home redraws for those who opened it lately.
 */
export class SlackHealthNotifier implements HealthNotifier {
  constructor(
    private readonly client: WebClient,
    private readonly store: SpokeStore,
    private readonly homes: HomeRedraws,
    private readonly logger: Logger,
    private readonly now: () => Date,
  ) {}

  stateChanged(connection: Connection, record: HealthRecord, kind: 'failing' | 'warning' | 'recovered'): Promise<Delivery> {
    return this.deliver(connection, stateChangeMessage(connection, record, kind));
  }

  reminder(connection: Connection, due: DueReminder): Promise<Delivery> {
    return this.deliver(connection, reminderMessage(connection, due));
  }

  /** Only schedules the redraws: a sweep must not wait for hundreds of views.publish calls. */
  async statesChanged(): Promise<void> {
    this.homes.schedule();
  }

  /**
   * The channel first, then the admin's DM whatever the channel did; the DM says so when the
   * channel refused, and how to fix it. Delivered when either took the message.
   */
  private async deliver(connection: Connection, message: Message): Promise<Delivery> {
    const channel = await this.toChannel(connection, message);
    const dm = await this.toAdmin(connection, noticeForAdmin(connection, message, channel === 'sent' ? undefined : channel.refused));
    if (channel === 'sent' || dm === 'sent') return { delivered: true };
    return { delivered: false, problem: `channel: ${channel.problem}; DM: ${dm.problem}` };
  }

  private async toChannel(connection: Connection, message: Message): Promise<'sent' | { problem: string; refused?: { channel: string; error: string } }> {
    try {
      await this.client.chat.postMessage({ channel: connection.channel, text: message.text, blocks: message.blocks });
      await this.store.setReportRefusal(connection.name, undefined);
      return 'sent';
    } catch (error) {
      const code = slackFailureOf(error)?.code ?? (error as Error).message;
      this.logger.warn({ connection: connection.name, channel: connection.channel, code }, 'could not post health news in the report channel');
      if (!CHANNEL_REFUSALS.includes(code)) return { problem: code };
      const refused = { channel: connection.channel, error: code };
      const known = this.store.reportRefusal(connection.name);
      // Recorded (shown on App Home) and audited once per channel and reason, however many notices it refuses.
      if (known?.channel !== refused.channel || known.error !== refused.error) {
        await this.store.setReportRefusal(connection.name, { ...refused, at: this.now().toISOString() });
        await this.store.audit({ actor: 'spokebot', action: 'health.channel_refused', outcome: 'failed', connection: connection.name, detail: refused });
      }
      return { problem: code, refused };
    }
  }

  private async toAdmin(connection: Connection, message: Message): Promise<'sent' | { problem: string }> {
    try {
      const dm = await this.client.conversations.open({ users: connection.createdBy });
      if (!dm.channel?.id) return { problem: 'no DM channel' };
      await this.client.chat.postMessage({ channel: dm.channel.id, text: message.text, blocks: message.blocks });
      return 'sent';
    } catch (error) {
      const code = slackFailureOf(error)?.code ?? (error as Error).message;
      this.logger.warn({ connection: connection.name, user: connection.createdBy, code }, 'could not DM health news to the admin');
      return { problem: code };
    }
  }
}
