import { requestModal } from '../blocks/request-modal.js';
import { commandRecipient, openView } from '../tell-user.js';
import type { Subcommand } from './subcommand.js';

/** `/spoke request`: anyone may ask; the modal opens on the command's trigger. */
export const request: Subcommand = async ({ ack, client, command }, _words, deps) => {
  await ack();
  await openView(client, command.trigger_id, requestModal('new_connection', deps.store.listConnections()), commandRecipient(command), { what: 'the request form', again: 'run the command again', logger: deps.logger });
};
