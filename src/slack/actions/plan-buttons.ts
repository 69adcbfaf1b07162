import type { App, BlockButtonAction } from '@slack/bolt';
import { plainMessage } from '../blocks/setup-messages.js';
import type { SlackDeps } from '../deps.js';
import { ACTION } from '../ids.js';
import { SetupRunner } from '../setup-runner.js';

/**
 * Confirm / Cancel on a plan posted as a DM (when the admin closed the modal early), and Retry
 * after a failed write. Only the admin who started the setup may press them; the service checks.
 */
export function register(app: App, deps: SlackDeps): void {
  app.action<BlockButtonAction>(ACTION.confirmPlan, async ({ ack, body, action, client }) => {
    await ack();
    deps.tasks.run('setup.write', async () => {
      const setup = deps.store.getSetup(action.value ?? '');
      if (!setup) return;
      if (setup.userId === body.user.id && body.container.message_ts && body.channel?.id) {
        await client.chat.update({ channel: body.channel.id, ts: body.container.message_ts, ...plainMessage(`Plan for *${setup.connectionName}*: confirmed by <@${body.user.id}>.`) });
      }
      await new SetupRunner(deps, client).writeAndConsent(setup.id, body.user.id);
    });
  });

  app.action<BlockButtonAction>(ACTION.cancelPlan, async ({ ack, body, action, client }) => {
    await ack();
    deps.tasks.run('setup.cancel', async () => {
      const cancelled = await deps.setup.cancel(action.value ?? '', body.user.id);
      if (cancelled && body.container.message_ts && body.channel?.id) {
        await client.chat.update({ channel: body.channel.id, ts: body.container.message_ts, ...plainMessage(`Setup of *${cancelled.connectionName}* cancelled; nothing more will be written.`) });
      }
    });
  });

  app.action<BlockButtonAction>(ACTION.retrySetup, async ({ ack, body, action, client }) => {
    await ack();
    deps.tasks.run('setup.retry', () => new SetupRunner(deps, client).writeAndConsent(action.value ?? '', body.user.id));
  });
}
