/**
 * `npm run demo`: the whole Confluence setup against the embedded stand-ins of Slack,
 * ServiceNow and Atlassian, with the lowdb store in a temporary folder. No account, token or
 * network. It plays the admin (slash command, modal, Confirm, consent click) and prints what
 * each side saw.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SETUP_BLOCK } from '../src/slack/ids.js';
import { sendInteraction, sendSlashCommand, viewSubmission } from '../test/standins/slack-driver.js';
import type { SlackCall } from '../test/standins/slack-api.js';
import { ADMIN, CLIENT_ID, CLIENT_SECRET, REPORT_CHANNEL, SIGNING_SECRET, startWorld } from '../test/support/world.js';
import { renderBlocks, renderModal } from './render-blocks.js';

const MASK = '••••';
const say = (text = '') => console.log(text);
const step = (n: number, text: string) => say(`\n── ${n}. ${text}`);

async function main(): Promise<void> {
  const world = await startWorld({ logLevel: 'silent' });
  try {
    say('spokebot demo: Confluence Cloud spoke, OAuth 2.0 (3LO)');
    say(`  Slack Web API stand-in   ${world.slack.url}`);
    say(`  ServiceNow stand-in      ${world.serviceNow.url}`);
    say(`  Atlassian stand-in       ${world.atlassian.authUrl} (site ${world.site.url}, Cloud ID ${world.site.cloudId})`);
    say(`  spokebot                 ${world.eventsUrl}`);
    say(`  store (lowdb)            ${world.config.SPOKE_DB_PATH}`);

    step(1, `@ada types: /spoke setup confluence`);
    const trigger = world.slack.issueTriggerId();
    const command = await sendSlashCommand(world.eventsUrl, SIGNING_SECRET, { text: 'setup confluence', userId: ADMIN, triggerId: trigger, channelId: REPORT_CHANNEL });
    say(`  Slack got the ack in ${command.elapsedMs.toFixed(0)} ms; spokebot opened this modal:`);
    const opened = await world.slack.waitForCall('views.open');
    const form = opened.response.view as Record<string, any>;
    say(renderModal(form));

    step(2, 'She fills in the site, client ID and secret, keeps the default scopes, and submits');
    say(`  name = Confluence acme   site = ${world.site.url}   client ID = ${CLIENT_ID}   secret = ${MASK}`);
    const submitted = await sendInteraction(
      world.eventsUrl,
      SIGNING_SECRET,
      viewSubmission({ userId: ADMIN, view: form, answers: { [SETUP_BLOCK.connectionName]: 'Confluence acme', [SETUP_BLOCK.site]: world.site.url, [SETUP_BLOCK.clientId]: CLIENT_ID, [SETUP_BLOCK.clientSecret]: CLIENT_SECRET, [SETUP_BLOCK.channel]: REPORT_CHANNEL } }),
    );
    say(`  ack in ${submitted.elapsedMs.toFixed(0)} ms: the modal now says "Checking the site" while spokebot asks ${world.site.url}/_edge/tenant_info`);
    const planCall = await world.slack.waitForCall('views.update', (c) => (c.args.view as { callback_id?: string } | undefined)?.callback_id === 'spoke_setup_plan');
    const plan = planCall.response.view as Record<string, any>;

    step(3, 'The plan (nothing written yet)');
    say(renderModal(plan));

    step(4, 'She presses Confirm; spokebot writes the records through the Table API');
    const confirmed = await sendInteraction(world.eventsUrl, SIGNING_SECRET, viewSubmission({ userId: ADMIN, view: plan, answers: {} }));
    say(`  ack in ${confirmed.elapsedMs.toFixed(0)} ms`);
    const consent = await world.slack.waitForCall('chat.postMessage', (c) => /One click left/.test(String(c.args.text)), 15_000);
    printThread(world.slack.calls, String(consent.args.thread_ts));

    step(5, 'What ServiceNow now holds');
    for (const table of ['oauth_entity', 'oauth_entity_scope', 'oauth_entity_profile', 'oauth_entity_profile_scope', 'oauth_2_0_credentials', 'sys_alias', 'http_connection']) {
      const rows = world.serviceNow.rows(table).filter((r) => table !== 'sys_alias' || r.name === 'Confluence Cloud');
      say(`  ${table} (${rows.length})`);
      for (const row of rows.slice(0, 3)) say(`    ${keyFields(table, row)}`);
      if (rows.length > 3) say(`    … and ${rows.length - 3} more`);
    }

    step(6, 'She clicks "Consent in ServiceNow": ServiceNow → Atlassian consent → back to ServiceNow');
    const link = findUrl(consent);
    say(`  GET ${link}`);
    const toAtlassian = await fetch(link, { redirect: 'manual' });
    const authorize = new URL(toAtlassian.headers.get('location')!);
    say(`  302 → ${authorize.origin}${authorize.pathname}?client_id=…&scope=${authorize.searchParams.get('scope')?.split(' ').length} scopes&redirect_uri=${authorize.searchParams.get('redirect_uri')}`);
    const page = await (await fetch(authorize)).text();
    const fields = new URLSearchParams([...page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m): [string, string] => [m[1]!, m[2]!.replace(/&amp;/g, '&')]));
    fields.set('decision', 'accept');
    say('  Atlassian shows the consent screen; she presses Accept');
    const back = await fetch(new URL('/authorize/consent', authorize), { method: 'POST', body: fields, redirect: 'manual' });
    const callback = new URL(back.headers.get('location')!);
    say(`  302 → ${callback.origin}${callback.pathname}?code=…&state=…`);
    const result = await (await fetch(callback)).text();
    say(`  ServiceNow: "${/id="result"[^>]*>([^<]+)/.exec(result)?.[1]?.trim() ?? 'done'}"`);
    say(`  oauth_credential rows: ${world.serviceNow.rows('oauth_credential').map((r) => r.type).join(', ')} (tokens stay in ServiceNow; spokebot never sees them)`);

    step(7, 'spokebot sees the refresh token and says so');
    await world.slack.waitForCall('chat.postMessage', (c) => /is connected/.test(String(c.args.text)), 15_000);
    const announced = await world.slack.waitForCall('chat.postMessage', (c) => c.args.channel === REPORT_CHANNEL, 15_000);
    printThread(world.slack.calls, String(consent.args.thread_ts), consent);
    say(`  In #${REPORT_CHANNEL}:`);
    say(renderBlocks(announced.args.blocks as any[], '    '));

    await world.bot.tasks.idle();
    const store = await readFile(join(world.dataDir, 'spokebot.json'), 'utf8');
    step(8, 'The store');
    say(`  connections: ${world.bot.store.listConnections().map((c) => `${c.name} (${c.state})`).join(', ')}`);
    say(`  audit events: ${(await world.bot.store.auditTrail()).length}; client secret in the store file: ${store.includes(CLIENT_SECRET) ? 'YES (bug!)' : 'no'}`);
    say('\nDone.');
  } finally {
    await world.close();
  }
}

function printThread(calls: SlackCall[], threadTs: string, after?: SlackCall): void {
  const start = after ? calls.indexOf(after) + 1 : 0;
  for (const call of calls.slice(start)) {
    if (call.method !== 'chat.postMessage' || call.args.thread_ts !== threadTs) continue;
    say('  spokebot (DM thread):');
    say(renderBlocks(call.args.blocks as any[], '    '));
  }
}

function findUrl(call: SlackCall): string {
  return (call.args.blocks as any[]).flatMap((b) => b.elements ?? []).find((e: any) => e.url).url;
}

const KEY_FIELDS: Record<string, string[]> = {
  oauth_entity: ['name', 'client_id', 'client_secret', 'default_grant_type', 'auth_url', 'token_url'],
  oauth_entity_scope: ['oauth_entity_scope'],
  oauth_entity_profile: ['name', 'default'],
  oauth_entity_profile_scope: ['oauth_entity_profile', 'oauth_entity_scope'],
  oauth_2_0_credentials: ['name', 'oauth_entity_profile', 'active'],
  sys_alias: ['name', 'id'],
  http_connection: ['name', 'connection_alias', 'credential', 'connection_url', 'active'],
};

function keyFields(table: string, row: Record<string, string>): string {
  return (KEY_FIELDS[table] ?? ['name'])
    .map((f) => `${f}=${f === 'client_secret' || f === 'password' ? MASK : row[f]}`)
    .join('  ');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
