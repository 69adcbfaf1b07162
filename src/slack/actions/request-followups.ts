import type { App, BlockAction, BlockButtonAction, UsersSelectAction } from '@slack/bolt';
import { requestModal } from '../blocks/request-modal.js';
import { adminOrRefuse } from '../admin-gate.js';
import type { SlackDeps } from '../deps.js';
import { ACTION } from '../ids.js';
import { RequestRunner } from '../flows/request-runner.js';
import { setupForm } from '../setup-form.js';
import { clickRecipient, openView } from '../tell-user.js';

/**
 * The buttons around a request other than the decision: Request access (App Home, refusals),
 * Withdraw (requester's DM), Open the setup and Confirm scopes (approver's DM after approval),
 * and Retry when what an approval set going failed.
 */
export function register(app: App, deps: SlackDeps): void {
  app.action<BlockButtonAction>(ACTION.openRequestModal, async ({ ack, body, client }) => {
    await ack();
    const view = requestModal('new_connection', deps.store.listConnections());
    await openView(client, body.trigger_id, view, clickRecipient(body), { what: 'the request form', again: 'click the button again', logger: deps.logger });
  });

  app.action<BlockButtonAction>(ACTION.withdrawRequest, async ({ ack, body, action, client, respond }) => {
    await ack();
    deps.tasks.run('request.withdraw', async () => {
      const result = await deps.requests.decide(Number(action.value), body.user.id, 'withdraw');
      if (!result.ok) await respond({ response_type: 'ephemeral', replace_original: false, text: result.why });
      else await new RequestRunner(deps, client).decided(result.request);
    });
  });

  app.action<BlockButtonAction>(ACTION.openRequestedSetup, async ({ ack, body, action, client }) => {
    await ack();
    const request = deps.store.getRequest(Number(action.value));
    if (request?.state !== 'approved' || request.details.kind !== 'new_connection') return;
    const { spoke, site } = request.details;
    // The form leads to ServiceNow lookups and Atlassian sign-ins: admins only, whoever holds the button.
    const to = clickRecipient(body);
    if (!(await adminOrRefuse(deps, client, to, { action: 'setup.open', doing: 'set up connections' }))) return;
    await openView(client, body.trigger_id, setupForm(deps, { spoke, values: { site } }), to, { what: 'the setup form', again: 'click the button again', logger: deps.logger });
  });

  app.action<BlockAction<UsersSelectAction>>(ACTION.handSetupTo, async ({ ack, body, action, client, respond }) => {
    await ack();
    deps.tasks.run('request.hand_setup', async () => {
      const id = Number((action.block_id ?? '').replace('request_', ''));
      const request = deps.store.getRequest(id);
      const to = action.selected_user;
      if (!request || request.state !== 'approved' || request.decidedBy !== body.user.id || !to) return;
      if (!(await deps.admins.isAdmin(to))) {
        await respond({ response_type: 'ephemeral', replace_original: false, text: `<@${to}> is not a spokebot admin; choose an admin.` });
        return;
      }
      await new RequestRunner(deps, client).handSetup(request, body.user.id, to);
    });
  });

  // After a follow-up failed: approvers and admins may run it again, once per failure however often it is clicked.
  app.action<BlockButtonAction>(ACTION.retryFollowUp, async ({ ack, body, action, client, respond }) => {
    await ack();
    deps.tasks.run('request.retry', async () => {
      const id = Number(action.value);
      const user = body.user.id;
      // Asked at the click, not when the button was handed out: a role may have gone since.
      const allowed = (await deps.approvers.isAdmin(user).catch(() => false)) || (await deps.admins.isAdmin(user).catch(() => false));
      if (!allowed) {
        await deps.store.audit({ actor: user, action: 'request.retry', outcome: 'refused', detail: { request: String(id), reason: 'not an approver or admin' } });
        await respond({ response_type: 'ephemeral', replace_original: false, text: 'Only approvers and spokebot admins can retry this. The approver who has the Retry button can press it.' });
        return;
      }
      const request = await deps.requests.claimRetry(id, user);
      if (!request) {
        await respond({ response_type: 'ephemeral', replace_original: false, text: `Request #${id} has nothing to retry: it is done, or a retry is running. Its card says where it stands.` });
        return;
      }
      await new RequestRunner(deps, client).retryFollowUp(request, user);
    });
  });

  // The approver who approved confirms; it runs once however often it is clicked.
  app.action<BlockButtonAction>(ACTION.confirmScopeChange, async ({ ack, body, action, client, respond }) => {
    await ack();
    deps.tasks.run('request.scopes', async () => {
      const request = await deps.requests.claimScopeConfirmation(Number(action.value), body.user.id);
      if (!request) {
        await respond({ response_type: 'ephemeral', replace_original: false, text: 'This scope change is already confirmed, or not yours to confirm.' });
        return;
      }
      await new RequestRunner(deps, client).confirmScopes(request, body.user.id);
    });
  });
}
