import type { App } from '@slack/bolt';
import { isSpokeId, SPOKE_IDS } from '../../core/spoke-catalogue.js';
import { helpText } from '../blocks/help.js';
import { setupForm } from '../setup-form.js';
import type { SlackDeps } from '../deps.js';
import { SLASH_COMMAND } from '../surface.js';

/**
 * `/spoke <subcommand>`. Answers that need no lookup go back in the ack itself; anything that
 * calls Slack or ServiceNow runs after it. Unknown or empty text shows help (SPEC section 2).
 */
export function register(app: App, deps: SlackDeps): void {
  app.command(SLASH_COMMAND, async ({ command, ack, client, respond }) => {
    const [subcommand = '', ...args] = command.text.trim().split(/\s+/);
    if (subcommand.toLowerCase() !== 'setup') {
      await ack({ response_type: 'ephemeral', text: helpText() });
      return;
    }
    const spoke = (args[0] ?? '').toLowerCase();
    if (!isSpokeId(spoke)) {
      await ack({ response_type: 'ephemeral', text: `Which spoke? \`${SLASH_COMMAND} setup ${SPOKE_IDS.join('|')}\`` });
      return;
    }
    await ack();
    if (!(await deps.admins.isAdmin(command.user_id))) {
      await deps.store.audit({ actor: command.user_id, action: 'setup.open', outcome: 'refused', detail: { spoke, reason: 'not an admin' } });
      await respond({
        response_type: 'ephemeral',
        text: `Only spokebot admins can set up connections. Ask one of them, or an owner of this workspace, to run \`${SLASH_COMMAND} setup ${spoke}\`.`,
      });
      return;
    }
    await client.views.open({
      trigger_id: command.trigger_id,
      view: setupForm(deps, { spoke, values: /^[CG]/.test(command.channel_id) ? { channel: command.channel_id } : {} }),
    });
  });
}
