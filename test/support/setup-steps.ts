import { expect } from 'vitest';
import { ACTION, CALLBACK, SETUP_BLOCK } from '../../src/slack/ids.js';
import { blockAction, viewClosed, viewSubmission, type BotResponse } from '../standins/slack-driver.js';
import type { SlackCall } from '../standins/slack-api.js';
import { ADMIN, CLIENT_ID, CLIENT_SECRET, REPORT_CHANNEL, type World } from './world.js';

/** Slack's deadline for an ack; the tests hold the bot to well inside it. */
export const ACK_DEADLINE_MS = 3000;

export function expectFastAck(response: BotResponse): void {
  expect(response.status).toBe(200);
  expect(response.elapsedMs).toBeLessThan(ACK_DEADLINE_MS);
}

export async function runCommand(world: World, text: string, userId = ADMIN, channelId = REPORT_CHANNEL): Promise<BotResponse> {
  const triggerId = world.slack.issueTriggerId();
  const response = await world.deliver.command({ text, userId, triggerId, channelId, responseUrl: world.slack.newResponseUrl() });
  expectFastAck(response);
  return response;
}

/** `/spoke setup <spoke>` → the modal Slack opened. */
export async function openSetupModal(world: World, spoke = 'confluence', userId = ADMIN): Promise<Record<string, unknown>> {
  const before = world.slack.calls.length;
  await runCommand(world, `setup ${spoke}`, userId);
  const call = await world.slack.waitForCall('views.open', (c) => world.slack.calls.indexOf(c) >= before);
  expect(call.response.ok).toBe(true);
  return call.response.view as Record<string, unknown>;
}

export function setupAnswers(world: World, overrides: Record<string, string | null> = {}): Record<string, string | null> {
  return {
    [SETUP_BLOCK.connectionName]: 'Confluence acme',
    [SETUP_BLOCK.site]: world.site.url,
    [SETUP_BLOCK.clientId]: CLIENT_ID,
    [SETUP_BLOCK.clientSecret]: CLIENT_SECRET,
    [SETUP_BLOCK.channel]: REPORT_CHANNEL,
    ...overrides,
  };
}

export async function submitView(world: World, view: Record<string, unknown>, answers: Record<string, string | null>, userId = ADMIN): Promise<BotResponse> {
  const response = await world.deliver.interaction(viewSubmission({ userId, view, answers }));
  expectFastAck(response);
  return response;
}

/** The plan modal the bot put in place of the form, once the Cloud ID is known. */
export async function waitForPlanView(world: World, viewId: string, timeoutMs = 10_000): Promise<Record<string, unknown>> {
  const call = await world.slack.waitForCall('views.update', (c) => c.args.view_id === viewId && (c.args.view as { callback_id?: string }).callback_id === CALLBACK.planModal, timeoutMs);
  return call.response.view as Record<string, unknown>;
}

export async function closeView(world: World, view: Record<string, unknown>, userId = ADMIN): Promise<BotResponse> {
  const response = await world.deliver.interaction(viewClosed({ userId, view }));
  expectFastAck(response);
  return response;
}

export async function clickButton(world: World, call: SlackCall, actionId: string, userId = ADMIN): Promise<BotResponse> {
  const blocks = (call.args.blocks ?? []) as Array<{ block_id?: string; elements?: Array<{ action_id?: string; value?: string }> }>;
  const block = blocks.find((b) => b.elements?.some((e) => e.action_id === actionId));
  const element = block?.elements?.find((e) => e.action_id === actionId);
  expect(element, `button ${actionId} in the message`).toBeDefined();
  const response = await world.deliver.interaction(
    blockAction({
      userId,
      actionId,
      blockId: block!.block_id ?? 'b',
      ...(element!.value !== undefined ? { value: element!.value } : {}),
      triggerId: world.slack.issueTriggerId(),
      message: { channel: String(call.response.channel), ts: String(call.response.ts) },
      responseUrl: world.slack.newResponseUrl(),
    }),
  );
  expectFastAck(response);
  return response;
}

