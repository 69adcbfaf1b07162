import type { ConfirmationDialog } from '@slack/types';

/** Slack's limits on a confirmation dialog: a part past one makes Slack refuse the whole message. */
export const CONFIRM_LIMITS = { title: 100, text: 300, button: 30 } as const;

export interface ConfirmWords {
  title: string;
  /** What will happen, as a question; names typed by people are shown as they are (plain text). */
  text: string;
  confirm: string;
  deny?: string;
  /** For what cannot be taken back: Slack draws the confirm button red. */
  danger?: boolean;
}

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/**
 * The dialog Slack shows before it sends a click on a button that acts at once (writes to
 * ServiceNow, withdraws, cancels). Every part is plain text, so a typed name in it is never
 * markup; each is clipped to Slack's limit, since names and group lists can be long and a dialog
 * past a limit makes Slack refuse the whole message.
 */
export function confirmDialog(words: ConfirmWords): ConfirmationDialog {
  return {
    title: { type: 'plain_text', text: clip(words.title, CONFIRM_LIMITS.title) },
    text: { type: 'plain_text', text: clip(words.text, CONFIRM_LIMITS.text) },
    confirm: { type: 'plain_text', text: clip(words.confirm, CONFIRM_LIMITS.button) },
    deny: { type: 'plain_text', text: clip(words.deny ?? 'Not now', CONFIRM_LIMITS.button) },
    ...(words.danger ? { style: 'danger' as const } : {}),
  };
}

/**
 * Typed names for the end of a dialog's text: as many as fit in `room` characters, then "and N
 * more", so a long list ends in a count rather than mid-name (a first name too long for the
 * room alone is clipped).
 */
export function namesWithin(names: readonly string[], room: number): string {
  if (names.join(', ').length <= room) return names.join(', ');
  let shown = 0;
  while (shown < names.length && `${names.slice(0, shown + 1).join(', ')} and ${names.length - shown - 1} more`.length <= room) shown += 1;
  if (shown > 0) return `${names.slice(0, shown).join(', ')} and ${names.length - shown} more`;
  const tail = names.length > 1 ? ` and ${names.length - 1} more` : '';
  return `${clip(names[0] ?? '', Math.max(1, room - tail.length))}${tail}`;
}
