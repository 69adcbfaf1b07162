import { removeModal } from '../blocks/remove-modal.js';
import { adminConnection, type Subcommand } from './subcommand.js';

/** `/spoke remove <name>`: asks to confirm in a modal; the modal's submit deactivates. */
export const remove: Subcommand = async (args, words, deps) => {
  const connection = await adminConnection(args, words, deps, 'remove');
  if (!connection) return;
  await args.client.views.open({ trigger_id: args.command.trigger_id, view: removeModal(connection) });
};
