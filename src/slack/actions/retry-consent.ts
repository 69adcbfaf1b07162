import type { App, BlockButtonAction } from '@slack/bolt';
import type { SlackDeps } from '../deps.js';
import { ACTION } from '../ids.js';
import { SetupRunner } from '../flows/setup-runner.js';

/** Try again after a consent timeout: the same link, watched afresh. */
export function register(app: App, deps: SlackDeps): void {
  app.action<BlockButtonAction>(ACTION.retryConsent, async ({ ack, body, action, client }) => {
    await ack();
    deps.tasks.run('setup.consent_retry', () => new SetupRunner(deps, client).retryConsent(action.value ?? '', body.user.id));
  });
}
