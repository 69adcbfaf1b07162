import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CALLBACK, ROTATE_BLOCK, SETUP_BLOCK } from '../../src/slack/ids.js';
import { apiTokenConnection } from '../support/connections.js';
import { mark, openSetupModal, runCommand, setupAnswers, submitView, waitForMessage, waitForPlanView } from '../support/setup-steps.js';
import { ADMIN, CLIENT_ID, OTHER_ADMIN, REPORT_CHANNEL, daysFromNow, startWorld, type World } from '../support/world.js';

/**
 * Two things happening at once: a check and a rotation, two admins setting up one name, two
 * setups on one spoke, a rotation and a removal. Each is held in flight by a slow answer from a
 * stand-in, so the order is the one the test means and not the one the scheduler happens to pick.
 */

const EMAIL = 'integration@acme.test';
const OLD_TOKEN = 'ATATT3xFfGF0-race-old-token-1111';
const NEW_TOKEN = 'ATATT3xFfGF0-race-new-token-2222';
const HOUR = 3_600_000;

let world: World;
beforeEach(async () => {
  world = await startWorld();
  world.atlassian.addApiToken({ email: EMAIL, token: OLD_TOKEN });
  world.atlassian.addApiToken({ email: EMAIL, token: NEW_TOKEN });
});
afterEach(async () => {
  await world.close();
});

const basic = (token: string) => `Basic ${Buffer.from(`${EMAIL}:${token}`).toString('base64')}`;
const signIns = () => world.atlassian.requests.filter((r) => r.path === '/rest/api/3/myself');
const channelPosts = (pattern: RegExp) => world.slack.calls.filter((c) => c.method === 'chat.postMessage' && c.args.channel === REPORT_CHANNEL && pattern.test(String(c.args.text)));

