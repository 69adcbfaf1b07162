import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appHomeOpened, sendEvent } from '../standins/slack-driver.js';
import { expectFastAck, setupUntilConsent } from '../support/setup-steps.js';
import { ADMIN, MEMBER, SIGNING_SECRET, startWorld, type World } from '../support/world.js';

let world: World;
beforeEach(async () => {
  world = await startWorld();
});
afterEach(async () => {
  await world.close();
});

describe('App Home', () => {
  it('shows each connection, and setups in progress to admins only', async () => {
    await setupUntilConsent(world);
    expectFastAck(await sendEvent(world.eventsUrl, SIGNING_SECRET, appHomeOpened({ userId: ADMIN })));
    const adminHome = await world.slack.waitForCall('views.publish', (c) => c.args.user_id === ADMIN);
    const adminText = JSON.stringify(adminHome.args.view);
    expect(adminText).toContain('Confluence acme');
    expect(adminText).toContain('waiting for consent');
    expect(adminText).toContain('Setups in progress');

    expectFastAck(await sendEvent(world.eventsUrl, SIGNING_SECRET, appHomeOpened({ userId: MEMBER })));
    const memberHome = await world.slack.waitForCall('views.publish', (c) => c.args.user_id === MEMBER);
    expect(JSON.stringify(memberHome.args.view)).toContain('Confluence acme');
    expect(JSON.stringify(memberHome.args.view)).not.toContain('Setups in progress');
  });

  it('publishes nothing when the Messages tab is opened', async () => {
    expectFastAck(await sendEvent(world.eventsUrl, SIGNING_SECRET, appHomeOpened({ userId: ADMIN, tab: 'messages' })));
    await world.bot.tasks.idle();
    await new Promise((r) => setTimeout(r, 100));
    expect(world.slack.calls.filter((c) => c.method === 'views.publish')).toEqual([]);
  });
});
