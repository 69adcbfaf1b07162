import type { App } from '@slack/bolt';
import { writingModal } from '../blocks/progress-views.js';
import type { SlackDeps } from '../deps.js';
import { CALLBACK } from '../ids.js';
import { SetupRunner } from '../flows/setup-runner.js';

/** Confirm on the plan modal: ack with a "writing" view, then write the records after the ack. */
export function register(app: App, deps: SlackDeps): void {
  app.view({ callback_id: CALLBACK.planModal, type: 'view_submission' }, async ({ ack, body, view, client }) => {
    const setup = deps.store.getSetup(view.private_metadata);
    if (!setup || setup.status !== 'planned') {
      await ack({ response_action: 'clear' });
      return;
    }
    await ack({ response_action: 'update', view: writingModal(setup.connectionName) });
    deps.tasks.run('setup.write', () => new SetupRunner(deps, client).writeAndConsent(setup.id, body.user.id));
  });
}
