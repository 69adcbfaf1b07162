import type { KnownBlock, ModalView } from '@slack/types';
import { SPOKES, type SpokeId } from '../../core/spoke-catalogue.js';
import { CALLBACK, SETUP_BLOCK, SETUP_INPUT_ACTION } from '../ids.js';
import { encodeMetadata } from '../private-metadata.js';

export interface SetupModalValues {
  connectionName?: string;
  site?: string;
  clientId?: string;
  scopes?: string[];
  channel?: string;
}

export interface SetupModalOptions {
  spoke: SpokeId;
  callbackUrl: string;
  values?: SetupModalValues;
  /** A setup that already holds the secret (sealed): the admin may leave the field empty. */
  setupId?: string;
  /** Shown above the form when a resubmission needs fixing (e.g. no Cloud ID from the site). */
  problem?: string;
}

const text = (value: string) => ({ type: 'plain_text' as const, text: value });

function textInput(blockId: string, label: string, options: { initial?: string | undefined; placeholder?: string; hint?: string; multiline?: boolean; optional?: boolean }): KnownBlock {
  return {
    type: 'input',
    block_id: blockId,
    label: text(label),
    optional: options.optional ?? false,
    ...(options.hint ? { hint: text(options.hint) } : {}),
    element: {
      type: 'plain_text_input',
      action_id: SETUP_INPUT_ACTION,
      multiline: options.multiline ?? false,
      ...(options.initial ? { initial_value: options.initial } : {}),
      ...(options.placeholder ? { placeholder: text(options.placeholder) } : {}),
    },
  };
}

/** The one modal of a setup (SPEC section 2): everything ServiceNow needs, nothing it can discover. */
export function setupModal(options: SetupModalOptions): ModalView {
  const spoke = SPOKES[options.spoke];
  const values = options.values ?? {};
  const blocks: KnownBlock[] = [];
  if (options.problem) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `:warning: ${options.problem}` } });
  }
  blocks.push(
    { type: 'section', text: { type: 'mrkdwn', text: `Connect ServiceNow to *${spoke.label}* with OAuth 2.0 (3LO). ServiceNow will hold the tokens; spokebot never does.` } },
    {
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `In the Atlassian developer console, your OAuth 2.0 app needs these scopes enabled and the callback URL \`${options.callbackUrl}\`.` }],
    },
    textInput(SETUP_BLOCK.connectionName, 'Connection name', {
      initial: values.connectionName,
      optional: true,
      placeholder: `${spoke.label} <site>`,
      hint: `Names the ServiceNow records. Leave empty for "${spoke.label}" and the site name; a second connection gets its own child alias.`,
    }),
    textInput(SETUP_BLOCK.site, 'Atlassian site', { initial: values.site, placeholder: 'acme.atlassian.net' }),
    textInput(SETUP_BLOCK.clientId, 'OAuth client ID', { initial: values.clientId, placeholder: 'From Settings → Authentication details' }),
    textInput(SETUP_BLOCK.clientSecret, 'Client secret', {
      optional: Boolean(options.setupId),
      hint: options.setupId
        ? 'Leave empty to keep the secret you entered before (held encrypted).'
        : 'Held encrypted only until ServiceNow has it, then deleted. Never shown again.',
    }),
    textInput(SETUP_BLOCK.scopes, 'Scopes', {
      initial: (values.scopes ?? spoke.defaultScopes).join(' '),
      multiline: true,
      hint: 'Space-separated. offline_access is required so ServiceNow gets a refresh token.',
    }),
    {
      type: 'input',
      block_id: SETUP_BLOCK.channel,
      label: text('Report to channel'),
      element: {
        type: 'conversations_select',
        action_id: SETUP_INPUT_ACTION,
        filter: { include: ['public', 'private'], exclude_bot_users: true },
        ...(values.channel ? { initial_conversation: values.channel } : {}),
      },
    },
  );
  return {
    type: 'modal',
    callback_id: CALLBACK.setupModal,
    title: text(`Set up ${spoke.id === 'jsm' ? 'JSM' : spoke.label}`.slice(0, 24)),
    submit: text('Check and plan'),
    close: text('Cancel'),
    // A form that comes back holding a sealed secret tells us when it is closed, to wipe it.
    ...(options.setupId ? { notify_on_close: true } : {}),
    private_metadata: encodeMetadata({ spoke: options.spoke, ...(options.setupId ? { setupId: options.setupId } : {}) }),
    blocks,
  };
}
