import type { KnownBlock } from '@slack/types';
import { requestCard } from '../blocks/request-card.js';
import type { Subcommand } from './subcommand.js';

/** `/spoke requests`: approvers see the open requests, everyone else their own. */
export const requests: Subcommand = async ({ ack, respond, command }, _words, deps) => {
  await ack();
  const approver = await deps.approvers.isAdmin(command.user_id);
  const list = deps.store.listRequests((r) => (approver ? r.state === 'open' : r.requester === command.user_id)).slice(-20).reverse();
  const title = approver ? `${list.length} open request(s)` : `Your requests (${list.length})`;
  // Listed without buttons: decisions are made on the card in the approvers' channel.
  const blocks: KnownBlock[] = list.length === 0 ? [{ type: 'section', text: { type: 'mrkdwn', text: approver ? 'No open requests.' : 'You have no requests. `/spoke request` asks for one.' } }] : list.map((r) => requestCard({ ...r, state: r.state }).blocks[0]!);
  await respond({ response_type: 'ephemeral', text: title, blocks });
};
