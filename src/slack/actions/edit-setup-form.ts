import type { App, BlockButtonAction } from '@slack/bolt';
import type { SlackDeps } from '../deps.js';
import { ACTION } from '../ids.js';
import { formValuesOf, setupForm } from '../setup-form.js';
import { updateView } from '../update-view.js';

/**
 * "Edit the form" on the plan modal: the form in the plan's place, every answer as the setup
 * holds it and the secret field saying the secret is kept (the setup id goes with the form, so
 * an empty secret keeps the sealed one). Submitted, it is checked and planned again; closed, it
 * ends the setup and wipes the secret, like Cancel on the plan.
 */
export function register(app: App, deps: SlackDeps): void {
  app.action<BlockButtonAction>(ACTION.editSetupForm, async ({ ack, body, action, client }) => {
    await ack();
    const setup = deps.store.getSetup(action.value ?? '');
    const viewId = body.view?.id;
    // Only its own admin, and only while the plan is still waiting: once confirmed the records are being written.
    if (!setup || setup.userId !== body.user.id || setup.status !== 'planned' || setup.sealedSecret === undefined || !viewId) return;
    const form = setupForm(deps, { spoke: setup.spoke, method: setup.method, setupId: setup.id, values: formValuesOf(setup) });
    await updateView(client, viewId, form);
  });
}
