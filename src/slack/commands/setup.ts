import type { WebClient } from '@slack/web-api';
import { isSpokeId, SPOKE_IDS, type SpokeId } from '../../core/spoke-catalogue.js';
import type { SlackDeps } from '../deps.js';
import { setupForm } from '../setup-form.js';
import { SLASH_COMMAND } from '../surface.js';
import { commandRecipient, openView, type Recipient } from '../tell-user.js';
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
  await openSetupForm(deps, client, { spoke, triggerId: command.trigger_id, to: commandRecipient(command), again: 'run the command again', ...(/^[CG]/.test(command.channel_id) ? { channel: command.channel_id } : {}) });
};

/**
 * The empty setup form for a spoke, as `/spoke setup <spoke>` and App Home's Set up buttons open
 * it; the caller has checked the admin. A channel the command ran in is offered for reports.
 */
export async function openSetupForm(deps: SlackDeps, client: WebClient, o: { spoke: SpokeId; triggerId: string; to: Recipient; again: string; channel?: string }): Promise<void> {
  // An API token's expiry is read in the admin's zone: asked now, ready by the time they submit.
  deps.zones.warm(o.to.userId);
  const view = setupForm(deps, { spoke: o.spoke, values: o.channel ? { channel: o.channel } : {} });
  await openView(client, o.triggerId, view, o.to, { what: 'the setup form', again: o.again, logger: deps.logger });
}
