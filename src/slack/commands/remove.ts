import { removeModal } from '../blocks/remove-modal.js';
import { commandRecipient, openView } from '../tell-user.js';
import { adminConnection, type Subcommand } from './subcommand.js';

/** `/spoke remove <name>`: asks to confirm in a modal; the modal's submit deactivates. */
export const remove: Subcommand = async (args, words, deps) => {
  const connection = await adminConnection(args, words, deps, 'remove');
  if (!connection) return;
  await openView(args.client, args.command.trigger_id, removeModal(connection), commandRecipient(args.command), { what: 'the remove form', again: 'run the command again', logger: deps.logger });
};
