import type { KnownBlock } from '@slack/types';
import type { AuthMethod } from '../../core/spoke-catalogue.js';
import type { WriteOutcome, WrittenRecord } from '../../servicenow/plan-writer.js';
import { ACTION } from '../ids.js';
import { confirmDialog } from './confirm.js';
import { escapeMrkdwn, mentionChannel, mentionUser, mrkdwnLink, textContexts, textSections } from './text-sections.js';
import { recordKindName } from './plan-blocks.js';
import { RECORD_KEYS } from '../../core/record-keys.js';

export interface Message {
  text: string;
  blocks: KnownBlock[];
}

const section = (text: string): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text } });
const e = escapeMrkdwn;

/** One line per record: table, label, what happened to it and its sys_id. */
export function recordLines(written: readonly WrittenRecord[]): string[] {
  if (written.length === 0) return ['_none yet_'];
  // Labels carry the connection name; sys_ids are what ServiceNow answered.
  return written.map((r) => `• \`${e(r.table)}\` ${e(r.label)} (${r.outcome}, \`${e(r.sysId)}\`)`);
}

const OUTCOMES: readonly WriteOutcome[] = ['created', 'updated', 'unchanged', 'found'];

/**
 * "created 21, updated 0, unchanged 0, found 2": what the write did, since a rerun that
 * changes nothing is not "wrote 23 records".
 */
export function outcomeCounts(written: readonly WrittenRecord[]): string {
  return OUTCOMES.map((outcome) => `${outcome} ${written.filter((r) => r.outcome === outcome).length}`).join(', ');
}

export function threadRootMessage(connectionName: string, spokeLabel: string, instanceUrl: string): Message {
  const text = `Setting up *${e(connectionName)}* (${spokeLabel}) in ${e(instanceUrl)}`;
  return { text, blocks: textSections([`:gear: ${text}`]) };
}

/** The records an admin opens after a setup, in this order: what the spoke calls, what signs in, what holds the client. */
const LINKED_RECORDS: readonly string[] = [RECORD_KEYS.connection, RECORD_KEYS.credential, RECORD_KEYS.entity];

/**
 * Links to the records an admin looks at in ServiceNow, by their sys_ids: `{instance}/{table}.do?sys_id=…`
 * opens the record's form. Names are ServiceNow's (HTTP(s) Connection), labels the connection's.
 */
export function recordLinks(written: readonly WrittenRecord[], instanceUrl: string): string[] {
  const base = instanceUrl.replace(/\/+$/, '');
  return LINKED_RECORDS.flatMap((key) => {
    const record = written.find((r) => r.key === key);
    if (!record) return [];
    const url = `${base}/${encodeURIComponent(record.table)}.do?sys_id=${encodeURIComponent(record.sysId)}`;
    return [`${recordKindName(record.table)}: ${mrkdwnLink(url, record.label)}`];
  });
}

/** Every record, however many: the list is split into as many sections as it needs; then links to the ones an admin opens. */
export function recordsWrittenMessage(written: readonly WrittenRecord[], instanceUrl?: string): Message {
  const text = `Records in ServiceNow: ${outcomeCounts(written)}.`;
  const links = instanceUrl ? recordLinks(written, instanceUrl) : [];
  return {
    text,
    blocks: textSections([`*Records in ServiceNow* (${written.length}): ${outcomeCounts(written)}`, ...recordLines(written), ...(links.length > 0 ? ['*Open in ServiceNow:*', ...links.map((l) => `• ${l}`)] : [])]),
  };
}

/**
 * After a failure the admin needs the whole list of what is already there, with its counts.
 * `problem` and `hint` are plain text (they quote ServiceNow's answer and record names).
 */
export function writeFailedMessage(setupId: string, problem: string, hint: string, written: readonly WrittenRecord[]): Message {
  const text = `Setup stopped: ${e(problem)}`;
  return {
    text,
    blocks: [
      ...textSections([`:x: *Setup stopped.* ${e(problem)}`, `*What to do:* ${e(hint)}`]),
      ...textSections([`*Already in ServiceNow* (${written.length}: ${outcomeCounts(written)}). Retry keeps these and carries on:`, ...recordLines(written)]),
      {
        type: 'actions',
        elements: [
          {
            type: 'button',
            action_id: ACTION.retrySetup,
            style: 'primary',
            text: { type: 'plain_text', text: 'Retry' },
            value: setupId,
            // Retry writes to ServiceNow at once, so Slack asks first.
            confirm: confirmDialog({
              title: 'Retry the setup?',
              text: `Write the rest of this setup's records into ServiceNow? ${written.length === 0 ? 'None was written yet.' : `The ${written.length} already there are found and kept, not written twice.`} Then you get the consent link.`,
              confirm: 'Retry',
              deny: 'Not now',
            }),
          },
        ],
      },
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
  const rest = `is connected: ${CONNECTED_BECAUSE[method]} for ${e(siteOrigin)}.`;
  return { text: `${e(connectionName)} ${rest}`, blocks: textSections([`:white_check_mark: *${e(connectionName)}* ${rest}`]) };
}

export function channelConnectedMessage(connectionName: string, spokeLabel: string, siteOrigin: string, adminId: string): Message {
  const what = `${e(connectionName)} (${spokeLabel}, ${e(siteOrigin)})`;
  const text = `${what} is connected. This channel will hear about its health.`;
  return { text, blocks: textSections([`:white_check_mark: *${e(connectionName)}* (${spokeLabel}, ${e(siteOrigin)}) was connected by ${mentionUser(adminId)}. This channel will hear about its health.`]) };
}

/** With a setup id, a Try again button; without (a re-consent), the way to start again (`again` is mrkdwn). */
export function consentTimeoutMessage(setupId: string | undefined, callbackUrl: string, waited: string, again?: string): Message {
  const text = `No refresh token reached ServiceNow within ${waited}.`;
  return {
    text,
    blocks: [
      ...textSections([
        `:hourglass: ${text} The usual causes:\n` +
          `• the Atlassian app's callback URL is not \`${e(callbackUrl)}\`\n` +
          `• a scope in the plan is not enabled on the Atlassian app (consent ends on "Something went wrong")\n` +
          `• the client secret is wrong (ServiceNow shows "OAuth token request failed" after consent)\n` +
          'Fix it, then try again: the records stay as they are.',
      ]),
      ...(setupId
        ? [{ type: 'actions' as const, elements: [{ type: 'button' as const, action_id: ACTION.retryConsent, text: { type: 'plain_text' as const, text: 'Try again' }, value: setupId }] }]
        : textContexts([again ?? 'Start again when it is fixed.'])),
    ],
  };
}

/** A message of mrkdwn `text`: whoever builds it escapes what it quotes (escapeMrkdwn). */
export function plainMessage(text: string): Message {
  return { text, blocks: textSections([text]) };
}

/** I could not post in a channel: how to invite the bot there. */
export function cannotPostMessage(channel: string, code: string): Message {
  return plainMessage(`I could not post in ${mentionChannel(channel)} (${e(code)}). Invite me there with \`/invite @spokebot\` so the channel hears about this connection's health.`);
}