/** Picks a sign-in method on the setup modal, as Slack sends it (dispatch_action on the radio). */
export async function chooseMethod(world: World, view: Record<string, unknown>, method: string, userId = ADMIN): Promise<Record<string, unknown>> {
  const since = mark(world);
  const payload = {
    type: 'block_actions',
    user: { id: userId, username: 'ada', name: 'ada', team_id: 'T0001' },
    api_app_id: 'A0SPOKEBOT',
    token: 'vErIfIcAtIoNtOkEn0001',
    trigger_id: world.slack.issueTriggerId(String(view.id)),
    team: { id: 'T0001', domain: 'acme' },
    container: { type: 'view', view_id: view.id },
    view: { ...view, state: { values: { [SETUP_BLOCK.method]: { [ACTION.chooseMethod]: { type: 'radio_buttons', selected_option: { value: method, text: { type: 'plain_text', text: method } } } } } } },
    actions: [{ type: 'radio_buttons', action_id: ACTION.chooseMethod, block_id: SETUP_BLOCK.method, selected_option: { value: method, text: { type: 'plain_text', text: method } }, action_ts: '1' }],
  };
  expectFastAck(await world.deliver.interaction(payload));
  const call = await world.slack.waitForCall('views.update', (c) => world.slack.calls.indexOf(c) >= since && c.args.view_id === view.id);
  expect(call.response.ok).toBe(true);
  return call.response.view as Record<string, unknown>;
}

/** Where the Slack call log stands now: pass it to wait only for what comes after. */
export function mark(world: World): number {
  return world.slack.calls.length;
}

/** The bot's message (in any thread) whose text matches, posted after `since` (a mark). */
export function waitForMessage(world: World, pattern: RegExp, timeoutMs = 10_000, since = 0): Promise<SlackCall> {
  return world.slack.waitForCall('chat.postMessage', (c) => world.slack.calls.indexOf(c) >= since && pattern.test(String(c.args.text ?? '')), timeoutMs);
}

/** Form (with the chosen method) → plan → Confirm: returns the final message of this run. */
export async function setupWith(world: World, spoke: string, method: string, answers: Record<string, string | string[] | null>, done: RegExp): Promise<SlackCall> {
  const since = mark(world);
  let form = await openSetupModal(world, spoke);
  if (method !== 'oauth_3lo') form = await chooseMethod(world, form, method);
  const ack = await submitView(world, form, answers as Record<string, string | null>);
  expect(ack.json).toMatchObject({ response_action: 'update' });
  const plan = await waitForPlanView(world, String(form.id));
  await submitView(world, plan, {});
  // In this setup's DM thread: the channel announcement of an earlier setup must not count.
  return world.slack.waitForCall('chat.postMessage', (c) => world.slack.calls.indexOf(c) >= since && c.args.thread_ts !== undefined && done.test(String(c.args.text ?? '')), 10_000);
}

/** Form → plan → Confirm: returns the consent-link message of this run (not an earlier one). */
export async function setupUntilConsent(world: World, answers: Record<string, string | null> = setupAnswers(world)): Promise<SlackCall> {
  const since = mark(world);
  const form = await openSetupModal(world);
  const ack = await submitView(world, form, answers);
  expect(ack.json).toMatchObject({ response_action: 'update' });
  const plan = await waitForPlanView(world, String(form.id));
  await submitView(world, plan, {});
  return waitForMessage(world, /One click left/, 10_000, since);
}

export function consentUrl(call: SlackCall): string {
  const blocks = call.args.blocks as Array<{ elements?: Array<{ url?: string }> }>;
  const url = blocks.flatMap((b) => b.elements ?? []).find((e) => e.url)?.url;
  expect(url).toBeDefined();
  return url!;
}
