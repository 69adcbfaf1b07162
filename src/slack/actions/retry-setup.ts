import type { App, BlockButtonAction } from '@slack/bolt';
import type { SlackDeps } from '../deps.js';
import { ACTION } from '../ids.js';
import { SetupRunner } from '../flows/setup-runner.js';

/** Retry after a failed write: resumes, since every record is looked up before it is written. */
export function register(app: App, deps: SlackDeps): void {
  app.action<BlockButtonAction>(ACTION.retrySetup, async ({ ack, body, action, client }) => {
    await ack();
    deps.tasks.run('setup.retry', () => new SetupRunner(deps, client).writeAndConsent(action.value ?? '', body.user.id));
  });
}
