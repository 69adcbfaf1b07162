import type { KnownBlock } from '@slack/types';
import { notAnnouncedLine } from '../blocks/request-announce.js';
import { requestCard } from '../blocks/request-card.js';
import { BLOCK_LIMITS, pageFooter, paginate, takePageOption, textContexts, textSections } from '../blocks/text-sections.js';
import { SLASH_COMMAND } from '../surface.js';
import type { Subcommand } from './subcommand.js';

/** Requests a page of `/spoke requests` shows, newest first. */
export const REQUESTS_PAGE_SIZE = 20;

/** `/spoke requests [--page N]`: approvers see the open requests, everyone else their own. */
export const requests: Subcommand = async ({ ack, respond, command }, words, deps) => {
  const { page } = takePageOption(words);
  if (page === undefined) {
    await ack({ response_type: 'ephemeral', text: `Usage: \`${SLASH_COMMAND} requests [--page N]\`` });
    return;
  }
  await ack();
  const approver = await deps.approvers.isAdmin(command.user_id);
  const list = deps.store.listRequests((r) => (approver ? r.state === 'open' : r.requester === command.user_id)).reverse();
  // Listed without buttons: decisions are made on the card in the approvers' channel.
  // A request whose card never reached the channel says why, since no approver has seen it.
  const cards = list.map((r) => {
    const waiting = notAnnouncedLine(r);
    return [...requestCard(r).blocks.filter((b) => b.type !== 'actions'), ...(waiting ? textContexts([`:warning: ${waiting}`]) : [])];
  });
  const pages = paginate(cards, { perPage: REQUESTS_PAGE_SIZE, maxBlocks: BLOCK_LIMITS.message - 1, blocksOf: (card) => card.length });
  const shown = pages[page - 1];
  const title = approver ? `${list.length} open request(s)` : `Your requests (${list.length})`;
  let blocks: KnownBlock[];
  if (list.length === 0) blocks = textSections([approver ? 'No open requests.' : `You have no requests. \`${SLASH_COMMAND} request\` asks for one.`]);
  else if (!shown) blocks = textSections([`There is no page ${page}: ${list.length} request(s) fill ${pages.length} page(s). \`${SLASH_COMMAND} requests\` shows the first.`]);
  else {
    const shownThrough = pages.slice(0, page).reduce((n, p) => n + p.length, 0);
    const footer = pageFooter({ page, pages: pages.length, total: list.length, shownThrough, noun: 'requests', nextCommand: (next) => `${SLASH_COMMAND} requests --page ${next}` });
    blocks = [...shown.flat(), ...(footer ? [footer] : [])];
  }
  await respond({ response_type: 'ephemeral', text: `${title}${shown && pages.length > 1 ? ` (page ${page} of ${pages.length})` : ''}`, blocks });
};
