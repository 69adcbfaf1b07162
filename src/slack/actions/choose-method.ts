import type { App, BlockAction, RadioButtonsAction } from '@slack/bolt';
import { AUTH_METHODS, type AuthMethod } from '../../core/spoke-catalogue.js';
import { adminOrRefuse } from '../admin-gate.js';
import type { SlackDeps } from '../deps.js';
import { ACTION } from '../ids.js';
import { decodeSetupMetadata } from '../private-metadata.js';
import { setupForm } from '../setup-form.js';
import { readSetupState } from '../setup-state.js';
import { clickRecipient } from '../tell-user.js';

/**
 * The sign-in method radio (`dispatch_action`): redraws the setup modal with that method's
 * fields, keeping what the admin typed so far. Secrets are not carried over into the new view:
 * spokebot never puts a secret into a view it sends.
 */
export function register(app: App, deps: SlackDeps): void {
  app.action<BlockAction<RadioButtonsAction>>(ACTION.chooseMethod, async ({ ack, body, action, client }) => {
    await ack();
    const view = body.view;
    const metadata = view ? decodeSetupMetadata(view.private_metadata) : undefined;
    const method = action.selected_option?.value as AuthMethod | undefined;
    if (!view || !metadata || !method || !(AUTH_METHODS as readonly string[]).includes(method) || method === metadata.method) return;
    // The view may be someone else's (its id replayed): a refusal leaves it alone and goes to the clicker's DM.
    if (!(await adminOrRefuse(deps, client, clickRecipient(body), { action: 'setup.method', doing: 'set up connections' }))) return;
    const typed = readSetupState(view.state.values as Record<string, Record<string, unknown>>, method);
    const form = setupForm(deps, {
      spoke: metadata.spoke,
      method,
      ...(metadata.setupId ? { setupId: metadata.setupId } : {}),
      values: {
        connectionName: typed.connectionName,
        site: typed.site,
        clientId: typed.clientId,
        email: typed.email,
        ...(typed.tokenExpiry ? { tokenExpiry: typed.tokenExpiry } : {}),
        tokenScoped: typed.tokenScoped,
        channel: typed.channel,
      },
    });
    // The hash makes Slack refuse the update if the view changed meanwhile (a second click).
    await client.views.update({ view_id: view.id, hash: view.hash, view: form });
  });
}
