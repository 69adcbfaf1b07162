import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACTION, CALLBACK, REQUEST_BLOCK, SETUP_BLOCK } from '../../src/slack/ids.js';
import type { SlackCall } from '../standins/slack-api.js';
import { appHomeOpened, blockAction } from '../standins/slack-driver.js';
import { acceptConsentWithoutBrowser } from '../support/consent.js';
import { apiTokenConnection } from '../support/connections.js';
import { submitRequest } from '../support/request-steps.js';
import { clickButton, consentUrl, expectFastAck, mark, openSetupModal, runCommand, setupAnswers, setupUntilConsent, submitView, waitForMessage, waitForPlanView } from '../support/setup-steps.js';
import { ADMIN, MEMBER, REPORT_CHANNEL, daysFromNow, startWorld, type World } from '../support/world.js';

const EMAIL = 'integration@acme.test';
const TOKEN = 'ATATT3xFfGF0-gates-token-1234';

let world: World;
beforeEach(async () => {
  world = await startWorld();
});
afterEach(async () => {
  await world.close();
});

/** How many requests ServiceNow and Atlassian have seen: a refusal must add none. */
const outbound = () => ({ serviceNow: world.serviceNow.requests.length, atlassian: world.atlassian.requests.length });
const callsSince = (since: number, method: string) => world.slack.calls.slice(since).filter((c) => c.method === method);
const refusals = async (actor: string, action: string) => (await world.bot.store.auditTrail()).filter((e) => e.actor === actor && e.action === action && e.outcome === 'refused');
const ONLY_ADMINS = /Only spokebot admins \(<@UADMIN01>, <@UADMIN02>\) can/;

/** A click on a message in the report channel (an alert), with the response_url Slack gives it. */
async function clickInChannel(userId: string, actionId: string, value: string): Promise<void> {
  const payload = blockAction({ userId, actionId, blockId: 'alert', value, triggerId: world.slack.issueTriggerId(), message: { channel: REPORT_CHANNEL, ts: '1700000000.000100' }, responseUrl: world.slack.newResponseUrl() });
  expectFastAck(await world.deliver.interaction(payload));
}

