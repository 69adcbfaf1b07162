import type { App } from '@slack/bolt';
import type { SlackDeps } from '../deps.js';
import { CALLBACK } from '../ids.js';
import { decodeSetupMetadata } from '../private-metadata.js';

/**
 * Closing a setup form that came back (after a site problem) ends that setup, so its sealed
 * secret does not wait out the expiry. A fresh form holds nothing and does not notify.
 */
export function register(app: App, deps: SlackDeps): void {
  app.view({ callback_id: CALLBACK.setupModal, type: 'view_closed' }, async ({ ack, body, view }) => {
    await ack();
    const setupId = decodeSetupMetadata(view.private_metadata)?.setupId;
    if (!setupId) return;
    deps.tasks.run('setup.cancel', async () => {
      await deps.setup.cancel(setupId, body.user.id);
    });
  });
}
