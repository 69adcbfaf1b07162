import type { App, BlockButtonAction } from '@slack/bolt';
import { adminOrRefuse } from '../admin-gate.js';
import type { SlackDeps } from '../deps.js';
import { ACTION } from '../ids.js';
import { SetupRunner } from '../flows/setup-runner.js';
import { clickRecipient } from '../tell-user.js';

/**
 * Try again after a consent timeout, also once the setup has expired: the link again with a fresh
 * baseline and a fresh watch (SetupService.restartConsent), for admins.
 */
export function register(app: App, deps: SlackDeps): void {
  app.action<BlockButtonAction>(ACTION.retryConsent, async ({ ack, body, action, client }) => {
    await ack();
    deps.tasks.run('setup.consent_retry', async () => {
      const setup = deps.store.getSetup(action.value ?? '');
      const allowed = await adminOrRefuse(deps, client, clickRecipient(body), { action: 'setup.consent_retry', doing: 'watch ServiceNow for a consent', ...(setup ? { setupId: setup.id } : {}) });
      if (!allowed || !setup) return;
      await new SetupRunner(deps, client).retryConsent(setup.id, body.user.id);
    });
  });
}
