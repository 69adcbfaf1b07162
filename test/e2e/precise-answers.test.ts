import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION, REQUEST_BLOCK, SETUP_BLOCK } from '../../src/slack/ids.js';
import type { SlackCall } from '../standins/slack-api.js';
import { appHomeOpened } from '../standins/slack-driver.js';
import { acceptConsentWithoutBrowser } from '../support/consent.js';
import { submitRequest } from '../support/request-steps.js';
import { chooseMethod, clickButton, consentUrl, expectFastAck, mark, openSetupModal, runCommand, setupAnswers, setupUntilConsent, submitView, waitForMessage, waitForPlanView } from '../support/setup-steps.js';
import { ADMIN, CLIENT_SECRET, MEMBER, REPORT_CHANNEL, daysFromNow, startWorld, type World } from '../support/world.js';

const REASON = 'Support needs to sync tickets.';

describe('answers to what was mistyped', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld();
  });
  afterAll(async () => {
    await world.close();
  });

  const answer = async (text: string) => String(((await runCommand(world, text, MEMBER)).json as { text?: string }).text);

  it('/spoke frobnicate names the word and shows help; /spoke stauts suggests /spoke status', async () => {
    const frobnicate = await answer('frobnicate');
    expect(frobnicate.split('\n')[0]).toBe('`frobnicate` is not a /spoke command.');
    expect(frobnicate).toContain('/spoke setup jira|jsm|confluence');
    expect(frobnicate).not.toContain('did you mean');

    const stauts = await answer('stauts');
    expect(stauts.split('\n')[0]).toBe('`stauts` is not a /spoke command; did you mean `/spoke status`?');
    expect(stauts).toContain('/spoke setup jira|jsm|confluence');
    expect(await answer('stauts Confluence acme')).toContain('did you mean `/spoke status Confluence acme`?');
  });

  it('empty text and help show the help alone', async () => {
    for (const text of ['', 'help']) {
      const help = await answer(text);
      expect(help.startsWith('*/spoke* connects ServiceNow')).toBe(true);
      expect(help).not.toContain('not a /spoke command');
    }
  });

  it('an API token setup with not-an-email gets the email error on the email block, and nothing reaches Atlassian', async () => {
    const before = world.atlassian.requests.length;
    const form = await chooseMethod(world, await openSetupModal(world, 'jira'), 'api_token');
    const ack = await submitView(world, form, {
      [SETUP_BLOCK.connectionName]: 'Jira token',
      [SETUP_BLOCK.site]: world.site.url,
      [SETUP_BLOCK.email]: 'not-an-email',
      [SETUP_BLOCK.apiToken]: 'ATATT-precise-answers',
      [SETUP_BLOCK.tokenExpiry]: daysFromNow(100),
      [SETUP_BLOCK.channel]: REPORT_CHANNEL,
    });
    expect(ack.json).toEqual({ response_action: 'errors', errors: { [SETUP_BLOCK.email]: '`not-an-email` is not an email address: it needs one @ and a domain, e.g. ada@acme.com' } });
    expect(world.atlassian.requests.length).toBe(before);
  });

  it('a setup with bogus:scope and read:jira-wrok gets a scopes error naming both, with the likely spelling', async () => {
    const before = world.atlassian.requests.length;
    const form = await openSetupModal(world, 'jira');
    const ack = await submitView(world, form, setupAnswers(world, { [SETUP_BLOCK.connectionName]: 'Jira acme', [SETUP_BLOCK.scopes]: 'read:jira-user offline_access bogus:scope read:jira-wrok' }));
    expect(ack.json).toEqual({
      response_action: 'errors',
      errors: { [SETUP_BLOCK.scopes]: 'Unknown scopes: bogus:scope, read:jira-wrok (did you mean read:jira-work?). Write each as the Atlassian developer console lists it, e.g. read:jira-work.' },
    });
    expect(world.atlassian.requests.length).toBe(before);
    expect(world.bot.store.listSetups()).toEqual([]);
  });
});

/** Buttons that act the moment they are clicked: Slack must ask first. The destructive ones in red. */
const ACTS_AT_ONCE = new Set<string>([ACTION.approveRequest, ACTION.withdrawRequest, ACTION.confirmPlan, ACTION.cancelPlan, ACTION.retrySetup, ACTION.confirmScopeChange]);
const DESTRUCTIVE = new Set<string>([ACTION.withdrawRequest, ACTION.cancelPlan]);
/**
 * Buttons that only open a form (which asks in its own right), open a link, send a link, or
 * read: a dialog before them would be one click more for nothing.
 */
