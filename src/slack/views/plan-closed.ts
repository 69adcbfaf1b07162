import type { App } from '@slack/bolt';
import type { SlackDeps } from '../deps.js';
import { CALLBACK } from '../ids.js';

/** Closing the plan is Cancel: nothing was written, and the secret is wiped. */
export function register(app: App, deps: SlackDeps): void {
  app.view({ callback_id: CALLBACK.planModal, type: 'view_closed' }, async ({ ack, body, view }) => {
    await ack();
    deps.tasks.run('setup.cancel', async () => {
      await deps.setup.cancel(view.private_metadata, body.user.id);
    });
  });
}
