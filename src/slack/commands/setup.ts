import { isSpokeId, SPOKE_IDS } from '../../core/spoke-catalogue.js';
import { setupForm } from '../setup-form.js';
import { SLASH_COMMAND } from '../surface.js';
import { commandRecipient, openView } from '../tell-user.js';
import { requireAdmin, type Subcommand } from './subcommand.js';

/** `/spoke setup jira|jsm|confluence`: admins get the setup modal. */
export const setup: Subcommand = async (args, words, deps) => {
  const { command, ack, client } = args;
  const spoke = (words[0] ?? '').toLowerCase();
  if (!isSpokeId(spoke)) {
    await ack({ response_type: 'ephemeral', text: `Which spoke? \`${SLASH_COMMAND} setup ${SPOKE_IDS.join('|')}\`` });
    return;
  }
  await ack();
  if (!(await requireAdmin(args, deps, 'setup', 'set up'))) return;
  const view = setupForm(deps, { spoke, values: /^[CG]/.test(command.channel_id) ? { channel: command.channel_id } : {} });
  await openView(client, command.trigger_id, view, commandRecipient(command), { what: 'the setup form', again: 'run the command again', logger: deps.logger });
};
