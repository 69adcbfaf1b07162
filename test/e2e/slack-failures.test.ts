import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CALLBACK, ROTATE_BLOCK } from '../../src/slack/ids.js';
import type { SlackCall } from '../standins/slack-api.js';
import { acceptConsentWithoutBrowser } from '../support/consent.js';
import { apiTokenConnection } from '../support/connections.js';
import { consentUrl, mark, openSetupModal, runCommand, setupAnswers, setupUntilConsent, submitView, waitForMessage, waitForPlanView } from '../support/setup-steps.js';
import { ADMIN, REPORT_CHANNEL, daysFromNow, startWorld, type World } from '../support/world.js';

const EMAIL = 'integration@acme.test';
const TOKEN = 'ATATT3xFfGF0-failures-token-0001';
const NEW_TOKEN = 'ATATT3xFfGF0-failures-token-0002';

let world: World;
beforeEach(async () => {
  world = await startWorld();
});
afterEach(async () => {
  await world.close();
});

const after = (since: number) => (c: SlackCall) => world.slack.calls.indexOf(c) >= since;

/** The person was told through this path (the Slack call that carried it), with this text. */
interface Told {
  /** views.update: the modal the person is looking at says it. */
  path: 'response_url' | 'chat.postEphemeral' | 'chat.postMessage' | 'views.update';
  text: RegExp;
  /** For chat.postEphemeral and chat.postMessage: the channel it went to. */
  channel?: () => string;
}

interface Row {
  failure: string;
  /** Sets the fault and does what the person did; returns the mark to look for the answer after. */
  act: () => Promise<number>;
  told: Told;
  /** What must not have happened because of it. */
  also?: (since: number) => void | Promise<void>;
}

async function tokenConnection(): Promise<void> {
  world.atlassian.addApiToken({ email: EMAIL, token: TOKEN });
  world.atlassian.addApiToken({ email: EMAIL, token: NEW_TOKEN });
  await apiTokenConnection(world, { name: 'Jira token', email: EMAIL, token: TOKEN, expiresOn: daysFromNow(100) });
}