const NO_DIALOG = new Set<string>([
  ACTION.denyRequest,
  ACTION.openRequestModal,
  ACTION.openRequestedSetup,
  ACTION.reopenSetup,
  ACTION.fixRotate,
  ACTION.fixReconsent,
  ACTION.openConsent,
  ACTION.checkNow,
  ACTION.retryConsent,
  ACTION.editSetupForm,
  ACTION.openSetup,
]);

type Element = { type?: string; action_id?: string; confirm?: Record<string, { type?: string; text?: string } | string> };

/** Every button of every message, ephemeral, response_url answer, modal and Home tab the bot sent. */
function buttonsSent(calls: readonly SlackCall[]): Array<{ where: string; button: Element }> {
  const found: Array<{ where: string; button: Element }> = [];
  const walk = (node: unknown, where: string): void => {
    if (Array.isArray(node)) return node.forEach((n) => walk(n, where));
    if (typeof node !== 'object' || node === null) return;
    const element = node as Element & Record<string, unknown>;
    if (element.type === 'button') found.push({ where, button: element });
    for (const key of ['blocks', 'elements', 'accessory', 'view', 'attachments']) if (key in element) walk(element[key], where);
  };
  for (const call of calls) walk(call.args, `${call.method}: ${String(call.args.text ?? (call.args.view as { callback_id?: string } | undefined)?.callback_id ?? '')}`.slice(0, 120));
  return found;
}

