import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SPOKES } from '../../src/core/spoke-catalogue.js';
import { ACTION, CALLBACK, ROTATE_BLOCK, SETUP_BLOCK } from '../../src/slack/ids.js';
import { storeDataSchema, type StoreData } from '../../src/store/schema.js';
import { startAtlassianStandIn, type AtlassianSite, type AtlassianStandIn } from '../standins/atlassian.js';
import { startServiceNowStandIn, type ServiceNowStandIn } from '../standins/servicenow.js';
import { startSlackStandIn, type SlackCall, type SlackStandIn } from '../standins/slack-api.js';
import { sendEvent, sendInteraction, sendSlashCommand } from '../standins/slack-driver.js';
import { startBotProcess, type BotProcess } from '../support/bot-process.js';
import { acceptConsentWithoutBrowser } from '../support/consent.js';
import { clickButton, consentUrl, mark, openSetupModal, runCommand, setupAnswers, setupWith, submitView, waitForMessage, waitForPlanView } from '../support/setup-steps.js';
import { ADMIN, BOT_TOKEN, CLIENT_ID, CLIENT_SECRET, REPORT_CHANNEL, SERVICENOW_PASSWORD, SIGNING_SECRET, daysFromNow, type SlackTransport, type World } from '../support/world.js';
import { duplicateRows as duplicateServiceNowRows } from '../support/servicenow-duplicates.js';

/**
 * The bot as `npm start` runs it, killed with SIGKILL at each step of a setup and of a rotation,
 * then started again on the same store against the same stand-ins. Nothing in the bot gets a say
 * in how it dies: no handler runs, nothing is drained, the last write is whatever made it to disk.
 * After each start: the store parses, nothing it held before is gone, no ServiceNow record exists
 * twice, and the admin hears what became of the work (a DM, a thread message or the modal).
 *
 * The scenarios run in order on one store: each builds on what the ones before left.
 */

const EMAIL = 'integration@acme.test';
const OLD_TOKEN = 'ATATT3xFfGF0-crash-old-token-1111';
const NEW_TOKEN = 'ATATT3xFfGF0-crash-new-token-2222';
const TOKEN_NAME = 'Jira token';
const OAUTH_NAME = 'Confluence acme';

let slack: SlackStandIn;
let serviceNow: ServiceNowStandIn;
let atlassian: AtlassianStandIn;
let site: AtlassianSite;
let dataDir: string;
let dbPath: string;
let bot: BotProcess;
/** What the setup helpers need of a world, pointed at whichever bot process runs now. */
let world: World;
const tally = { kills: 0, starts: 0, losses: 0, duplicates: 0, silent: 0 };

function botEnv(): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    SERVICENOW_INSTANCE_URL: serviceNow.url,
    SERVICENOW_USERNAME: 'spokebot.integration',
    SERVICENOW_PASSWORD,
    ATLASSIAN_AUTH_URL: atlassian.authUrl,
    ATLASSIAN_API_URL: atlassian.apiUrl,
    ATLASSIAN_SITE_ALLOWLIST: 'http://127.0.0.1:*',
    SPOKE_ENCRYPTION_KEY: Buffer.alloc(32, 42).toString('base64'),
    SPOKE_DB_PATH: dbPath,
    SPOKE_ADMINS: ADMIN,
    SPOKE_CONSENT_TIMEOUT: '2m',
    LOG_LEVEL: 'info',
  };
}

async function startBot(): Promise<void> {
  bot = await startBotProcess(botEnv());
  tally.starts += 1;
}

/** The store as the next start will read it: it must parse, and nothing it held may be gone. */
function readStore(): StoreData {
  return storeDataSchema.parse(JSON.parse(readFileSync(dbPath, 'utf8')));
}

function auditLines(): number {
  return readFileSync(`${dbPath}.audit.jsonl`, 'utf8').split('\n').filter(Boolean).length;
}

/** kill -9 now, then a fresh process on the same store; checks the store across the gap. */
async function crashAndRestart(whileDown?: () => Promise<void>): Promise<number> {
  await bot.kill9();
  tally.kills += 1;
  await whileDown?.();
  const before = readStore();
  const auditBefore = auditLines();
  const since = mark(world);
  await startBot();
  const after = readStore();
  const lost = [
    ...before.setups.filter((s) => !after.setups.some((a) => a.id === s.id)).map((s) => `setup ${s.id}`),
    ...before.connections.filter((c) => !after.connections.some((a) => a.name === c.name)).map((c) => `connection ${c.name}`),
    ...(auditLines() < auditBefore ? ['audit lines'] : []),
  ];
  tally.losses += lost.length;
  expect(lost).toEqual([]);
  return since;
}

