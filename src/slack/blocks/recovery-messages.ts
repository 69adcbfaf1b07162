import type { KnownBlock } from '@slack/types';
import type { PendingSetup, Rotation } from '../../store/spoke-store.js';
import { SLASH_COMMAND } from '../surface.js';
import { ACTION } from '../ids.js';
import type { Message } from './setup-messages.js';
import { outcomeCounts, recordLines } from './setup-messages.js';
import { escapeMrkdwn as e, textContexts, textSections } from './text-sections.js';

/**
 * What the admin hears when a setup or a rotation did not end the way it was going: cut off by a
 * restart, stopped by an error no step handles, or left idle until its secret was wiped. Each
 * says what happened, what is already in ServiceNow, and the one thing to do next.
 */

function reopenButton(setupId: string): KnownBlock {
  return { type: 'actions', elements: [{ type: 'button', action_id: ACTION.reopenSetup, style: 'primary', text: { type: 'plain_text', text: 'Open the setup again' }, value: setupId }] };
}

/** The records a setup got into ServiceNow before it ended, if any: a new setup of the same name finds them. */
function recordsSoFar(written: PendingSetup['written']): string[] {
  if (written.length === 0) return ['Nothing was written to ServiceNow.'];
  return [`*Already in ServiceNow* (${written.length}: ${outcomeCounts(written)}). A setup with the same connection name finds and reuses them:`, ...recordLines(written)];
}

export function checkInterruptedMessage(setup: PendingSetup): Message {
  const text = `The setup of ${e(setup.connectionName)} was interrupted: spokebot restarted while checking ${e(setup.siteOrigin)}.`;
  return {
    text,
    blocks: [
      ...textSections([
        `:warning: *Setup interrupted.* spokebot restarted while it was checking ${e(setup.siteOrigin)} for *${e(setup.connectionName)}*, so the check never finished.`,
        'Nothing was written to ServiceNow, and spokebot wiped the secret you entered rather than keep it for a check nobody is waiting on.',
      ]),
      reopenButton(setup.id),
      ...textContexts(['The form opens with your answers filled in; enter the secret again.']),
    ],
  };
}

export function setupExpiredMessage(setup: PendingSetup): Message {
  const why = setup.failure?.message ?? 'it was left unfinished too long';
  const text = `The setup of ${e(setup.connectionName)} expired: ${e(why)}.`;
  return {
    text,
    blocks: [
      ...textSections([`:hourglass: *Setup of ${e(setup.connectionName)} expired:* ${e(why)}. spokebot wiped its secret.`]),
      ...textSections(recordsSoFar(setup.written)),
      reopenButton(setup.id),
      ...textContexts(['The form opens with your answers filled in; enter the secret again.']),
    ],
  };
}

/** The site check failed in a way no step handles and the form could not go back into the modal. */
export function checkFailedMessage(setup: PendingSetup): Message {
  const failure = setup.failure ?? { message: 'the check failed', hint: 'Submit the form again.' };
  const text = `The check of ${e(setup.connectionName)} failed: ${e(failure.message)}.`;
  return {
    text,
    blocks: [...textSections([`:x: *The check of ${e(setup.connectionName)} failed:* ${e(failure.message)}. Nothing was written.`, `*What to do:* ${e(failure.hint)}`]), reopenButton(setup.id)],
  };
}

/** The consent watch stopped on an error no step handles: Try again starts a fresh watch. */
export function consentWatchStoppedMessage(setup: PendingSetup): Message {
  const failure = setup.failure ?? { message: 'spokebot stopped watching for consent', hint: 'Press Try again.' };
  const text = `${e(failure.message)}.`;
  return {
    text,
    blocks: [
      ...textSections([`:x: ${text} *What to do:* ${e(failure.hint)}`]),
      { type: 'actions', elements: [{ type: 'button', action_id: ACTION.retryConsent, text: { type: 'plain_text', text: 'Try again' }, value: setup.id }] },
    ],
  };
}

/** After a restart: the plan goes to the DM when the modal that showed it is gone. */
export function planAgainNote(connectionName: string): string {
  return `spokebot restarted while the plan for *${e(connectionName)}* waited for you. Nothing was written yet; Confirm still works:`;
}

/** A rotation cut off by a restart: what ServiceNow may hold now, and the command that settles it. */
export function rotationInterruptedMessage(rotation: Rotation): Message {
  const name = e(rotation.connection);
  const again = `\`${SLASH_COMMAND} rotate ${name}\``;
  let what: string;
  if (rotation.kind === 'reconsent') {
    what = `spokebot restarted before the fresh consent link for *${name}* reached you, so nobody is watching for it. Run ${again} again for a new link.`;
  } else if (rotation.step === 'verifying') {
    what = `spokebot restarted while signing in once with the new credential for *${name}*. Nothing was written: ServiceNow and spokebot still use the old credential. Run ${again} again.`;
  } else {
    what =
      `spokebot restarted while writing the new credential of *${name}* to ServiceNow. ServiceNow may now hold the new credential or still the old one, ` +
      `and spokebot's health checks still use the old one. Run ${again} again with the new credential: it is checked and written again, and both agree after it.`;
  }
  const text = `The rotation of ${name} was interrupted; run ${SLASH_COMMAND} rotate ${name} again.`;
  return { text, blocks: textSections([`:warning: *Rotation of ${name} interrupted.* ${what}`]) };
}
