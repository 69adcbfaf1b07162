import type { App, BlockAction, RadioButtonsAction } from '@slack/bolt';
import { REQUEST_KINDS, type RequestKind } from '../../core/access-request.js';
import { requestModal } from '../blocks/request-modal.js';
import type { SlackDeps } from '../deps.js';
import { ACTION } from '../ids.js';

/** The "I need" radio (`dispatch_action`): redraws the request modal for that kind. */
export function register(app: App, deps: SlackDeps): void {
  app.action<BlockAction<RadioButtonsAction>>(ACTION.chooseRequestKind, async ({ ack, body, action, client }) => {
    await ack();
    const kind = action.selected_option?.value;
    if (!body.view || !kind || !(REQUEST_KINDS as readonly string[]).includes(kind)) return;
    await client.views.update({ view_id: body.view.id, hash: body.view.hash, view: requestModal(kind as RequestKind, deps.store.listConnections()) });
  });
}
