import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION, CALLBACK, SETUP_BLOCK } from '../../src/slack/ids.js';
import { acceptConsentWithoutBrowser } from '../support/consent.js';
import { clickButton, consentUrl, openSetupModal, setupAnswers, submitView, waitForMessage, waitForPlanView } from '../support/setup-steps.js';
import { CLIENT_SECRET, SERVICENOW_PASSWORD, SIGNING_SECRET, startWorld, type World } from '../support/world.js';

/**
 * Drives a setup through every path that touches the secret (a site failure and resubmission,
 * a refused write and Retry, consent), then looks for the secret everywhere it must not be.
 */
describe('secrets stay secret', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld({ logLevel: 'trace' });
    world.atlassian.faults.next({ path: '/_edge/tenant_info', status: 503 });
    const form = await openSetupModal(world);
    await submitView(world, form, setupAnswers(world));
    const back = await world.slack.waitForCall('views.update', (c) => (c.args.view as { callback_id?: string }).callback_id === CALLBACK.setupModal);
    const view = back.response.view as Record<string, unknown>;
    // This time the admin types the secret again.
    await submitView(world, view, { [SETUP_BLOCK.clientSecret]: CLIENT_SECRET });
    const plan = await waitForPlanView(world, String(view.id));
    world.serviceNow.faults.next({ method: 'POST', table: 'http_connection', status: 401, body: { error: { message: 'User Not Authenticated', detail: 'Required to provide Auth information' }, status: 'failure' } });
    await submitView(world, plan, {});
    const stopped = await waitForMessage(world, /Setup stopped/);
    await clickButton(world, stopped, ACTION.retrySetup);
    const consent = await waitForMessage(world, /One click left/);
    await acceptConsentWithoutBrowser(consentUrl(consent));
    await waitForMessage(world, /is connected/);
    await world.bot.tasks.idle();
  });
  afterAll(async () => {
    await world.close();
  });

  const secrets = () => [CLIENT_SECRET, SERVICENOW_PASSWORD, Buffer.from(`spokebot.integration:${SERVICENOW_PASSWORD}`).toString('base64'), SIGNING_SECRET];

  it('the flow really ran through the secret-bearing paths', () => {
    expect(world.serviceNow.secretOf('oauth_entity', world.serviceNow.rows('oauth_entity')[0]!.sys_id!).value).toBe(CLIENT_SECRET);
    expect(world.logs.length).toBeGreaterThan(20);
  });

  it('appears in no log line', () => {
    const logs = world.logs.join('\n');
    for (const secret of secrets()) expect(logs).not.toContain(secret);
  });

  it('appears in no Slack API call the bot made (views, messages, replies)', () => {
    const calls = JSON.stringify(world.slack.calls.map((c) => ({ method: c.method, args: c.args })));
    expect(world.slack.calls.length).toBeGreaterThan(8);
    for (const secret of secrets()) expect(calls).not.toContain(secret);
  });

  it('appears in no audit event', async () => {
    const audit = JSON.stringify((await world.bot.store.auditTrail()));
    expect((await world.bot.store.auditTrail()).length).toBeGreaterThan(10);
    for (const secret of secrets()) expect(audit).not.toContain(secret);
  });

  it('is not in clear in the store, and the store file is readable by its owner only', async () => {
    const files = await readdir(world.dataDir);
    expect(files).toContain('spokebot.json');
    for (const file of files) {
      const text = await readFile(join(world.dataDir, file), 'utf8');
      for (const secret of secrets()) expect(text).not.toContain(secret);
    }
    const mode = (await stat(join(world.dataDir, 'spokebot.json'))).mode & 0o777;
    expect(mode).toBe(0o600);
  });

  it('is wiped from the store once ServiceNow holds it', () => {
    for (const setup of world.bot.store.listSetups()) expect(setup.sealedSecret).toBeUndefined();
  });
});
