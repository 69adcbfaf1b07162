import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { METHOD_FIELDS } from '../../src/core/setup-request.js';
import { SPOKES, type AuthMethod, type SpokeId } from '../../src/core/spoke-catalogue.js';
import { ACTION, CALLBACK, DENY_BLOCK, REQUEST_BLOCK, ROTATE_BLOCK, SCOPED_TOKEN_VALUE, SETUP_BLOCK } from '../../src/slack/ids.js';
import type { AnswerValue } from '../standins/slack-driver.js';
import { acceptConsentWithoutBrowser } from '../support/consent.js';
import { apiTokenConnection, serviceAccountConnection } from '../support/connections.js';
import { consentUrl, setupUntilConsent, waitForMessage } from '../support/setup-steps.js';
import { ADMIN, APPROVAL_CHANNEL, CLIENT_ID, CLIENT_SECRET, MEMBER, REPORT_CHANNEL, daysFromNow } from '../support/world.js';
import { reached, Run } from './support/drive.js';
import { budgetMs, fuzzOptions, hostileText, LOOKALIKE_SITES, secretText, validName, validOr } from './support/hostile.js';
import { startFuzzWorld, type FuzzWorld } from './support/fuzz-world.js';

/**
 * Every modal with typed values: the setup form for each spoke and sign-in method (then the
 * plan, sometimes confirmed), the request form for each kind (then approved, denied with a
 * typed reason, or withdrawn), and the rotate form. Each run is checked by FuzzWorld.check.
 */
const TOKEN_EMAIL = 'fuzz@acme.example';
const TOKEN = 'fuzz-api-token-1';

let fuzz: FuzzWorld;
beforeAll(async () => {
  fuzz = await startFuzzWorld();
  const { world } = fuzz;
  world.atlassian.addApiToken({ email: TOKEN_EMAIL, token: TOKEN });
  // A Confluence 3LO connection (for group and scope requests), an API token and a service account (for rotate).
  const consent = await setupUntilConsent(world);
  await acceptConsentWithoutBrowser(consentUrl(consent));
  await waitForMessage(world, /is connected/);
  await world.bot.tasks.idle();
  await apiTokenConnection(world, { name: 'Jira tokens', email: TOKEN_EMAIL, token: TOKEN, expiresOn: daysFromNow(200) });
  await serviceAccountConnection(world, 'Jira robot');
}, 60_000);
afterAll(async () => {
  await fuzz?.close();
});

/** Whether a typed site names the allowed stand-in site (the one host the bot may contact). */
const namesStandIn = (typed: string) => typed.trim().includes(new URL(fuzz.world.site.url).host);

