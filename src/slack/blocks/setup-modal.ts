import type { KnownBlock, ModalView, PlainTextOption } from '@slack/types';
import { METHOD_FIELDS, type SetupField } from '../../core/setup-request.js';
import { AUTH_METHOD_LABELS, SPOKES, type AuthMethod, type SpokeId } from '../../core/spoke-catalogue.js';
import { ACTION, CALLBACK, SCOPED_TOKEN_VALUE, SETUP_BLOCK, SETUP_INPUT_ACTION } from '../ids.js';
import { encodeMetadata } from '../private-metadata.js';
import { INPUT_TEXT_LIMIT, clipText, escapeMrkdwn, escapeMrkdwnKeepingMentions, textContexts, textSections } from './text-sections.js';

export interface SetupModalValues {
  connectionName?: string;
  site?: string;
  clientId?: string;
  email?: string;
  tokenExpiry?: string;
  tokenScoped?: boolean;
  scopes?: string[];
  channel?: string;
}

export interface SetupModalOptions {
  spoke: SpokeId;
  method?: AuthMethod;
  callbackUrl: string;
  /** Default for the API token expiry picker (a year from today). */
  defaultTokenExpiry: string;
  values?: SetupModalValues;
  /** A setup that already holds the secret (sealed): the admin may leave it empty. */
  setupId?: string;
  /** Shown above the form when a resubmission needs fixing (e.g. no Cloud ID from the site). */
  problem?: string;
  /** Shown right under the field it concerns (Atlassian refused the token, say). */
  fieldProblems?: Partial<Record<SetupField, string>>;
  /** Slack user ids the bot itself wrote into the problems (who holds a name): shown as mentions, any other markup as text. */
  mentions?: readonly string[];
}

const text = (value: string) => ({ type: 'plain_text' as const, text: value });
const option = (value: string, label: string): PlainTextOption => ({ text: text(label.slice(0, 75)), value });

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
      max_length: INPUT_TEXT_LIMIT,
      // A form drawn again shows what was typed; Slack takes no more in an input than it lets be typed.
      ...(options.initial ? { initial_value: clipText(options.initial, INPUT_TEXT_LIMIT) } : {}),
      ...(options.placeholder ? { placeholder: text(options.placeholder) } : {}),
    },
  };
}

function fieldBlock(field: SetupField, o: SetupModalOptions, method: AuthMethod): KnownBlock | undefined {
  const spoke = SPOKES[o.spoke];
  const v = o.values ?? {};
  const held = Boolean(o.setupId);
  const secretHint = held ? 'Leave empty to keep the one you entered before (held encrypted).' : undefined;
  switch (field) {
    case 'connectionName':
      return textInput(SETUP_BLOCK.connectionName, 'Connection name', {
        initial: v.connectionName,
        optional: true,
        placeholder: `${spoke.label} <site>`,
        hint: `Names the ServiceNow records. Leave empty for "${spoke.label}" and the site name; a second connection gets its own child alias.`,
      });
    case 'site':
      return textInput(SETUP_BLOCK.site, 'Atlassian site', { initial: v.site, placeholder: 'acme.atlassian.net' });
    case 'clientId':
      return textInput(SETUP_BLOCK.clientId, 'OAuth client ID', {
        initial: v.clientId,
        placeholder: method === 'service_account' ? "The service account's OAuth client ID" : 'From Settings → Authentication details',
      });
    case 'clientSecret':
      return textInput(SETUP_BLOCK.clientSecret, 'Client secret', {
        optional: held,
        hint: secretHint ?? (method === 'service_account' ? 'Held encrypted for health checks, never shown again.' : 'Held encrypted only until ServiceNow has it, then deleted. Never shown again.'),
      });
    case 'email':
      return textInput(SETUP_BLOCK.email, 'Atlassian account email', { initial: v.email, placeholder: 'integration@acme.com' });
    case 'apiToken':
      return textInput(SETUP_BLOCK.apiToken, 'API token', { optional: held, hint: secretHint ?? 'Held encrypted for health checks, never shown again.' });
    case 'tokenExpiry':
      return {
        type: 'input',
        block_id: SETUP_BLOCK.tokenExpiry,
        label: text('Token expires on'),
        hint: text('Atlassian shows it next to the token; at most a year away. spokebot reminds you before it.'),
        element: { type: 'datepicker', action_id: SETUP_INPUT_ACTION, initial_date: v.tokenExpiry ?? o.defaultTokenExpiry },
      };
    case 'tokenScoped': {
      const scoped = option(SCOPED_TOKEN_VALUE, 'This is a scoped API token (used through api.atlassian.com)');
      return {
        type: 'input',
        block_id: SETUP_BLOCK.tokenScoped,
        label: text('Token type'),
        optional: true,
        element: { type: 'checkboxes', action_id: SETUP_INPUT_ACTION, options: [scoped], ...(v.tokenScoped ? { initial_options: [scoped] } : {}) },
      };
    }
    case 'scopes': {
      const defaults = method === 'service_account' ? spoke.serviceAccountScopes : spoke.defaultScopes;
      return textInput(SETUP_BLOCK.scopes, 'Scopes', {
        initial: (v.scopes ?? defaults).join(' '),
        multiline: true,
        hint: method === 'oauth_3lo' ? 'Space-separated. offline_access is required so ServiceNow gets a refresh token.' : 'Space-separated; the scopes the service account credential has.',
      });
    }
    case 'channel':
      return {
        type: 'input',
        block_id: SETUP_BLOCK.channel,
        label: text('Report to channel'),
        element: {
          type: 'conversations_select',
          action_id: SETUP_INPUT_ACTION,
          filter: { include: ['public', 'private'], exclude_bot_users: true },
          ...(v.channel ? { initial_conversation: v.channel } : {}),
        },
      };
    case 'method':
      return undefined;
  }
}

