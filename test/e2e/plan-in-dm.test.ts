import { ACTION } from '../../src/slack/ids.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clickButton, openSetupModal, setupAnswers, submitView, waitForMessage } from '../support/setup-steps.js';
import { ADMIN, OTHER_ADMIN, startWorld, type World } from '../support/world.js';

let world: World;
beforeEach(async () => {
  world = await startWorld();
});
afterEach(async () => {
  await world.close();
});

describe('an admin who closes the modal while the site is checked', () => {
  it('gets the plan in a DM, where only they can confirm it', async () => {
    const form = await openSetupModal(world);
    // Slack answers views.update with not_found once the modal is gone.
    world.slack.faults.next({ method: 'views.update', error: 'not_found' });
    await submitView(world, form, setupAnswers(world));
    const plan = await waitForMessage(world, /^Plan for Confluence acme/);
    expect(plan.args.channel).toBe(world.slack.dmChannelFor(ADMIN));
    expect(JSON.stringify(plan.args.blocks)).toContain(world.site.cloudId);

    await clickButton(world, plan, ACTION.confirmPlan, OTHER_ADMIN);
    await world.bot.tasks.idle();
    expect(world.serviceNow.requests.filter((r) => r.method === 'POST')).toEqual([]);

    await clickButton(world, plan, ACTION.confirmPlan, ADMIN);
    await waitForMessage(world, /One click left/);
    const updated = await world.slack.waitForCall('chat.update', (c) => c.args.ts === plan.response.ts);
    expect(String(updated.args.text)).toContain('confirmed by');
  });

  it('Cancel in the DM ends the setup and wipes the secret', async () => {
    const form = await openSetupModal(world);
    world.slack.faults.next({ method: 'views.update', error: 'not_found' });
    await submitView(world, form, setupAnswers(world));
    const plan = await waitForMessage(world, /^Plan for Confluence acme/);
    await clickButton(world, plan, ACTION.cancelPlan);
    await world.slack.waitForCall('chat.update', (c) => /cancelled/.test(String(c.args.text)));
    const [setup] = world.bot.store.listSetups();
    expect(setup).toMatchObject({ status: 'cancelled' });
    expect(setup!.sealedSecret).toBeUndefined();
  });
});
