import type { App } from '@slack/bolt';
import { parseRequest, REQUEST_KINDS, type RequestField, type RequestKind } from '../../core/access-request.js';
import type { SlackDeps } from '../deps.js';
import { CALLBACK, REQUEST_BLOCK } from '../ids.js';
import { readRequestState } from '../request-state.js';
import { RequestRunner } from '../flows/request-runner.js';

/** The request modal's submit: field errors in the ack; the card and the DM after it. */
export function register(app: App, deps: SlackDeps): void {
  app.view({ callback_id: CALLBACK.requestModal, type: 'view_submission' }, async ({ ack, body, view, client }) => {
    const kind = (REQUEST_KINDS as readonly string[]).includes(view.private_metadata) ? (view.private_metadata as RequestKind) : 'new_connection';
    if (!deps.approvalChannel) {
      await ack({ response_action: 'errors', errors: { [REQUEST_BLOCK.reason]: 'spokebot has no approvers channel (SPOKE_APPROVAL_CHANNEL). Ask whoever runs it to set one.' } });
      return;
    }
    const connections = new Map(deps.store.listConnections().filter((c) => c.state !== 'removed').map((c) => [c.name, { spoke: c.spoke, method: c.method, scopes: c.scopes }]));
    const parsed = parseRequest(readRequestState(view.state.values as Record<string, Record<string, unknown>>, kind), { allowlist: deps.siteAllowlist, connections });
    if (!parsed.ok) {
      // With no connection to choose, the form shows text instead of an input: errors must land on an input.
      const inputs = new Set((view.blocks as Array<{ type: string; block_id?: string }>).filter((b) => b.type === 'input').map((b) => b.block_id));
      const errors = Object.fromEntries(
        Object.entries(parsed.errors).map(([field, message]) => {
          const block = REQUEST_BLOCK[field as RequestField];
          return [inputs.has(block) ? block : REQUEST_BLOCK.kind, message];
        }),
      );
      await ack({ response_action: 'errors', errors });
      return;
    }
    await ack({ response_action: 'clear' });
    deps.tasks.run('request.submit', async () => {
      const request = await deps.requests.submit(body.user.id, parsed.details, parsed.reason);
      await new RequestRunner(deps, client).announce(request);
    });
  });
}
