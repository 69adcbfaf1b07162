import type { App, BlockAction, ConversationsSelectAction } from '@slack/bolt';
import { adminOrRefuse } from '../admin-gate.js';
import { reportChannelMovedMessage } from '../blocks/health-blocks.js';
import { escapeMrkdwn, mentionChannel } from '../blocks/text-sections.js';
import type { SlackDeps } from '../deps.js';
import { ACTION, REPORT_CHANNEL_BLOCK } from '../ids.js';
import { clickRecipient, slackFailureOf, slackFailureText } from '../tell-user.js';

/**
 * The channel picker on a health notice DM'd because the report channel refused the bot: the
 * connection's reports move to the channel picked, once spokebot has proved it may post there.
 */
export function register(app: App, deps: SlackDeps): void {
  app.action<BlockAction<ConversationsSelectAction>>(ACTION.pickReportChannel, async ({ ack, body, action, client, respond }) => {
    await ack();
    deps.tasks.run('connection.report_channel', async () => {
      const name = (action.block_id ?? '').slice(REPORT_CHANNEL_BLOCK.length);
      const channel = action.selected_conversation;
      const to = clickRecipient(body);
      if (!(await adminOrRefuse(deps, client, to, { action: 'connection.report_channel', doing: 'choose where a connection reports', connection: name }))) return;
      const before = deps.store.getConnection(name);
      if (!before || before.state === 'removed' || !channel) {
        await respond({ response_type: 'ephemeral', replace_original: false, text: `No active connection named ${escapeMrkdwn(name)}.` });
        return;
      }
      // The message in the new channel is the proof that spokebot may post there.
      try {
        await client.chat.postMessage({ channel, ...reportChannelMovedMessage(before, to.userId) });
      } catch (error) {
        const failure = slackFailureOf(error);
        if (!failure) throw error;
        await respond({ response_type: 'ephemeral', replace_original: false, text: `:warning: ${slackFailureText(failure, `post in ${mentionChannel(channel)}`, 'pick it again once it is fixed, or pick another channel')} The reports still go to ${mentionChannel(before.channel)}.` });
        return;
      }
      // Onto the connection as it is after the post, never over a removal made meanwhile; the
      // credential is untouched, so a check running now keeps its result.
      if (!(await deps.store.transitionConnection(name, ['connected', 'awaiting_consent'], { channel }))) return;
      await deps.store.setReportRefusal(name, undefined);
      await deps.store.audit({ actor: to.userId, action: 'connection.report_channel', outcome: 'ok', connection: name, detail: { from: before.channel, to: channel } });
      await respond({ response_type: 'ephemeral', replace_original: false, text: `:white_check_mark: The health reports of ${escapeMrkdwn(name)} now go to ${mentionChannel(channel)}.` });
    });
  });
}
