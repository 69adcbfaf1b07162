import type { App } from '@slack/bolt';
import { z } from 'zod';
import type { SlackDeps } from '../deps.js';
import { CALLBACK, DENY_BLOCK, SETUP_INPUT_ACTION } from '../ids.js';
import { RequestRunner } from '../flows/request-runner.js';

const metadata = z.object({ id: z.number() });

/** The reason for a denial: the decision is made here, once, and the requester is told why. */
export function register(app: App, deps: SlackDeps): void {
  app.view({ callback_id: CALLBACK.denyModal, type: 'view_submission' }, async ({ ack, body, view, client }) => {
    const reason = (view.state.values[DENY_BLOCK.reason]?.[SETUP_INPUT_ACTION] as { value?: string } | undefined)?.value?.trim() ?? '';
    if (reason.length < 3) {
      await ack({ response_action: 'errors', errors: { [DENY_BLOCK.reason]: 'Give the requester a reason.' } });
      return;
    }
    const parsed = metadata.safeParse(JSON.parse(view.private_metadata || '{}'));
    await ack({ response_action: 'clear' });
    if (!parsed.success) return;
    deps.tasks.run('request.deny', async () => {
      const result = await deps.requests.decide(parsed.data.id, body.user.id, 'deny', reason);
      const runner = new RequestRunner(deps, client);
      if (result.ok) await runner.decided(result.request);
      else {
        const dm = await client.conversations.open({ users: body.user.id });
        if (dm.channel?.id) await client.chat.postMessage({ channel: dm.channel.id, text: `Request #${parsed.data.id} was not denied: ${result.why}` });
      }
    });
  });
}