describe('the setup form', () => {
  const CI_RUNS = 30;
  const PAIRS = Object.values(SPOKES).flatMap((spoke) => spoke.methods.map((method) => [spoke.id, method] as [SpokeId, AuthMethod]));

  it(
    'for every spoke and method: refused or planned in time, typed text shown as text, no look-alike site contacted',
    async () => {
      const { world } = fuzz;
      // Fields the form checks are mostly valid, so runs get past the ack to the site, the plan
      // and the writes; the client ID and the secrets are taken as typed, so they are hostile more often.
      const site = fc.oneof(
        { weight: 6, arbitrary: fc.constant(world.site.url) },
        { weight: 2, arbitrary: fc.constantFrom(...LOOKALIKE_SITES) },
        { weight: 1, arbitrary: hostileText },
        { weight: 1, arbitrary: hostileText.map((t) => `${world.site.url}/wiki/${t}`) },
      );
      const answers = fc.record({
        connectionName: validOr(validName, 6),
        site,
        clientId: validOr(CLIENT_ID),
        clientSecret: fc.oneof(fc.constant(CLIENT_SECRET), secretText),
        email: validOr(TOKEN_EMAIL, 6),
        apiToken: fc.oneof(fc.constant(TOKEN), secretText),
        tokenExpiry: validOr(daysFromNow(100), 6),
        tokenScoped: fc.boolean(),
        scopes: fc.oneof({ weight: 4, arbitrary: fc.constant('') }, { weight: 1, arbitrary: hostileText }, { weight: 1, arbitrary: fc.constant('read:me offline_access') }),
        channel: validOr(REPORT_CHANNEL, 6),
      });
      const steps = reached();
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...PAIRS), answers, fc.boolean(), async ([spoke, method], typed, confirm) => {
          steps.count('runs');
          const since = fuzz.mark();
          const run = new Run(world);
          let form = await run.openWith(`setup ${spoke}`, CALLBACK.setupModal);
          if (form && method !== SPOKES[spoke].methods[0]) form = await run.pickRadio(form, SETUP_BLOCK.method, ACTION.chooseMethod, method);
          const secrets: string[] = [typed.clientSecret, typed.apiToken].filter((s) => s.startsWith('SECRET-'));
          if (form) {
            const scopes = typed.scopes || SPOKES[spoke][method === 'service_account' ? 'serviceAccountScopes' : 'defaultScopes'].join(' ');
            const all: Record<string, AnswerValue> = {
              [SETUP_BLOCK.connectionName]: typed.connectionName,
              [SETUP_BLOCK.site]: typed.site,
              [SETUP_BLOCK.clientId]: typed.clientId,
              [SETUP_BLOCK.clientSecret]: typed.clientSecret,
              [SETUP_BLOCK.email]: typed.email,
              [SETUP_BLOCK.apiToken]: typed.apiToken,
              [SETUP_BLOCK.tokenExpiry]: typed.tokenExpiry,
              [SETUP_BLOCK.tokenScoped]: typed.tokenScoped ? [SCOPED_TOKEN_VALUE] : [],
              [SETUP_BLOCK.scopes]: scopes,
              [SETUP_BLOCK.channel]: typed.channel,
            };
            const shown = new Set(METHOD_FIELDS[method].map((f) => SETUP_BLOCK[f]));
            const from = run.mark();
            const ack = await run.submit(form, Object.fromEntries(Object.entries(all).filter(([block]) => shown.has(block as never))));
            const proceeded = (ack.json as { response_action?: string } | undefined)?.response_action === 'update';
            // The allowlist holds the stand-in site only: anything else must be refused in the ack.
            if (proceeded && !namesStandIn(typed.site)) throw new Error(`the form went on with the site ${JSON.stringify(typed.site.slice(0, 200))}`);
            steps.count(proceeded ? 'checked' : 'refused in the ack');
            if (proceeded) {
              await world.bot.tasks.idle();
              const plan = run.latestView(String(form.id), from);
              if (plan?.callback_id === CALLBACK.planModal) steps.count('planned');
              if (confirm && plan?.callback_id === CALLBACK.planModal) {
                steps.count('confirmed');
                await run.submit(plan, {});
              }
            }
          }
          await fuzz.check(since, { acks: run.acks, secrets });
        }),
        fuzzOptions(CI_RUNS),
      );
      steps.report('setup form');
    },
    budgetMs(CI_RUNS, 3000),
  );
});

