import { requestModal } from '../blocks/request-modal.js';
import type { Subcommand } from './subcommand.js';

/** `/spoke request`: anyone may ask; the modal opens on the command's trigger. */
export const request: Subcommand = async ({ ack, client, command }, _words, deps) => {
  await ack();
  await client.views.open({ trigger_id: command.trigger_id, view: requestModal('new_connection', deps.store.listConnections()) });
};
