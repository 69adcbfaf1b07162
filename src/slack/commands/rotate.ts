import { defaultTokenExpiry } from '../../core/setup-request.js';
import { rotateModal } from '../blocks/rotate-modal.js';
import { ReconsentRunner } from '../flows/reconsent-runner.js';
import { escapeMrkdwn } from '../blocks/text-sections.js';
import { commandRecipient, openView } from '../tell-user.js';
import { adminConnection, type Subcommand } from './subcommand.js';

/**
 * `/spoke rotate <name>`: a modal for a new API token or client secret; for 3LO, a fresh
 * consent link in a DM and a watch for the new refresh token.
 */
export const rotate: Subcommand = async (args, words, deps) => {
  const connection = await adminConnection(args, words, deps, 'rotate');
  if (!connection) return;
  const { command, client, respond } = args;
  if (connection.method === 'oauth_3lo') {
    await respond({ response_type: 'ephemeral', text: `I'm sending a fresh consent link for *${escapeMrkdwn(connection.name)}* to your DM.` });
    deps.tasks.run('connection.reconsent', () => new ReconsentRunner(deps, client).run(connection, command.user_id, commandRecipient(command)));
    return;
  }
  deps.zones.warm(command.user_id);
  const view = rotateModal({ connection, defaultTokenExpiry: defaultTokenExpiry(deps.now()) });
  await openView(client, command.trigger_id, view, commandRecipient(command), { what: 'the rotate form', again: 'run the command again', logger: deps.logger });
};