describe('the setup form is for admins, checked at every step', () => {
  it('"Open the setup" on an approved request, clicked by a member: refused, audited, nothing looked up', async () => {
    const card = await submitRequest(world, MEMBER, 'new_connection', { [REQUEST_BLOCK.spoke]: 'jira', [REQUEST_BLOCK.site]: world.site.url, [REQUEST_BLOCK.team]: 'Support', [REQUEST_BLOCK.reason]: 'Tickets to Jira.' });
    const approved = mark(world);
    await clickButton(world, card, ACTION.approveRequest, ADMIN);
    const offer = await world.slack.waitForCall('chat.postMessage', (c) => world.slack.calls.indexOf(c) >= approved && c.args.channel === world.slack.dmChannelFor(ADMIN) && /Set up Jira Cloud for request #1/.test(String(c.args.text)));
    await world.bot.tasks.idle();

    const before = outbound();
    const since = mark(world);
    await clickButton(world, offer, ACTION.openRequestedSetup, MEMBER);
    const told = await world.slack.waitForCall('response_url', (c) => world.slack.calls.indexOf(c) >= since);
    expect(String(told.args.text)).toMatch(ONLY_ADMINS);
    expect(String(told.args.text)).toContain('set up connections');
    await world.bot.tasks.idle();
    expect(callsSince(since, 'views.open')).toEqual([]);
    expect(outbound()).toEqual(before);
    expect(await refusals(MEMBER, 'setup.open')).toHaveLength(1);

    // The admin it was offered to still gets the form.
    const opened = mark(world);
    await clickButton(world, offer, ACTION.openRequestedSetup, ADMIN);
    const form = await world.slack.waitForCall('views.open', (c) => world.slack.calls.indexOf(c) >= opened);
    expect(form.args.view).toMatchObject({ callback_id: CALLBACK.setupModal });
  });

  it("a member submitting an admin's form (its view id replayed) is refused in the modal, audited, nothing looked up", async () => {
    const form = await openSetupModal(world);
    await world.bot.tasks.idle();
    const before = outbound();
    const since = mark(world);
    const ack = await submitView(world, form, setupAnswers(world), MEMBER);
    expect(ack.json).toMatchObject({ response_action: 'errors', errors: { [SETUP_BLOCK.site]: expect.stringContaining('Only spokebot admins can set up connections') } });
    await world.bot.tasks.idle();
    expect(outbound()).toEqual(before);
    expect(callsSince(since, 'views.update')).toEqual([]);
    expect(world.bot.store.listSetups()).toEqual([]);
    expect(await refusals(MEMBER, 'setup.submit')).toHaveLength(1);

    // The admin's own submission of the same form goes on to the plan.
    const mine = await submitView(world, form, setupAnswers(world));
    expect(mine.json).toMatchObject({ response_action: 'update' });
    await waitForPlanView(world, String(form.id));
  });

  it("a member's method change on an admin's form leaves the form alone and is refused in a DM", async () => {
    const form = await openSetupModal(world, 'jira');
    const since = mark(world);
    const option = { value: 'api_token', text: { type: 'plain_text', text: 'api_token' } };
    const payload = {
      type: 'block_actions',
      user: { id: MEMBER, username: 'bob', name: 'bob', team_id: 'T0001' },
      api_app_id: 'A0SPOKEBOT',
      token: 'vErIfIcAtIoNtOkEn0001',
      trigger_id: world.slack.issueTriggerId(String(form.id)),
      team: { id: 'T0001', domain: 'acme' },
      container: { type: 'view', view_id: form.id },
      view: { ...form, state: { values: { [SETUP_BLOCK.method]: { [ACTION.chooseMethod]: { type: 'radio_buttons', selected_option: option } } } } },
      actions: [{ type: 'radio_buttons', action_id: ACTION.chooseMethod, block_id: SETUP_BLOCK.method, selected_option: option, action_ts: '1' }],
    };
    expectFastAck(await world.deliver.interaction(payload));
    const told = await world.slack.waitForCall('chat.postMessage', (c) => world.slack.calls.indexOf(c) >= since && c.args.channel === world.slack.dmChannelFor(MEMBER));
    expect(String(told.args.text)).toMatch(ONLY_ADMINS);
    await world.bot.tasks.idle();
    expect(callsSince(since, 'views.update')).toEqual([]);
    expect(await refusals(MEMBER, 'setup.method')).toHaveLength(1);
  });
});

describe('buttons that reach ServiceNow or Atlassian are for admins', () => {
  it('Retry, Rotate, Re-consent and Check now from a member: refused, audited, no request to ServiceNow or Atlassian', async () => {
    // A 3LO connection (Re-consent), an API-token one (Rotate, Check now), a setup stopped mid-write (Retry).
    const consent = await setupUntilConsent(world);
    await acceptConsentWithoutBrowser(consentUrl(consent));
    await waitForMessage(world, /is connected/);
    world.atlassian.addApiToken({ email: EMAIL, token: TOKEN });
    await apiTokenConnection(world, { name: 'Jira token', email: EMAIL, token: TOKEN, expiresOn: daysFromNow(120) });
    const failing = mark(world);
    world.serviceNow.faults.next({ method: 'POST', table: 'http_connection', status: 403 });
    const form = await openSetupModal(world);
    await submitView(world, form, setupAnswers(world, { [SETUP_BLOCK.connectionName]: 'Confluence beta' }));
    await submitView(world, await waitForPlanView(world, String(form.id)), {});
    const stopped: SlackCall = await waitForMessage(world, /Setup stopped/, 10_000, failing);
    await world.bot.tasks.idle();

    const before = outbound();
    const since = mark(world);
    await clickButton(world, stopped, ACTION.retrySetup, MEMBER);
    await clickInChannel(MEMBER, ACTION.fixRotate, 'Jira token');
    await clickInChannel(MEMBER, ACTION.fixReconsent, 'Confluence acme');
    await clickInChannel(MEMBER, ACTION.checkNow, 'Jira token');
    // And Check now on App Home, where there is no response_url: an ephemeral in the connection's channel.
    expectFastAck(await world.deliver.event(appHomeOpened({ userId: MEMBER })));
    const home = await world.slack.waitForCall('views.publish', (c) => world.slack.calls.indexOf(c) >= since && c.args.user_id === MEMBER);
    const homeView = home.response.view as Record<string, unknown>;
    expectFastAck(await world.deliver.interaction(blockAction({ userId: MEMBER, actionId: ACTION.checkNow, blockId: 'card', value: 'Jira token', triggerId: world.slack.issueTriggerId(), view: homeView })));
    await world.bot.tasks.idle();

    const told = callsSince(since, 'response_url').map((c) => String(c.args.text));
    expect(told).toHaveLength(4);
    for (const text of told) expect(text).toMatch(ONLY_ADMINS);
    expect(told.join('\n')).toContain('write connection records to ServiceNow');
    expect(told.join('\n')).toContain('rotate the credential of *Jira token*');
    expect(told.join('\n')).toContain('re-consent *Confluence acme*');
    expect(told.join('\n')).toContain('run a live check of *Jira token*');
    const ephemeral = callsSince(since, 'chat.postEphemeral');
    expect(ephemeral).toHaveLength(1);
    expect(ephemeral[0]!.args).toMatchObject({ channel: REPORT_CHANNEL, user: MEMBER, text: expect.stringMatching(ONLY_ADMINS) });

    expect(outbound()).toEqual(before);
    expect(callsSince(since, 'views.open')).toEqual([]);
    expect(callsSince(since, 'conversations.open')).toEqual([]);
    expect(await refusals(MEMBER, 'setup.retry')).toHaveLength(1);
    expect(await refusals(MEMBER, 'rotate.open')).toHaveLength(2);
    expect(await refusals(MEMBER, 'health.check_now')).toHaveLength(2);
    expect(world.bot.store.listSetups((s) => s.connectionName === 'Confluence beta')[0]).toMatchObject({ status: 'write_failed' });
  });
});

describe('subcommand names every JavaScript object has', () => {
  it('/spoke constructor, __proto__, toString and hasOwnProperty get help naming the unknown command, within the ack deadline', async () => {
    for (const word of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'CONSTRUCTOR']) {
      const response = await runCommand(world, word, MEMBER);
      expect(response.json, word).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining(`\`${word}\` is not a /spoke command`) });
      expect(String((response.json as { text: string }).text)).toContain('/spoke setup jira|jsm|confluence');
    }
    // The real ones still answer.
    const help = await runCommand(world, 'help', MEMBER);
    expect(String((help.json as { text: string }).text)).not.toContain('is not a /spoke command');
    const list = await runCommand(world, 'list', MEMBER);
    expect(list.json).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('connection(s)') });
  });
});
