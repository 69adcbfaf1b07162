import type { App, BlockButtonAction } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { PendingSetup } from '../../store/spoke-store.js';
import type { SlackDeps } from '../deps.js';
import { ACTION } from '../ids.js';
import { formValuesOf, setupForm } from '../setup-form.js';

/**
 * "Open the setup again", on the DM sent when a setup ended before it was written (its check cut
 * off by a restart, or left idle): the form with the admin's answers. The secret is not among
 * them: spokebot wiped it, so it is typed again. A setup that still holds its secret (its check
 * failed and the form could not be put back in the modal) reopens as itself, secret kept.
 */
export function register(app: App, deps: SlackDeps): void {
  app.action<BlockButtonAction>(ACTION.reopenSetup, async ({ ack, body, action, client }) => {
    await ack();
    const setup = deps.store.getSetup(action.value ?? '');
    // The button is only ever in the DM of the admin who started it.
    if (!setup || setup.userId !== body.user.id) return;
    await reopenSetupForm(deps, client, setup, body.trigger_id);
  });
}

/** The setup's form again, prefilled from the stored setup; App Home's Resume opens it too. */
export async function reopenSetupForm(deps: SlackDeps, client: WebClient, setup: PendingSetup, triggerId: string): Promise<void> {
  const holdsSecret = setup.sealedSecret !== undefined && (setup.status === 'site_failed' || setup.status === 'credential_failed');
  const view = setupForm(deps, {
    spoke: setup.spoke,
    method: setup.method,
    values: formValuesOf(setup),
    ...(holdsSecret ? { setupId: setup.id, problem: setup.failure ? `${setup.failure.message}. ${setup.failure.hint}` : 'Submit the form again.' } : { problem: 'spokebot no longer holds the secret of this setup: enter it again.' }),
  });
  // The trigger lives 3 seconds: open first, nothing slow before it.
  await client.views.open({ trigger_id: triggerId, view });
}
