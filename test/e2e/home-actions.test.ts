import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACTION, CALLBACK, REQUEST_BLOCK } from '../../src/slack/ids.js';
import type { SlackCall } from '../standins/slack-api.js';
import { appHomeOpened, blockAction, sendEvent } from '../standins/slack-driver.js';
import { sendNewConnectionRequest } from '../support/request-steps.js';
import { expectFastAck, mark, openSetupModal, setupAnswers, submitView, waitForPlanView } from '../support/setup-steps.js';
import { ADMIN, MEMBER, SIGNING_SECRET, startWorld, type World } from '../support/world.js';

let world: World;
beforeEach(async () => {
  world = await startWorld({ logLevel: 'warn' });
});
afterEach(async () => {
  await world.close();
});

type Element = { action_id?: string; value?: string; text?: { text?: string }; confirm?: { style?: string } };
type Block = { type: string; block_id?: string; elements?: Element[] };

/** Opens Home as `userId`: the view spokebot published for them. */
async function openHome(userId: string): Promise<SlackCall> {
  const since = mark(world);
  expectFastAck(await sendEvent(world.eventsUrl, SIGNING_SECRET, appHomeOpened({ userId })));
  return world.slack.waitForCall('views.publish', (c) => world.slack.calls.indexOf(c) >= since && c.args.user_id === userId);
}

const blocksOf = (home: SlackCall) => (home.args.view as { blocks: Block[] }).blocks;
const buttons = (home: SlackCall) => blocksOf(home).flatMap((b) => (b.elements ?? []).filter((e) => e.action_id !== undefined).map((e) => ({ block: b, element: e })));
const buttonsNamed = (home: SlackCall, actionId: string) => buttons(home).filter((b) => b.element.action_id === actionId);

/** A click on a Home button as Slack sends it (container: the Home view, no response_url). */
async function click(home: SlackCall, userId: string, actionId: string, value: string, blockId = 'b'): Promise<void> {
  const payload = blockAction({ userId, actionId, blockId, value, triggerId: world.slack.issueTriggerId(), view: home.response.view as Record<string, unknown> });
  expectFastAck(await world.deliver.interaction(payload));
}

describe('App Home actions', () => {
  it('admins get a Set up button per spoke that opens its modal; members get none, and a forged click is refused', async () => {
    const adminHome = await openHome(ADMIN);
    expect(buttonsNamed(adminHome, ACTION.openSetup).map((b) => [b.element.value, b.element.text?.text])).toEqual([
      ['jira', 'Set up Jira'],
      ['jsm', 'Set up JSM'],
      ['confluence', 'Set up Confluence'],
    ]);
    const memberHome = await openHome(MEMBER);
    expect(buttonsNamed(memberHome, ACTION.openSetup)).toEqual([]);

    let since = mark(world);
    await click(adminHome, ADMIN, ACTION.openSetup, 'jsm');
    const opened = await world.slack.waitForCall('views.open', (c) => world.slack.calls.indexOf(c) >= since);
    const view = opened.response.view as { callback_id?: string; title?: { text?: string } };
    expect(view.callback_id).toBe(CALLBACK.setupModal);
    // The same form the command opens for that spoke.
    const commanded = await openSetupModal(world, 'jsm');
    expect(view.title).toEqual(commanded.title);

    since = mark(world);
    await click(memberHome, MEMBER, ACTION.openSetup, 'jira');
    await world.slack.waitForCall('chat.postMessage', (c) => world.slack.calls.indexOf(c) >= since && /Only .* can set up connections/.test(String(c.args.text)));
    await world.bot.tasks.idle();
    expect(world.slack.calls.slice(since).filter((c) => c.method === 'views.open')).toEqual([]);
    expect((await world.bot.store.auditTrail()).filter((e) => e.action === 'setup.open' && e.actor === MEMBER && e.outcome === 'refused')).toHaveLength(1);
  });

  it('a setup left at its plan shows with Resume and Cancel; Resume reopens the plan, Cancel wipes its secret and takes it off Home', async () => {
    const form = await openSetupModal(world);
    await submitView(world, form, setupAnswers(world));
    await waitForPlanView(world, String(form.id));
    const setup = world.bot.store.listSetups((s) => s.connectionName === 'Confluence acme').at(-1)!;
    expect(setup.status).toBe('planned');
    expect(setup.sealedSecret).toBeDefined();

    const home = await openHome(ADMIN);
    expect(JSON.stringify(home.args.view)).toContain('Confluence acme');
    expect(buttonsNamed(home, ACTION.resumeSetup).map((b) => b.element.value)).toEqual([setup.id]);
    const cancel = buttonsNamed(home, ACTION.cancelSetup);
    expect(cancel.map((b) => b.element.value)).toEqual([setup.id]);
    expect(cancel[0]!.element.confirm?.style).toBe('danger');

    let since = mark(world);
    await click(home, ADMIN, ACTION.resumeSetup, setup.id);
    const opened = await world.slack.waitForCall('views.open', (c) => world.slack.calls.indexOf(c) >= since);
    const plan = await waitForPlanView(world, String((opened.response.view as { id: string }).id));
    expect(plan.private_metadata).toBe(setup.id);

    // Someone else's Cancel (a member forging the click) does nothing to it.
    await click(await openHome(MEMBER), MEMBER, ACTION.cancelSetup, setup.id);
    await world.bot.tasks.idle();
    expect(world.bot.store.getSetup(setup.id)!.status).toBe('planned');

    since = mark(world);
    await click(home, ADMIN, ACTION.cancelSetup, setup.id);
    const redrawn = await world.slack.waitForCall('views.publish', (c) => world.slack.calls.indexOf(c) >= since && c.args.user_id === ADMIN);
    const after = world.bot.store.getSetup(setup.id)!;
    expect(after.status).toBe('cancelled');
    expect(after.sealedSecret).toBeUndefined();
    expect(buttonsNamed(redrawn, ACTION.resumeSetup)).toEqual([]);
    expect(JSON.stringify(redrawn.args.view)).not.toContain('Setups in progress');
  });

  it('a member sees their open request with Withdraw, and Withdraw withdraws it', async () => {
    await sendNewConnectionRequest(world, MEMBER, { [REQUEST_BLOCK.spoke]: 'jira', [REQUEST_BLOCK.site]: world.site.url, [REQUEST_BLOCK.team]: 'Support', [REQUEST_BLOCK.reason]: 'Our team tracks incidents in Jira.' });
    await world.bot.tasks.idle();
    const request = world.bot.store.listRequests((r) => r.requester === MEMBER).at(-1)!;
    expect(request.state).toBe('open');

    const home = await openHome(MEMBER);
    const withdraw = buttonsNamed(home, ACTION.withdrawRequest);
    expect(withdraw.map((b) => b.element.value)).toEqual([String(request.id)]);
    expect(withdraw[0]!.element.confirm?.style).toBe('danger');
    // Nobody else's Home offers to withdraw it.
    expect(buttonsNamed(await openHome(ADMIN), ACTION.withdrawRequest)).toEqual([]);

    await click(home, MEMBER, ACTION.withdrawRequest, String(request.id), withdraw[0]!.block.block_id);
    await expect.poll(() => world.bot.store.getRequest(request.id)?.state, { timeout: 5000 }).toBe('withdrawn');
  });
});
