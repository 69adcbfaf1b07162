import type { App, BlockButtonAction } from '@slack/bolt';
import { plainMessage } from '../blocks/setup-messages.js';
import type { SlackDeps } from '../deps.js';
import { ACTION } from '../ids.js';
import { SetupRunner } from '../flows/setup-runner.js';

/** Confirm on a plan posted as a DM (the admin closed the modal early). The service checks who. */
export function register(app: App, deps: SlackDeps): void {
  app.action<BlockButtonAction>(ACTION.confirmPlan, async ({ ack, body, action, client }) => {
    await ack();
    deps.tasks.run('setup.write', async () => {
      const setup = deps.store.getSetup(action.value ?? '');
      if (!setup) return;
      if (setup.userId === body.user.id && setup.status === 'planned' && body.container.message_ts && body.channel?.id) {
        await client.chat.update({ channel: body.channel.id, ts: body.container.message_ts, ...plainMessage(`Plan for *${setup.connectionName}*: confirmed by <@${body.user.id}>.`) });
      }
      await new SetupRunner(deps, client).writeAndConsent(setup.id, body.user.id);
    });
  });
}
