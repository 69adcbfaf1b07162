import type { App, BlockButtonAction } from '@slack/bolt';
import type { SlackDeps } from '../deps.js';
import { ACTION } from '../ids.js';
import { SetupRunner } from '../setup-runner.js';

export function register(app: App, deps: SlackDeps): void {
  // A link button still sends block_actions; Slack shows a warning unless it is acked.
  app.action<BlockButtonAction>(ACTION.openConsent, async ({ ack, body, action }) => {
    await ack();
    await deps.store.audit({ actor: body.user.id, action: 'setup.consent_opened', outcome: 'ok', setupId: action.value ?? '' });
  });

  app.action<BlockButtonAction>(ACTION.retryConsent, async ({ ack, body, action, client }) => {
    await ack();
    deps.tasks.run('setup.consent_retry', () => new SetupRunner(deps, client).retryConsent(action.value ?? '', body.user.id));
  });
}
