import { readFile } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CONFLUENCE_GROUPS_TABLE } from '../standins/servicenow-tables.js';
import { ACTION, CALLBACK, DENY_BLOCK, REQUEST_BLOCK } from '../../src/slack/ids.js';
import { exportAudit } from '../../src/store/audit-export.js';
import { blockAction, sendInteraction } from '../standins/slack-driver.js';
import { acceptConsentWithoutBrowser } from '../support/consent.js';
import { latestCard, submitRequest } from '../support/request-steps.js';
import { clickButton, consentUrl, mark, runCommand, setupUntilConsent, submitView, waitForMessage } from '../support/setup-steps.js';
import { ADMIN, APPROVAL_CHANNEL, CLIENT_SECRET, MEMBER, OTHER_ADMIN, SIGNING_SECRET, startWorld, type World } from '../support/world.js';

const OUTSIDER = 'UOUTSIDE1';
const REASON = 'Our support team needs to sync tickets with Jira.';
let world: World;
beforeEach(async () => {
  world = await startWorld();
});
afterEach(async () => {
  await world.close();
});

const dmTo = (user: string, pattern: RegExp, since = 0) =>
  world.slack.waitForCall('chat.postMessage', (c) => world.slack.calls.indexOf(c) >= since && c.args.channel === world.slack.dmChannelFor(user) && pattern.test(String(c.args.text)));

async function confluenceConnection(): Promise<void> {
  const consent = await setupUntilConsent(world);
  await acceptConsentWithoutBrowser(consentUrl(consent));
  await waitForMessage(world, /is connected/);
  await world.bot.tasks.idle();
}

