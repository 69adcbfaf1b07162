import type { KnownBlock, ModalView, PlainTextOption } from '@slack/types';
import type { SetupField } from '../../core/setup-request.js';
import type { Connection } from '../../store/spoke-store.js';
import { CALLBACK, ROTATE_BLOCK, SCOPED_TOKEN_VALUE, SETUP_INPUT_ACTION } from '../ids.js';
import { INPUT_TEXT_LIMIT, clipText, escapeMrkdwn, textContexts, textSections } from './text-sections.js';

export interface RotateModalOptions {
  connection: Connection;
  defaultTokenExpiry: string;
  problem?: { field: SetupField; message: string };
}

const text = (value: string) => ({ type: 'plain_text' as const, text: value });

/** A new API token (with its expiry) or a new service-account client secret, checked before use. */
export function rotateModal({ connection, defaultTokenExpiry, problem }: RotateModalOptions): ModalView {
  const token = connection.method === 'api_token';
  const scoped: PlainTextOption = { text: text('This is a scoped API token (used through api.atlassian.com)'), value: SCOPED_TOKEN_VALUE };
  const blocks: KnownBlock[] = [
    ...textSections([`New ${token ? 'API token' : 'client secret'} for *${escapeMrkdwn(connection.name)}* (${escapeMrkdwn(connection.siteOrigin)}). spokebot signs in once with it before it replaces the one in ServiceNow.`]),
    {
      type: 'input',
      block_id: ROTATE_BLOCK.secret,
      label: text(token ? clipText(`New API token for ${connection.email ?? 'the account'}`, 2000) : 'New client secret'),
      element: { type: 'plain_text_input', action_id: SETUP_INPUT_ACTION, max_length: INPUT_TEXT_LIMIT },
    },
  ];
  // Advice may quote what Atlassian answered: shown as text.
  const problemBlock = (): KnownBlock[] => (problem ? textContexts([`:x: ${escapeMrkdwn(problem.message)}`]) : []);
  // Advice about the token's kind goes under the kind; everything else under the credential.
  const underKind = problem?.field === 'tokenScoped';
  if (!underKind) blocks.push(...problemBlock());
  if (token) {
    blocks.push(
      { type: 'input', block_id: ROTATE_BLOCK.tokenExpiry, label: text('Token expires on'), element: { type: 'datepicker', action_id: SETUP_INPUT_ACTION, initial_date: defaultTokenExpiry } },
      {
        type: 'input',
        block_id: ROTATE_BLOCK.tokenScoped,
        label: text('Token type'),
        optional: true,
        element: { type: 'checkboxes', action_id: SETUP_INPUT_ACTION, options: [scoped], ...(connection.scopedToken ? { initial_options: [scoped] } : {}) },
      },
    );
    if (underKind) blocks.push(...problemBlock());
  }
  return {
    type: 'modal',
    callback_id: CALLBACK.rotateModal,
    title: text('Rotate credential'),
    submit: text('Check and rotate'),
    close: text('Cancel'),
    private_metadata: connection.name,
    blocks,
  };
}
