import type { App, BlockButtonAction } from '@slack/bolt';
import { plainMessage } from '../blocks/setup-messages.js';
import { escapeMrkdwn } from '../blocks/text-sections.js';
import type { SlackDeps } from '../deps.js';
import { ACTION } from '../ids.js';

export function register(app: App, deps: SlackDeps): void {
  app.action<BlockButtonAction>(ACTION.cancelPlan, async ({ ack, body, action, client }) => {
    await ack();
    deps.tasks.run('setup.cancel', async () => {
      const cancelled = await deps.setup.cancel(action.value ?? '', body.user.id);
      if (cancelled && body.container.message_ts && body.channel?.id) {
        await client.chat.update({ channel: body.channel.id, ts: body.container.message_ts, ...plainMessage(`Setup of *${escapeMrkdwn(cancelled.connectionName)}* cancelled; nothing more will be written.`) });
      }
    });
  });
}
