import type { App, BlockButtonAction } from '@slack/bolt';
import { defaultTokenExpiry } from '../../core/setup-request.js';
import { plainMessage } from '../blocks/setup-messages.js';
import { rotateModal } from '../blocks/rotate-modal.js';
import type { SlackDeps } from '../deps.js';
import { ACTION } from '../ids.js';
import { ReconsentRunner } from '../flows/reconsent-runner.js';

/**
 * Rotate and Re-consent buttons on alerts, reminders and App Home cards: the same as
 * `/spoke rotate <name>`, for admins. The trigger_id of the click opens the rotate modal.
 */
export function register(app: App, deps: SlackDeps): void {
  for (const actionId of [ACTION.fixRotate, ACTION.fixReconsent]) {
    app.action<BlockButtonAction>(actionId, async ({ ack, body, action, client }) => {
      await ack();
      const connection = deps.connections.active(action.value ?? '');
      if (!connection) return;
      if (!(await deps.admins.isAdmin(body.user.id))) {
        await deps.store.audit({ actor: body.user.id, action: 'rotate.open', outcome: 'refused', connection: connection.name, detail: { reason: 'not an admin' } });
        const dm = await client.conversations.open({ users: body.user.id });
        if (dm.channel?.id) await client.chat.postMessage({ channel: dm.channel.id, ...plainMessage(`Only spokebot admins can fix *${connection.name}*. Ask one of them.`) });
        return;
      }
      if (connection.method === 'oauth_3lo') {
        deps.tasks.run('connection.reconsent', () => new ReconsentRunner(deps, client).run(connection, body.user.id));
        return;
      }
      await client.views.open({ trigger_id: body.trigger_id, view: rotateModal({ connection, defaultTokenExpiry: defaultTokenExpiry(deps.now()) }) });
    });
  }
}
