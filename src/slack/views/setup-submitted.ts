import type { App } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { parseSetupRequest } from '../../core/setup-request.js';
import { ConnectionNameHeldError, SetupEndedError } from '../../setup/setup-conflicts.js';
import { SignInDeferredError } from '../../setup/sign-in-limiter.js';
import { planMessageBlocks, planModal } from '../blocks/plan-blocks.js';
import { checkingSiteModal } from '../blocks/progress-views.js';
import { plainMessage } from '../blocks/setup-messages.js';
import { escapeMrkdwn, escapeMrkdwnKeepingMentions } from '../blocks/text-sections.js';
import { adminVerdict, refusalText } from '../admin-gate.js';
import type { SlackDeps } from '../deps.js';
import { CALLBACK, SETUP_BLOCK } from '../ids.js';
import { decodeSetupMetadata } from '../private-metadata.js';
import { SetupRunner, planSummary } from '../flows/setup-runner.js';
import { formValuesOf, setupForm } from '../setup-form.js';
import { errorsByBlock, readSetupState } from '../setup-state.js';
import { updateView } from '../update-view.js';

/**
 * The setup modal's submit. Field checks that need no network answer at once with
 * `response_action: errors`; then the modal turns into "Checking" inside the ack, and the Cloud
 * ID lookup and credential check (which may take seconds) run after it and replace the view
 * with the plan, or with the form and the problem under the field to fix.
 */
export function register(app: App, deps: SlackDeps): void {
  app.view({ callback_id: CALLBACK.setupModal, type: 'view_submission' }, async ({ ack, body, view, client }) => {
    const metadata = decodeSetupMetadata(view.private_metadata);
    if (!metadata) {
      await ack({ response_action: 'errors', errors: { [SETUP_BLOCK.site]: 'This form is out of date. Close it and run /spoke setup again.' } });
      return;
    }
    // Admins only, asked now: the form may have been opened by someone who has since lost the
    // role, or its view id replayed by someone who never had it. Nothing is looked up for them.
    const verdict = await adminVerdict(deps, body.user.id);
    if (verdict !== 'admin') {
      await deps.store.audit({ actor: body.user.id, action: 'setup.submit', outcome: 'refused', detail: { reason: verdict === 'unknown' ? 'admin directory did not answer' : 'not an admin', spoke: metadata.spoke } });
      await ack({ response_action: 'errors', errors: { [SETUP_BLOCK.site]: refusalText(deps, verdict, 'set up connections', { plain: true }) } });
      return;
    }
    // Only decides whether the secret field may be empty; the service decides what that means.
    const held = metadata.setupId ? deps.store.getSetup(metadata.setupId) : undefined;
    const secretHeld = Boolean(held?.sealedSecret && held.userId === body.user.id);
    // The form on screen is the one private_metadata describes; the radio may already say
    // otherwise if its redraw has not landed, and errors must name blocks that are there.
    const input = { ...readSetupState(view.state.values, metadata.method), method: metadata.method };
    // A typed expiry date is a day in the admin's calendar (asked of Slack when the form opened).
    const zone = metadata.method === 'api_token' ? await deps.zones.zoneOf(body.user.id) : undefined;
    const parsed = parseSetupRequest(metadata.spoke, input, { allowlist: deps.siteAllowlist, secretHeld, today: deps.now(), ...(zone ? { zone } : {}) });
    if (!parsed.ok) {
      await ack({ response_action: 'errors', errors: errorsByBlock(parsed.errors) });
      return;
    }
    await ack({ response_action: 'update', view: checkingSiteModal(parsed.request.siteOrigin, parsed.request.method !== 'oauth_3lo') });

    deps.tasks.run('setup.discover', async () => {
      const { request } = parsed;
      const setup = metadata.setupId
        ? await deps.setup.resubmit(metadata.setupId, request, body.user.id, view.id)
        : await deps.setup.begin(request, body.user.id, view.id);
      if (!setup) {
        const values = formValuesOf({ ...request, email: request.email, tokenExpiresOn: request.tokenExpiresOn, scopedToken: request.scopedToken });
        const problem = 'This setup expired, so spokebot no longer holds its secret. Enter it again.';
        await updateView(client, view.id, setupForm(deps, { spoke: metadata.spoke, method: request.method, values, problem }));
        return;
      }
      // Through the runner's step: an error the check does not handle puts the form back with
      // the problem instead of leaving "Checking…" on screen and the setup checking for good.
      const runner = new SetupRunner(deps, client);
      await runner.step(setup.id, 'check', () => showPlanOrProblem(deps, client, setup.id, view.id), view.id);
    });
  });
}

async function showPlanOrProblem(deps: SlackDeps, client: WebClient, setupId: string, viewId: string): Promise<void> {
  const result = await deps.setup.discoverSite(setupId);
  const runner = new SetupRunner(deps, client);
  if (result.ok) {
    const summary = planSummary(deps, result.setup);
    const shown = await updateView(client, viewId, planModal(summary, result.plan));
    // The admin closed the modal while we looked: the plan goes to their DM instead.
    if (!shown) await runner.say(result.setup, { text: `Plan for ${escapeMrkdwn(result.setup.connectionName)}`, blocks: planMessageBlocks(summary, result.plan) });
    return;
  }
  const { setup, error, advice } = result;
  // Cancelled, expired or replaced by a newer setup while it was checked: whoever ended it said so.
  if (error instanceof SetupEndedError) return;
  if (error instanceof ConnectionNameHeldError) {
    const mentions = [error.holder.userId];
    const problem = 'Another setup holds this connection name; see below. Nothing was written.';
    const form = setupForm(deps, { spoke: setup.spoke, method: setup.method, setupId: setup.id, problem, values: formValuesOf(setup), fieldProblems: { connectionName: error.advice }, mentions });
    const shown = await updateView(client, viewId, form);
    if (!shown) await runner.say(setup, plainMessage(`:x: ${escapeMrkdwnKeepingMentions(error.advice, mentions)} Run \`/spoke setup ${setup.spoke}\` again with another name.`));
    return;
  }
  const problem = error instanceof SignInDeferredError ? 'spokebot did not sign in to Atlassian this time; see below. Nothing was sent or written.' : advice ? `Atlassian refused the ${setup.method === 'api_token' ? 'API token' : 'credential'}; see below. Nothing was written.` : `No Cloud ID from ${setup.siteOrigin}. ${error.hint}`;
  const form = setupForm(deps, {
    spoke: setup.spoke,
    method: setup.method,
    setupId: setup.id,
    problem,
    values: formValuesOf(setup),
    ...(advice ? { fieldProblems: { [advice.field]: advice.message } } : {}),
  });
  const shown = await updateView(client, viewId, form);
  if (!shown) await runner.say(setup, plainMessage(`:x: ${escapeMrkdwn(advice ? advice.message : problem)} Run \`/spoke setup ${setup.spoke}\` again when it is fixed.`));
}

