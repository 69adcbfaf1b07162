import type { Button, KnownBlock } from '@slack/types';
import type { CheckResult, Expiry, FixAction, HealthState } from '../../core/health.js';
import { expiryDay, inDays, nextExpiry, zoneLabel } from '../../core/health.js';
import type { DueReminder } from '../../core/reminders.js';
import { AUTH_METHOD_LABELS, SPOKES } from '../../core/spoke-catalogue.js';
import type { Connection, HealthRecord } from '../../store/spoke-store.js';
import { SLASH_COMMAND } from '../surface.js';
import { ACTION, REPORT_CHANNEL_BLOCK } from '../ids.js';
import type { Message } from './setup-messages.js';
import { escapeMrkdwn, mentionChannel, mentionUser, textSections } from './text-sections.js';

export const STATE_EMOJI: Record<HealthState, string> = { ok: ':large_green_circle:', warning: ':large_yellow_circle:', failing: ':red_circle:' };
const CHECK_EMOJI: Record<CheckResult['status'], string> = { ok: ':white_check_mark:', warning: ':warning:', failing: ':x:', skipped: ':heavy_minus_sign:' };
const CHECK_LABEL: Record<CheckResult['check'], string> = {
  records: 'ServiceNow records',
  scopes: 'Scopes',
  site: 'Site',
  refresh_token: 'Refresh token',
  credential: 'Sign-in',
};
const EXPIRY_LABEL: Record<Expiry['kind'], string> = {
  api_token: 'API token expires',
  refresh_idle: 'refresh token dies if unused',
  refresh_cap: 'refresh token reaches 365 days',
};

const button = (text: string, actionId: string, value: string, style?: 'primary' | 'danger'): Button => ({
  type: 'button',
  action_id: actionId,
  text: { type: 'plain_text', text },
  value,
  ...(style ? { style } : {}),
});

/** The button for a fix, or nothing when the fix is a command (a new setup). */
export function fixButton(fix: FixAction | undefined, connection: Connection): Button | undefined {
  switch (fix) {
    case 'reconsent':
      return button('Re-consent', ACTION.fixReconsent, connection.name, 'primary');
    case 'rotate':
      return button('Rotate credential', ACTION.fixRotate, connection.name, 'primary');
    case 'check_now':
      return button('Check now', ACTION.checkNow, connection.name);
    default:
      return undefined;
  }
}

export function expiryText(expiry: Expiry | undefined): string {
  if (!expiry) return 'no known expiry';
  // An API token's day is the one its admin typed, which ends at midnight in their zone.
  const zone = expiry.kind === 'api_token' && expiry.zone ? ` (end of day, ${escapeMrkdwn(zoneLabel(expiry.zone))})` : '';
  return `${EXPIRY_LABEL[expiry.kind]} ${escapeMrkdwn(expiryDay(expiry))}${zone}`;
}

/** Summaries quote ServiceNow and Atlassian (scope rows, URLs, error messages): shown as text. */
export function checkLines(checks: readonly CheckResult[]): string[] {
  return checks.map((c) => `${CHECK_EMOJI[c.status]} *${CHECK_LABEL[c.check]}*: ${escapeMrkdwn(c.summary)}`);
}

/** A state change, posted once to the connection's channel: what broke and the one fix. */
export function stateChangeMessage(connection: Connection, record: HealthRecord, kind: 'failing' | 'warning' | 'recovered'): Message {
  const name = escapeMrkdwn(connection.name);
  const headline = kind === 'recovered' ? `${STATE_EMOJI.ok} *${name}* has recovered.` : `${STATE_EMOJI[record.state]} *${name}* is ${record.state}.`;
  const problems = record.checks.filter((c) => c.status === 'failing' || c.status === 'warning');
  const fix = problems.find((c) => c.fix)?.fix;
  // A scope-drift summary lists both scope lists in full, so the checks may take several sections.
  const blocks: KnownBlock[] = textSections([headline, ...checkLines(kind === 'recovered' ? record.checks.filter((c) => c.status === 'ok') : problems)]);
  const actions = [fixButton(fix, connection), button('Check now', ACTION.checkNow, connection.name)].filter((b, i, all): b is Button => Boolean(b) && all.findIndex((x) => x?.action_id === b!.action_id) === i);
  if (kind !== 'recovered') {
    if (fix === 'setup') blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `Fix: run \`${SLASH_COMMAND} setup ${escapeMrkdwn(connection.spoke)}\` again for this connection.` }] });
    blocks.push({ type: 'actions', elements: actions });
  }
  return { text: kind === 'recovered' ? `${name} has recovered.` : `${name} is ${record.state}.`, blocks };
}

