import type { App, BlockButtonAction } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { formatDuration } from '../../core/duration.js';
import { isSpokeId } from '../../core/spoke-catalogue.js';
import type { PendingSetup } from '../../store/spoke-store.js';
import { adminOrRefuse } from '../admin-gate.js';
import { planModal } from '../blocks/plan-blocks.js';
import { waitingModal } from '../blocks/progress-views.js';
import { consentMessage } from '../blocks/setup-messages.js';
import { openSetupForm } from '../commands/setup.js';
import type { SlackDeps } from '../deps.js';
import { SetupRunner, planSummary } from '../flows/setup-runner.js';
import { homeForUser } from '../home/home-for-user.js';
import { ACTION } from '../ids.js';
import { clickRecipient, tellUser } from '../tell-user.js';
import { updateView } from '../update-view.js';
import { reopenSetupForm } from './reopen-setup.js';

/**
 * App Home's setup buttons: Set up <spoke> for admins, and Resume and Cancel on an admin's own
 * setups in progress. Home is drawn for whoever opens it and redrawn long after, so who may act
 * is asked again at each click, as the command and the DM buttons do.
 */
export function register(app: App, deps: SlackDeps): void {
  app.action<BlockButtonAction>(ACTION.openSetup, async ({ ack, body, action, client }) => {
    await ack();
    const spoke = action.value ?? '';
    const to = clickRecipient(body);
    if (!isSpokeId(spoke)) return;
    if (!(await adminOrRefuse(deps, client, to, { action: 'setup.open', doing: 'set up connections' }))) return;
    await openSetupForm(deps, client, { spoke, triggerId: body.trigger_id, to, again: 'click the button again' });
  });

  app.action<BlockButtonAction>(ACTION.resumeSetup, async ({ ack, body, action, client }) => {
    await ack();
    const setup = await ownSetup(deps, client, body, action.value, 'setup.resume', 'resume setups');
    if (setup) await resume(deps, client, setup, body);
  });

  app.action<BlockButtonAction>(ACTION.cancelSetup, async ({ ack, body, action, client }) => {
    await ack();
    deps.tasks.run('setup.cancel', async () => {
      const setup = await ownSetup(deps, client, body, action.value, 'setup.cancel', 'cancel setups');
      if (!setup) return;
      // Cancelled is terminal: the store wipes the secret with the move.
      const cancelled = await deps.setup.cancel(setup.id, body.user.id);
      if (!cancelled) await tellUser(client, clickRecipient(body), { text: `The setup of ${setup.connectionName} can no longer be cancelled here (it ${setup.status === 'awaiting_consent' || setup.status === 'consent_timeout' ? 'has written its records: `/spoke remove` ends the connection' : 'moved on meanwhile'}).` }, { logger: deps.logger });
      await client.views.publish({ user_id: body.user.id, view: await homeForUser(deps, body.user.id) });
    });
  });
}

/**
 * The setup the button names, when the clicker is its own admin and still an admin; anyone else
 * (a forged click, an admin since demoted) is refused and audited.
 */
async function ownSetup(deps: SlackDeps, client: WebClient, body: BlockButtonAction, id: string | undefined, action: string, doing: string): Promise<PendingSetup | undefined> {
  const setup = deps.store.getSetup(id ?? '');
  const to = clickRecipient(body);
  if (!(await adminOrRefuse(deps, client, to, { action, doing, ...(setup ? { setupId: setup.id } : {}) }))) return undefined;
  if (!setup) return undefined;
  if (setup.userId !== to.userId) {
    await deps.store.audit({ actor: to.userId, action, outcome: 'refused', setupId: setup.id, connection: setup.connectionName, detail: { reason: 'not the setup’s admin' } });
    await tellUser(client, to, { text: `:no_entry: Only <@${setup.userId}>, who started this setup, can ${action.replace('setup.', '')} it.` }, { logger: deps.logger });
    return undefined;
  }
  return setup;
}

/** Goes on from where the setup stands, with what its own DM thread would offer there. */
async function resume(deps: SlackDeps, client: WebClient, setup: PendingSetup, body: BlockButtonAction): Promise<void> {
  const runner = new SetupRunner(deps, client);
  switch (setup.status) {
    case 'planned': {
      // Drawing the plan looks at ServiceNow for takeovers, longer than a trigger lives: a modal first.
      const opened = await client.views.open({ trigger_id: body.trigger_id, view: waitingModal('Plan', `:hourglass_flowing_sand: Drawing the plan for ${setup.connectionName}…`) });
      const viewId = opened.view?.id;
      if (!viewId) return;
      deps.tasks.run('setup.plan_again', async () => {
        const plan = await deps.setup.planToShow(setup);
        // Where the setup's later news (a changed plan, the write) is drawn: this modal now.
        const current = (await deps.store.transitionSetup(setup.id, ['planned'], { viewId })) ?? setup;
        await updateView(client, viewId, planModal(planSummary(deps, current), plan));
      });
      return;
    }
    case 'write_failed':
      deps.tasks.run('setup.retry', () => runner.writeAndConsent(setup.id, body.user.id));
      return;
    case 'consent_timeout':
      deps.tasks.run('setup.consent_retry', () => runner.retryConsent(setup.id, body.user.id));
      return;
    case 'awaiting_consent':
      if (setup.consent) {
        const link = setup.consent.link;
        deps.tasks.run('setup.consent_link_again', () => runner.say(setup, consentMessage(setup.id, link, formatDuration(deps.consentTimeoutMs))));
      }
      return;
    default:
      // checking_site, site_failed, credential_failed: the form, prefilled, as "Open the setup again" opens it.
      await reopenSetupForm(deps, client, setup, body.trigger_id);
  }
}
