import type { ModalView } from '@slack/types';
import { escapeMrkdwn, textSections } from './text-sections.js';

/**
 * Short-lived modals shown while slow work runs after the ack. `message` is mrkdwn: whoever
 * builds it escapes what it quotes; a long one takes more sections.
 */
export function waitingModal(title: string, message: string): ModalView {
  return {
    type: 'modal',
    title: { type: 'plain_text', text: title.slice(0, 24) },
    close: { type: 'plain_text', text: 'Close' },
    blocks: textSections([message]),
  };
}

export function checkingSiteModal(siteOrigin: string, andCredential = false): ModalView {
  const site = escapeMrkdwn(siteOrigin);
  const what = andCredential ? `Looking up the Cloud ID of ${site} and signing in once with the credential…` : `Looking up the Cloud ID of ${site}…`;
  return waitingModal('Checking', `:hourglass_flowing_sand: ${what}\nThe plan appears here in a moment. If you close this, it comes to your DM instead.`);
}

export function writingModal(connectionName: string): ModalView {
  return waitingModal('Writing to ServiceNow', `:gear: Writing the records for *${escapeMrkdwn(connectionName)}*. Follow along in your DM with spokebot; the consent link comes there.`);
}
