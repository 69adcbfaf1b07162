import { cardOwed, isAnnounceBlocker } from '../../core/access-request.js';
import type { AccessRequest } from '../../store/spoke-store.js';
import { describeDetails, withdrawButton } from './request-card.js';
import type { Message } from './setup-messages.js';
import { escapeMrkdwn, mentionChannel, mentionUser, textSections } from './text-sections.js';

/** The request card's message metadata: lets a later run find a card whose post was cut off. */
export const CARD_EVENT_TYPE = 'spoke_request';

/** What stops the card, and what a person does about it. */
export function blockedReason(error: string, channel: string): { what: string; fix: string } {
  switch (error) {
    case 'not_in_channel':
      return { what: `the approvers' channel ${mentionChannel(channel)} does not have spokebot in it`, fix: `ask an admin to \`/invite @spokebot\` in ${mentionChannel(channel)}` };
    case 'channel_not_found':
      return {
        what: `spokebot cannot see the approvers' channel ${mentionChannel(channel)} (a private channel it was not invited to, or one that is gone)`,
        fix: `ask an admin to \`/invite @spokebot\` in ${mentionChannel(channel)}, or to set SPOKE_APPROVAL_CHANNEL to a channel that exists`,
      };
    case 'is_archived':
      return { what: `the approvers' channel ${mentionChannel(channel)} is archived`, fix: 'ask an admin to unarchive it, or to set SPOKE_APPROVAL_CHANNEL to another channel' };
    case 'missing_scope':
      return { what: `Slack did not grant spokebot the permission to post in ${mentionChannel(channel)}`, fix: 'ask an admin to reinstall the app from manifest.yml' };
    default:
      return { what: `Slack refused the card (${escapeMrkdwn(error)})`, fix: 'ask an admin to run `/spoke doctor`' };
  }
}

/** To the requester, once: the request is kept, here is why nobody has seen it yet. */
export function requesterBlockedMessage(request: AccessRequest, error: string, channel: string): Message {
  const { what, fix } = blockedReason(error, channel);
  const text = `Your request #${request.id} (${describeDetails(request.details)}) could not be put in front of the approvers yet: ${what}; ${fix}. Your request is saved and will be announced as soon as it can.`;
  return {
    text,
    blocks: [
      // The details quote the typed team, which escaping lengthens: more sections, never a refusal.
      ...textSections([`:warning: ${text}`]),
      { type: 'actions', elements: [withdrawButton(request)] },
    ],
  };
}

/** To the admins, once per channel and reason: what to fix so the waiting cards go out. */
export function adminBlockedMessage(request: AccessRequest, error: string, channel: string): Message {
  const { what, fix } = blockedReason(error, channel);
  const text = `:warning: Request #${request.id} from ${mentionUser(request.requester)} could not be posted for the approvers: ${what}. To fix it: ${fix.replace(/^ask an admin to /, '')}. spokebot keeps the request and tries again every 30 minutes at most, so its card (and any other waiting for the same reason) goes out soon after.`;
  return { text, blocks: textSections([text]) };
}

const minute = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;

/** For `/spoke requests` and App Home: why an open request's card is not out yet, or undefined once it is. */
export function notAnnouncedLine(request: AccessRequest): string | undefined {
  if (!cardOwed(request)) return undefined;
  const announce = request.announce;
  if (!announce?.lastError) return 'not yet announced: the card is being posted';
  const next = `next try ${minute(announce.nextAttemptAt)}`;
  if (isAnnounceBlocker(announce.lastError)) return `not yet announced: ${blockedReason(announce.lastError, announce.channel ?? '?').what}; ${next}`;
  if (announce.lastError === 'ratelimited') return `not yet announced: Slack is rate-limiting spokebot; ${next}`;
  return `not yet announced: the last try failed (${escapeMrkdwn(announce.lastError)}); ${next}`;
}
