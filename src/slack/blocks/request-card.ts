import type { Button, ConfirmationDialog, KnownBlock, ModalView } from '@slack/types';
import { REQUEST_KIND_LABELS, type RequestDetails } from '../../core/access-request.js';
import { SPOKES } from '../../core/spoke-catalogue.js';
import type { AccessRequest } from '../../store/spoke-store.js';
import { ACTION, CALLBACK, DENY_BLOCK, SETUP_INPUT_ACTION } from '../ids.js';
import { SLASH_COMMAND } from '../surface.js';
import { CONFIRM_LIMITS, confirmDialog, namesWithin } from './confirm.js';
import type { Message } from './setup-messages.js';
import { INPUT_TEXT_LIMIT, escapeMrkdwn, escapeMrkdwnKeepingMentions, mentionUser, textSections } from './text-sections.js';

/** What was asked for, as mrkdwn: the typed parts (site, team, groups, scopes, connection) escaped. */
export function describeDetails(details: RequestDetails): string {
  switch (details.kind) {
    case 'new_connection':
      return `${SPOKES[details.spoke].label} at ${escapeMrkdwn(details.site)}, for ${escapeMrkdwn(details.team)}`;
    case 'confluence_group':
      return `group(s) ${escapeMrkdwn(details.groups.join(', '))} on ${escapeMrkdwn(details.connection)}`;
    case 'more_scopes':
      return `scopes ${escapeMrkdwn(details.scopes.join(' '))} on ${escapeMrkdwn(details.connection)}`;
  }
}

const STATE_LINE: Record<AccessRequest['state'], string> = {
  open: ':hourglass: waiting for an approver',
  approved: ':white_check_mark: approved',
  denied: ':no_entry_sign: denied',
  withdrawn: ':leftwards_arrow_with_hook: withdrawn by the requester',
  expired: ':zzz: expired undecided',
};

/** Who a request's outcome may mention: its requester, its approver, and the admin a setup was handed to. */
function outcomePeople(request: AccessRequest): string[] {
  const handedTo = /^setup handed by <@[UW][A-Z0-9]+> to <@([UW][A-Z0-9]+)>$/.exec(request.outcome ?? '')?.[1];
  return [request.requester, ...(request.decidedBy ? [request.decidedBy] : []), ...(handedTo ? [handedTo] : [])];
}

/** The card in the approvers' channel; once decided it says who, when and what came of it, without buttons. */
export function requestCard(request: AccessRequest): Message {
  const id = String(request.id);
  const head = `*Request #${id}* from ${mentionUser(request.requester)}: ${REQUEST_KIND_LABELS[request.details.kind]}`;
  const lines = [head, describeDetails(request.details), `> ${escapeMrkdwn(request.reason).replace(/\n/g, '\n> ')}`];
  const decided = request.decidedBy ? ` by ${mentionUser(request.decidedBy)}` : '';
  const when = request.decidedAt ? ` at ${escapeMrkdwn(request.decidedAt.slice(0, 16).replace('T', ' '))} UTC` : '';
  lines.push(`${STATE_LINE[request.state]}${decided}${when}`);
  if (request.denyReason) lines.push(`Reason: ${escapeMrkdwn(request.denyReason)}`);
  // The outcome is the bot's sentence naming the approver (and, for a hand-off, the admin it went
  // to), or names and ServiceNow's words: only those people's mentions stay mentions.
  if (request.outcome) lines.push(`Outcome: ${escapeMrkdwnKeepingMentions(request.outcome, outcomePeople(request))}`);
  // A long reason or scope list takes more sections rather than losing the decision line at its end.
  const blocks: KnownBlock[] = textSections(lines);
  if (request.state === 'open') {
    blocks.push({
      type: 'actions',
      elements: [
        { type: 'button', action_id: ACTION.approveRequest, style: 'primary', text: { type: 'plain_text', text: 'Approve' }, value: id, confirm: approveConfirm(request) },
        { type: 'button', action_id: ACTION.denyRequest, style: 'danger', text: { type: 'plain_text', text: 'Deny' }, value: id },
      ],
    });
  }
  return { text: `Request #${id}: ${REQUEST_KIND_LABELS[request.details.kind]} (${request.state})`, blocks };
}

