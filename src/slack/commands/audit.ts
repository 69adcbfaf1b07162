import type { KnownBlock } from '@slack/types';
import type { AuditEvent } from '../../store/schema.js';
import { BLOCK_LIMITS, escapeMrkdwn, mentionUser, pageFooter, paginate, sectionsOf, takePageOption, textSections } from '../blocks/text-sections.js';
import { SLASH_COMMAND } from '../surface.js';
import { requireAdmin, type Subcommand } from './subcommand.js';

/** Entries a page of `/spoke audit` shows, newest first; older ones are on the next pages. */
export const AUDIT_PAGE_SIZE = 30;

/**
 * Pages read past the one asked for. The log is read back from its end only as far as a page
 * needs, since counting every match would mean reading a long log whole on every command: a few
 * pages more give the exact total of a short answer, and "N+ more" of a long one.
 */
const PAGES_AHEAD = 3;

const USAGE = `Usage: \`${SLASH_COMMAND} audit [connection] [--since YYYY-MM-DD] [--page N]\``;

/** Details hold what people typed (reasons, command text): escaped, so they show as typed. */
function auditLine(e: AuditEvent): string {
  const detail = e.detail ? ` · ${Object.entries(e.detail).map(([k, v]) => `${escapeMrkdwn(k)}=${escapeMrkdwn(Array.isArray(v) ? v.join(' ') : String(v))}`).join(', ')}` : '';
  return `\`${e.at.slice(0, 19).replace('T', ' ')}\` ${mentionUser(e.actor)} *${escapeMrkdwn(e.action)}* ${escapeMrkdwn(e.outcome)}${e.connection ? ` · ${escapeMrkdwn(e.connection)}` : ''}${detail}`;
}

/** `/spoke audit [connection] [--since YYYY-MM-DD] [--page N]`: the audit log, newest first, for admins. */
export const audit: Subcommand = async (args, words, deps) => {
  const { page, rest } = takePageOption(words);
  const sinceAt = rest.indexOf('--since');
  const sinceText = sinceAt >= 0 ? rest[sinceAt + 1] : undefined;
  const since = sinceText ? new Date(`${sinceText}T00:00:00Z`) : undefined;
  if (page === undefined || (sinceAt >= 0 && (!since || Number.isNaN(since.getTime())))) {
    await args.ack({ response_type: 'ephemeral', text: USAGE });
    return;
  }
  const connection = rest.filter((_, i) => sinceAt < 0 || (i !== sinceAt && i !== sinceAt + 1)).join(' ').trim();
  await args.ack();
  if (!(await requireAdmin(args, deps, 'audit', 'read the audit log of'))) return;
  const limit = (page + PAGES_AHEAD) * AUDIT_PAGE_SIZE;
  const events = await deps.store.auditLog.latest({ ...(connection ? { connection } : {}), ...(since ? { since } : {}), limit });
  // Fewer than asked for: these are all the matching entries, and the total is known.
  const complete = events.length < limit;
  const lines = events.map(auditLine);
  // Context lines go under the list: the page line, unreadable lines in the log if any, and where the full log is.
  const { unreadable } = deps.store.auditLog;
  const pages = paginate(lines, { perPage: AUDIT_PAGE_SIZE, maxBlocks: BLOCK_LIMITS.message - (unreadable.count > 0 ? 3 : 2), blocksOf: sectionsOf });
  const shown = pages[page - 1];
  // Both quote what was typed after the command.
  const title = `Audit log${connection ? ` for ${escapeMrkdwn(connection)}` : ''}`;
  const options = escapeMrkdwn(`${connection ? ` ${connection}` : ''}${sinceText ? ` --since ${sinceText}` : ''}`);
  const nextCommand = (next: number) => `${SLASH_COMMAND} audit${options} --page ${next}`;
  const blocks: KnownBlock[] = [];
  if (lines.length === 0) blocks.push(...textSections(['No audit entries match.']));
  // Only a complete answer can lack the page: a longer one was read at least that far.
  else if (!shown) blocks.push(...textSections([`There is no page ${page}: ${lines.length} entries fill ${pages.length} page(s). \`${SLASH_COMMAND} audit${options}\` shows the first.`]));
  else {
    blocks.push(...textSections(shown));
    const shownThrough = pages.slice(0, page).reduce((n, p) => n + p.length, 0);
    const footer = complete
      ? pageFooter({ page, pages: pages.length, total: lines.length, shownThrough, noun: 'entries', nextCommand })
      : { type: 'context' as const, elements: [{ type: 'mrkdwn' as const, text: `Page ${page} · ${lines.length - shownThrough}+ more: \`${nextCommand(page + 1)}\`` }] };
    if (footer) blocks.push(footer);
  }
  if (unreadable.count > 0) {
    // The list above cannot show what does not parse: say it is there and how to find out why.
    const n = unreadable.count;
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `${n} unreadable line${n === 1 ? '' : 's'} in the audit log (first at line ${unreadable.firstLine}): run \`spokebot audit verify\`` }] });
  }
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `The full log is at \`${deps.store.auditLog.location}\`; \`spokebot audit export --since YYYY-MM-DD\` (from a clone: \`npm run audit:export -- --since YYYY-MM-DD\`) prints it for a SIEM.` }] });
  const pageNote = !shown ? '' : !complete ? ` (page ${page})` : pages.length > 1 ? ` (page ${page} of ${pages.length})` : '';
  await args.respond({ response_type: 'ephemeral', text: `${title}${pageNote}`, blocks });
};
