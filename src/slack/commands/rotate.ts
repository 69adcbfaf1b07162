import { defaultTokenExpiry } from '../../core/setup-request.js';
import { rotateModal } from '../blocks/rotate-modal.js';
import { ReconsentRunner } from '../reconsent-runner.js';
import { SLASH_COMMAND } from '../surface.js';
import { requireAdmin, type Subcommand } from './subcommand.js';

/**
 * `/spoke rotate <name>`: a modal for a new API token or client secret; for 3LO, a fresh
 * consent link in a DM and a watch for the new refresh token.
 */
export const rotate: Subcommand = async (args, words, deps) => {
  const { command, ack, client, respond } = args;
  const name = words.join(' ').trim();
  if (!name) {
    await ack({ response_type: 'ephemeral', text: `Which connection? \`${SLASH_COMMAND} rotate <name>\` (see \`${SLASH_COMMAND} list\`)` });
    return;
  }
  await ack();
  if (!(await requireAdmin(args, deps, 'rotate'))) return;
  const connection = deps.connections.active(name);
  if (!connection) {
    await respond({ response_type: 'ephemeral', text: `No active connection named "${name}". \`${SLASH_COMMAND} list\` shows them.` });
    return;
  }
  if (connection.method === 'oauth_3lo') {
    await respond({ response_type: 'ephemeral', text: `A fresh consent link for *${connection.name}* is in your DM.` });
    deps.tasks.run('connection.reconsent', () => new ReconsentRunner(deps, client).run(connection, command.user_id));
    return;
  }
  await client.views.open({ trigger_id: command.trigger_id, view: rotateModal({ connection, defaultTokenExpiry: defaultTokenExpiry(deps.now()) }) });
};
