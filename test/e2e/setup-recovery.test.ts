import { readFile, writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { ACTION, CALLBACK, SETUP_BLOCK } from '../../src/slack/ids.js';
import { acceptConsentWithoutBrowser } from '../support/consent.js';
import { clickButton, closeView, consentUrl, mark, openSetupModal, setupAnswers, setupUntilConsent, submitView, waitForMessage, waitForPlanView } from '../support/setup-steps.js';
import { CLIENT_ID, REPORT_CHANNEL, startWorld, type World } from '../support/world.js';

let world: World;
afterEach(async () => {
  await world.close();
});

async function confirmPlan(beforeConfirm?: () => void): Promise<Record<string, unknown>> {
  const form = await openSetupModal(world);
  await submitView(world, form, setupAnswers(world));
  const plan = await waitForPlanView(world, String(form.id));
  beforeConfirm?.();
  await submitView(world, plan, {});
  return plan;
}

describe('ServiceNow failures and recovery', () => {
  it('an insert that times out and commits late is not written twice', async () => {
    world = await startWorld({ env: { SERVICENOW_TIMEOUT: '500ms' } });
    world.serviceNow.faults.next({ method: 'POST', table: 'oauth_2_0_credentials', delayMs: 1500 });
    await confirmPlan();
    const stopped = await waitForMessage(world, /Setup stopped/);
    expect(JSON.stringify(stopped.args.blocks)).toContain('may still be finishing the write');
    await new Promise((r) => setTimeout(r, 1500)); // ServiceNow finishes the insert after we gave up
    expect(world.serviceNow.rows('oauth_2_0_credentials')).toHaveLength(1);
    const since = mark(world);
    await clickButton(world, stopped, ACTION.retrySetup);
    await waitForMessage(world, /One click left/, 10_000, since);
    expect(world.serviceNow.rows('oauth_2_0_credentials')).toHaveLength(1);
    expect(world.serviceNow.rows('oauth_entity_profile')).toHaveLength(1);
  });

  it('stops after bounded retries of a 5xx, and Retry carries on once ServiceNow is back', async () => {
    world = await startWorld();
    await confirmPlan(() => {
      for (let i = 0; i < 4; i++) world.serviceNow.faults.next({ method: 'POST', table: 'oauth_2_0_credentials', status: 503 });
    });
    const stopped = await waitForMessage(world, /Setup stopped/);
    expect(JSON.stringify(stopped.args.blocks)).toContain('server errors after several tries');
    const since = mark(world);
    await clickButton(world, stopped, ACTION.retrySetup);
    await waitForMessage(world, /One click left/, 10_000, since);
    expect(world.serviceNow.rows('http_connection')).toHaveLength(1);
  });

  it('a restart in the middle of writing offers Retry instead of leaving the setup stuck', async () => {
    world = await startWorld();
    world.serviceNow.faults.next({ method: 'POST', table: 'http_connection', status: 403 });
    await confirmPlan();
    await waitForMessage(world, /Setup stopped/);
    await world.bot.tasks.idle();
    const since = mark(world);
    await world.restartBot(async () => {
      // As if the process had died mid-write: the store still says "writing".
      const path = world.config.SPOKE_DB_PATH;
      const data = JSON.parse(await readFile(path, 'utf8'));
      data.setups[0].status = 'writing';
      await writeFile(path, JSON.stringify(data));
    });
    const offered = await waitForMessage(world, /Setup stopped/, 10_000, since);
    expect(JSON.stringify(offered.args.blocks)).toContain('stopped while writing');
    await clickButton(world, offered, ACTION.retrySetup);
    await waitForMessage(world, /One click left/, 10_000, since);

    // A second click on the old Retry is answered, not ignored.
    const again = mark(world);
    await clickButton(world, offered, ACTION.retrySetup);
    await waitForMessage(world, /nothing more to do here/, 10_000, again);
  });

  it('keeps watching for consent through ServiceNow errors', async () => {
    world = await startWorld();
    const consent = await setupUntilConsent(world);
    for (let i = 0; i < 8; i++) world.serviceNow.faults.next({ method: 'GET', table: 'oauth_credential', status: 500 });
    await new Promise((r) => setTimeout(r, 300));
    await acceptConsentWithoutBrowser(consentUrl(consent));
    await waitForMessage(world, /is connected/);
  });
});

describe('the report channel', () => {
  it('tells the admin how to invite the bot when Slack will not let it post', async () => {
    world = await startWorld();
    world.slack.faults.next({ method: 'chat.postMessage', channel: REPORT_CHANNEL, error: 'not_in_channel' });
    const consent = await setupUntilConsent(world);
    await acceptConsentWithoutBrowser(consentUrl(consent));
    const hint = await waitForMessage(world, /could not post in/);
    expect(String(hint.args.text)).toContain('/invite @spokebot');
    expect(hint.args.thread_ts).toBe(consent.args.thread_ts);
  });
});

describe('names', () => {
  it('names a connection after the spoke and the site when the field is left empty', async () => {
    world = await startWorld();
    await setupUntilConsent(world, setupAnswers(world, { [SETUP_BLOCK.connectionName]: null }));
    const port = new URL(world.site.url).port;
    expect(world.serviceNow.rows('http_connection').map((c) => c.name)).toEqual([`Confluence Cloud 127.0.0.1-${port}`]);
  });

  it('warns in the plan when the name belongs to another app registration', async () => {
    world = await startWorld();
    world.serviceNow.insert('oauth_entity', { name: 'Confluence acme', client_id: 'someone-elses-client', type: 'oauth_provider' });
    const form = await openSetupModal(world);
    await submitView(world, form, setupAnswers(world));
    const plan = await waitForPlanView(world, String(form.id));
    expect(JSON.stringify(plan.blocks)).toContain('already exists with another client ID');
    expect(world.serviceNow.rows('oauth_entity')[0]!.client_id).toBe('someone-elses-client');
    expect(CLIENT_ID).not.toBe('someone-elses-client');
  });
});

describe('a form that comes back after a site problem', () => {
  it('closing it ends the setup and wipes the secret', async () => {
    world = await startWorld();
    world.atlassian.faults.next({ path: '/_edge/tenant_info', status: 404 });
    const form = await openSetupModal(world);
    await submitView(world, form, setupAnswers(world));
    const back = await world.slack.waitForCall('views.update', (c) => (c.args.view as { callback_id?: string }).callback_id === CALLBACK.setupModal);
    const view = back.response.view as Record<string, unknown>;
    expect(view.notify_on_close).toBe(true);
    expect(world.bot.store.listSetups()[0]!.sealedSecret).toBeDefined();
    await closeView(world, view);
    await world.bot.tasks.idle();
    expect(world.bot.store.listSetups()[0]).toMatchObject({ status: 'cancelled' });
    expect(world.bot.store.listSetups()[0]!.sealedSecret).toBeUndefined();
  });
});
