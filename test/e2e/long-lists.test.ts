import { afterEach, describe, expect, it } from 'vitest';
import { SPOKES } from '../../src/core/spoke-catalogue.js';
import { CALLBACK, SETUP_BLOCK } from '../../src/slack/ids.js';
import type { SlackCall } from '../standins/slack-api.js';
import { mark, openSetupModal, runCommand, setupAnswers, setupUntilConsent, submitView, waitForMessage, waitForPlanView } from '../support/setup-steps.js';
import { ADMIN, MEMBER, startWorld, type World } from '../support/world.js';

/**
 * Confluence 3LO with eight granular scopes on top of its ten defaults: each scope is a scope
 * record and a profile-scope record, so the plan has 5 + 2 × 18 = 41 records.
 */
const EXTRA_SCOPES = [
  'read:space:confluence',
  'write:page:confluence',
  'read:comment:confluence',
  'write:comment:confluence',
  'read:attachment:confluence',
  'read:label:confluence',
  'read:content-details:confluence',
  'read:blogpost:confluence',
];
const SCOPES = [...SPOKES.confluence.defaultScopes, ...EXTRA_SCOPES];
const RECORDS = 5 + 2 * SCOPES.length;

let world: World;
afterEach(async () => {
  await world.close();
});

type Block = { type: string; text?: { text: string }; elements?: Array<{ text?: string }> };
const blocksOf = (call: SlackCall) => (call.args.blocks ?? []) as Block[];
const textOf = (call: SlackCall) => blocksOf(call).map((b) => [b.text?.text ?? '', ...(b.elements ?? []).map((e) => e.text ?? '')].join('\n')).join('\n');

/** Every message the bot posted or answered with keeps within Slack's limits. */
function expectWithinLimits(calls: readonly SlackCall[]): void {
  for (const call of calls) {
    const blocks = blocksOf(call);
    expect(blocks.length, `${call.method}: ${String(call.args.text)}`).toBeLessThanOrEqual(50);
    for (const block of blocks) if (block.type === 'section') expect(block.text!.text.length).toBeLessThanOrEqual(3000);
  }
}

const messages = (w: World) => w.slack.calls.filter((c) => c.method === 'chat.postMessage' || c.method === 'response_url');

function startWithScopes(): Promise<World> {
  return startWorld({ appScopes: SCOPES });
}

const scopeAnswers = (w: World) => setupAnswers(w, { [SETUP_BLOCK.scopes]: SCOPES.join(' ') });

describe('a setup with many records', () => {
  it('says what happened to each of its 41 records, listing all of them within Slack limits', async () => {
    world = await startWithScopes();
    await setupUntilConsent(world, scopeAnswers(world));
    const written = await waitForMessage(world, /^Records in ServiceNow/);
    expect(written.args.text).toBe(`Records in ServiceNow: created ${RECORDS - 2}, updated 0, unchanged 0, found 2.`);
    const records = world.bot.store.listSetups()[0]!.written;
    expect(records).toHaveLength(RECORDS);
    const text = textOf(written);
    for (const record of records) expect(text).toContain(`${record.label} (${record.outcome}, \`${record.sysId}\`)`);
    for (const scope of SCOPES) expect(text).toContain(`default profile ↔ ${scope}`);
    // The plan shown before Confirm was whole too.
    const planView = world.slack.calls.find((c) => c.method === 'views.update' && (c.args.view as { callback_id?: string }).callback_id === CALLBACK.planModal)!;
    const planSections = (planView.args.view as { blocks: Block[] }).blocks.filter((b) => b.type === 'section').map((b) => b.text!.text);
    for (const section of planSections) expect(section.length).toBeLessThanOrEqual(3000);
    // The scopes are one line in the plan, split between sections only between scopes: every one whole.
    const planText = planSections.join('\n');
    expect(planText).toContain(`${SCOPES.length} scopes: ${SCOPES[0]}, `);
    const shownScopes = new Set(planText.split(/[\s,…]+/));
    for (const scope of SCOPES) expect(shownScopes, scope).toContain(scope);
    // The list is longer than one section holds, so it really was split.
    expect(blocksOf(written).filter((b) => b.type === 'section').length).toBeGreaterThan(1);
    expectWithinLimits(messages(world));
  });

  it('a failure at the last record lists every record already in ServiceNow, with its counts', async () => {
    world = await startWithScopes();
    const form = await openSetupModal(world);
    await submitView(world, form, scopeAnswers(world));
    const plan = await waitForPlanView(world, String(form.id));
    // The connection is the last record; three 500s outlast the writer's retries of an insert.
    for (let i = 0; i < 3; i++) world.serviceNow.faults.next({ method: 'POST', table: 'http_connection', status: 500 });
    await submitView(world, plan, {});
    const stopped = await waitForMessage(world, /^Setup stopped/);
    const setup = world.bot.store.listSetups()[0]!;
    expect(setup.status).toBe('write_failed');
    expect(setup.written).toHaveLength(RECORDS - 1);
    expect(world.serviceNow.rows('http_connection')).toHaveLength(0);
    const text = textOf(stopped);
    expect(text).toContain(`*Already in ServiceNow* (${RECORDS - 1}: created ${RECORDS - 3}, updated 0, unchanged 0, found 2)`);
    for (const record of setup.written) expect(text).toContain(`${record.label} (${record.outcome}, \`${record.sysId}\`)`);
    expect(blocksOf(stopped).at(-1)!.type).toBe('actions');
    expectWithinLimits(messages(world));
  });
});

