import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SPOKES } from '../../src/core/spoke-catalogue.js';
import { ACTION, CALLBACK, SETUP_BLOCK } from '../../src/slack/ids.js';
import { blockAction } from '../standins/slack-driver.js';
import { expectFastAck, mark, openSetupModal, setupAnswers, setupUntilConsent, submitView, waitForMessage, waitForPlanView } from '../support/setup-steps.js';
import { ADMIN, CLIENT_ID, CLIENT_SECRET, REPORT_CHANNEL, startWorld, type World } from '../support/world.js';

let world: World;
beforeEach(async () => {
  world = await startWorld();
});
afterEach(async () => {
  await world.close();
});

type Block = { type: string; text?: { text?: string }; elements?: Array<{ text?: string | { text?: string }; action_id?: string; value?: string }>; block_id?: string };

/** Every mrkdwn text of a view or message, as one string to match against. */
function textOf(blocks: unknown): string {
  return (blocks as Block[])
    .flatMap((b) => [b.text?.text ?? '', ...(b.type === 'context' ? (b.elements ?? []).map((e) => (typeof e.text === 'string' ? e.text : '')) : [])])
    .join('\n');
}

/** Form → the plan modal, for these answers. */
async function planFor(answers: Record<string, string | null>): Promise<Record<string, unknown>> {
  const form = await openSetupModal(world);
  await submitView(world, form, answers);
  return waitForPlanView(world, String(form.id));
}

const EXTRA = 'readonly:content.attachment:confluence';

