import { removeModal } from '../blocks/remove-modal.js';
import { SLASH_COMMAND } from '../surface.js';
import { requireAdmin, type Subcommand } from './subcommand.js';

/** `/spoke remove <name>`: asks to confirm in a modal; the modal's submit deactivates. */
export const remove: Subcommand = async (args, words, deps) => {
  const { command, ack, client, respond } = args;
  const name = words.join(' ').trim();
  if (!name) {
    await ack({ response_type: 'ephemeral', text: `Which connection? \`${SLASH_COMMAND} remove <name>\` (see \`${SLASH_COMMAND} list\`)` });
    return;
  }
  await ack();
  if (!(await requireAdmin(args, deps, 'remove'))) return;
  const connection = deps.connections.active(name);
  if (!connection) {
    await respond({ response_type: 'ephemeral', text: `No active connection named "${name}". \`${SLASH_COMMAND} list\` shows them.` });
    return;
  }
  await client.views.open({ trigger_id: command.trigger_id, view: removeModal(connection) });
};