describe('a new connection', () => {
  it('card to approvers, DM to the requester, approve → card updated, setup opens prefilled', async () => {
    const card = await submitRequest(world, MEMBER, 'new_connection', { [REQUEST_BLOCK.spoke]: 'jira', [REQUEST_BLOCK.site]: world.site.url, [REQUEST_BLOCK.team]: 'Support', [REQUEST_BLOCK.reason]: REASON });
    expect(String(card.args.text)).toContain('Request #1');
    expect(JSON.stringify(card.args.blocks)).toContain(ACTION.approveRequest);
    await dmTo(MEMBER, /Your request #1/);

    const since = mark(world);
    await clickButton(world, card, ACTION.approveRequest, ADMIN);
    await dmTo(MEMBER, /was approved by/, since);
    const offer = await dmTo(ADMIN, /Set up Jira Cloud for request #1/, since);
    await world.bot.tasks.idle();
    const updated = latestCard(world, card);
    expect(JSON.stringify(updated.blocks)).toContain('approved');
    expect(JSON.stringify(updated.blocks)).toContain(`<@${ADMIN}>`);
    expect(JSON.stringify(updated.blocks)).not.toContain(ACTION.approveRequest);

    const opened = mark(world);
    await clickButton(world, offer, ACTION.openRequestedSetup, ADMIN);
    const form = await world.slack.waitForCall('views.open', (c) => world.slack.calls.indexOf(c) >= opened);
    expect(form.args.view).toMatchObject({ callback_id: CALLBACK.setupModal });
    expect(JSON.stringify(form.args.view)).toContain(world.site.url);
  });

  it('the approver can hand the setup to another admin', async () => {
    const card = await submitRequest(world, MEMBER, 'new_connection', { [REQUEST_BLOCK.spoke]: 'jira', [REQUEST_BLOCK.site]: world.site.url, [REQUEST_BLOCK.team]: 'Support', [REQUEST_BLOCK.reason]: REASON });
    const since = mark(world);
    await clickButton(world, card, ACTION.approveRequest, ADMIN);
    const offer = await dmTo(ADMIN, /Set up Jira Cloud for request #1/, since);
    const actions = (offer.args.blocks as Array<{ type: string; block_id?: string }>).find((b) => b.type === 'actions')!;
    const pick = (user: string) =>
      sendInteraction(world.eventsUrl, SIGNING_SECRET, {
        type: 'block_actions',
        user: { id: ADMIN, username: 'ada', name: 'ada', team_id: 'T0001' },
        api_app_id: 'A0SPOKEBOT',
        token: 'vErIfIcAtIoNtOkEn0001',
        trigger_id: world.slack.issueTriggerId(),
        team: { id: 'T0001', domain: 'acme' },
        container: { type: 'message', message_ts: offer.response.ts, channel_id: offer.response.channel, is_ephemeral: false },
        channel: { id: offer.response.channel, name: 'directmessage' },
        message: { type: 'message', ts: offer.response.ts, text: '' },
        response_url: world.slack.newResponseUrl(),
        actions: [{ type: 'users_select', action_id: ACTION.handSetupTo, block_id: actions.block_id, selected_user: user, action_ts: '1' }],
      });
    await pick(MEMBER);
    await world.slack.waitForCall('response_url', (c) => /is not a spokebot admin/.test(String(c.args.text)));
    await pick(OTHER_ADMIN);
    const handed = await dmTo(OTHER_ADMIN, /Set up Jira Cloud for request #1/, since);
    expect(JSON.stringify(handed.args.blocks)).toContain(ACTION.openRequestedSetup);
    await world.bot.tasks.idle();
    expect(JSON.stringify(latestCard(world, card).blocks)).toContain(`handed by <@${ADMIN}> to <@${OTHER_ADMIN}>`);
  });

  it('deny asks for a reason, and the requester is told it', async () => {
    const card = await submitRequest(world, MEMBER, 'new_connection', { [REQUEST_BLOCK.spoke]: 'jsm', [REQUEST_BLOCK.site]: world.site.url, [REQUEST_BLOCK.team]: 'Support', [REQUEST_BLOCK.reason]: REASON });
    const since = mark(world);
    await clickButton(world, card, ACTION.denyRequest, OTHER_ADMIN);
    const modal = await world.slack.waitForCall('views.open', (c) => world.slack.calls.indexOf(c) >= since && (c.args.view as { callback_id?: string }).callback_id === CALLBACK.denyModal);
    const empty = await submitView(world, modal.response.view as Record<string, unknown>, { [DENY_BLOCK.reason]: '' }, OTHER_ADMIN);
    expect(empty.json).toMatchObject({ response_action: 'errors' });
    await submitView(world, modal.response.view as Record<string, unknown>, { [DENY_BLOCK.reason]: 'Use the existing JSM connection.' }, OTHER_ADMIN);
    const told = await dmTo(MEMBER, /was denied by/, since);
    expect(String(told.args.text)).toContain('Use the existing JSM connection.');
    await world.bot.tasks.idle();
    expect(JSON.stringify(latestCard(world, card).blocks)).toContain('denied');
  });

  it('refuses a site outside the allowlist in the modal', async () => {
    await runCommand(world, 'request', MEMBER);
    const opened = await world.slack.waitForCall('views.open');
    const ack = await submitView(world, opened.response.view as Record<string, unknown>, { [REQUEST_BLOCK.spoke]: 'jira', [REQUEST_BLOCK.site]: 'https://intranet.local', [REQUEST_BLOCK.team]: 'x', [REQUEST_BLOCK.reason]: REASON }, MEMBER);
    expect(ack.json).toMatchObject({ response_action: 'errors', errors: { [REQUEST_BLOCK.site]: expect.stringContaining('allowed site list') } });
  });
});

describe('who decides', () => {
  it('nobody approves their own request, and non-approvers are refused', async () => {
    const card = await submitRequest(world, ADMIN, 'new_connection', { [REQUEST_BLOCK.spoke]: 'jira', [REQUEST_BLOCK.site]: world.site.url, [REQUEST_BLOCK.team]: 'Platform', [REQUEST_BLOCK.reason]: REASON });
    await clickButton(world, card, ACTION.approveRequest, ADMIN);
    await world.slack.waitForCall('response_url', (c) => /Nobody decides their own request/.test(String(c.args.text)));
    await clickButton(world, card, ACTION.approveRequest, OUTSIDER);
    await world.slack.waitForCall('response_url', (c) => /Only approvers can decide/.test(String(c.args.text)));
    // Deny opens its modal at once (the trigger lives 3 s); the approver check comes on submit.
    const since = mark(world);
    await clickButton(world, card, ACTION.denyRequest, OUTSIDER);
    const modal = await world.slack.waitForCall('views.open', (c) => world.slack.calls.indexOf(c) >= since && (c.args.view as { callback_id?: string }).callback_id === CALLBACK.denyModal);
    await submitView(world, modal.response.view as Record<string, unknown>, { [DENY_BLOCK.reason]: 'I do not like it.' }, OUTSIDER);
    await dmTo(OUTSIDER, /was not denied: Only approvers can decide/, since);
    await world.bot.tasks.idle();
    expect(world.bot.store.getRequest(1)).toMatchObject({ state: 'open' });
    expect((await world.bot.store.auditTrail()).filter((e) => e.outcome === 'refused' && e.action.startsWith('request.')).length).toBe(3);
  });

  it('two approvers at the same moment make one decision and one set of records', async () => {
    await confluenceConnection();
    const card = await submitRequest(world, MEMBER, 'confluence_group', { [REQUEST_BLOCK.connection]: 'Confluence acme', [REQUEST_BLOCK.groups]: 'support-agents', [REQUEST_BLOCK.reason]: REASON });
    const click = (user: string) =>
      sendInteraction(world.eventsUrl, SIGNING_SECRET, blockAction({ userId: user, actionId: ACTION.approveRequest, blockId: 'b', value: '1', triggerId: world.slack.issueTriggerId(), message: { channel: APPROVAL_CHANNEL, ts: String(card.response.ts) }, responseUrl: world.slack.newResponseUrl() }));
    await Promise.all([click(ADMIN), click(OTHER_ADMIN), click(ADMIN)]);
    await world.bot.tasks.idle();
    expect(world.serviceNow.rows(CONFLUENCE_GROUPS_TABLE)).toHaveLength(1);
    expect((await world.bot.store.auditTrail()).filter((e) => e.action === 'request.approved')).toHaveLength(1);
    expect(world.slack.calls.filter((c) => c.method === 'response_url' && /already approved/.test(String(c.args.text)))).toHaveLength(2);
  });
});

describe('a Confluence group', () => {
  it('is written into the Confluence Groups table for the connection, once', async () => {
    await confluenceConnection();
    const card = await submitRequest(world, MEMBER, 'confluence_group', { [REQUEST_BLOCK.connection]: 'Confluence acme', [REQUEST_BLOCK.groups]: 'support-agents, support-leads', [REQUEST_BLOCK.reason]: REASON });
    await clickButton(world, card, ACTION.approveRequest, OTHER_ADMIN);
    await world.bot.tasks.idle();
    const alias = world.bot.store.getConnection('Confluence acme')!.records.sys_alias;
    expect(world.serviceNow.rows(CONFLUENCE_GROUPS_TABLE).map((r) => [r.group_name, r.alias])).toEqual([
      ['support-agents', alias],
      ['support-leads', alias],
    ]);
    expect(JSON.stringify(latestCard(world, card).blocks)).toContain('support-agents (added');

    const again = await submitRequest(world, MEMBER, 'confluence_group', { [REQUEST_BLOCK.connection]: 'Confluence acme', [REQUEST_BLOCK.groups]: 'support-agents', [REQUEST_BLOCK.reason]: REASON });
    await clickButton(world, again, ACTION.approveRequest, OTHER_ADMIN);
    await world.bot.tasks.idle();
    expect(world.serviceNow.rows(CONFLUENCE_GROUPS_TABLE)).toHaveLength(2);
  });
});

describe('more scopes', () => {
  /** A 3LO Confluence connection, the Atlassian app allowing one more scope, a request for it, approved. */
  async function approvedScopeRequest() {
    await confluenceConnection();
    world.atlassian.registerApp({ clientId: 'spokebot-client-id-7f3a', clientSecret: CLIENT_SECRET, callbackUrl: `${world.serviceNow.url}/oauth_redirect.do`, scopes: [...world.bot.store.getConnection('Confluence acme')!.scopes, 'write:page:confluence'] });
    const card = await submitRequest(world, MEMBER, 'more_scopes', { [REQUEST_BLOCK.connection]: 'Confluence acme', [REQUEST_BLOCK.scopes]: 'write:page:confluence', [REQUEST_BLOCK.reason]: REASON });
    const since = mark(world);
    await clickButton(world, card, ACTION.approveRequest, ADMIN);
    return { plan: await dmTo(ADMIN, /Scope change for Confluence acme/, since), since };
  }

  it('a second Confirm does not run the scope change again', async () => {
    const { plan, since } = await approvedScopeRequest();
    await Promise.all([clickButton(world, plan, ACTION.confirmScopeChange, ADMIN), clickButton(world, plan, ACTION.confirmScopeChange, ADMIN)]);
    await dmTo(ADMIN, /Fresh consent for Confluence acme/, since);
    await world.slack.waitForCall('response_url', (c) => /already confirmed/.test(String(c.args.text)));
    expect(world.slack.calls.filter((c) => /Fresh consent for Confluence acme/.test(String(c.args.text)))).toHaveLength(1);
  });

  it('approve → a plan to confirm → scope rows written → a fresh consent link', async () => {
    const { plan, since } = await approvedScopeRequest();
    expect(JSON.stringify(plan.args.blocks)).toContain('write:page:confluence');
    expect(world.serviceNow.rows('oauth_entity_scope').some((s) => s.oauth_entity_scope === 'write:page:confluence')).toBe(false);

    await clickButton(world, plan, ACTION.confirmScopeChange, ADMIN);
    const fresh = await dmTo(ADMIN, /Fresh consent for Confluence acme/, since);
    const scope = world.serviceNow.rows('oauth_entity_scope').find((s) => s.oauth_entity_scope === 'write:page:confluence')!;
    expect(world.serviceNow.rows('oauth_entity_profile_scope').filter((p) => p.oauth_entity_scope === scope.sys_id)).toHaveLength(1);
    await acceptConsentWithoutBrowser(consentUrl(fresh));
    await dmTo(ADMIN, /has a fresh refresh token/, since);
    expect(world.bot.store.getConnection('Confluence acme')!.scopes).toContain('write:page:confluence');
  });
});

describe('undecided requests', () => {
  it('are re-announced every 24 hours, three times, then expire; the requester can withdraw', async () => {
    const card = await submitRequest(world, MEMBER, 'new_connection', { [REQUEST_BLOCK.spoke]: 'jira', [REQUEST_BLOCK.site]: world.site.url, [REQUEST_BLOCK.team]: 'Support', [REQUEST_BLOCK.reason]: REASON });
    const reminders = () => world.slack.calls.filter((c) => c.method === 'chat.postMessage' && c.args.thread_ts === card.response.ts && /Still undecided/.test(String(c.args.text)));
    world.clock.advance(23 * 3_600_000);
    await world.bot.sweepRequests();
    expect(reminders()).toHaveLength(0);
    for (let i = 1; i <= 3; i++) {
      world.clock.advance(24 * 3_600_000 + 1000);
      await world.bot.sweepRequests();
      await world.bot.sweepRequests();
      expect(reminders()).toHaveLength(i);
    }
    expect(String(reminders()[0]!.args.reply_broadcast)).toBe('true');
    world.clock.advance(24 * 3_600_000 + 1000);
    await world.bot.sweepRequests();
    expect(world.bot.store.getRequest(1)).toMatchObject({ state: 'expired' });
    await dmTo(MEMBER, /expired without a decision/);

    const second = await submitRequest(world, MEMBER, 'new_connection', { [REQUEST_BLOCK.spoke]: 'jira', [REQUEST_BLOCK.site]: world.site.url, [REQUEST_BLOCK.team]: 'Support', [REQUEST_BLOCK.reason]: REASON });
    const receipt = await dmTo(MEMBER, /Your request #2/);
    await clickButton(world, receipt, ACTION.withdrawRequest, MEMBER);
    await world.bot.tasks.idle();
    expect(world.bot.store.getRequest(2)).toMatchObject({ state: 'withdrawn' });
    expect(JSON.stringify(latestCard(world, second).blocks)).toContain('withdrawn');
  });
});

describe('/spoke requests and the audit log', () => {
  it('lists open requests to approvers and own requests to others; audits every step without secrets, across a restart', async () => {
    await confluenceConnection();
    const card = await submitRequest(world, MEMBER, 'confluence_group', { [REQUEST_BLOCK.connection]: 'Confluence acme', [REQUEST_BLOCK.groups]: 'support-agents', [REQUEST_BLOCK.reason]: REASON });
    await runCommand(world, 'requests', ADMIN);
    await world.slack.waitForCall('response_url', (c) => /1 open request/.test(String(c.args.text)));
    await runCommand(world, 'requests', MEMBER);
    await world.slack.waitForCall('response_url', (c) => /Your requests \(1\)/.test(String(c.args.text)));
    await clickButton(world, card, ACTION.approveRequest, ADMIN);
    await world.bot.tasks.idle();

    await world.restartBot();
    const actions = (await world.bot.store.auditTrail()).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['setup.started', 'servicenow.write', 'setup.connected', 'request.created', 'request.approved']));
    expect((await world.bot.store.auditTrail()).filter((e) => e.detail?.table === CONFLUENCE_GROUPS_TABLE)).toHaveLength(1);
    const file = await readFile(`${world.config.SPOKE_DB_PATH}.audit.jsonl`, 'utf8');
    expect(file).not.toContain(CLIENT_SECRET);
    const out = new PassThrough();
    let exported = '';
    out.on('data', (chunk) => (exported += chunk));
    const count = await exportAudit(`${world.config.SPOKE_DB_PATH}.audit.jsonl`, out);
    expect(count).toBe((await world.bot.store.auditTrail()).length);
    expect(exported.trim().split('\n').map((l) => JSON.parse(l).action)).toEqual((await world.bot.store.auditTrail()).map((e) => e.action));

    await runCommand(world, 'audit Confluence acme', ADMIN);
    const shown = await world.slack.waitForCall('response_url', (c) => /Audit log for Confluence acme/.test(String(c.args.text)));
    expect(JSON.stringify(shown.args.blocks)).toContain('request.approved');
    await runCommand(world, 'audit', MEMBER);
    await world.slack.waitForCall('response_url', (c) => /Only spokebot admins can read the audit log/.test(String(c.args.text)));
  });
});