const rows: Row[] = [
  {
    failure: 'views.open → expired_trigger_id',
    act: async () => {
      world.slack.faults.next({ method: 'views.open', error: 'expired_trigger_id' });
      const since = mark(world);
      await runCommand(world, 'setup confluence');
      return since;
    },
    told: { path: 'response_url', text: /Slack took too long to open the setup form; run the command again\./ },
  },
  {
    failure: 'views.open → 429 with Retry-After: 30 (not waited out: the trigger would be dead)',
    act: async () => {
      world.slack.faults.next({ method: 'views.open', status: 429, headers: { 'retry-after': '30' } });
      const since = mark(world);
      await runCommand(world, 'setup jira');
      return since;
    },
    told: { path: 'response_url', text: /Slack is limiting how often spokebot may call it, so it could not open the setup form\. Try again in 30 seconds\./ },
  },
  {
    failure: 'chat.postMessage to the report channel → not_in_channel (a setup announcing itself)',
    act: async () => {
      world.slack.faults.next({ method: 'chat.postMessage', channel: REPORT_CHANNEL, error: 'not_in_channel' });
      const since = mark(world);
      await tokenConnection();
      return since;
    },
    told: { path: 'chat.postMessage', channel: () => world.slack.dmChannelFor(ADMIN), text: /could not post in .*C0REPORTS.*not_in_channel.*\/invite @spokebot/ },
  },
  {
    failure: 'chat.postMessage to the report channel → channel_not_found (a rotation told there)',
    act: async () => {
      await tokenConnection();
      const since = mark(world);
      await runCommand(world, 'rotate Jira token');
      const modal = (await world.slack.waitForCall('views.open', after(since))).response.view as Record<string, unknown>;
      world.slack.faults.next({ method: 'chat.postMessage', channel: REPORT_CHANNEL, error: 'channel_not_found' });
      await submitView(world, modal, { [ROTATE_BLOCK.secret]: NEW_TOKEN, [ROTATE_BLOCK.tokenExpiry]: daysFromNow(200) });
      return since;
    },
    told: { path: 'views.update', text: /now uses the new credential.*could not tell .*C0REPORTS.*channel_not_found.*\/invite @spokebot/ },
  },
  {
    failure: 'conversations.open → user_not_found (the DM thread of a setup, at Confirm)',
    act: async () => {
      const form = await openSetupModal(world);
      await submitView(world, form, setupAnswers(world));
      const plan = await waitForPlanView(world, String(form.id));
      world.slack.faults.next({ method: 'conversations.open', error: 'user_not_found' });
      const since = mark(world);
      await submitView(world, plan, {});
      return since;
    },
    told: { path: 'chat.postEphemeral', channel: () => REPORT_CHANNEL, text: /could not open a direct message with you \(user_not_found\), so spokebot cannot show you .*Confluence acme.*Run `\/spoke setup confluence` again/ },
    // Nothing was written: the thread is opened before the first write.
    also: () => expect(world.serviceNow.requests.filter((r) => r.method !== 'GET')).toEqual([]),
  },
  {
    failure: 'conversations.open → cannot_dm_bot (/spoke rotate of a 3LO connection)',
    act: async () => {
      const consent = await setupUntilConsent(world);
      await acceptConsentWithoutBrowser(consentUrl(consent));
      await waitForMessage(world, /is connected/);
      await world.bot.tasks.idle();
      world.slack.faults.next({ method: 'conversations.open', error: 'cannot_dm_bot' });
      const since = mark(world);
      await runCommand(world, 'rotate Confluence acme');
      return since;
    },
    told: { path: 'response_url', text: /could not open a direct message with you \(cannot_dm_bot\), so the fresh consent link cannot reach you/ },
    also: async () => expect((await world.bot.store.auditTrail()).filter((e) => e.action === 'connection.reconsent_started')).toEqual([]),
  },
  {
    failure: 'every call → invalid_auth (the bot token refused)',
    act: async () => {
      world.slack.refuseBotToken('invalid_auth');
      const since = mark(world);
      await runCommand(world, 'setup confluence');
      return since;
    },
    told: { path: 'response_url', text: /Slack refused spokebot's token \(invalid_auth\), so it could not open the setup form\. An admin should run `spokebot doctor`/ },
    also: (since) => {
      world.slack.refuseBotToken(undefined);
      // Told through the response_url, which needs no token; not tried again, no other path tried.
      expect(world.slack.calls.slice(since).filter((c) => c.method === 'views.open')).toHaveLength(1);
      expect(world.slack.calls.slice(since).filter((c) => c.method === 'chat.postEphemeral' || c.method === 'conversations.open')).toEqual([]);
    },
  },
];

describe('when Slack refuses or stalls, the person who acted is told', () => {
  for (const row of rows) {
    it(`${row.failure}`, async () => {
      const since = await row.act();
      const { path, text, channel } = row.told;
      const said = (c: SlackCall) => (path === 'views.update' ? JSON.stringify(c.args.view) : String(c.args.text));
      const told = await world.slack.waitForCall(path, (c) => after(since)(c) && (channel === undefined || c.args.channel === channel()) && text.test(said(c)), 10_000);
      if (path === 'response_url') expect(told.args).toMatchObject({ response_type: 'ephemeral', replace_original: false });
      if (path === 'chat.postEphemeral') expect(told.args.user).toBe(ADMIN);
      await world.bot.tasks.idle();
      await row.also?.(since);

      // And the bot keeps serving: a command is answered and a form opens.
      const list = await runCommand(world, 'list');
      expect(list.json).toMatchObject({ response_type: 'ephemeral' });
      const form = await openSetupModal(world, 'jsm');
      expect(form).toMatchObject({ callback_id: CALLBACK.setupModal });
      expect((await fetch(`${world.botUrl}/healthz`)).status).toBe(200);
    });
  }
});
