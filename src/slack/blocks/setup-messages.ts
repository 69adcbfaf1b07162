import type { KnownBlock } from '@slack/types';
import type { AuthMethod } from '../../core/spoke-catalogue.js';
import type { WrittenRecord } from '../../servicenow/plan-writer.js';
import { ACTION } from '../ids.js';

export interface Message {
  text: string;
  blocks: KnownBlock[];
}

const section = (text: string): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text } });

export function recordLines(written: readonly WrittenRecord[]): string {
  if (written.length === 0) return '_none yet_';
  return written.map((r) => `• \`${r.table}\` ${r.label} (${r.outcome}, \`${r.sysId}\`)`).join('\n');
}

export function threadRootMessage(connectionName: string, spokeLabel: string, instanceUrl: string): Message {
  const text = `Setting up *${connectionName}* (${spokeLabel}) in ${instanceUrl}`;
  return { text, blocks: [section(`:gear: ${text}`)] };
}

export function recordsWrittenMessage(written: readonly WrittenRecord[]): Message {
  const text = `Wrote ${written.length} records to ServiceNow.`;
  return { text, blocks: [section(`${text}\n${recordLines(written)}`.slice(0, 3000))] };
}

export function writeFailedMessage(setupId: string, problem: string, hint: string, written: readonly WrittenRecord[]): Message {
  const text = `Setup stopped: ${problem}`;
  return {
    text,
    blocks: [
      section(`:x: *Setup stopped.* ${problem}\n*What to do:* ${hint}`),
      section(`*Already in ServiceNow* (Retry keeps these and carries on):\n${recordLines(written)}`.slice(0, 3000)),
      { type: 'actions', elements: [{ type: 'button', action_id: ACTION.retrySetup, style: 'primary', text: { type: 'plain_text', text: 'Retry' }, value: setupId }] },
    ],
  };
}

export function consentMessage(setupId: string, link: string, timeoutText: string): Message {
  const text = 'Records are in. One click left: consent at Atlassian through ServiceNow.';
  return {
    text,
    blocks: [
      section(`:key: ${text}\nYou sign in to ServiceNow, Atlassian asks you to accept the scopes, and ServiceNow stores the tokens. I'll watch for ${timeoutText}.`),
      {
        type: 'actions',
        elements: [{ type: 'button', action_id: ACTION.openConsent, style: 'primary', text: { type: 'plain_text', text: 'Consent in ServiceNow' }, url: link, value: setupId }],
      },
    ],
  };
}

const CONNECTED_BECAUSE: Record<AuthMethod, string> = {
  oauth_3lo: 'ServiceNow holds a refresh token',
  api_token: 'the API token signed in and ServiceNow holds it',
  service_account: 'the service account signed in and ServiceNow holds its credential',
};

export function connectedMessage(connectionName: string, siteOrigin: string, method: AuthMethod): Message {
  const text = `${connectionName} is connected: ${CONNECTED_BECAUSE[method]} for ${siteOrigin}.`;
  return { text, blocks: [section(`:white_check_mark: ${text.replace(connectionName, `*${connectionName}*`)}`)] };
}

export function channelConnectedMessage(connectionName: string, spokeLabel: string, siteOrigin: string, adminId: string): Message {
  const text = `${connectionName} (${spokeLabel}, ${siteOrigin}) is connected. This channel will hear about its health.`;
  return { text, blocks: [section(`:white_check_mark: *${connectionName}* (${spokeLabel}, ${siteOrigin}) was connected by <@${adminId}>. This channel will hear about its health.`)] };
}

/** With a setup id, a Try again button; without (a re-consent), the way to start again. */
export function consentTimeoutMessage(setupId: string | undefined, callbackUrl: string, waited: string, again?: string): Message {
  const text = `No refresh token reached ServiceNow within ${waited}.`;
  return {
    text,
    blocks: [
      section(
        `:hourglass: ${text} The usual causes:\n` +
          `• the Atlassian app's callback URL is not \`${callbackUrl}\`\n` +
          `• a scope in the plan is not enabled on the Atlassian app (consent ends on "Something went wrong")\n` +
          `• the client secret is wrong (ServiceNow shows "OAuth token request failed" after consent)\n` +
          'Fix it, then try again: the records stay as they are.',
      ),
      setupId
        ? { type: 'actions', elements: [{ type: 'button', action_id: ACTION.retryConsent, text: { type: 'plain_text', text: 'Try again' }, value: setupId }] }
        : { type: 'context', elements: [{ type: 'mrkdwn', text: again ?? 'Start again when it is fixed.' }] },
    ],
  };
}

export function plainMessage(text: string): Message {
  return { text, blocks: [section(text)] };
}
