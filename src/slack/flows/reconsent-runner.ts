import type { WebClient } from '@slack/web-api';
import { oauthCallbackUrl } from '../../core/consent-link.js';
import { formatDuration } from '../../core/duration.js';
import type { Reconsent } from '../../setup/connection-service.js';
import type { Connection } from '../../store/spoke-store.js';
import { consentTimeoutMessage, plainMessage, type Message } from '../blocks/setup-messages.js';
import { escapeMrkdwn, mentionUser, textSections } from '../blocks/text-sections.js';
import type { SlackDeps } from '../deps.js';
import { ACTION } from '../ids.js';
import { openDm, type Recipient } from '../tell-user.js';
import { rotationLease } from '../../setup/work-leases.js';

/**
 * `/spoke rotate` for a 3LO connection: ServiceNow's consent link again, in a DM thread, and
 * a watch for the refresh token it produces. The bot still never sees the token.
 */
export class ReconsentRunner {
  constructor(
    private readonly deps: SlackDeps,
    private readonly client: WebClient,
  ) {}

  async run(connection: Connection, userId: string, to: Recipient = { userId }): Promise<void> {
    // The DM first: when Slack refuses it, the admin hears why and ServiceNow is not read for nothing.
    const channel = await openDm(this.client, to, 'the fresh consent link cannot reach you', this.deps.logger);
    if (!channel) return;
    const reconsent = await this.deps.connections.startReconsent(connection, userId);
    const { link } = reconsent;
    const name = escapeMrkdwn(connection.name);
    const text = `Fresh consent for ${name}: ServiceNow asks Atlassian for new tokens.`;
    const root = await this.client.chat.postMessage({
      channel,
      text,
      blocks: [
        ...textSections([`:key: ${text} I'll watch for ${formatDuration(this.deps.consentTimeoutMs)}.`]),
        { type: 'actions', elements: [{ type: 'button', action_id: ACTION.openConsent, style: 'primary', text: { type: 'plain_text', text: 'Consent in ServiceNow' }, url: link, value: connection.name }] },
      ],
    });
    // From here a restart watches on in this thread instead of leaving the link unwatched.
    await this.deps.connections.reconsentPosted(reconsent, { channel, ts: root.ts! });
    await this.watch(connection, userId, reconsent, { channel, ts: root.ts! });
  }

  /** After a restart: a re-consent whose link reached the admin is watched on, in its thread. */
  async resume(connection: Connection, userId: string, reconsent: Reconsent, thread: { channel: string; ts: string }): Promise<void> {
    await this.watch(connection, userId, reconsent, thread);
  }

  private async watch(connection: Connection, userId: string, reconsent: Reconsent, thread: { channel: string; ts: string }): Promise<void> {
    // Leased while it runs: if this process dies, another replica watches on in the same thread.
    if (reconsent.rotationId) await this.deps.work.hold(rotationLease(reconsent.rotationId), () => this.watchInThread(connection, userId, reconsent, thread));
    else await this.watchInThread(connection, userId, reconsent, thread);
  }

  private async watchInThread(connection: Connection, userId: string, reconsent: Reconsent, thread: { channel: string; ts: string }): Promise<void> {
    const name = escapeMrkdwn(connection.name);
    const say = (message: Message) => this.client.chat.postMessage({ channel: thread.channel, thread_ts: thread.ts, ...message });
    const outcome = await this.deps.connections.waitForReconsent(connection, userId, reconsent, this.deps.tasks.signal);
    if (outcome === 'connected') {
      await say(plainMessage(`:white_check_mark: *${name}* has a fresh refresh token in ServiceNow.`));
      await this.client.chat.postMessage({ channel: connection.channel, ...plainMessage(`:arrows_counterclockwise: *${name}* was re-consented by ${mentionUser(userId)}.`) }).catch(() => undefined);
    } else if (outcome === 'timeout') {
      // No Try again button here: `/spoke rotate` again starts a fresh watch.
      await say(consentTimeoutMessage(undefined, oauthCallbackUrl(this.deps.instanceUrl), formatDuration(this.deps.consentTimeoutMs), `Run \`/spoke rotate ${name}\` to try again.`));
    }
  }
}
