import type { App } from '@slack/bolt';
import { waitingModal, writingModal } from '../blocks/progress-views.js';
import type { SlackDeps } from '../deps.js';
import { CALLBACK } from '../ids.js';
import { SetupRunner } from '../flows/setup-runner.js';

/** Confirm on the plan modal: ack with a "writing" view, then write the records after the ack. */
export function register(app: App, deps: SlackDeps): void {
  app.view({ callback_id: CALLBACK.planModal, type: 'view_submission' }, async ({ ack, body, view, client }) => {
    const setup = deps.store.getSetup(view.private_metadata);
    if (!setup || setup.status !== 'planned') {
      // Ended while the plan was open (left idle, or its secret wiped after a restart): say so
      // and where to go on, rather than close the modal without a word.
      const why = 'This setup expired and spokebot wiped its secret; nothing was written. Your DM with spokebot has a button that opens it again with your answers.';
      await ack(setup?.status === 'expired' ? { response_action: 'update', view: waitingModal('Not confirmed', `:hourglass: ${why}`) } : { response_action: 'clear' });
      return;
    }
    await ack({ response_action: 'update', view: writingModal(setup.connectionName) });
    deps.tasks.run('setup.write', () => new SetupRunner(deps, client).writeAndConsent(setup.id, body.user.id));
  });
}
