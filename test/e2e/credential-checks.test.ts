import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SPOKES } from '../../src/core/spoke-catalogue.js';
import { CALLBACK, SCOPED_TOKEN_VALUE, SETUP_BLOCK } from '../../src/slack/ids.js';
import { chooseMethod, openSetupModal, setupWith, submitView, waitForPlanView } from '../support/setup-steps.js';
import { CLIENT_ID, REPORT_CHANNEL, daysFromNow, startWorld, type World } from '../support/world.js';

const EMAIL = 'integration@acme.test';
const TOKEN = 'ATATT3xFfGF0-classic-token-5e1d';

let world: World;
beforeEach(async () => {
  world = await startWorld();
});
afterEach(async () => {
  await world.close();
});

function tokenAnswers(token: string, scoped = false): Record<string, string | string[] | null> {
  return {
    [SETUP_BLOCK.connectionName]: 'Jira token',
    [SETUP_BLOCK.site]: world.site.url,
    [SETUP_BLOCK.channel]: REPORT_CHANNEL,
    [SETUP_BLOCK.email]: EMAIL,
    [SETUP_BLOCK.apiToken]: token,
    [SETUP_BLOCK.tokenExpiry]: daysFromNow(190),
    [SETUP_BLOCK.tokenScoped]: scoped ? [SCOPED_TOKEN_VALUE] : [],
  };
}

/** Submits the API-token form and returns the form that comes back with the problem. */
async function refusedForm(answers: Record<string, string | string[] | null>): Promise<Record<string, unknown>> {
  const form = await chooseMethod(world, await openSetupModal(world, 'jira'), 'api_token');
  const ack = await submitView(world, form, answers as Record<string, string | null>);
  expect(ack.json).toMatchObject({ response_action: 'update' });
  const back = await world.slack.waitForCall('views.update', (c) => c.args.view_id === form.id && (c.args.view as { callback_id?: string }).callback_id === CALLBACK.setupModal && JSON.stringify(c.args.view).includes(':x:'));
  return back.response.view as Record<string, unknown>;
}

/** The problem shown under a field: the context block right after its input block. */
function problemUnder(view: Record<string, unknown>, blockId: string): string {
  const blocks = view.blocks as Array<{ block_id?: string; type: string; elements?: Array<{ text?: string }> }>;
  const index = blocks.findIndex((b) => b.block_id === blockId);
  const next = blocks[index + 1];
  return next?.type === 'context' ? String(next.elements?.[0]?.text ?? '') : '';
}