/** Rows of the tables setups write that exist more than once, tallied for the summary. */
function duplicateRows(): string[] {
  const found = duplicateServiceNowRows(serviceNow);
  tally.duplicates += found.length;
  return found;
}

/** Waits for what the admin must hear; a timeout counts as a silent outcome. */
async function heard<T>(what: Promise<T>): Promise<T> {
  try {
    return await what;
  } catch (error) {
    tally.silent += 1;
    throw error;
  }
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${bot.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const setupNamed = (name: string) => readStore().setups.filter((s) => s.connectionName === name).at(-1);
const blocksOf = (call: SlackCall) => JSON.stringify(call.args.blocks ?? call.args.view ?? '');
const afterMark = (since: number) => (c: SlackCall) => slack.calls.indexOf(c) >= since;

beforeAll(async () => {
  slack = await startSlackStandIn({
    botToken: BOT_TOKEN,
    users: [{ id: ADMIN, name: 'ada', is_admin: false }],
    channels: [{ id: REPORT_CHANNEL, name: 'it-integrations', is_member: true }],
  });
  atlassian = await startAtlassianStandIn();
  site = await atlassian.createSite();
  serviceNow = await startServiceNowStandIn({ username: 'spokebot.integration', password: SERVICENOW_PASSWORD });
  atlassian.registerApp({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    callbackUrl: `${serviceNow.url}/oauth_redirect.do`,
    scopes: [...new Set(Object.values(SPOKES).flatMap((spoke) => [...spoke.defaultScopes, ...spoke.serviceAccountScopes]))],
    name: 'ServiceNow integration',
  });
  atlassian.addApiToken({ email: EMAIL, token: OLD_TOKEN });
  atlassian.addApiToken({ email: EMAIL, token: NEW_TOKEN });
  dataDir = await mkdtemp(join(tmpdir(), 'spokebot-crash-'));
  dbPath = join(dataDir, 'spokebot.json');
  const deliver: SlackTransport = {
    command: (cmd) => sendSlashCommand(bot.eventsUrl, SIGNING_SECRET, cmd),
    interaction: (payload) => sendInteraction(bot.eventsUrl, SIGNING_SECRET, payload),
    event: (body) => sendEvent(bot.eventsUrl, SIGNING_SECRET, body),
  };
  // The helpers read only these; the bot itself is a process here, not an object in the test.
  world = { slack, serviceNow, atlassian, site, deliver } as unknown as World;
  await startBot();
});

afterAll(async () => {
  await bot?.stop();
  await Promise.all([slack?.close(), serviceNow?.close(), atlassian?.close()]);
  await rm(dataDir, { recursive: true, force: true });
  console.info(`crash-recovery: ${tally.kills} kill -9, ${tally.starts} starts, ${tally.losses} losses, ${tally.duplicates} duplicate records, ${tally.silent} silent outcomes`);
});

describe('kill -9 at each step of a setup, then a fresh start on the same store', () => {
  let planView: Record<string, unknown>;
  let consent: SlackCall;

  it('while checking the site: the secret is wiped at once, the modal and a DM say so, and the form opens again prefilled', async () => {
    atlassian.faults.next({ path: '/_edge/tenant_info', delayMs: 10_000 });
    const form = await openSetupModal(world);
    const asked = atlassian.requests.length;
    await submitView(world, form, setupAnswers(world));
    await until('the tenant_info lookup', () => atlassian.requests.slice(asked).some((r) => r.path === '/_edge/tenant_info'));
    expect(setupNamed(OAUTH_NAME)).toMatchObject({ status: 'checking_site' });
    expect(setupNamed(OAUTH_NAME)!.sealedSecret).toBeDefined();

    const since = await crashAndRestart();
    expect(setupNamed(OAUTH_NAME)).toMatchObject({ status: 'expired', failure: { code: 'interrupted' } });
    expect(setupNamed(OAUTH_NAME)!.sealedSecret).toBeUndefined();
    const dm = await heard(waitForMessage(world, /was interrupted: spokebot restarted while checking/, 10_000, since));
    await heard(slack.waitForCall('views.update', (c) => afterMark(since)(c) && c.args.view_id === form.id && blocksOf(c).includes('Setup interrupted'), 10_000));

    const reopenedAt = mark(world);
    await clickButton(world, dm, ACTION.reopenSetup);
    const opened = await slack.waitForCall('views.open', afterMark(reopenedAt));
    const reopened = opened.response.view as Record<string, unknown>;
    expect(reopened.callback_id).toBe(CALLBACK.setupModal);
    expect(blocksOf(opened)).toContain(site.url);
    await submitView(world, reopened, setupAnswers(world));
    planView = await waitForPlanView(world, String(reopened.id));
  }, 30_000);

  it('with the plan shown: the setup keeps its secret and the plan is drawn again in the open modal (Confirm on it is the next step)', async () => {
    expect(setupNamed(OAUTH_NAME)).toMatchObject({ status: 'planned' });
    const since = await crashAndRestart();
    const again = await heard(slack.waitForCall('views.update', (c) => afterMark(since)(c) && c.args.view_id === planView.id && (c.args.view as { callback_id?: string }).callback_id === CALLBACK.planModal, 10_000));
    planView = again.response.view as Record<string, unknown>;
    expect(setupNamed(OAUTH_NAME)).toMatchObject({ status: 'planned' });
    expect(setupNamed(OAUTH_NAME)!.sealedSecret).toBeDefined();
  }, 30_000);

  it('mid-write (an insert in flight that commits after the kill): Retry is offered with what exists, and nothing is written twice', async () => {
    serviceNow.faults.next({ method: 'POST', table: 'http_connection', delayMs: 1500 });
    const sent = serviceNow.requests.length;
    await submitView(world, planView, {});
    await until('the connection insert', () => serviceNow.requests.slice(sent).some((r) => r.method === 'POST' && r.table === 'http_connection'));
    const since = await crashAndRestart(() =>
      // ServiceNow finishes the insert the dead process sent; the next start must find it.
      until('the late commit', () => serviceNow.rows('http_connection').some((r) => r.name === OAUTH_NAME)).then(() => undefined),
    );
    const stopped = await heard(waitForMessage(world, /Setup stopped/, 10_000, since));
    expect(blocksOf(stopped)).toContain('stopped while writing');
    expect(blocksOf(stopped)).toMatch(/Already in ServiceNow\* \([1-9]\d*: created/);
    expect(setupNamed(OAUTH_NAME)).toMatchObject({ status: 'write_failed' });

    const retried = mark(world);
    await clickButton(world, stopped, ACTION.retrySetup);
    consent = await heard(waitForMessage(world, /One click left/, 15_000, retried));
    expect(duplicateRows()).toEqual([]);
    expect(serviceNow.rows('http_connection').filter((r) => r.name === OAUTH_NAME)).toHaveLength(1);
  }, 30_000);

  it('while awaiting consent: the watch resumes, the link is not sent again, and consent after the restart ends in "connected"', async () => {
    await until('the consent link marked as posted', () => setupNamed(OAUTH_NAME)?.consent?.linkPostedAt);
    const since = await crashAndRestart();
    await acceptConsentWithoutBrowser(consentUrl(consent));
    const connected = await heard(waitForMessage(world, /is connected/, 15_000, since));
    expect(connected.args.thread_ts).toBe(consent.args.thread_ts);
    expect(slack.calls.slice(since).filter((c) => c.method === 'chat.postMessage' && /One click left/.test(String(c.args.text)))).toEqual([]);
    await until('the connection marked connected', () => readStore().connections.find((c) => c.name === OAUTH_NAME && c.state === 'connected'));
    expect(duplicateRows()).toEqual([]);
  }, 30_000);
});

describe('kill -9 during a rotation, then a fresh start on the same store', () => {
  const expiry = daysFromNow(200);
  const credentialRow = () => serviceNow.rows('basic_auth_credentials').find((r) => r.name === TOKEN_NAME)!;
  const sealed = () => readStore().connections.find((c) => c.name === TOKEN_NAME)!.sealedCredential;

  async function rotateModal(): Promise<Record<string, unknown>> {
    const since = mark(world);
    await runCommand(world, `rotate ${TOKEN_NAME}`);
    const opened = await slack.waitForCall('views.open', (c) => afterMark(since)(c) && (c.args.view as { callback_id?: string }).callback_id === CALLBACK.rotateModal);
    return opened.response.view as Record<string, unknown>;
  }

  it('an API token mid-verification: reported by DM, and nothing changed anywhere', async () => {
    await setupWith(
      world,
      'jira',
      'api_token',
      { [SETUP_BLOCK.connectionName]: TOKEN_NAME, [SETUP_BLOCK.site]: site.url, [SETUP_BLOCK.channel]: REPORT_CHANNEL, [SETUP_BLOCK.email]: EMAIL, [SETUP_BLOCK.apiToken]: OLD_TOKEN, [SETUP_BLOCK.tokenExpiry]: daysFromNow(60), [SETUP_BLOCK.tokenScoped]: [] },
      /is connected/,
    );
    const before = sealed();
    const modal = await rotateModal();
    const asked = atlassian.requests.length;
    const withNewToken = `Basic ${Buffer.from(`${EMAIL}:${NEW_TOKEN}`).toString('base64')}`;
    // Every Atlassian answer slow from now: the one sign-in with the new token is in flight when the bot dies.
    atlassian.faults.setLatency(10_000);
    await submitView(world, modal, { [ROTATE_BLOCK.secret]: NEW_TOKEN, [ROTATE_BLOCK.tokenExpiry]: expiry });
    await until('the sign-in with the new token', () => atlassian.requests.slice(asked).some((r) => r.path.endsWith('/myself') && r.headers.authorization === withNewToken));
    expect(readStore().rotations).toMatchObject([{ kind: 'secret', connection: TOKEN_NAME, step: 'verifying' }]);

    const since = await crashAndRestart(async () => atlassian.faults.clear());
    const dm = await heard(waitForMessage(world, /rotation of Jira token was interrupted/, 10_000, since));
    expect(blocksOf(dm)).toContain('Nothing was written');
    await until('the rotation record gone once reported', () => readStore().rotations.length === 0 || undefined);
    expect(sealed()).toEqual(before);
    expect(serviceNow.secretOf('basic_auth_credentials', credentialRow().sys_id!).value).toBe(OLD_TOKEN);
  }, 40_000);

  it('an API token mid-write (the update commits after the kill): reported by DM, and rotating again settles both sides', async () => {
    const before = sealed();
    const modal = await rotateModal();
    serviceNow.faults.next({ method: 'PATCH', table: 'basic_auth_credentials', delayMs: 1500 });
    const sent = serviceNow.requests.length;
    await submitView(world, modal, { [ROTATE_BLOCK.secret]: NEW_TOKEN, [ROTATE_BLOCK.tokenExpiry]: expiry });
    await until('the credential update', () => serviceNow.requests.slice(sent).some((r) => r.method === 'PATCH' && r.table === 'basic_auth_credentials'));
    expect(readStore().rotations).toMatchObject([{ kind: 'secret', step: 'writing' }]);

    const since = await crashAndRestart(() =>
      until('the late update', () => serviceNow.secretOf('basic_auth_credentials', credentialRow().sys_id!).value === NEW_TOKEN || undefined).then(() => undefined),
    );
    const dm = await heard(waitForMessage(world, /rotation of Jira token was interrupted/, 10_000, since));
    expect(blocksOf(dm)).toContain('ServiceNow may now hold the new credential');
    // ServiceNow has the new token, the bot still the old one: the DM's advice settles it.
    expect(sealed()).toEqual(before);

    const again = await rotateModal();
    await submitView(world, again, { [ROTATE_BLOCK.secret]: NEW_TOKEN, [ROTATE_BLOCK.tokenExpiry]: expiry });
    await heard(slack.waitForCall('views.update', (c) => c.args.view_id === again.id && blocksOf(c).includes('now uses the new credential'), 10_000));
    expect(sealed()).not.toEqual(before);
    expect(readStore().connections.find((c) => c.name === TOKEN_NAME)).toMatchObject({ tokenExpiresOn: expiry });
    expect(duplicateRows()).toEqual([]);
  }, 40_000);

  it('a 3LO re-consent whose link the admin has: watched on after the restart, in its thread', async () => {
    const since = mark(world);
    await runCommand(world, `rotate ${OAUTH_NAME}`);
    const root = await waitForMessage(world, /Fresh consent for Confluence acme/, 10_000, since);
    await until('the re-consent thread in the store', () => readStore().rotations.find((r) => r.kind === 'reconsent' && r.thread));

    const restarted = await crashAndRestart();
    await acceptConsentWithoutBrowser(consentUrl(root));
    const fresh = await heard(waitForMessage(world, /has a fresh refresh token/, 15_000, restarted));
    expect(fresh.args.thread_ts).toBe(root.response.ts);
    await until('the re-consent record gone', () => readStore().rotations.length === 0 || undefined);
    expect(duplicateRows()).toEqual([]);
  }, 40_000);
});
