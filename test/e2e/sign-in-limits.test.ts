import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SIGN_IN_WINDOW_MS } from '../../src/setup/sign-in-limiter.js';
import { ACTION, CALLBACK, ROTATE_BLOCK, SETUP_BLOCK } from '../../src/slack/ids.js';
import type { AtlassianRequest } from '../standins/atlassian.js';
import { blockAction } from '../standins/slack-driver.js';
import { apiTokenConnection } from '../support/connections.js';
import { chooseMethod, expectFastAck, mark, openSetupModal, runCommand, submitView } from '../support/setup-steps.js';
import { ADMIN, MEMBER, OTHER_ADMIN, REPORT_CHANNEL, daysFromNow, startWorld, type World } from '../support/world.js';

const EMAIL = 'integration@acme.test';
const TOKEN = 'ATATT3xFfGF0-limits-token-0001';
const NEW_TOKEN = 'ATATT3xFfGF0-limits-token-0002';

let world: World;
beforeEach(async () => {
  world = await startWorld();
});
afterEach(async () => {
  await world.close();
});

/** Sign-ins Atlassian saw for an email: Basic-auth calls to a `myself` (or current user) endpoint. */
function signIns(email: string, from = 0): AtlassianRequest[] {
  return world.atlassian.requests.slice(from).filter((r) => {
    const basic = /^Basic (.+)$/.exec(r.headers.authorization ?? '')?.[1];
    return basic !== undefined && Buffer.from(basic, 'base64').toString().startsWith(`${email}:`) && /myself$|user\/current$/.test(r.path);
  });
}

/** One admin's API-token setup with `token`: the form that comes back with its problem. */
async function verifyToken(userId: string, token: string): Promise<Record<string, unknown>> {
  const form = await chooseMethod(world, await openSetupModal(world, 'jira', userId), 'api_token', userId);
  const answers: Record<string, string | string[] | null> = {
    [SETUP_BLOCK.connectionName]: `Jira ${userId}`,
    [SETUP_BLOCK.site]: world.site.url,
    [SETUP_BLOCK.channel]: REPORT_CHANNEL,
    [SETUP_BLOCK.email]: EMAIL,
    [SETUP_BLOCK.apiToken]: token,
    [SETUP_BLOCK.tokenExpiry]: daysFromNow(100),
    [SETUP_BLOCK.tokenScoped]: [],
  };
  const ack = await submitView(world, form, answers as Record<string, string | null>, userId);
  expect(ack.json).toMatchObject({ response_action: 'update' });
  const back = await world.slack.waitForCall('views.update', (c) => c.args.view_id === form.id && (c.args.view as { callback_id?: string }).callback_id === CALLBACK.setupModal && JSON.stringify(c.args.view).includes(':x:'));
  return back.response.view as Record<string, unknown>;
}

/** The problem shown under a field: the context block right after its input block. */
function problemUnder(view: Record<string, unknown>, blockId: string): string {
  const blocks = view.blocks as Array<{ block_id?: string; type: string; elements?: Array<{ text?: string }> }>;
  const next = blocks[blocks.findIndex((b) => b.block_id === blockId) + 1];
  return next?.type === 'context' ? String(next.elements?.[0]?.text ?? '') : '';
}

describe('setup verification, per email', () => {
  it('four admins, four wrong tokens for one email: Atlassian sees 3 sign-ins, the fourth is told when to retry and sends nothing', async () => {
    const answers: string[] = [];
    for (const [i, user] of [ADMIN, OTHER_ADMIN, ADMIN, OTHER_ADMIN].entries()) {
      const before = world.atlassian.requests.length;
      const view = await verifyToken(user, `ATATT-wrong-${i}`);
      answers.push(i < 3 ? problemUnder(view, SETUP_BLOCK.apiToken) : problemUnder(view, SETUP_BLOCK.email));
      // The one held back sends nothing at all, not even the Cloud ID lookup.
      if (i === 3) expect(world.atlassian.requests.length).toBe(before);
    }
    expect(answers.slice(0, 3).every((a) => a.includes('Atlassian refused this email and token'))).toBe(true);
    expect(answers[3]).toMatch(/signed in to Atlassian 3 times in 15 minutes with this account\. Nothing was sent to Atlassian\. Try again after \d\d:\d\d UTC \(in 1[45] min\)/);
    expect(signIns(EMAIL)).toHaveLength(3);
    expect(world.atlassian.failedLogins(EMAIL)).toBe(3);
    expect(world.serviceNow.requests.filter((r) => r.method !== 'GET')).toEqual([]);
    expect((await world.bot.store.auditTrail()).filter((e) => e.action === 'setup.sign_in_deferred')).toEqual([expect.objectContaining({ actor: OTHER_ADMIN, outcome: 'refused' })]);
  });

  it('a refused token is not sent again within SPOKE_AUTH_BACKOFF, whoever submits it; another token is', async () => {
    world.atlassian.addApiToken({ email: EMAIL, token: TOKEN });
    const first = await verifyToken(ADMIN, 'ATATT-wrong');
    expect(problemUnder(first, SETUP_BLOCK.apiToken)).toContain('Atlassian refused this email and token');
    const again = await verifyToken(OTHER_ADMIN, 'ATATT-wrong');
    expect(problemUnder(again, SETUP_BLOCK.apiToken)).toMatch(/Atlassian refused this credential a short while ago.*Try again after \d\d:\d\d UTC \(in 6 h\)/);
    expect(signIns(EMAIL)).toHaveLength(1);

    // The right token for the same email goes through (two sign-ins of the three).
    const ok = await submitView(world, again, { [SETUP_BLOCK.apiToken]: TOKEN }, OTHER_ADMIN);
    expect(ok.json).toMatchObject({ response_action: 'update' });
    await world.slack.waitForCall('views.update', (c) => c.args.view_id === again.id && (c.args.view as { callback_id?: string }).callback_id === CALLBACK.planModal);
    expect(signIns(EMAIL)).toHaveLength(2);
  });
});