describe('credentials are proven before anything is written', () => {
  it('a wrong token lands on the token field, is tried once, and nothing is written', async () => {
    world.atlassian.addApiToken({ email: EMAIL, token: TOKEN });
    const view = await refusedForm(tokenAnswers('ATATT-wrong'));
    expect(problemUnder(view, SETUP_BLOCK.apiToken)).toContain('Atlassian refused this email and token');
    expect(world.atlassian.failedLogins(EMAIL)).toBe(1);
    expect(world.serviceNow.requests.filter((r) => r.method !== 'GET')).toEqual([]);
    expect(world.bot.store.listSetups()[0]).toMatchObject({ status: 'credential_failed' });
    expect(JSON.stringify(view)).not.toContain('ATATT-wrong');

    // Fixed and resubmitted, it goes through; the failures did not pile up to a lockout.
    const ok = await submitView(world, view, { [SETUP_BLOCK.apiToken]: TOKEN });
    expect(ok.json).toMatchObject({ response_action: 'update' });
    await waitForPlanView(world, String(view.id));
    expect(world.atlassian.failedLogins(EMAIL)).toBe(1);
  });

  it('a scoped token used as a classic one is explained on the token field', async () => {
    world.atlassian.addApiToken({ email: EMAIL, token: TOKEN, scopes: ['read:jira-user'] });
    const view = await refusedForm(tokenAnswers(TOKEN, false));
    expect(problemUnder(view, SETUP_BLOCK.apiToken)).toContain('tick "scoped"');
  });

  it('a scoped token without the scope the check needs lands on the token-type field', async () => {
    world.atlassian.addApiToken({ email: EMAIL, token: TOKEN, scopes: ['read:jira-work'] });
    const view = await refusedForm(tokenAnswers(TOKEN, true));
    expect(problemUnder(view, SETUP_BLOCK.tokenScoped)).toContain('lacks a scope');
  });

  it('a 200 with X-Seraph-LoginReason: AUTHENTICATED_FAILED is a failure, explained on the email field', async () => {
    world.atlassian.addApiToken({ email: EMAIL, token: TOKEN });
    world.atlassian.challengeLogin(EMAIL);
    const view = await refusedForm(tokenAnswers(TOKEN));
    expect(problemUnder(view, SETUP_BLOCK.email)).toContain('CAPTCHA');
    expect(world.serviceNow.requests.filter((r) => r.method === 'POST')).toEqual([]);
  });

  it('a locked account (CAPTCHA after failed logins) is reported, not hammered', async () => {
    world.atlassian.addApiToken({ email: EMAIL, token: TOKEN });
    for (let i = 0; i < 3; i++) {
      await fetch(`${world.site.url}/rest/api/3/myself`, { headers: { authorization: `Basic ${Buffer.from(`${EMAIL}:nope`).toString('base64')}` } });
    }
    const before = world.atlassian.requests.length;
    const view = await refusedForm(tokenAnswers(TOKEN));
    expect(problemUnder(view, SETUP_BLOCK.email)).toContain('CAPTCHA');
    const myselfCalls = world.atlassian.requests.slice(before).filter((r) => r.path === '/rest/api/3/myself');
    expect(myselfCalls).toHaveLength(1);
  });

  it('a wrong service-account secret lands on the secret field, tried once', async () => {
    const form = await chooseMethod(world, await openSetupModal(world, 'jira'), 'service_account');
    await submitView(world, form, {
      [SETUP_BLOCK.connectionName]: 'Jira robot',
      [SETUP_BLOCK.site]: world.site.url,
      [SETUP_BLOCK.channel]: REPORT_CHANNEL,
      [SETUP_BLOCK.clientId]: CLIENT_ID,
      [SETUP_BLOCK.clientSecret]: 'wrong-secret',
      [SETUP_BLOCK.scopes]: SPOKES.jira.serviceAccountScopes.join(' '),
    });
    const back = await world.slack.waitForCall('views.update', (c) => c.args.view_id === form.id && JSON.stringify(c.args.view).includes(':x:'));
    expect(problemUnder(back.response.view as Record<string, unknown>, SETUP_BLOCK.clientSecret)).toContain('refused this client ID and secret');
    expect(world.atlassian.requests.filter((r) => r.path === '/oauth/token')).toHaveLength(1);
    expect(world.serviceNow.requests.filter((r) => r.method === 'POST')).toEqual([]);
  });

  it('refuses an expiry in the past or more than a year ahead, in the modal', async () => {
    const form = await chooseMethod(world, await openSetupModal(world, 'jira'), 'api_token');
    const past = await submitView(world, form, { ...tokenAnswers(TOKEN), [SETUP_BLOCK.tokenExpiry]: daysFromNow(-3) } as Record<string, string | null>);
    expect(past.json).toMatchObject({ response_action: 'errors', errors: { [SETUP_BLOCK.tokenExpiry]: expect.stringContaining('passed') } });
    const far = await submitView(world, form, { ...tokenAnswers(TOKEN), [SETUP_BLOCK.tokenExpiry]: daysFromNow(400) } as Record<string, string | null>);
    expect(far.json).toMatchObject({ response_action: 'errors', errors: { [SETUP_BLOCK.tokenExpiry]: expect.stringContaining('365 days') } });
  });

  it('switching the method redraws the fields, keeping what was typed', async () => {
    const form = await openSetupModal(world, 'jira');
    const ids = (v: Record<string, unknown>) => (v.blocks as Array<{ block_id?: string }>).map((b) => b.block_id).filter(Boolean);
    expect(ids(form)).toContain(SETUP_BLOCK.clientSecret);
    const asToken = await chooseMethod(world, form, 'api_token');
    expect(ids(asToken)).toEqual(expect.arrayContaining([SETUP_BLOCK.email, SETUP_BLOCK.apiToken, SETUP_BLOCK.tokenExpiry, SETUP_BLOCK.tokenScoped]));
    expect(ids(asToken)).not.toContain(SETUP_BLOCK.clientSecret);
    const confluence = await openSetupModal(world, 'confluence');
    expect(ids(confluence)).not.toContain(SETUP_BLOCK.method);
  });
});

describe('a second Jira connection', () => {
  it('gets its own child alias; the first connection is untouched', async () => {
    world.atlassian.addApiToken({ email: EMAIL, token: TOKEN });
    await setupWith(world, 'jira', 'api_token', tokenAnswers(TOKEN), /is connected/);
    const first = world.serviceNow.rows('http_connection').find((c) => c.name === 'Jira token')!;
    const second = await world.atlassian.createSite();
    await setupWith(world, 'jira', 'api_token', { ...tokenAnswers(TOKEN), [SETUP_BLOCK.connectionName]: 'Jira second', [SETUP_BLOCK.site]: second.url }, /is connected/);
    const shipped = world.serviceNow.rows('sys_alias').find((a) => a.name === 'Jira' && !a.parent)!;
    const child = world.serviceNow.rows('sys_alias').find((a) => a.parent === shipped.sys_id)!;
    expect(child).toMatchObject({ name: 'Jira second' });
    expect(world.serviceNow.rows('http_connection').find((c) => c.name === 'Jira second')).toMatchObject({ connection_alias: child.sys_id, connection_url: second.url });
    expect(world.serviceNow.rows('http_connection').find((c) => c.name === 'Jira token')).toEqual(first);
    expect(world.bot.store.getConnection('Jira second')!.alias).toEqual({ name: 'Jira second', childOf: 'Jira' });
  });
});
