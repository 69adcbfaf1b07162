import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSetupModal, setupAnswers, submitView, waitForMessage, waitForPlanView } from '../support/setup-steps.js';
import { startWorld, type World } from '../support/world.js';

let world: World;
beforeEach(async () => {
  world = await startWorld({ env: { SERVICENOW_TIMEOUT: '15s' } });
});
afterEach(async () => {
  await world.close();
});

describe('acks come first', () => {
  it('acks Confirm inside 3 seconds when ServiceNow takes 10 seconds to answer, then writes', async () => {
    const form = await openSetupModal(world);
    await submitView(world, form, setupAnswers(world));
    const plan = await waitForPlanView(world, String(form.id));
    world.serviceNow.faults.next({ method: 'GET', delayMs: 10_000 });
    const ack = await submitView(world, plan, {});
    expect(ack.elapsedMs).toBeLessThan(1000);
    expect(ack.json).toMatchObject({ response_action: 'update' });
    await waitForMessage(world, /One click left/, 20_000);
    expect(world.serviceNow.rows('http_connection')).toHaveLength(1);
  }, 30_000);
});