describe('the request form, then its decision', () => {
  const CI_RUNS = 30;
  it(
    'for every kind: refused or carded in time; approve, deny with a typed reason, or withdraw; typed text shown as text',
    async () => {
      const { world } = fuzz;
      const typed = fc.record({
        kind: fc.constantFrom('new_connection', 'confluence_group', 'more_scopes'),
        spoke: fc.constantFrom('jira', 'jsm', 'confluence'),
        site: fc.oneof({ weight: 3, arbitrary: fc.constant(world.site.url) }, { weight: 1, arbitrary: fc.constantFrom(...LOOKALIKE_SITES) }, { weight: 1, arbitrary: hostileText }),
        team: hostileText,
        groups: validOr('confluence-users, fuzz team.one'),
        scopes: validOr('write:page:confluence read:fuzz:confluence'),
        reason: validOr(hostileText.map((t) => `We need this for the fuzz team: ${t}`), 6),
        pickConnection: fc.boolean(),
        decision: fc.constantFrom('none', 'approve', 'deny', 'withdraw'),
        denyReason: hostileText,
      });
      const steps = reached();
      await fc.assert(
        fc.asyncProperty(typed, async (t) => {
          steps.count('runs');
          const since = fuzz.mark();
          const run = new Run(world);
          let form = await run.openWith('request', CALLBACK.requestModal, MEMBER);
          if (form && t.kind !== 'new_connection') form = await run.pickRadio(form, REQUEST_BLOCK.kind, ACTION.chooseRequestKind, t.kind, MEMBER);
          if (form) {
            const blocks = (form.blocks as Array<{ type: string; block_id?: string; element?: { options?: Array<{ value: string }> } }>).filter((b) => b.type === 'input');
            const ids = new Set(blocks.map((b) => b.block_id));
            const connection = blocks.find((b) => b.block_id === REQUEST_BLOCK.connection)?.element?.options?.[0]?.value ?? null;
            const all: Record<string, AnswerValue> = {
              [REQUEST_BLOCK.spoke]: t.spoke,
              [REQUEST_BLOCK.site]: t.site,
              [REQUEST_BLOCK.team]: t.team,
              [REQUEST_BLOCK.connection]: t.pickConnection ? connection : null,
              [REQUEST_BLOCK.groups]: t.groups,
              [REQUEST_BLOCK.scopes]: t.scopes,
              [REQUEST_BLOCK.reason]: t.reason,
            };
            const from = run.mark();
            const ack = await run.submit(form, Object.fromEntries(Object.entries(all).filter(([block]) => ids.has(block))), MEMBER);
            const accepted = (ack.json as { response_action?: string } | undefined)?.response_action === 'clear';
            if (accepted && t.kind === 'new_connection' && !namesStandIn(t.site)) throw new Error(`a request went on with the site ${JSON.stringify(t.site.slice(0, 200))}`);
            if (accepted) steps.count(`${t.kind} accepted`);
            const card = accepted ? await run.next('chat.postMessage', from, (c) => c.args.channel === APPROVAL_CHANNEL && /^Request #/.test(String(c.args.text))) : undefined;
            if (card) steps.count(`card then ${t.decision}`);
            if (card && t.decision === 'approve') await run.click(card, ACTION.approveRequest, ADMIN);
            if (card && t.decision === 'deny') {
              const opening = run.mark();
              await run.click(card, ACTION.denyRequest, ADMIN);
              const deny = await run.next('views.open', opening, (c) => (c.args.view as { callback_id?: string }).callback_id === CALLBACK.denyModal);
              if (deny?.response.ok) await run.submit(deny.response.view as Record<string, unknown>, { [DENY_BLOCK.reason]: t.denyReason });
            }
            if (card && t.decision === 'withdraw') {
              const receipt = await run.next('chat.postMessage', from, (c) => c.args.channel === world.slack.dmChannelFor(MEMBER) && /Your request #/.test(String(c.args.text)));
              if (receipt) await run.click(receipt, ACTION.withdrawRequest, MEMBER);
            }
            await world.bot.tasks.idle();
            // Both lists show every request with what was typed in it.
            await run.command('requests', ADMIN);
            await run.command('requests', MEMBER);
          }
          await fuzz.check(since, { acks: run.acks });
        }),
        fuzzOptions(CI_RUNS),
      );
      steps.report('request form');
    },
    budgetMs(CI_RUNS, 3000),
  );
});

describe('the rotate form', () => {
  const CI_RUNS = 25;
  it(
    'API token and service account: refused, advised or rotated in time, typed secret never shown',
    async () => {
      const { world } = fuzz;
      const typed = fc.record({
        connection: fc.constantFrom('Jira tokens', 'Jira robot'),
        secret: fc.oneof({ weight: 1, arbitrary: fc.constantFrom(TOKEN, CLIENT_SECRET) }, { weight: 3, arbitrary: secretText }),
        expiry: validOr(daysFromNow(150)),
        scoped: fc.boolean(),
      });
      await fc.assert(
        fc.asyncProperty(typed, async (t) => {
          const since = fuzz.mark();
          const run = new Run(world);
          const form = await run.openWith(`rotate ${t.connection}`, CALLBACK.rotateModal);
          if (form) {
            const answers: Record<string, AnswerValue> = { [ROTATE_BLOCK.secret]: t.secret };
            if (t.connection === 'Jira tokens') Object.assign(answers, { [ROTATE_BLOCK.tokenExpiry]: t.expiry, [ROTATE_BLOCK.tokenScoped]: t.scoped ? [SCOPED_TOKEN_VALUE] : [] });
            await run.submit(form, answers);
          }
          await fuzz.check(since, { acks: run.acks, secrets: t.secret.startsWith('SECRET-') ? [t.secret] : [] });
        }),
        fuzzOptions(CI_RUNS),
      );
    },
    budgetMs(CI_RUNS, 2000),
  );
});