describe('every button that acts at once asks first', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld();
  });
  afterAll(async () => {
    await world.close();
  });

  const dmTo = (user: string, pattern: RegExp, since = 0) =>
    world.slack.waitForCall('chat.postMessage', (c) => world.slack.calls.indexOf(c) >= since && c.args.channel === world.slack.dmChannelFor(user) && pattern.test(String(c.args.text)));

  it('over setup to connected, requests approved and withdrawn, a failed setup with Retry, and a plan in a DM', async () => {
    // A setup to connected, and App Home for an admin and a member.
    const consent = await setupUntilConsent(world);
    await acceptConsentWithoutBrowser(consentUrl(consent));
    await waitForMessage(world, /is connected/);
    await world.bot.tasks.idle();
    for (const userId of [ADMIN, MEMBER]) {
      const since = mark(world);
      expectFastAck(await world.deliver.event(appHomeOpened({ userId })));
      await world.slack.waitForCall('views.publish', (c) => world.slack.calls.indexOf(c) >= since && c.args.user_id === userId);
    }

    // A Confluence group request, approved: the dialog says what will be written where.
    const groupCard = await submitRequest(world, MEMBER, 'confluence_group', { [REQUEST_BLOCK.connection]: 'Confluence acme', [REQUEST_BLOCK.groups]: 'support-agents, support-leads', [REQUEST_BLOCK.reason]: REASON });
    const approve = buttonsSent([groupCard]).find((b) => b.button.action_id === ACTION.approveRequest)!.button;
    expect(approve.confirm).toMatchObject({ title: { text: 'Approve request #1?' }, text: { type: 'plain_text', text: "Approve and write 2 groups into ServiceNow's Confluence Groups table for Confluence acme? Groups: support-agents, support-leads." } });
    await clickButton(world, groupCard, ACTION.approveRequest, ADMIN);
    await dmTo(MEMBER, /#1 .* was approved/);

    // A new-connection request approved (its setup button opens a form), and one withdrawn.
    let since = mark(world);
    const newCard = await submitRequest(world, MEMBER, 'new_connection', { [REQUEST_BLOCK.spoke]: 'jira', [REQUEST_BLOCK.site]: world.site.url, [REQUEST_BLOCK.team]: 'Support', [REQUEST_BLOCK.reason]: REASON });
    await clickButton(world, newCard, ACTION.approveRequest, ADMIN);
    await dmTo(ADMIN, /Set up Jira Cloud for request #2/, since);
    since = mark(world);
    await submitRequest(world, MEMBER, 'new_connection', { [REQUEST_BLOCK.spoke]: 'jsm', [REQUEST_BLOCK.site]: world.site.url, [REQUEST_BLOCK.team]: 'Support', [REQUEST_BLOCK.reason]: REASON });
    const receipt = await dmTo(MEMBER, /Your request #3/, since);
    await clickButton(world, receipt, ACTION.withdrawRequest, MEMBER);
    await dmTo(MEMBER, /You withdrew request #3/, since);

    // A scope request, approved, its plan confirmed (last of the requests: its consent watch would hold up tasks.idle).
    world.atlassian.registerApp({ clientId: 'spokebot-client-id-7f3a', clientSecret: CLIENT_SECRET, callbackUrl: `${world.serviceNow.url}/oauth_redirect.do`, scopes: [...world.bot.store.getConnection('Confluence acme')!.scopes, 'write:page:confluence'] });
    const scopeCard = await submitRequest(world, MEMBER, 'more_scopes', { [REQUEST_BLOCK.connection]: 'Confluence acme', [REQUEST_BLOCK.scopes]: 'write:page:confluence', [REQUEST_BLOCK.reason]: REASON });
    since = mark(world);
    await clickButton(world, scopeCard, ACTION.approveRequest, ADMIN);
    const scopePlan = await dmTo(ADMIN, /Scope change for Confluence acme/, since);
    await clickButton(world, scopePlan, ACTION.confirmScopeChange, ADMIN);
    await dmTo(ADMIN, /Fresh consent for Confluence acme/, since);

    // A setup ServiceNow stops, then Retry.
    since = mark(world);
    world.serviceNow.faults.next({ method: 'POST', table: 'oauth_2_0_credentials', status: 403, body: { error: { message: 'Operation Failed', detail: 'ACL restricts insert on oauth_2_0_credentials' }, status: 'failure' } });
    const form = await openSetupModal(world);
    await submitView(world, form, setupAnswers(world, { [SETUP_BLOCK.connectionName]: 'Confluence beta' }));
    await submitView(world, await waitForPlanView(world, String(form.id)), {});
    const stopped = await waitForMessage(world, /Setup stopped/, 10_000, since);
    await clickButton(world, stopped, ACTION.retrySetup);
    await waitForMessage(world, /One click left/, 10_000, since);

    // A plan that goes to the DM (the modal was closed during the check): Confirm and Cancel.
    since = mark(world);
    const closing = await openSetupModal(world);
    world.slack.faults.next({ method: 'views.update', error: 'not_found' });
    await submitView(world, closing, setupAnswers(world, { [SETUP_BLOCK.connectionName]: 'Confluence gamma' }));
    const planDm = await waitForMessage(world, /^Plan for Confluence gamma/, 10_000, since);
    await clickButton(world, planDm, ACTION.cancelPlan);
    await world.slack.waitForCall('chat.update', (c) => /cancelled/.test(String(c.args.text)));

    // Slack refused nothing (the stand-in checks every dialog against Slack's limits).
    expect(world.slack.calls.filter((c) => c.response.error === 'invalid_blocks' || c.response.error === 'invalid_arguments')).toEqual([]);

    const buttons = buttonsSent(world.slack.calls);
    const unclassified = buttons.filter((b) => !ACTS_AT_ONCE.has(b.button.action_id ?? '') && !NO_DIALOG.has(b.button.action_id ?? ''));
    expect(unclassified.map((b) => `${b.button.action_id} in ${b.where}`), 'a button this test does not know: does it act at once?').toEqual([]);
    for (const { where, button } of buttons) {
      const id = button.action_id!;
      if (NO_DIALOG.has(id)) {
        expect(button.confirm, `${id} in ${where}`).toBeUndefined();
        continue;
      }
      const confirm = button.confirm as { title: { type: string; text: string }; text: { type: string; text: string }; confirm: { type: string; text: string }; deny: { type: string; text: string }; style?: string } | undefined;
      expect(confirm, `${id} in ${where}`).toBeDefined();
      for (const [part, max] of [['title', 100], ['text', 300], ['confirm', 30], ['deny', 30]] as const) {
        expect(confirm![part].type, `${id} ${part}`).toBe('plain_text');
        expect(confirm![part].text.length, `${id} ${part}`).toBeGreaterThan(0);
        expect(confirm![part].text.length, `${id} ${part}`).toBeLessThanOrEqual(max);
      }
      expect(confirm!.style, `${id} style`).toBe(DESTRUCTIVE.has(id) ? 'danger' : undefined);
    }
    // The run showed every kind of button it is meant to check.
    const seen = new Set(buttons.map((b) => b.button.action_id));
    for (const id of [...ACTS_AT_ONCE, ACTION.denyRequest, ACTION.openRequestModal, ACTION.openRequestedSetup, ACTION.fixReconsent, ACTION.checkNow, ACTION.openConsent]) expect(seen.has(id), id).toBe(true);
  });
});