async function until(what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function openModal(text: string, callbackId: string): Promise<Record<string, unknown>> {
  const since = mark(world);
  await runCommand(world, text);
  const opened = await world.slack.waitForCall('views.open', (c) => world.slack.calls.indexOf(c) >= since && (c.args.view as { callback_id?: string }).callback_id === callbackId);
  return opened.response.view as Record<string, unknown>;
}

/** `/spoke rotate` with the new token; resolves once the modal was submitted (the sign-in runs after the ack). */
async function submitRotation(name: string): Promise<Record<string, unknown>> {
  const modal = await openModal(`rotate ${name}`, CALLBACK.rotateModal);
  await submitView(world, modal, { [ROTATE_BLOCK.secret]: NEW_TOKEN, [ROTATE_BLOCK.tokenExpiry]: daysFromNow(300) });
  return modal;
}

const viewText = (viewId: unknown, pattern: RegExp) =>
  world.slack.waitForCall('views.update', (c) => c.args.view_id === viewId && pattern.test(JSON.stringify(c.args.view)));

describe('a check racing a rotation', () => {
  it('the old token refused mid-rotation leaves no back-off, no alert, and the next check signs in with the new token', async () => {
    await apiTokenConnection(world, { name: 'Jira token', email: EMAIL, token: OLD_TOKEN, expiresOn: daysFromNow(60) });
    // What a sweep that began before the rotation holds for this connection.
    const asTheSweepSawIt = structuredClone(world.bot.store.getConnection('Jira token')!);
    // The old token was revoked at Atlassian (that is why the admin rotates), and the check's
    // sign-in with it is slow to come back.
    world.atlassian.faults.next({ path: '/rest/api/3/myself', status: 401, delayMs: 2000, headers: { 'X-Seraph-LoginReason': 'AUTHENTICATED_FAILED' }, body: { errorMessages: ['Client must be authenticated to access this resource.'], errors: {} } });
    const sweeping = world.bot.monitor.sweep();
    await until('the check to sign in', () => signIns().some((r) => r.headers.authorization === basic(OLD_TOKEN) && r.at > Date.now() - 1000));

    const modal = await submitRotation('Jira token');
    await viewText(modal.id, /now uses the new credential/);
    expect(world.bot.store.getHealth('Jira token'), 'the check is still in flight').toBeUndefined();
    await sweeping;

    const health = world.bot.store.getHealth('Jira token');
    expect(health?.authFailedAt).toBeUndefined();
    expect(health?.checks.find((c) => c.check === 'credential')?.status ?? 'not checked').not.toBe('failing');
    expect((await world.bot.store.auditTrail()).filter((e) => e.action === 'health.alert')).toHaveLength(0);

    // An hour on (past the sign-in budget's window): the next checks sign in with the new token,
    // a queued one holding the connection as it was before the rotation included.
    world.clock.advance(HOUR + 1000);
    const before = signIns().length;
    await world.bot.monitor.check(asTheSweepSawIt);
    expect(signIns().slice(before).map((r) => r.headers.authorization)).toEqual([basic(NEW_TOKEN)]);
    world.clock.advance(HOUR + 1000);
    await world.bot.monitor.sweep();
    expect(signIns().at(-1)!.headers.authorization).toBe(basic(NEW_TOKEN));
    expect(world.bot.store.getHealth('Jira token')).toMatchObject({ state: 'ok' });
    expect(world.bot.store.getHealth('Jira token')!.authFailedAt).toBeUndefined();
    expect(channelPosts(/is failing/)).toHaveLength(0);
  });
});

describe('two setups of one name', () => {
  it('the second plan is refused with who holds the name; the first completes with its own client ID', async () => {
    const first = await openSetupModal(world, 'confluence', ADMIN);
    await submitView(world, first, setupAnswers(world), ADMIN);
    const plan = await waitForPlanView(world, String(first.id));

    const second = await openSetupModal(world, 'confluence', OTHER_ADMIN);
    await submitView(world, second, setupAnswers(world, { [SETUP_BLOCK.clientId]: 'grace-own-client-id' }), OTHER_ADMIN);
    const refused = await world.slack.waitForCall('views.update', (c) => c.args.view_id === second.id && (c.args.view as { callback_id?: string }).callback_id === CALLBACK.setupModal);
    const text = JSON.stringify(refused.args.view);
    expect(text).toContain(`is being set up by <@${ADMIN}> since`);
    expect(text).toContain('pick another name or wait');
    const graces = world.bot.store.listSetups((s) => s.userId === OTHER_ADMIN);
    expect(graces.map((s) => s.status)).toEqual(['site_failed']);

    const since = mark(world);
    await submitView(world, plan, {}, ADMIN);
    await waitForMessage(world, /One click left/, 10_000, since);
    expect(world.serviceNow.rows('oauth_entity').map((e) => [e.name, e.client_id])).toEqual([['Confluence acme', CLIENT_ID]]);

    // The name stays held until the setup ends: connected, it is free again.
    const ada = world.bot.store.listSetups((s) => s.userId === ADMIN)[0]!;
    expect(ada.status).toBe('awaiting_consent');
  });

  it('submitted at the same moment by two admins: one plans, the other is told who holds the name', async () => {
    const forms = [await openSetupModal(world, 'confluence', ADMIN), await openSetupModal(world, 'confluence', OTHER_ADMIN)];
    // Both site checks are in flight together, so both pass the first look at the name.
    world.atlassian.faults.next({ path: '/_edge/tenant_info', delayMs: 300 });
    world.atlassian.faults.next({ path: '/_edge/tenant_info', delayMs: 300 });
    await Promise.all([submitView(world, forms[0]!, setupAnswers(world), ADMIN), submitView(world, forms[1]!, setupAnswers(world, { [SETUP_BLOCK.clientId]: 'grace-own-client-id' }), OTHER_ADMIN)]);
    const answers = await Promise.all(forms.map((form) => world.slack.waitForCall('views.update', (c) => c.args.view_id === form.id && [CALLBACK.planModal, CALLBACK.setupModal].some((id) => id === (c.args.view as { callback_id?: string }).callback_id))));
    const kinds = answers.map((a) => (a.args.view as { callback_id: string }).callback_id).sort();
    expect(kinds).toEqual([CALLBACK.planModal, CALLBACK.setupModal].sort());
    expect(world.bot.store.listSetups().map((s) => s.status).sort()).toEqual(['planned', 'site_failed']);
    const refused = answers.find((a) => (a.args.view as { callback_id: string }).callback_id === CALLBACK.setupModal)!;
    expect(JSON.stringify(refused.args.view)).toMatch(/is being set up by <@UADMIN0[12]> since/);
  });

  it('a record of that name appearing in ServiceNow between the plan and Confirm: refused, the plan drawn again with the warning', async () => {
    const form = await openSetupModal(world);
    await submitView(world, form, setupAnswers(world));
    const plan = await waitForPlanView(world, String(form.id));
    expect(JSON.stringify(plan.blocks)).not.toContain('another client ID');
    // Meanwhile someone makes an application registry of that name by hand, for another app.
    const theirs = world.serviceNow.insert('oauth_entity', { name: 'Confluence acme', client_id: 'someone-elses-app', type: 'oauth_provider' });

    const since = mark(world);
    await submitView(world, plan, {});
    const redrawn = await world.slack.waitForCall('views.update', (c) => world.slack.calls.indexOf(c) >= since && c.args.view_id === form.id && (c.args.view as { callback_id?: string }).callback_id === CALLBACK.planModal);
    expect(JSON.stringify(redrawn.args.view)).toContain('already exists with another client ID');
    expect(world.serviceNow.rows('oauth_entity').find((e) => e.sys_id === theirs.sys_id)!.client_id).toBe('someone-elses-app');
    expect(world.serviceNow.rows('http_connection')).toHaveLength(0);
    expect(world.bot.store.listSetups()[0]!.status).toBe('planned');

    // Confirmed again with the warning in front of the admin, it goes ahead.
    const again = mark(world);
    await submitView(world, redrawn.response.view as Record<string, unknown>, {});
    await waitForMessage(world, /One click left/, 10_000, again);
  });
});

describe('two names on one spoke, confirmed together', () => {
  it('one takes the shipped alias, the other a child alias', async () => {
    const names = ['Confluence acme', 'Confluence labs'];
    const admins = [ADMIN, OTHER_ADMIN];
    const plans: Array<Record<string, unknown>> = [];
    for (const [i, name] of names.entries()) {
      const form = await openSetupModal(world, 'confluence', admins[i]);
      await submitView(world, form, setupAnswers(world, { [SETUP_BLOCK.connectionName]: name }), admins[i]);
      plans.push(await waitForPlanView(world, String(form.id)));
    }
    // The first connection row is slow to land: without a lock the other setup finds the shipped
    // alias free in the meantime.
    world.serviceNow.faults.next({ method: 'POST', table: 'http_connection', delayMs: 500 });
    const since = mark(world);
    await Promise.all(plans.map((plan, i) => submitView(world, plan, {}, admins[i])));
    await world.slack.waitForCall('chat.postMessage', (c) => world.slack.calls.indexOf(c) >= since && /One click left/.test(String(c.args.text)) && world.slack.calls.slice(since).filter((x) => /One click left/.test(String(x.args.text))).length === 2);

    const shipped = world.serviceNow.rows('sys_alias').find((a) => a.name === 'Confluence Cloud' && !a.parent)!;
    const aliasOf = new Map(world.serviceNow.rows('http_connection').map((c) => [c.name, c.connection_alias]));
    const onShipped = names.filter((n) => aliasOf.get(n) === shipped.sys_id);
    expect(onShipped).toHaveLength(1);
    const other = names.find((n) => n !== onShipped[0])!;
    const child = world.serviceNow.rows('sys_alias').find((a) => a.sys_id === aliasOf.get(other))!;
    expect(child).toMatchObject({ name: other, parent: shipped.sys_id });
    expect(world.bot.store.getConnection(other)!.alias).toEqual({ name: other, childOf: 'Confluence Cloud' });
    expect(world.bot.store.getConnection(onShipped[0]!)!.alias).toEqual({ name: 'Confluence Cloud' });
  });
});

describe('a rotation finishing after a removal', () => {
  it('the connection stays removed and the admin is told', async () => {
    await apiTokenConnection(world, { name: 'Jira token', email: EMAIL, token: OLD_TOKEN, expiresOn: daysFromNow(60) });
    const credential = world.serviceNow.rows('basic_auth_credentials')[0]!;
    // The rotation's sign-in with the new token is slow to come back.
    world.atlassian.faults.next({ path: '/rest/api/3/myself', delayMs: 1500 });
    const rotating = await submitRotation('Jira token');
    await until('the rotation to sign in', () => signIns().some((r) => r.headers.authorization === basic(NEW_TOKEN)));

    const removal = await openModal('remove Jira token', CALLBACK.removeModal);
    await submitView(world, removal, {});
    await waitForMessage(world, /was deactivated in ServiceNow/);

    const told = await viewText(rotating.id, /removed/);
    expect(JSON.stringify(told.args.view)).toMatch(/was removed .*meanwhile/);
    await world.bot.tasks.idle();
    const connection = world.bot.store.getConnection('Jira token')!;
    expect(connection.state).toBe('removed');
    expect(connection.sealedCredential).toBeUndefined();
    expect(world.serviceNow.rows('basic_auth_credentials')[0]).toMatchObject({ active: 'false' });
    expect(world.serviceNow.secretOf('basic_auth_credentials', credential.sys_id!).value).toBe(OLD_TOKEN);
    expect(world.serviceNow.rows('http_connection')[0]).toMatchObject({ active: 'false' });
    expect(channelPosts(/was rotated by/)).toHaveLength(0);
    expect((await world.bot.store.auditTrail())).toContainEqual(expect.objectContaining({ action: 'connection.rotate', outcome: 'refused', connection: 'Jira token', detail: expect.objectContaining({ reason: 'removed' }) }));
  });
});
