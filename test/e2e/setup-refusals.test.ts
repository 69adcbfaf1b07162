import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CALLBACK, SETUP_BLOCK } from '../../src/slack/ids.js';
import { postToBot, sendSlashCommand } from '../standins/slack-driver.js';
import { expectFastAck, openSetupModal, runCommand, setupAnswers, submitView, waitForPlanView } from '../support/setup-steps.js';
import { ADMIN, MEMBER, SIGNING_SECRET, startWorld, type World } from '../support/world.js';

let world: World;
beforeEach(async () => {
  world = await startWorld();
});
afterEach(async () => {
  await world.close();
});

describe('who may set up', () => {
  it('refuses a non-admin with a clear ephemeral reply and opens no modal', async () => {
    await runCommand(world, 'setup confluence', MEMBER);
    const reply = await world.slack.waitForCall('response_url');
    expect(reply.args).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('Only spokebot admins can set up connections') });
    expect(world.slack.calls.filter((c) => c.method === 'views.open')).toEqual([]);
    await world.bot.tasks.idle();
    expect((await world.bot.store.auditTrail())).toContainEqual(expect.objectContaining({ actor: MEMBER, action: 'setup.open', outcome: 'refused' }));
  });

  it('asks which spoke when none or an unknown one is given', async () => {
    const response = await runCommand(world, 'setup bitbucket');
    expect(response.json).toMatchObject({ text: expect.stringContaining('setup jira|jsm|confluence') });
  });
});

describe('requests that are not from Slack', () => {
  it('refuses an unsigned request', async () => {
    const body = new URLSearchParams({ command: '/spoke', text: 'setup confluence', user_id: ADMIN, trigger_id: world.slack.issueTriggerId() }).toString();
    const response = await postToBot(world.eventsUrl, SIGNING_SECRET, body, 'application/x-www-form-urlencoded', { unsigned: true });
    expect(response.status).toBe(401);
    expect(world.slack.calls.filter((c) => c.method === 'views.open')).toEqual([]);
  });

  it('refuses a correctly signed request with a stale timestamp (replay)', async () => {
    const body = new URLSearchParams({ command: '/spoke', text: 'setup confluence', user_id: ADMIN, trigger_id: world.slack.issueTriggerId() }).toString();
    const tenMinutesAgo = Math.floor(Date.now() / 1000) - 600;
    const response = await postToBot(world.eventsUrl, SIGNING_SECRET, body, 'application/x-www-form-urlencoded', { timestamp: tenMinutesAgo });
    expect(response.status).toBe(401);
  });

  it('refuses a request signed with another secret', async () => {
    const response = await sendSlashCommand(world.eventsUrl, 'not-the-signing-secret', { text: 'help', userId: ADMIN, triggerId: 'x' });
    expect(response.status).toBe(401);
  });
});

describe('bad input in the setup modal', () => {
  it('puts each problem on its own field and writes nothing', async () => {
    const form = await openSetupModal(world);
    const response = await submitView(
      world,
      form,
      setupAnswers(world, { [SETUP_BLOCK.site]: 'https://intranet.corp.local', [SETUP_BLOCK.clientId]: '', [SETUP_BLOCK.clientSecret]: '', [SETUP_BLOCK.scopes]: 'read:me read:account' }),
    );
    expect(response.json).toMatchObject({
      response_action: 'errors',
      errors: {
        [SETUP_BLOCK.site]: expect.stringContaining('not on the allowed site list'),
        [SETUP_BLOCK.clientId]: expect.stringContaining('Client ID'),
        [SETUP_BLOCK.clientSecret]: expect.stringContaining('Secret'),
        [SETUP_BLOCK.scopes]: expect.stringContaining('offline_access'),
      },
    });
    expect(world.serviceNow.requests).toEqual([]);
  });

  it('refuses a site outside the allowlist without sending it any request', async () => {
    // A real host on this machine, reachable, but not on ATLASSIAN_SITE_ALLOWLIST.
    const outside = world.site.url.replace('127.0.0.1', 'localhost');
    const form = await openSetupModal(world);
    const response = await submitView(world, form, setupAnswers(world, { [SETUP_BLOCK.site]: outside }));
    expect(response.json).toMatchObject({ response_action: 'errors', errors: { [SETUP_BLOCK.site]: expect.stringContaining('ATLASSIAN_SITE_ALLOWLIST') } });
    await world.bot.tasks.idle();
    expect(world.atlassian.requests).toEqual([]);
  });

  it('refuses a malformed site', async () => {
    const form = await openSetupModal(world);
    const response = await submitView(world, form, setupAnswers(world, { [SETUP_BLOCK.site]: 'acme atlassian' }));
    expect(response.json).toMatchObject({ response_action: 'errors', errors: { [SETUP_BLOCK.site]: expect.stringContaining('Give the site as') } });
  });

  it('refuses a scope list without offline_access', async () => {
    const form = await openSetupModal(world);
    const response = await submitView(world, form, setupAnswers(world, { [SETUP_BLOCK.scopes]: 'read:confluence-user read:me' }));
    expect(response.json).toMatchObject({ response_action: 'errors', errors: { [SETUP_BLOCK.scopes]: expect.stringContaining('offline_access') } });
  });
});

