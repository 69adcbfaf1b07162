import type { WebClient } from '@slack/web-api';
import { oauthCallbackUrl } from '../../core/consent-link.js';
import { formatDuration } from '../../core/duration.js';
import { SPOKES } from '../../core/spoke-catalogue.js';
import type { PendingSetup } from '../../store/spoke-store.js';
import {
  channelConnectedMessage,
  connectedMessage,
  consentMessage,
  consentTimeoutMessage,
  plainMessage,
  recordsWrittenMessage,
  threadRootMessage,
  writeFailedMessage,
  type Message,
} from '../blocks/setup-messages.js';
import { messageParts } from '../blocks/text-sections.js';
import type { SlackDeps } from '../deps.js';

const STATUS_WORDS: Partial<Record<PendingSetup['status'], string>> = {
  writing: 'is already writing its records',
  awaiting_consent: 'has written its records and waits for consent',
  connected: 'is already connected',
  cancelled: 'was cancelled',
  expired: 'expired',
};

/**
 * The part of a setup that runs after the ack and talks back through a DM thread: write the
 * records, hand over the consent link, watch for the tokens, say "connected". Confirm (modal or
 * button) and Retry both come here; the writes resume where they stopped.
 */
export class SetupRunner {
  constructor(
    private readonly deps: SlackDeps,
    private readonly client: WebClient,
  ) {}

  async writeAndConsent(setupId: string, userId: string): Promise<void> {
    const setup = this.deps.store.getSetup(setupId);
    if (!setup) return;
    if (!(await this.deps.admins.isAdmin(userId))) {
      await this.deps.store.audit({ actor: userId, action: 'setup.confirm', outcome: 'refused', setupId, detail: { reason: 'not an admin' } });
      return;
    }
    // The DM thread before any write: when Slack will not let spokebot reach the admin (told
    // why by DmThreads), nothing is written that would wait for a consent link nobody gets.
    await this.deps.threads.threadFor(this.client, setup.id, () => threadRootMessage(setup.connectionName, SPOKES[setup.spoke].label, this.deps.instanceUrl));
    const result = await this.deps.setup.confirm(setupId, userId);
    if (!result.ok && result.reason !== 'write_failed') {
      if (!result.setup) return;
      const text =
        result.reason === 'not_owner'
          ? `Only <@${result.setup.userId}>, who started this setup, can confirm it.`
          : `This setup ${STATUS_WORDS[result.setup.status] ?? `is ${result.setup.status.replace(/_/g, ' ')}`}; nothing more to do here.`;
      await this.say(result.setup, plainMessage(text));
      return;
    }
    if (!result.ok) {
      const { error } = result;
      await this.say(result.setup, writeFailedMessage(setupId, `ServiceNow refused ${error.failedRecord.table} "${error.failedRecord.label}": ${error.failure.message}.`, error.hint, error.written));
      return;
    }
    await this.say(result.setup, recordsWrittenMessage(result.written));
    if (!result.link) {
      // API token or service account: verified before writing, so connected now.
      await this.say(result.setup, connectedMessage(result.setup.connectionName, result.setup.siteOrigin, result.setup.method));
      await this.announce(result.setup);
      return;
    }
    await this.say(result.setup, consentMessage(setupId, result.link, formatDuration(this.deps.consentTimeoutMs)));
    await this.watchConsent(setupId);
  }

  async watchConsent(setupId: string): Promise<void> {
    const outcome = await this.deps.setup.watchConsent(setupId, this.deps.tasks.signal);
    const setup = this.deps.store.getSetup(setupId)!;
    if (outcome === 'connected') {
      await this.say(setup, connectedMessage(setup.connectionName, setup.siteOrigin, setup.method));
      await this.announce(setup);
    } else if (outcome === 'timeout') {
      await this.say(setup, consentTimeoutMessage(setupId, oauthCallbackUrl(this.deps.instanceUrl), formatDuration(this.deps.consentTimeoutMs)));
    }
  }

  async retryConsent(setupId: string, userId: string): Promise<void> {
    const setup = await this.deps.setup.restartConsent(setupId, userId);
    if (!setup?.consent) return;
    await this.say(setup, consentMessage(setupId, setup.consent.link, formatDuration(this.deps.consentTimeoutMs)));
    await this.watchConsent(setupId);
  }

  /** After a restart: a setup cut off mid-write gets its Retry button. */
  async reportInterrupted(setup: PendingSetup): Promise<void> {
    await this.say(setup, writeFailedMessage(setup.id, setup.failure?.message ?? 'interrupted', setup.failure?.hint ?? 'Press Retry.', setup.written));
  }

  /**
   * Posts into the setup's DM thread, starting the thread on first use. A message longer than
   * Slack takes in one goes on in the next messages of the thread, in order.
   */
  async say(setup: PendingSetup, message: Message): Promise<void> {
    const thread = await this.deps.threads.threadFor(this.client, setup.id, () =>
      threadRootMessage(setup.connectionName, SPOKES[setup.spoke].label, this.deps.instanceUrl),
    );
    for (const part of messageParts(message)) await this.client.chat.postMessage({ channel: thread.channel, thread_ts: thread.ts, ...part });
  }

  /**
   * Tells the chosen channel. A bot can post to public channels (chat:write.public) but must be
   * invited to private ones; if Slack refuses, the admin hears how to fix it.
   */
  private async announce(setup: PendingSetup): Promise<void> {
    const spoke = SPOKES[setup.spoke];
    try {
      await this.client.chat.postMessage({ channel: setup.channel, ...channelConnectedMessage(setup.connectionName, spoke.label, setup.siteOrigin, setup.userId) });
    } catch (error) {
      const code = (error as { data?: { error?: string } }).data?.error;
      if (code !== 'not_in_channel' && code !== 'channel_not_found' && code !== 'is_archived') throw error;
      await this.say(setup, plainMessage(`I could not post in <#${setup.channel}> (${code}). Invite me there with \`/invite @spokebot\` so the channel hears about this connection's health.`));
    }
  }
}
