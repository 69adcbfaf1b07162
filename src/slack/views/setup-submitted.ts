import type { App } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { oauthCallbackUrl } from '../../core/consent-link.js';
import { parseSetupRequest } from '../../core/setup-request.js';
import { SPOKES } from '../../core/spoke-catalogue.js';
import { planMessageBlocks, planModal, type PlanSummary } from '../blocks/plan-blocks.js';
import { checkingSiteModal } from '../blocks/progress-views.js';
import { plainMessage } from '../blocks/setup-messages.js';
import { setupModal } from '../blocks/setup-modal.js';
import type { SlackDeps } from '../deps.js';
import { CALLBACK, SETUP_BLOCK } from '../ids.js';
import { decodeSetupMetadata } from '../private-metadata.js';
import { SetupRunner } from '../setup-runner.js';
import { errorsByBlock, readSetupState } from '../setup-state.js';
import type { PendingSetup } from '../../store/spoke-store.js';

/**
 * The setup modal's submit. Field checks that need no network answer at once with
 * `response_action: errors`; then the modal turns into "Checking the site" inside the ack, and
 * the Cloud ID lookup (which may take seconds) runs after it and replaces the view with the plan.
 */
export function register(app: App, deps: SlackDeps): void {
  app.view({ callback_id: CALLBACK.setupModal, type: 'view_submission' }, async ({ ack, body, view, client }) => {
    const metadata = decodeSetupMetadata(view.private_metadata);
    if (!metadata) {
      await ack({ response_action: 'errors', errors: { [SETUP_BLOCK.site]: 'This form is out of date. Close it and run /spoke setup again.' } });
      return;
    }
    // Only decides whether the field may be empty; the service decides what an empty one means.
    const held = metadata.setupId ? deps.store.getSetup(metadata.setupId) : undefined;
    const secretHeld = Boolean(held?.sealedSecret && held.userId === body.user.id);
    const parsed = parseSetupRequest(metadata.spoke, readSetupState(view.state.values), deps.siteAllowlist, secretHeld);
    if (!parsed.ok) {
      await ack({ response_action: 'errors', errors: errorsByBlock(parsed.errors) });
      return;
    }
    await ack({ response_action: 'update', view: checkingSiteModal(parsed.request.siteOrigin) });

    deps.tasks.run('setup.discover', async () => {
      const setup = metadata.setupId
        ? await deps.setup.resubmit(metadata.setupId, parsed.request, body.user.id, view.id)
        : await deps.setup.begin(parsed.request, body.user.id, view.id);
      if (!setup) {
        const { request } = parsed;
        const values = { connectionName: request.connectionName, site: request.siteOrigin, clientId: request.clientId, scopes: request.scopes, channel: request.channel };
        const form = setupModal({ spoke: metadata.spoke, callbackUrl: oauthCallbackUrl(deps.instanceUrl), values, problem: 'This setup expired, so spokebot no longer holds its secret. Enter the client secret again.' });
        await updateView(client, view.id, form);
        return;
      }
      await showPlanOrProblem(deps, client, setup.id, view.id);
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
    if (!shown) await runner.say(result.setup, { text: `Plan for ${result.setup.connectionName}`, blocks: planMessageBlocks(summary, result.plan) });
    return;
  }
  const { setup, error } = result;
  const form = setupModal({
    spoke: setup.spoke,
    callbackUrl: oauthCallbackUrl(deps.instanceUrl),
    setupId: setup.id,
    problem: `No Cloud ID from ${setup.siteOrigin}. ${error.hint}`,
    values: { connectionName: setup.connectionName, site: setup.siteOrigin, clientId: setup.clientId, scopes: setup.scopes, channel: setup.channel },
  });
  const shown = await updateView(client, viewId, form);
  if (!shown) await runner.say(setup, plainMessage(`:x: No Cloud ID from ${setup.siteOrigin}. ${error.hint} Run \`/spoke setup ${setup.spoke}\` again when it is fixed.`));
}

export function planSummary(deps: SlackDeps, setup: PendingSetup): PlanSummary {
  return {
    setupId: setup.id,
    connectionName: setup.connectionName,
    spokeLabel: SPOKES[setup.spoke].label,
    siteOrigin: setup.siteOrigin,
    cloudId: setup.cloudId ?? '',
    instanceUrl: deps.instanceUrl,
  };
}

/** views.update, reporting false when the view is gone (closed by the admin) instead of throwing. */
async function updateView(client: WebClient, viewId: string, view: Parameters<WebClient['views']['update']>[0]['view']): Promise<boolean> {
  try {
    await client.views.update({ view_id: viewId, view });
    return true;
  } catch (error) {
    const code = (error as { data?: { error?: string } }).data?.error;
    if (code === 'not_found' || code === 'view_not_found') return false;
    throw error;
  }
}
