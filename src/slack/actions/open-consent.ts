import type { App, BlockButtonAction } from '@slack/bolt';
import type { SlackDeps } from '../deps.js';
import { ACTION } from '../ids.js';

/** A link button still sends block_actions; Slack shows a warning unless it is acked. */
export function register(app: App, deps: SlackDeps): void {
  app.action<BlockButtonAction>(ACTION.openConsent, async ({ ack, body, action }) => {
    await ack();
    await deps.store.audit({ actor: body.user.id, action: 'setup.consent_opened', outcome: 'ok', setupId: action.value ?? '' });
  });
}
