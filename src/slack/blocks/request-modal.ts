import type { KnownBlock, ModalView, PlainTextOption } from '@slack/types';
import { KIND_FIELDS, REQUEST_KIND_LABELS, REQUEST_KINDS, type RequestField, type RequestKind } from '../../core/access-request.js';
import { SPOKES, SPOKE_IDS } from '../../core/spoke-catalogue.js';
import type { Connection } from '../../store/spoke-store.js';
import { ACTION, CALLBACK, REQUEST_BLOCK, SETUP_INPUT_ACTION } from '../ids.js';
import { INPUT_TEXT_LIMIT, OPTION_VALUE_LIMIT, clipText } from './text-sections.js';

const text = (value: string) => ({ type: 'plain_text' as const, text: value });
// Option text is plain text (no escaping), at most 75 characters; the value is read back as it was given.
const option = (value: string, label: string): PlainTextOption => ({ text: text(clipText(label, 75)), value });

function input(blockId: string, label: string, element: Record<string, unknown>, hint?: string): KnownBlock {
  return { type: 'input', block_id: blockId, label: text(label), element: { action_id: SETUP_INPUT_ACTION, ...element }, ...(hint ? { hint: text(hint) } : {}) } as KnownBlock;
}

function field(name: RequestField, kind: RequestKind, connections: readonly Connection[]): KnownBlock | undefined {
  // A connection is chosen by its name as the option's value; a name too long for one (only an
  // adopted connection could have one) would come back cut and match nothing, so it is not offered.
  const usable = connections.filter(
    (c) => c.state !== 'removed' && c.name.length <= OPTION_VALUE_LIMIT && (kind !== 'confluence_group' || c.spoke === 'confluence') && (kind !== 'more_scopes' || c.method === 'oauth_3lo'),
  );
  switch (name) {
    case 'spoke':
      return input(REQUEST_BLOCK.spoke, 'Spoke', { type: 'static_select', options: SPOKE_IDS.map((id) => option(id, SPOKES[id].label)) });
    case 'site':
      return input(REQUEST_BLOCK.site, 'Atlassian site', { type: 'plain_text_input', max_length: 200, placeholder: text('acme.atlassian.net') });
    case 'team':
      return input(REQUEST_BLOCK.team, 'Team', { type: 'plain_text_input', max_length: 200, placeholder: text('Who will use it') });
    case 'connection':
      return usable.length > 0
        ? input(REQUEST_BLOCK.connection, 'Connection', { type: 'static_select', options: usable.slice(0, 100).map((c) => option(c.name, `${c.name} (${SPOKES[c.spoke].label})`)) })
        : { type: 'section', block_id: REQUEST_BLOCK.connection, text: { type: 'mrkdwn', text: ':information_source: There is no connection this applies to yet; ask for a new connection first.' } };
    case 'groups':
      // The bot holds no Confluence credential (Confluence is 3LO only, and ServiceNow keeps
      // those tokens), so it cannot list the groups: they are typed.
      return input(REQUEST_BLOCK.groups, 'Confluence group(s)', { type: 'plain_text_input', max_length: INPUT_TEXT_LIMIT, placeholder: text('confluence-users, jira-servicemanagement-users') }, 'Comma-separated, as in admin.atlassian.com → Groups.');
    case 'scopes':
      return input(REQUEST_BLOCK.scopes, 'Scopes to add', { type: 'plain_text_input', multiline: true, max_length: INPUT_TEXT_LIMIT, placeholder: text('write:page:confluence') }, 'Space-separated Atlassian scopes.');
    case 'reason':
      return input(REQUEST_BLOCK.reason, 'What is it for?', { type: 'plain_text_input', multiline: true, max_length: INPUT_TEXT_LIMIT }, 'Approvers decide on this.');
    case 'kind':
      return undefined;
  }
}

/** `/spoke request`: what a team needs; changing the kind redraws the fields. */
export function requestModal(kind: RequestKind, connections: readonly Connection[]): ModalView {
  const kinds = REQUEST_KINDS.map((k) => option(k, REQUEST_KIND_LABELS[k]));
  const blocks: KnownBlock[] = [
    {
      type: 'input',
      block_id: REQUEST_BLOCK.kind,
      label: text('I need'),
      dispatch_action: true,
      element: { type: 'radio_buttons', action_id: ACTION.chooseRequestKind, options: kinds, initial_option: kinds.find((k) => k.value === kind)! },
    },
    ...KIND_FIELDS[kind].map((f) => field(f, kind, connections)).filter((b): b is KnownBlock => b !== undefined),
  ];
  return { type: 'modal', callback_id: CALLBACK.requestModal, title: text('Request access'), submit: text('Send request'), close: text('Cancel'), private_metadata: kind, blocks };
}