describe('the plan in ServiceNow\'s own words', () => {
  it('groups the records under ServiceNow\'s names, puts the scopes on one line with the least-privilege warning, and says the shipped alias is used', async () => {
    const scopes = [...SPOKES.confluence.defaultScopes, EXTRA];
    const plan = await planFor(setupAnswers(world, { [SETUP_BLOCK.scopes]: scopes.join(' ') }));
    const text = textOf(plan.blocks);

    for (const name of ['Application Registry', 'OAuth Entity Scopes + Profile Scopes', 'OAuth Entity Profile', 'OAuth 2.0 Credential', 'Connection &amp; Credential Alias', 'HTTP(s) Connection']) expect(text).toContain(`*${name}*`);
    expect(text).toContain('`oauth_entity`');
    // The scopes, two records each, are one line.
    expect(text).toContain(`${scopes.length} scopes: ${scopes.join(', ')}`);
    expect(text).not.toMatch(/default profile ↔/);
    const blocks = plan.blocks as Block[];
    const scopeBlock = blocks.findIndex((b) => b.text?.text?.includes(`${scopes.length} scopes:`));
    expect(textOf([blocks[scopeBlock + 1]])).toMatch(new RegExp(`:warning: Scopes beyond the Confluence Cloud defaults: ${EXTRA}\\. Least privilege`));
    // The profile is ServiceNow's own, the secret never shown.
    expect(text).toMatch(/found, ServiceNow makes it/);
    expect(text).toContain('client_secret `••••`');
    expect(text).not.toContain(CLIENT_SECRET);
    expect(text).toContain(`client_id \`${CLIENT_ID}\``);
    // Looked up before the plan was shown: the shipped alias is free.
    expect(text).toContain('uses the shipped alias *Confluence Cloud*');
    expect(text).not.toMatch(/decided when writing/);
    // The old rows of `table key=value` are gone.
    expect(text).not.toMatch(/\b(name|client_id|oauth_entity_scope|connection_alias)=/);
  });

  it('names the child alias for a second connection on the same spoke, and the connection the shipped one serves', async () => {
    await setupUntilConsent(world);
    const plan = await planFor(setupAnswers(world, { [SETUP_BLOCK.connectionName]: 'Confluence beta' }));
    expect(textOf(plan.blocks)).toContain('a child alias "Confluence beta" under *Confluence Cloud* (the shipped one already serves "Confluence acme")');
  });

  it('after writing, links the HTTP(s) Connection, the credential and the Application Registry by their sys_ids', async () => {
    const since = mark(world);
    await setupUntilConsent(world);
    const written = await waitForMessage(world, /Records in ServiceNow/, 10_000, since);
    const text = textOf(written.args.blocks);
    expect(text).toMatch(/created \d+, updated 0, unchanged 0, found 2/);
    const sn = world.serviceNow;
    const connection = sn.rows('http_connection')[0]!;
    const credential = sn.rows('oauth_2_0_credentials')[0]!;
    const entity = sn.rows('oauth_entity')[0]!;
    const base = world.config.SERVICENOW_INSTANCE_URL.replace(/\/+$/, '');
    expect(text).toContain(`HTTP(s) Connection: <${base}/http_connection.do?sys_id=${connection.sys_id}|Confluence acme>`);
    expect(text).toContain(`OAuth 2.0 Credential: <${base}/oauth_2_0_credentials.do?sys_id=${credential.sys_id}|Confluence acme>`);
    expect(text).toContain(`Application Registry: <${base}/oauth_entity.do?sys_id=${entity.sys_id}|Confluence acme>`);
  });

  it('goes back from the plan to the form with every answer kept and the secret held, plans the change, and writes with the secret first typed', async () => {
    const answers = setupAnswers(world, { [SETUP_BLOCK.scopes]: SPOKES.confluence.defaultScopes.join(' ') });
    const plan = await planFor(answers);
    const setupId = String(plan.private_metadata);

    const since = mark(world);
    expectFastAck(await world.deliver.interaction(blockAction({ userId: ADMIN, actionId: ACTION.editSetupForm, blockId: 'b', value: setupId, triggerId: world.slack.issueTriggerId(), view: plan })));
    const update = await world.slack.waitForCall('views.update', (c) => world.slack.calls.indexOf(c) >= since && c.args.view_id === plan.id);
    const form = update.response.view as Record<string, unknown> & { blocks: Array<{ block_id?: string; optional?: boolean; hint?: { text: string }; element?: Record<string, unknown> }> };
    expect(form.callback_id).toBe(CALLBACK.setupModal);
    const input = (id: string) => form.blocks.find((b) => b.block_id === id)!;
    expect(input(SETUP_BLOCK.connectionName).element!.initial_value).toBe('Confluence acme');
    expect(input(SETUP_BLOCK.site).element!.initial_value).toBe(world.site.url.replace(/\/+$/, ''));
    expect(input(SETUP_BLOCK.clientId).element!.initial_value).toBe(CLIENT_ID);
    expect(input(SETUP_BLOCK.scopes).element!.initial_value).toBe(SPOKES.confluence.defaultScopes.join(' '));
    expect(input(SETUP_BLOCK.channel).element!.initial_conversation).toBe(REPORT_CHANNEL);
    // The secret is held, not shown: the field may stay empty and says why.
    const secret = input(SETUP_BLOCK.clientSecret);
    expect(secret.element!.initial_value).toBeUndefined();
    expect(secret.optional).toBe(true);
    expect(secret.hint!.text).toMatch(/Leave empty to keep/);
    expect(JSON.stringify(form)).not.toContain(CLIENT_SECRET);

    // One change, the secret left empty: a new plan with the new scopes.
    const fewer = SPOKES.confluence.defaultScopes.filter((s) => s !== 'search:confluence');
    const ack = await submitView(world, form, { [SETUP_BLOCK.scopes]: fewer.join(' '), [SETUP_BLOCK.clientSecret]: null });
    expect(ack.json).toMatchObject({ response_action: 'update' });
    const again = await world.slack.waitForCall('views.update', (c) => world.slack.calls.indexOf(c) > world.slack.calls.indexOf(update) && c.args.view_id === plan.id && (c.args.view as { callback_id?: string }).callback_id === CALLBACK.planModal);
    const replanned = again.response.view as Record<string, unknown>;
    expect(replanned.private_metadata).toBe(setupId);
    expect(textOf(replanned.blocks)).toContain(`${fewer.length} scopes: ${fewer.join(', ')}`);

    // Confirm writes those scopes, with the secret typed the first time.
    await submitView(world, replanned, {});
    await waitForMessage(world, /One click left/, 10_000, since);
    const sn = world.serviceNow;
    const entity = sn.rows('oauth_entity')[0]!;
    expect(sn.secretOf('oauth_entity', entity.sys_id!)).toEqual({ value: CLIENT_SECRET, wellFormed: true });
    expect(sn.rows('oauth_entity_scope').map((s) => s.oauth_entity_scope).sort()).toEqual([...fewer].sort());
  });
});
