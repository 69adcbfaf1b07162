import type { App, BlockButtonAction } from '@slack/bolt';
import { denyModal } from '../blocks/request-card.js';
import type { SlackDeps } from '../deps.js';
import { ACTION } from '../ids.js';
import { RequestRunner } from '../flows/request-runner.js';
import { clickRecipient, openView } from '../tell-user.js';

/**
 * Approve and Deny on a request card. Approve decides at once (settled in the store: a second
 * click or a second approver gets "already approved"); Deny first asks why, in a modal.
 */
export function register(app: App, deps: SlackDeps): void {
  app.action<BlockButtonAction>(ACTION.approveRequest, async ({ ack, body, action, client, respond }) => {
    await ack();
    deps.tasks.run('request.approve', async () => {
      const result = await deps.requests.decide(Number(action.value), body.user.id, 'approve');
      if (!result.ok) {
        await respond({ response_type: 'ephemeral', replace_original: false, text: result.why });
        return;
      }
      await new RequestRunner(deps, client).decided(result.request);
    });
  });

  app.action<BlockButtonAction>(ACTION.denyRequest, async ({ ack, body, action, client, respond }) => {
    await ack();
    const request = deps.store.getRequest(Number(action.value));
    if (!request) return;
    // Only checks that need no Slack call come before views.open (the trigger_id lives 3 s);
    // whether the clicker is an approver is checked when the reason is submitted.
    if (body.user.id === request.requester || request.state !== 'open') {
      const why = request.state !== 'open' ? `This request was already ${request.state}.` : 'Nobody decides their own request: another approver must.';
      await respond({ response_type: 'ephemeral', replace_original: false, text: why });
      await deps.store.audit({ actor: body.user.id, action: 'request.deny', outcome: 'refused', detail: { request: String(request.id), reason: why } });
      return;
    }
    await openView(client, body.trigger_id, denyModal(request, request.card), clickRecipient(body), { what: 'the deny form', again: 'click Deny again', logger: deps.logger });
  });
}
