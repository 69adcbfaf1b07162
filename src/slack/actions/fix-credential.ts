import type { App, BlockButtonAction } from '@slack/bolt';
import { defaultTokenExpiry } from '../../core/setup-request.js';
import { escapeMrkdwn } from '../blocks/text-sections.js';
import { rotateModal } from '../blocks/rotate-modal.js';
import { adminOrRefuse } from '../admin-gate.js';
import type { SlackDeps } from '../deps.js';
import { ACTION } from '../ids.js';
import { ReconsentRunner } from '../flows/reconsent-runner.js';
import { clickRecipient, openView } from '../tell-user.js';

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
      // From App Home there is no response_url: the connection's channel, then a DM.
      const to = clickRecipient(body, connection.channel);
      const doing = `${connection.method === 'oauth_3lo' ? 're-consent' : 'rotate the credential of'} *${escapeMrkdwn(connection.name)}*`;
      if (!(await adminOrRefuse(deps, client, to, { action: 'rotate.open', doing, connection: connection.name }))) return;
      if (connection.method === 'oauth_3lo') {
        deps.tasks.run('connection.reconsent', () => new ReconsentRunner(deps, client).run(connection, body.user.id, to));
        return;
      }
      deps.zones.warm(body.user.id);
      const view = rotateModal({ connection, defaultTokenExpiry: defaultTokenExpiry(deps.now()) });
      await openView(client, body.trigger_id, view, to, { what: 'the rotate form', again: 'click the button again', logger: deps.logger });
    });
  }
}
