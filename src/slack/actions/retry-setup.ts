import type { App, BlockButtonAction } from '@slack/bolt';
import { adminOrRefuse } from '../admin-gate.js';
import type { SlackDeps } from '../deps.js';
import { ACTION } from '../ids.js';
import { SetupRunner } from '../flows/setup-runner.js';
import { clickRecipient } from '../tell-user.js';

/** Retry after a failed write: resumes, since every record is looked up before it is written. */
export function register(app: App, deps: SlackDeps): void {
  app.action<BlockButtonAction>(ACTION.retrySetup, async ({ ack, body, action, client }) => {
    await ack();
    deps.tasks.run('setup.retry', async () => {
      const setup = deps.store.getSetup(action.value ?? '');
      // Admins only, checked now: the button stays in a thread long after it was posted.
      const allowed = await adminOrRefuse(deps, client, clickRecipient(body), { action: 'setup.retry', doing: 'write connection records to ServiceNow', ...(setup ? { setupId: setup.id } : {}) });
      if (!allowed || !setup) return;
      await new SetupRunner(deps, client).writeAndConsent(setup.id, body.user.id);
    });
  });
}
