import type { WebClient } from '@slack/web-api';
import { oauthCallbackUrl } from '../core/consent-link.js';
import { formatDuration } from '../core/duration.js';
import { SPOKES } from '../core/spoke-catalogue.js';
import type { PendingSetup } from '../store/spoke-store.js';
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
} from './blocks/setup-messages.js';
import type { SlackDeps } from './deps.js';

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
    const result = await this.deps.setup.confirm(setupId, userId);
    if (!result.ok && result.reason !== 'write_failed') {
      if (result.reason === 'not_owner' && result.setup) await this.say(result.setup, plainMessage(`Only <@${result.setup.userId}>, who started this setup, can confirm it.`));
      return;
    }
    if (!result.ok) {
      const { error } = result;
      await this.say(result.setup, writeFailedMessage(setupId, `ServiceNow refused ${error.failedRecord.table} "${error.failedRecord.label}": ${error.failure.message}.`, error.hint, error.written));
      return;
    }
    await this.say(result.setup, recordsWrittenMessage(result.written));
    await this.say(result.setup, consentMessage(setupId, result.link, formatDuration(this.deps.consentTimeoutMs)));
    await this.watchConsent(setupId);
  }

  async watchConsent(setupId: string): Promise<void> {
    const outcome = await this.deps.setup.watchConsent(setupId, this.deps.tasks.signal);
    const setup = this.deps.store.getSetup(setupId)!;
    if (outcome === 'connected') {
      await this.say(setup, connectedMessage(setup.connectionName, setup.siteOrigin));
      const spoke = SPOKES[setup.spoke];
      await this.client.chat.postMessage({ channel: setup.channel, ...channelConnectedMessage(setup.connectionName, spoke.label, setup.siteOrigin, setup.userId) });
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

  /** Posts into the setup's DM thread, starting the thread on first use. */
  async say(setup: PendingSetup, message: Message): Promise<void> {
    const thread = setup.thread ?? (await this.startThread(setup));
    await this.client.chat.postMessage({ channel: thread.channel, thread_ts: thread.ts, ...message });
  }

  private async startThread(setup: PendingSetup): Promise<{ channel: string; ts: string }> {
    const dm = await this.client.conversations.open({ users: setup.userId });
    const channel = dm.channel?.id;
    if (!channel) throw new Error('conversations.open returned no channel');
    const root = await this.client.chat.postMessage({ channel, ...threadRootMessage(setup.connectionName, SPOKES[setup.spoke].label, this.deps.instanceUrl) });
    const thread = { channel, ts: root.ts! };
    await this.deps.store.updateSetup(setup.id, { thread });
    return thread;
  }
}
