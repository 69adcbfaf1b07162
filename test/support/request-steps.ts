import { expect } from 'vitest';
import { ACTION, CALLBACK, REQUEST_BLOCK } from '../../src/slack/ids.js';
import type { SlackCall } from '../standins/slack-api.js';
import { sendInteraction } from '../standins/slack-driver.js';
import { expectFastAck, mark, runCommand, submitView } from './setup-steps.js';
import { APPROVAL_CHANNEL, SIGNING_SECRET, type World } from './world.js';

/** `/spoke request`, the kind picked on its radio, the form sent: returns the card posted to approvers. */
export async function submitRequest(world: World, userId: string, kind: string, answers: Record<string, string | null>): Promise<SlackCall> {
  const since = mark(world);
  await runCommand(world, 'request', userId);
  const opened = await world.slack.waitForCall('views.open', (c) => world.slack.calls.indexOf(c) >= since && (c.args.view as { callback_id?: string }).callback_id === CALLBACK.requestModal);
  let view = opened.response.view as Record<string, unknown>;
  if (kind !== 'new_connection') {
    const option = { value: kind, text: { type: 'plain_text', text: kind } };
    const payload = {
      type: 'block_actions',
      user: { id: userId, username: userId, name: userId, team_id: 'T0001' },
      api_app_id: 'A0SPOKEBOT',
      token: 'vErIfIcAtIoNtOkEn0001',
      trigger_id: world.slack.issueTriggerId(String(view.id)),
      team: { id: 'T0001', domain: 'acme' },
      container: { type: 'view', view_id: view.id },
      view: { ...view, state: { values: { [REQUEST_BLOCK.kind]: { [ACTION.chooseRequestKind]: { type: 'radio_buttons', selected_option: option } } } } },
      actions: [{ type: 'radio_buttons', action_id: ACTION.chooseRequestKind, block_id: REQUEST_BLOCK.kind, selected_option: option, action_ts: '1' }],
    };
    expectFastAck(await sendInteraction(world.eventsUrl, SIGNING_SECRET, payload));
    const redrawn = await world.slack.waitForCall('views.update', (c) => world.slack.calls.indexOf(c) >= since && c.args.view_id === view.id);
    view = redrawn.response.view as Record<string, unknown>;
  }
  const ack = await submitView(world, view, answers, userId);
  expect(ack.json).toMatchObject({ response_action: 'clear' });
  const card = await world.slack.waitForCall('chat.postMessage', (c) => world.slack.calls.indexOf(c) >= since && c.args.channel === APPROVAL_CHANNEL && /^Request #/.test(String(c.args.text)));
  // The store records the card (and starts the expiry clock) just after Slack answers: let it, before a test moves the clock.
  await world.bot.tasks.idle();
  return card;
}

/** The card as it stands after its latest chat.update (or as posted). */
export function latestCard(world: World, card: SlackCall): Record<string, unknown> {
  const updates = world.slack.calls.filter((c) => c.method === 'chat.update' && c.args.ts === card.response.ts);
  return (updates.at(-1) ?? card).args;
}

/** `/spoke request` for a new Jira connection, the form sent and acked; nothing waited for after (the card may not come). */
export async function sendNewConnectionRequest(world: World, userId: string, answers: Record<string, string | null>): Promise<void> {
  const since = mark(world);
  await runCommand(world, 'request', userId);
  const opened = await world.slack.waitForCall('views.open', (c) => world.slack.calls.indexOf(c) >= since && (c.args.view as { callback_id?: string }).callback_id === CALLBACK.requestModal);
  const ack = await submitView(world, opened.response.view as Record<string, unknown>, answers, userId);
  expect(ack.json).toMatchObject({ response_action: 'clear' });
}
