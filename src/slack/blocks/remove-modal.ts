import type { ModalView } from '@slack/types';
import { CREDENTIAL_TABLE } from '../../core/spoke-catalogue.js';
import type { Connection } from '../../store/spoke-store.js';
import { CALLBACK } from '../ids.js';
import { escapeMrkdwn, textSections } from './text-sections.js';

/** `/spoke remove` asks first: what will be deactivated, and that nothing is deleted. */
export function removeModal(connection: Connection): ModalView {
  return {
    type: 'modal',
    callback_id: CALLBACK.removeModal,
    title: { type: 'plain_text', text: 'Remove connection' },
    submit: { type: 'plain_text', text: 'Deactivate' },
    close: { type: 'plain_text', text: 'Keep it' },
    private_metadata: connection.name,
    blocks: textSections([
      `Deactivate *${escapeMrkdwn(connection.name)}* (${escapeMrkdwn(connection.siteOrigin)})?`,
      `ServiceNow flows using it stop working. spokebot sets \`active=false\` on the \`http_connection\` and the \`${CREDENTIAL_TABLE[connection.method]}\` record; nothing is deleted, and the audit log keeps the history.`,
    ]),
  };
}
