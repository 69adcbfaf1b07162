import type { App, BlockButtonAction } from '@slack/bolt';
import { plainMessage } from '../blocks/setup-messages.js';
import { escapeMrkdwn, mentionUser } from '../blocks/text-sections.js';
import { adminOrRefuse } from '../admin-gate.js';
import type { SlackDeps } from '../deps.js';
import { ACTION } from '../ids.js';
import { SetupRunner } from '../flows/setup-runner.js';
import { clickRecipient } from '../tell-user.js';

/** Confirm on a plan posted as a DM (the admin closed the modal early): admins only, checked at the click; the service checks it is theirs. */
export function register(app: App, deps: SlackDeps): void {
  app.action<BlockButtonAction>(ACTION.confirmPlan, async ({ ack, body, action, client }) => {
    await ack();
    deps.tasks.run('setup.write', async () => {
      const setup = deps.store.getSetup(action.value ?? '');
      const allowed = await adminOrRefuse(deps, client, clickRecipient(body), { action: 'setup.confirm', doing: 'write connection records to ServiceNow', ...(setup ? { setupId: setup.id } : {}) });
      if (!allowed || !setup) return;
      if (setup.userId === body.user.id && setup.status === 'planned' && body.container.message_ts && body.channel?.id) {
        await client.chat.update({ channel: body.channel.id, ts: body.container.message_ts, ...plainMessage(`Plan for *${escapeMrkdwn(setup.connectionName)}*: confirmed by ${mentionUser(body.user.id)}.`) });
      }
      await new SetupRunner(deps, client).writeAndConsent(setup.id, body.user.id);
    });
  });
}