const INTRO: Record<AuthMethod, (label: string, callbackUrl: string) => string[]> = {
  oauth_3lo: (label, callbackUrl) => [
    `Connect ServiceNow to *${label}* with OAuth 2.0 (3LO). ServiceNow will hold the tokens; spokebot never does.`,
    `In the Atlassian developer console, your OAuth 2.0 app needs these scopes enabled and the callback URL \`${escapeMrkdwn(callbackUrl)}\`.`,
  ],
  api_token: (label) => [
    `Connect ServiceNow to *${label}* with an Atlassian API token (Basic auth). spokebot checks it works before writing anything.`,
    'Atlassian now steers integrations toward OAuth: a token acts as a person and expires within a year.',
  ],
  service_account: (label) => [
    `Connect ServiceNow to *${label}* as an Atlassian service account (OAuth client credentials). No consent step; spokebot checks the credential first.`,
    'Create the OAuth credential in admin.atlassian.com → Directory → Service accounts.',
  ],
};

/** The one modal of a setup: everything ServiceNow needs, nothing it can discover. */
export function setupModal(options: SetupModalOptions): ModalView {
  const spoke = SPOKES[options.spoke];
  const method = options.method ?? spoke.methods[0]!;
  const [intro, context] = INTRO[method](spoke.label, options.callbackUrl);
  const blocks: KnownBlock[] = [];
  // Problems quote the site and what Atlassian or ServiceNow said: shown as text.
  const shown = (problem: string) => escapeMrkdwnKeepingMentions(problem, options.mentions ?? []);
  if (options.problem) blocks.push(...textSections([`:warning: ${shown(options.problem)}`]));
  blocks.push({ type: 'section', text: { type: 'mrkdwn', text: intro! } }, { type: 'context', elements: [{ type: 'mrkdwn', text: context! }] });
  if (spoke.methods.length > 1) {
    const choices = spoke.methods.map((m) => option(m, AUTH_METHOD_LABELS[m]));
    blocks.push({
      type: 'input',
      block_id: SETUP_BLOCK.method,
      label: text('Sign in with'),
      // Changing the method redraws the form with that method's fields.
      dispatch_action: true,
      element: { type: 'radio_buttons', action_id: ACTION.chooseMethod, options: choices, initial_option: choices.find((c) => c.value === method)! },
    });
  }
  for (const field of METHOD_FIELDS[method]) {
    const block = fieldBlock(field, options, method);
    if (block) blocks.push(block);
    const problem = options.fieldProblems?.[field];
    if (problem) blocks.push(...textContexts([`:x: ${shown(problem)}`]));
  }
  return {
    type: 'modal',
    callback_id: CALLBACK.setupModal,
    title: text(`Set up ${spoke.id === 'jsm' ? 'JSM' : spoke.label}`.slice(0, 24)),
    submit: text('Check and plan'),
    close: text('Cancel'),
    // A form that comes back holding a sealed secret tells us when it is closed, to wipe it.
    ...(options.setupId ? { notify_on_close: true } : {}),
    private_metadata: encodeMetadata({ spoke: options.spoke, method, ...(options.setupId ? { setupId: options.setupId } : {}) }),
    blocks,
  };
}
