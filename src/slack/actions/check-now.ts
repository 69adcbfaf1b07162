import type { App, BlockButtonAction } from '@slack/bolt';
import { statusBlocks } from '../blocks/health-blocks.js';
import { escapeMrkdwn } from '../blocks/text-sections.js';
import { adminOrRefuse } from '../admin-gate.js';
import type { SlackDeps } from '../deps.js';
import { LIVE_CHECK_REUSE_MS } from '../../health/health-monitor.js';
import { ACTION } from '../ids.js';
import { clickRecipient, tellUser } from '../tell-user.js';

/**
 * "Check now" on an alert, a reminder or App Home: for admins (it signs in to Atlassian with
 * the connection's stored credential and reads ServiceNow), runs the checks or reuses a result
 * from moments ago, and answers the clicker.
 */
export function register(app: App, deps: SlackDeps): void {
  app.action<BlockButtonAction>(ACTION.checkNow, async ({ ack, body, action, client }) => {
    await ack();
    deps.tasks.run('health.check_now', async () => {
      const connection = deps.connections.active(action.value ?? '');
      if (!connection || connection.state !== 'connected') return;
      // A click in App Home has no response_url: the connection's channel, then a DM.
      const to = clickRecipient(body, connection.channel);
      const allowed = await adminOrRefuse(deps, client, to, { action: 'health.check_now', doing: `run a live check of *${escapeMrkdwn(connection.name)}*`, connection: connection.name });
      if (!allowed) return;
      const record = await deps.monitor.check(connection, { reuseWithinMs: LIVE_CHECK_REUSE_MS });
      await tellUser(client, to, { text: `Health of ${escapeMrkdwn(connection.name)}`, blocks: statusBlocks(connection, record) }, { logger: deps.logger });
    });
  });
}