describe('health checks and rotation share the budget', () => {
  it('20 Check now clicks at once make one live sign-in, and every clicker is answered', async () => {
    world.atlassian.addApiToken({ email: EMAIL, token: TOKEN });
    await apiTokenConnection(world, { name: 'Jira token', email: EMAIL, token: TOKEN, expiresOn: daysFromNow(100) });
    const from = world.atlassian.requests.length;
    const since = mark(world);
    const click = () =>
      world.deliver.interaction(
        blockAction({ userId: ADMIN, actionId: ACTION.checkNow, blockId: 'alert', value: 'Jira token', triggerId: world.slack.issueTriggerId(), message: { channel: REPORT_CHANNEL, ts: '1700000000.000200' }, responseUrl: world.slack.newResponseUrl() }),
      );
    const acks = await Promise.all(Array.from({ length: 20 }, click));
    for (const ack of acks) expectFastAck(ack);
    await world.bot.tasks.idle();
    expect(signIns(EMAIL, from)).toHaveLength(1);
    const answers = world.slack.calls.slice(since).filter((c) => c.method === 'response_url' && /Health of Jira token/.test(String(c.args.text)));
    expect(answers).toHaveLength(20);
    expect(world.bot.store.getHealth('Jira token')).toMatchObject({ state: 'ok' });
  });

  it('/spoke status from a member answers the last result and signs in to nothing; an admin\'s checks again', async () => {
    world.atlassian.addApiToken({ email: EMAIL, token: TOKEN });
    await apiTokenConnection(world, { name: 'Jira token', email: EMAIL, token: TOKEN, expiresOn: daysFromNow(100) });
    await world.bot.monitor.sweep();
    world.clock.advance(60_000);
    const from = world.atlassian.requests.length;
    for (let i = 0; i < 5; i++) await runCommand(world, 'status Jira token', MEMBER);
    await world.bot.tasks.idle();
    expect(signIns(EMAIL, from)).toHaveLength(0);
    await runCommand(world, 'status Jira token', ADMIN);
    await world.bot.tasks.idle();
    expect(signIns(EMAIL, from)).toHaveLength(1);
  });

  it('setup, rotation and checks count against one budget; over it, a check is skipped and says until when', async () => {
    world.atlassian.addApiToken({ email: EMAIL, token: TOKEN });
    world.atlassian.addApiToken({ email: EMAIL, token: NEW_TOKEN });
    await apiTokenConnection(world, { name: 'Jira token', email: EMAIL, token: TOKEN, expiresOn: daysFromNow(100) }); // 1
    const connection = () => world.bot.store.getConnection('Jira token')!;
    await world.bot.monitor.check(connection()); // 2
    const opened = mark(world);
    await runCommand(world, 'rotate Jira token');
    const modal = (await world.slack.waitForCall('views.open', (c) => world.slack.calls.indexOf(c) >= opened)).response.view as Record<string, unknown>;
    await submitView(world, modal, { [ROTATE_BLOCK.secret]: NEW_TOKEN, [ROTATE_BLOCK.tokenExpiry]: daysFromNow(200) }); // 3
    await world.slack.waitForCall('views.update', (c) => c.args.view_id === modal.id && JSON.stringify(c.args.view).includes('now uses the new credential'));
    expect(signIns(EMAIL)).toHaveLength(3);

    world.clock.advance(60_000);
    const record = await world.bot.monitor.check(connection());
    expect(signIns(EMAIL)).toHaveLength(3);
    expect(record.checks.find((c) => c.check === 'credential')).toMatchObject({ status: 'skipped', summary: expect.stringMatching(/^Not signing in again before /) });
    expect(record.state).toBe('ok');

    // A second rotation over the budget is refused in the modal, before Atlassian.
    const reopened = mark(world);
    await runCommand(world, 'rotate Jira token');
    const second = (await world.slack.waitForCall('views.open', (c) => world.slack.calls.indexOf(c) >= reopened)).response.view as Record<string, unknown>;
    await submitView(world, second, { [ROTATE_BLOCK.secret]: TOKEN, [ROTATE_BLOCK.tokenExpiry]: daysFromNow(200) });
    const refused = await world.slack.waitForCall('views.update', (c) => c.args.view_id === second.id && JSON.stringify(c.args.view).includes(':x:'));
    expect(JSON.stringify(refused.args.view)).toContain('Try again after');
    expect(signIns(EMAIL)).toHaveLength(3);

    world.clock.advance(SIGN_IN_WINDOW_MS);
    const later = await world.bot.monitor.check(connection());
    expect(signIns(EMAIL)).toHaveLength(4);
    expect(later.checks.find((c) => c.check === 'credential')).toMatchObject({ status: 'ok' });
  });
});
