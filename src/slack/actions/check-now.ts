import type { App, BlockButtonAction } from '@slack/bolt';
import { statusBlocks } from '../blocks/health-blocks.js';
import type { SlackDeps } from '../deps.js';
import { ACTION } from '../ids.js';

/** "Check now" on an alert, a reminder or App Home: runs the checks and answers the clicker. */
export function register(app: App, deps: SlackDeps): void {
  app.action<BlockButtonAction>(ACTION.checkNow, async ({ ack, body, action, client, respond }) => {
    await ack();
    deps.tasks.run('health.check_now', async () => {
      const connection = deps.connections.active(action.value ?? '');
      if (!connection || connection.state !== 'connected') return;
      const record = await deps.monitor.check(connection);
      const blocks = statusBlocks(connection, record);
      // From a message: answer in place for the clicker; from App Home the monitor redraws it.
      if (body.container.type === 'message' && body.response_url) await respond({ response_type: 'ephemeral', replace_original: false, text: `Health of ${connection.name}`, blocks });
      else if (body.container.type === 'view') await client.chat.postEphemeral({ channel: connection.channel, user: body.user.id, text: `Health of ${connection.name}`, blocks }).catch(() => undefined);
    });
  });
}
