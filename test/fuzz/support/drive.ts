/**
 * Steps of a fuzz run that keep every ack (the property checks each one) and never assert on
 * the way: a hostile input may legitimately stop a flow anywhere.
 */
import type { SlackCall } from '../../standins/slack-api.js';
import { blockAction, viewSubmission, type AnswerValue, type BotResponse } from '../../standins/slack-driver.js';
import { ADMIN, REPORT_CHANNEL, type World } from '../../support/world.js';

type Json = Record<string, unknown>;

export class Run {
  readonly acks: BotResponse[] = [];
  constructor(readonly world: World) {}

  private keep(response: BotResponse): BotResponse {
    this.acks.push(response);
    return response;
  }

  private since(): number {
    return this.world.slack.calls.length;
  }

  /** The first call of `method` after `from` matching `pred`, if one came within the wait. */
  async next(method: string, from: number, pred: (c: SlackCall) => boolean = () => true, timeoutMs = 3000): Promise<SlackCall | undefined> {
    return this.world.slack.waitForCall(method, (c) => this.world.slack.calls.indexOf(c) >= from && pred(c), timeoutMs).catch(() => undefined);
  }

  async command(text: string, userId = ADMIN): Promise<BotResponse> {
    return this.keep(await this.world.deliver.command({ text, userId, triggerId: this.world.slack.issueTriggerId(), channelId: REPORT_CHANNEL, responseUrl: this.world.slack.newResponseUrl() }));
  }

  /** A command that opens a modal: the view Slack opened, if it did. */
  async openWith(text: string, callbackId: string, userId = ADMIN): Promise<Json | undefined> {
    const from = this.since();
    await this.command(text, userId);
    const opened = await this.next('views.open', from, (c) => (c.args.view as { callback_id?: string }).callback_id === callbackId);
    return opened?.response.ok ? (opened.response.view as Json) : undefined;
  }

  async submit(view: Json, answers: Record<string, AnswerValue>, userId = ADMIN): Promise<BotResponse> {
    return this.keep(await this.world.deliver.interaction(viewSubmission({ userId, view, answers })));
  }

  /** A radio with dispatch_action (sign-in method, request kind): the view redrawn by the bot. */
  async pickRadio(view: Json, blockId: string, actionId: string, value: string, userId = ADMIN): Promise<Json | undefined> {
    const from = this.since();
    const option = { value, text: { type: 'plain_text', text: value } };
    this.keep(
      await this.world.deliver.interaction({
        type: 'block_actions',
        user: { id: userId, username: userId.toLowerCase(), name: userId.toLowerCase(), team_id: 'T0001' },
        api_app_id: 'A0001',
        token: 'vErIfIcAtIoNtOkEn0001',
        trigger_id: this.world.slack.issueTriggerId(String(view.id)),
        team: { id: 'T0001', domain: 'acme' },
        container: { type: 'view', view_id: view.id },
        view: { ...view, state: { values: { [blockId]: { [actionId]: { type: 'radio_buttons', selected_option: option } } } } },
        actions: [{ type: 'radio_buttons', action_id: actionId, block_id: blockId, selected_option: option, action_ts: '1' }],
      }),
    );
    const redrawn = await this.next('views.update', from, (c) => c.args.view_id === view.id);
    return redrawn?.response.ok ? (redrawn.response.view as Json) : undefined;
  }

  /** A button in a message the bot posted. */
  async click(call: SlackCall, actionId: string, userId = ADMIN): Promise<BotResponse | undefined> {
    const blocks = (call.args.blocks ?? []) as Array<{ block_id?: string; elements?: Array<{ action_id?: string; value?: string }> }>;
    const block = blocks.find((b) => b.elements?.some((e) => e.action_id === actionId));
    const element = block?.elements?.find((e) => e.action_id === actionId);
    if (!block || !element) return undefined;
    return this.keep(
      await this.world.deliver.interaction(
        blockAction({
          userId,
          actionId,
          blockId: block.block_id ?? 'b',
          ...(element.value !== undefined ? { value: element.value } : {}),
          triggerId: this.world.slack.issueTriggerId(),
          message: { channel: String(call.response.channel), ts: String(call.response.ts) },
          responseUrl: this.world.slack.newResponseUrl(),
        }),
      ),
    );
  }

  /** The view a submission's slow work left in place of `viewId` (the last views.update of it). */
  latestView(viewId: string, from: number): Json | undefined {
    const updates = this.world.slack.calls.slice(from).filter((c) => c.method === 'views.update' && c.args.view_id === viewId && c.response.ok);
    return updates.at(-1)?.response.view as Json | undefined;
  }

  mark(): number {
    return this.since();
  }
}

/** How far the runs got, printed after each property: a fuzz that never reaches a step tests nothing there. */
export function reached(): { count(step: string): void; report(what: string): void } {
  const steps = new Map<string, number>();
  return {
    count: (step) => void steps.set(step, (steps.get(step) ?? 0) + 1),
    report: (what) => console.info(`${what}: ${[...steps].map(([step, n]) => `${step} ${n}`).join(', ')}`),
  };
}
