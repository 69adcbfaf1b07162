import type { App } from '@slack/bolt';
import { plainMessage } from '../blocks/setup-messages.js';
import { escapeMrkdwn, mentionUser } from '../blocks/text-sections.js';
import type { SlackDeps } from '../deps.js';
import { CALLBACK } from '../ids.js';

/** Deactivate pressed in the remove modal: ServiceNow records set inactive, after the ack. */
export function register(app: App, deps: SlackDeps): void {
  app.view({ callback_id: CALLBACK.removeModal, type: 'view_submission' }, async ({ ack, body, view, client }) => {
    await ack({ response_action: 'clear' });
    const connection = deps.connections.active(view.private_metadata);
    if (!connection) return;
    deps.tasks.run('connection.remove', async () => {
      if (!(await deps.admins.isAdmin(body.user.id))) return;
      const removed = await deps.connections.deactivate(connection, body.user.id);
      const dm = await client.conversations.open({ users: body.user.id });
      if (!removed) {
        // Two admins removed it at once: the other one's removal stands and told the channel.
        if (dm.channel?.id) await client.chat.postMessage({ channel: dm.channel.id, ...plainMessage(`*${escapeMrkdwn(connection.name)}* had already been removed meanwhile; it is deactivated in ServiceNow.`) });
        return;
      }
      const text = `*${escapeMrkdwn(removed.name)}* was deactivated in ServiceNow by ${mentionUser(body.user.id)} (nothing deleted).`;
      if (dm.channel?.id) await client.chat.postMessage({ channel: dm.channel.id, ...plainMessage(`:no_entry: ${text}`) });
      await client.chat.postMessage({ channel: removed.channel, ...plainMessage(`:no_entry: ${text}`) }).catch(() => undefined);
    });
  });
}