describe('paged slash-command answers', () => {
  const answer = (w: World, since: number, pattern: RegExp) => w.slack.waitForCall('response_url', (c) => w.slack.calls.indexOf(c) >= since && pattern.test(String(c.args.text)));

  it('/spoke audit pages long results: page 1 says how many more and the command for page 2, page 2 has the rest', async () => {
    world = await startWorld();
    for (let i = 1; i <= 45; i++) {
      await world.bot.store.audit({ actor: ADMIN, action: 'servicenow.write', outcome: 'ok', connection: 'Confluence acme', detail: { entry: `entry-${i}`, reason: `a & b <${'long reason '.repeat(20)}>` } });
    }
    await world.bot.store.audit({ actor: ADMIN, action: 'connection.removed', outcome: 'ok', connection: 'Jira other' });
    const total = (await world.bot.store.auditTrail()).filter((e) => e.connection === 'Confluence acme').length;
    expect(total).toBe(45);

    let since = mark(world);
    await runCommand(world, 'audit Confluence acme --since 2000-01-01');
    const first = await answer(world, since, /Audit log for Confluence acme/);
    expect(first.args.text).toBe('Audit log for Confluence acme (page 1 of 2)');
    const firstText = textOf(first);
    expect(firstText).toContain('Page 1 of 2 · 45 entries in all · 15 more: `/spoke audit Confluence acme --since 2000-01-01 --page 2`');
    // Newest first; escaped as typed.
    expect(firstText).toContain('entry=entry-45');
    expect(firstText).toContain('a &amp; b &lt;long reason');
    expect(firstText).not.toContain('Jira other');

    since = mark(world);
    await runCommand(world, 'audit Confluence acme --since 2000-01-01 --page 2');
    const second = await answer(world, since, /Audit log for Confluence acme/);
    expect(second.args.text).toBe('Audit log for Confluence acme (page 2 of 2)');
    const secondText = textOf(second);
    expect(secondText).toContain('Page 2 of 2 · 45 entries in all');
    expect(secondText).not.toContain('more:');

    const seen = [...`${firstText}\n${secondText}`.matchAll(/entry=entry-(\d+)\b/g)].map((m) => Number(m[1]));
    expect(seen).toEqual(Array.from({ length: 45 }, (_, i) => 45 - i));

    since = mark(world);
    await runCommand(world, 'audit Confluence acme --page 3');
    expect(textOf(await answer(world, since, /Audit log/))).toContain('There is no page 3: 45 entries fill 2 page(s)');
    since = mark(world);
    const usage = await runCommand(world, 'audit --page none');
    expect(JSON.stringify(usage.json)).toContain('--page N');
    expectWithinLimits(messages(world));
  });

  it('/spoke requests pages the open requests the same way', async () => {
    world = await startWorld();
    for (let i = 1; i <= 23; i++) {
      const at = new Date().toISOString();
      await world.bot.store.createRequest({ requester: MEMBER, details: { kind: 'new_connection', spoke: 'jira', site: `https://team${i}.atlassian.net`, team: `Team ${i}` }, reason: 'Sync incidents', state: 'open', createdAt: at, lastAnnouncedAt: at, reannounced: 0 });
    }
    let since = mark(world);
    await runCommand(world, 'requests', ADMIN);
    const first = await answer(world, since, /open request/);
    expect(first.args.text).toBe('23 open request(s) (page 1 of 2)');
    expect(textOf(first)).toContain('Page 1 of 2 · 23 requests in all · 3 more: `/spoke requests --page 2`');
    expect(textOf(first)).toContain('Request #23*');
    since = mark(world);
    await runCommand(world, 'requests --page 2', ADMIN);
    const second = await answer(world, since, /open request/);
    const ids = [...textOf(second).matchAll(/Request #(\d+)\*/g)].map((m) => Number(m[1]));
    expect(ids).toEqual([3, 2, 1]);
    expectWithinLimits(messages(world));
  });
});
