import { afterEach, describe, expect, it } from 'vitest';
import { ACTION, CALLBACK, SETUP_BLOCK } from '../../src/slack/ids.js';
import { decodeSetupMetadata } from '../../src/slack/private-metadata.js';
import { duplicateRows } from '../support/servicenow-duplicates.js';
import { clickButton, mark, openSetupModal, setupAnswers, submitView, waitForMessage, waitForPlanView } from '../support/setup-steps.js';
import { CLIENT_SECRET, startWorld, type World } from '../support/world.js';

let world: World;
afterEach(async () => {
  await world.close();
});

const MINUTE = 60_000;

async function planShown(): Promise<{ form: Record<string, unknown>; plan: Record<string, unknown> }> {
  const form = await openSetupModal(world);
  await submitView(world, form, setupAnswers(world));
  return { form, plan: await waitForPlanView(world, String(form.id)) };
}

const onlySetup = () => world.bot.store.listSetups()[0]!;

describe('a setup nobody moves on (SPOKE_SETUP_IDLE)', () => {
  it('is expired after the idle limit: secret wiped, modal and DM say so, and the form opens again prefilled', async () => {
    world = await startWorld({ env: { SPOKE_SETUP_IDLE: '30m' } });
    const { form } = await planShown();
    expect(onlySetup().sealedSecret).toBeDefined();

    world.clock.advance(29 * MINUTE);
    await world.bot.sweepSetups();
    expect(onlySetup()).toMatchObject({ status: 'planned' });
    expect(onlySetup().sealedSecret).toBeDefined();

    const since = mark(world);
    world.clock.advance(2 * MINUTE);
    await world.bot.sweepSetups();
    expect(onlySetup()).toMatchObject({ status: 'expired', failure: { code: 'idle' } });
    expect(onlySetup().sealedSecret).toBeUndefined();
    const dm = await waitForMessage(world, /expired: nothing moved it on for 30 min/, 5000, since);
    expect(JSON.stringify(dm.args.blocks)).toContain('Nothing was written to ServiceNow');
    await world.slack.waitForCall('views.update', (c) => world.slack.calls.indexOf(c) >= since && c.args.view_id === form.id && JSON.stringify(c.args.view).includes('This setup expired'));
    expect((await world.bot.store.auditTrail())).toContainEqual(expect.objectContaining({ action: 'setup.expired', outcome: 'failed', setupId: onlySetup().id, detail: { reason: 'idle' } }));

    // The form again, with the answers but not the secret: a fresh setup that asks for it.
    const reopenedAt = mark(world);
    await clickButton(world, dm, ACTION.reopenSetup);
    const opened = await world.slack.waitForCall('views.open', (c) => world.slack.calls.indexOf(c) >= reopenedAt);
    const view = opened.response.view as Record<string, unknown>;
    expect(view.callback_id).toBe(CALLBACK.setupModal);
    expect(decodeSetupMetadata(String(view.private_metadata))?.setupId).toBeUndefined();
    expect(JSON.stringify(view.blocks)).toContain(world.site.url);
    expect(JSON.stringify(view.blocks)).toContain('enter it again');
    const refused = await submitView(world, view, { [SETUP_BLOCK.clientSecret]: null });
    expect(refused.json).toMatchObject({ response_action: 'errors' });
    await submitView(world, view, { [SETUP_BLOCK.clientSecret]: CLIENT_SECRET });
    await waitForPlanView(world, String(view.id));
    expect(world.bot.store.listSetups().map((s) => s.status)).toEqual(['expired', 'planned']);
  });

  it('a Confirm on a plan that expired says so instead of closing without a word', async () => {
    world = await startWorld();
    const { plan } = await planShown();
    world.clock.advance(31 * MINUTE);
    await world.bot.sweepSetups();
    const answer = await submitView(world, plan, {});
    expect(answer.json).toMatchObject({ response_action: 'update' });
    expect(JSON.stringify(answer.json)).toContain('expired and spokebot wiped its secret');
    expect(world.serviceNow.rows('oauth_entity')).toHaveLength(0);
  });

  it('a write that failed and waits for Retry is expired too, and the DM lists what is in ServiceNow', async () => {
    world = await startWorld();
    world.serviceNow.faults.next({ method: 'POST', table: 'http_connection', status: 403 });
    const { plan } = await planShown();
    await submitView(world, plan, {});
    await waitForMessage(world, /Setup stopped/);
    await world.bot.tasks.idle();
    const since = mark(world);
    world.clock.advance(31 * MINUTE);
    await world.bot.sweepSetups();
    const dm = await waitForMessage(world, /expired/, 5000, since);
    expect(JSON.stringify(dm.args.blocks)).toMatch(/Already in ServiceNow\* \(\d+/);
    expect(onlySetup().sealedSecret).toBeUndefined();
  });
});

describe('a ServiceNow answer that breaks off half way', () => {
  it('while checking: the lookup is read again and the plan appears (no "Checking…" for good)', async () => {
    world = await startWorld();
    // The takeover lookup before the plan: ServiceNow starts answering and the connection drops.
    world.serviceNow.faults.next({ method: 'GET', table: 'http_connection', drop: 'body' });
    const form = await openSetupModal(world);
    await submitView(world, form, setupAnswers(world));
    await waitForPlanView(world, String(form.id));
    expect(onlySetup()).toMatchObject({ status: 'planned' });
  });

  it('while writing: an insert whose answer broke off is found committed and the setup carries on, nothing written twice', async () => {
    world = await startWorld();
    // ServiceNow commits the credential, starts answering, and the connection drops mid-body.
    world.serviceNow.faults.next({ method: 'POST', table: 'oauth_2_0_credentials', drop: 'body' });
    const { plan } = await planShown();
    const since = mark(world);
    await submitView(world, plan, {});
    await waitForMessage(world, /One click left/, 10_000, since);
    expect(world.serviceNow.rows('oauth_2_0_credentials')).toHaveLength(1);
    expect(duplicateRows(world.serviceNow)).toEqual([]);
    expect(onlySetup()).toMatchObject({ status: 'awaiting_consent' });
  });
});

