import { isSpokeId, SPOKE_IDS } from '../../core/spoke-catalogue.js';
import { setupForm } from '../setup-form.js';
import { SLASH_COMMAND } from '../surface.js';
import type { Subcommand } from './subcommand.js';

/** `/spoke setup jira|jsm|confluence`: admins get the setup modal. */
export const setup: Subcommand = async (args, words, deps) => {
  const { command, ack, client, respond } = args;
  const spoke = (words[0] ?? '').toLowerCase();
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
};