describe('a site that gives no Cloud ID', () => {
  it('brings the form back with the problem, and a fixed resubmission keeps the secret it was given', async () => {
    world.atlassian.faults.next({ path: '/_edge/tenant_info', status: 404, body: { message: 'Not Found' } });
    const form = await openSetupModal(world);
    const ack = await submitView(world, form, setupAnswers(world));
    expect(ack.json).toMatchObject({ response_action: 'update' });
    const back = await world.slack.waitForCall('views.update', (c) => (c.args.view as { callback_id?: string }).callback_id === CALLBACK.setupModal);
    const view = back.response.view as Record<string, unknown>;
    expect(JSON.stringify(view.blocks)).toContain('is not an Atlassian Cloud site');
    expect(JSON.stringify(view)).not.toContain('S3CRET');
    expect(world.serviceNow.requests).toEqual([]);

    // The admin corrects nothing but tries again, leaving the secret empty as the hint says.
    const again = await submitView(world, view, { [SETUP_BLOCK.clientSecret]: null });
    expect(again.json).toMatchObject({ response_action: 'update' });
    const plan = await waitForPlanView(world, String(view.id));
    expect(JSON.stringify(plan.blocks)).toContain(world.site.cloudId);
    await submitView(world, plan, {});
    await world.slack.waitForCall('chat.postMessage', (c) => /One click left/.test(String(c.args.text)));
    expect(world.serviceNow.rows('oauth_entity')).toHaveLength(1);
    expect(world.bot.store.listSetups()).toHaveLength(1);
  });

  it('acks inside 3 seconds when tenant_info takes 10, and shows the plan when it answers', async () => {
    world.atlassian.faults.next({ path: '/_edge/tenant_info', delayMs: 10_000 });
    const form = await openSetupModal(world);
    const ack = await submitView(world, form, setupAnswers(world));
    expectFastAck(ack);
    expect(ack.elapsedMs).toBeLessThan(1000);
    expect(JSON.stringify(ack.json)).toContain('Looking up the Cloud ID');
    const plan = await waitForPlanView(world, String(form.id), 15_000);
    expect(JSON.stringify(plan.blocks)).toContain(world.site.cloudId);
  }, 25_000);
});

describe('cancel', () => {
  it('closing the plan cancels the setup, writes nothing and wipes the secret', async () => {
    const form = await openSetupModal(world);
    await submitView(world, form, setupAnswers(world));
    const plan = await waitForPlanView(world, String(form.id));
    const { closeView } = await import('../support/setup-steps.js');
    await closeView(world, plan);
    await world.bot.tasks.idle();
    const [setup] = world.bot.store.listSetups();
    expect(setup).toMatchObject({ status: 'cancelled' });
    expect(setup!.sealedSecret).toBeUndefined();
    expect(world.serviceNow.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('only the admin who started a setup can confirm it', async () => {
    const { OTHER_ADMIN } = await import('../support/world.js');
    const form = await openSetupModal(world);
    await submitView(world, form, setupAnswers(world));
    const plan = await waitForPlanView(world, String(form.id));
    await submitView(world, plan, {}, OTHER_ADMIN);
    await world.bot.tasks.idle();
    expect(world.serviceNow.requests.filter((r) => r.method === 'POST')).toEqual([]);
    expect((await world.bot.store.auditTrail())).toContainEqual(expect.objectContaining({ actor: OTHER_ADMIN, action: 'setup.confirm', outcome: 'refused' }));
  });
});