export function reminderMessage(connection: Connection, due: DueReminder): Message {
  const what = EXPIRY_LABEL[due.expiry.kind];
  const name = escapeMrkdwn(connection.name);
  const zone = due.expiry.kind === 'api_token' && due.expiry.zone ? ` (end of day, ${escapeMrkdwn(zoneLabel(due.expiry.zone))})` : '';
  const note = due.expiry.note ? ` ${escapeMrkdwn(due.expiry.note)}` : '';
  const when = `${what} on ${escapeMrkdwn(expiryDay(due.expiry))}${zone}, ${inDays(due.daysLeft)}.${note}`;
  const fix = due.expiry.kind === 'api_token' ? fixButton('rotate', connection) : fixButton('reconsent', connection);
  return {
    text: `${name}: ${when}`,
    blocks: [
      ...textSections([`:alarm_clock: *${name}*: ${when}`]),
      ...(fix ? [{ type: 'actions' as const, elements: [fix] }] : []),
    ],
  };
}

/** Why a report channel refused the bot, and what a person does about it. */
function channelRefusalAdvice(error: string, channel: string): { why: string; fix: string } {
  const here = mentionChannel(channel);
  switch (error) {
    case 'is_archived':
      return { why: 'it is archived', fix: `unarchive ${here}` };
    case 'not_in_channel':
      return { why: 'I am not in it', fix: `invite me with \`/invite @spokebot\` in ${here}` };
    case 'channel_not_found':
      return { why: 'I cannot see it (a private channel I was not invited to, or one that is gone)', fix: `invite me with \`/invite @spokebot\` in ${here}` };
    case 'missing_scope':
      return { why: 'Slack did not grant me the permission to post there', fix: 'reinstall the app from manifest.yml' };
    default:
      return { why: `Slack refused (${escapeMrkdwn(error)})`, fix: `invite me with \`/invite @spokebot\` in ${here}` };
  }
}

/**
 * A health notice as DM'd to the admin: the same message, and, when the connection's report
 * channel refused it, what happened there and a picker to send the reports somewhere else.
 */
export function noticeForAdmin(connection: Connection, message: Message, refusal: { channel: string; error: string } | undefined): Message {
  if (!refusal) return message;
  const { why, fix } = channelRefusalAdvice(refusal.error, refusal.channel);
  const note = `:warning: I could not post this in ${mentionChannel(refusal.channel)}: ${why} (\`${escapeMrkdwn(refusal.error)}\`). To fix it, ${fix}, or pick another channel for *${escapeMrkdwn(connection.name)}*'s reports here:`;
  const blockId = `${REPORT_CHANNEL_BLOCK}${connection.name}`;
  // Slack takes block ids of 255 characters; a longer name gets the advice without the picker.
  if (blockId.length > 255) return { text: message.text, blocks: [...message.blocks, ...textSections([note.replace(/, or pick another channel.*$/, '.')])] };
  return {
    text: message.text,
    blocks: [
      ...message.blocks,
      ...textSections([note]),
      {
        type: 'actions',
        block_id: blockId,
        elements: [
          {
            type: 'conversations_select',
            action_id: ACTION.pickReportChannel,
            placeholder: { type: 'plain_text', text: 'Report to another channel' },
            filter: { include: ['public', 'private'], exclude_bot_users: true },
          },
        ],
      },
    ],
  };
}

/** Posted in the channel a connection's reports were moved to, which also proves the bot may post there. */
export function reportChannelMovedMessage(connection: Connection, by: string): Message {
  const text = `This channel now hears about the health of ${escapeMrkdwn(connection.name)} (moved here by ${mentionUser(by)}).`;
  return { text, blocks: textSections([`:satellite_antenna: ${text}`]) };
}

/** One connection's health as `/spoke status` answers it. */
export function statusBlocks(connection: Connection, record: HealthRecord): KnownBlock[] {
  const spoke = SPOKES[connection.spoke];
  return [
    ...textSections([
      `${STATE_EMOJI[record.state]} *${escapeMrkdwn(connection.name)}* · ${spoke.label} · ${AUTH_METHOD_LABELS[connection.method]} · ${escapeMrkdwn(connection.siteOrigin)}\nchecked ${record.checkedAt.slice(0, 16).replace('T', ' ')} UTC · ${expiryText(nextExpiry(record.expiries))}`,
    ]),
    ...textSections(checkLines(record.checks)),
  ];
}