export function requestReceivedMessage(request: AccessRequest): Message {
  const text = `Your request #${request.id} (${describeDetails(request.details)}) is with the approvers. I'll tell you here when it is decided.`;
  return {
    text,
    blocks: [
      // Escaping lengthens a typed team; a long one takes more sections rather than being refused.
      ...textSections([`:inbox_tray: ${text}`]),
      { type: 'actions', elements: [withdrawButton(request)] },
    ],
  };
}

/** Slack asks before it sends the click, saying what the approval sets going for this kind of request. */
export function approveConfirm(request: AccessRequest): ConfirmationDialog {
  const details = request.details;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  // The typed lists come last, where the count before them stays whole if they are cut short.
  const withNames = (head: string, label: string, names: readonly string[]) => `${head} ${label}: ${namesWithin(names, CONFIRM_LIMITS.text - head.length - label.length - 4)}.`;
  let text: string;
  switch (details.kind) {
    case 'new_connection':
      text = `Approve a new ${SPOKES[details.spoke].label} connection at ${details.site} for ${details.team}? Nothing is written yet: the requester is told, and you get a button that opens the setup form.`;
      break;
    case 'confluence_group':
      text = withNames(`Approve and write ${plural(details.groups.length, 'group')} into ServiceNow's Confluence Groups table for ${details.connection}?`, 'Groups', details.groups);
      break;
    case 'more_scopes':
      text = withNames(`Approve ${plural(details.scopes.length, 'more scope')} on ${details.connection}? Nothing is written yet: you get the plan of scope records to confirm, then a fresh consent link.`, 'Scopes', details.scopes);
      break;
  }
  return confirmDialog({ title: `Approve request #${request.id}?`, text, confirm: 'Approve', deny: 'Not yet' });
}

/** Withdraw acts at once and cannot be undone (a withdrawn request stays withdrawn), so Slack asks first. */
export function withdrawButton(request: AccessRequest): Button {
  return {
    type: 'button',
    action_id: ACTION.withdrawRequest,
    text: { type: 'plain_text', text: 'Withdraw' },
    value: String(request.id),
    confirm: confirmDialog({
      title: `Withdraw request #${request.id}?`,
      text: `Withdraw your request #${request.id}? The approvers can no longer decide it, and it cannot be reopened: to ask again, use ${SLASH_COMMAND} request.`,
      confirm: 'Withdraw',
      deny: 'Keep it',
      danger: true,
    }),
  };
}

export function reannounceMessage(request: AccessRequest): Message {
  const text = `Still undecided: request #${request.id} from ${mentionUser(request.requester)} (${describeDetails(request.details)}).`;
  return { text, blocks: textSections([`:bell: ${text} The buttons are on the card above.`]) };
}

export function denyModal(request: AccessRequest, card: { channel: string; ts: string } | undefined): ModalView {
  return {
    type: 'modal',
    callback_id: CALLBACK.denyModal,
    title: { type: 'plain_text', text: `Deny request #${request.id}`.slice(0, 24) },
    submit: { type: 'plain_text', text: 'Deny' },
    close: { type: 'plain_text', text: 'Cancel' },
    private_metadata: JSON.stringify({ id: request.id, ...(card ? { card } : {}) }),
    blocks: [
      ...textSections([`${mentionUser(request.requester)} asked for ${describeDetails(request.details)}.`]),
      {
        type: 'input',
        block_id: DENY_BLOCK.reason,
        label: { type: 'plain_text', text: 'Why not?' },
        hint: { type: 'plain_text', text: 'The requester reads this.' },
        element: { type: 'plain_text_input', action_id: SETUP_INPUT_ACTION, multiline: true, max_length: INPUT_TEXT_LIMIT },
      },
    ],
  };
}
