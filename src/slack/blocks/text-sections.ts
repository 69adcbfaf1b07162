import type { ContextBlock, KnownBlock, SectionBlock } from '@slack/types';

/**
 * Long lists in Slack, whole. Slack refuses a section whose text passes 3,000 characters and a
 * surface with too many blocks, so lists are split between lines into several sections, and
 * what still does not fit one surface continues in another message, on another page, or is
 * counted with the command that lists it all. Nothing here cuts a line off unseen.
 */

/** The most characters Slack takes in one section's (or one context element's) text. */
export const SECTION_TEXT_LIMIT = 3000;

/** The most characters a plain_text_input holds (its max_length can be no higher). */
export const INPUT_TEXT_LIMIT = 3000;

/** The most characters of a select option's value (a button's value takes 2,000). */
export const OPTION_VALUE_LIMIT = 150;

/** Blocks Slack takes per surface. */
export const BLOCK_LIMITS = { message: 50, modal: 100, home: 100 } as const;

/**
 * Ends a piece of a line too long for one section, and starts the piece after it, so a reader
 * sees the line goes on and nothing is missing between the two.
 */
export const CONTINUED = '…';

/**
 * Slack reads `&`, `<` and `>` as markup in mrkdwn unless they are escaped: a team typed as
 * `<!channel> Security` would ping the whole channel, and `<https://evil|the admin console>` would
 * show as a link under the bot's name. Every value the bot did not write itself (anything typed
 * in a modal or a command, and what ServiceNow or Atlassian answered) goes through this one
 * function before it enters mrkdwn, so it shows as typed. `*`, `_` and `~` have no escape in
 * Slack and are left alone: they can only style the text, not link or notify.
 */
export function escapeMrkdwn(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

// Slack's ids as Slack hands them to the bot (user U…/W…, channel C…/G…/D…).
const USER_ID = /^[UW][A-Z0-9]{2,}$/;
const CHANNEL_ID = /^[CGD][A-Z0-9]{2,}$/;

/** `<@U…>` for a user id Slack gave the bot; anything that is not an id shows as text, never as markup. */
export function mentionUser(id: string): string {
  return USER_ID.test(id) ? `<@${id}>` : escapeMrkdwn(id);
}

/** `<#C…>` for a channel id; anything else as text. */
export function mentionChannel(id: string): string {
  return CHANNEL_ID.test(id) ? `<#${id}>` : escapeMrkdwn(id);
}

/**
 * Text the bot stored with its own user mentions in it (a request's outcome: "setup offered to
 * <@U…>") around values it did not write: escaped whole, then the mentions of `people` (ids the
 * caller knows the bot wrote) are let through. Any other mention, `<!channel>` or link, even one
 * that looks like a user's, shows as text.
 */
export function escapeMrkdwnKeepingMentions(text: string, people: readonly string[]): string {
  const known = new Set(people.filter((id) => USER_ID.test(id)));
  return escapeMrkdwn(text).replace(/&lt;@([UW][A-Z0-9]{2,})&gt;/g, (escaped, id: string) => (known.has(id) ? `<@${id}>` : escaped));
}

/**
 * A link the bot builds, `<url|label>`. The label may hold typed text, so it is escaped (a `>`
 * in it would end the link early and let the rest be read as markup); in the URL, the
 * characters that would end or split the link are percent-encoded. Only http(s) URLs become
 * links; anything else shows as the label alone.
 */
export function mrkdwnLink(url: string, label: string): string {
  if (!/^https?:\/\//i.test(url)) return escapeMrkdwn(label);
  const safeUrl = url.replace(/[<>|\s]/g, (c) => encodeURIComponent(c)).replaceAll('&', '&amp;');
  return `<${safeUrl}|${escapeMrkdwn(label)}>`;
}

/** A typed value echoed back in a sentence (No connection named "…"): escaped, quoted, cut to a readable length. */
export function quoteTyped(text: string, max = 200): string {
  return `"${escapeMrkdwn(clipText(text, max))}"`;
}

/**
 * Plain text cut to at most `max` characters (Slack's option text, titles), never inside a
 * surrogate pair, ending in CONTINUED when cut. For `plain_text` objects, which need no escaping.
 */
export function clipText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - CONTINUED.length;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return text.slice(0, end) + CONTINUED;
}

// An escaped character (`&amp;`, `&lt;`, `&#8212;`): cutting one in two would show as garbage.
const ENTITY = /^&(?:[a-z]+|#\d+|#x[0-9a-f]+);/i;
const LONGEST_ENTITY = 10;
const WHITESPACE = /\s/;

/**
 * Where `<…>` markup (links, mentions) runs: a cut inside one breaks the link, so word
 * boundaries there are not used. Literal angle brackets are escaped, so every raw one is markup.
 */
function insideMarkup(line: string): boolean[] {
  const inside = new Array<boolean>(line.length).fill(false);
  let open = -1;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '<') open = i;
    else if (line[i] === '>' && open >= 0) {
      for (let j = open + 1; j < i; j++) inside[j] = true;
      open = -1;
    }
  }
  return inside;
}

/** The hard cut nearest `end` (and after `start`) that splits no entity and no surrogate pair. */
function safeCut(line: string, start: number, end: number): number {
  let cut = end;
  const amp = line.lastIndexOf('&', cut - 1);
  if (amp > start && amp >= cut - LONGEST_ENTITY) {
    const entity = ENTITY.exec(line.slice(amp, amp + LONGEST_ENTITY + 1));
    if (entity && amp + entity[0].length > cut) cut = amp;
  }
  const code = line.charCodeAt(cut - 1);
  if (cut - 1 > start && code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return cut;
}

/**
 * A line longer than `limit`, in pieces of at most `limit` characters, each cut at the last
 * whitespace that fits (outside `<…>` markup), else at a safe point; the pieces carry
 * CONTINUED where they were cut. Taking the marks away and joining the pieces gives the line.
 */
export function splitLongLine(line: string, limit = SECTION_TEXT_LIMIT): string[] {
  if (line.length <= limit) return [line];
  // Room for the marks and at least one entity, so every piece makes progress.
  if (limit < 2 * CONTINUED.length + LONGEST_ENTITY + 1) throw new RangeError(`a limit of ${limit} characters is too small to split lines`);
  const inside = insideMarkup(line);
  const pieces: string[] = [];
  let start = 0;
  for (;;) {
    const lead = pieces.length > 0 ? CONTINUED : '';
    if (lead.length + line.length - start <= limit) {
      pieces.push(lead + line.slice(start));
      return pieces;
    }
    const end = start + limit - lead.length - CONTINUED.length;
    let cut = -1;
    // The whitespace goes to the start of the next piece ("…and more words"), so nothing is lost.
    for (let i = end; i > start; i--) {
      if (WHITESPACE.test(line[i]!) && !inside[i]) {
        cut = i;
        break;
      }
    }
    if (cut < 0) cut = safeCut(line, start, end);
    pieces.push(lead + line.slice(start, cut) + CONTINUED);
    start = cut;
  }
}

/**
 * Lines packed into texts of at most `limit` characters, split only between lines (a text is
 * its lines joined by newlines); a line longer than the limit is split by splitLongLine. A line
 * may itself hold newlines (a record and its fields): it is kept together when it fits.
 */
export function textChunks(lines: readonly string[], limit = SECTION_TEXT_LIMIT): string[] {
  const chunks: string[] = [];
  let current: string | undefined;
  for (const line of lines) {
    for (const piece of splitLongLine(line, limit)) {
      if (current === undefined) current = piece;
      else if (current.length + 1 + piece.length <= limit) current += `\n${piece}`;
      else {
        chunks.push(current);
        current = piece;
      }
    }
  }
  if (current !== undefined) chunks.push(current);
  return chunks;
}

// Slack refuses empty text; a list of nothing but blank lines shows nothing rather than failing.
const visible = (chunk: string) => chunk.trim() !== '';

/** Lines as mrkdwn sections of at most 3,000 characters each. */
export function textSections(lines: readonly string[]): SectionBlock[] {
  return textChunks(lines).filter(visible).map((text) => ({ type: 'section', text: { type: 'mrkdwn', text } }));
}

/** Lines as context blocks (the small grey print), one text element of at most 3,000 characters each. */
export function textContexts(lines: readonly string[]): ContextBlock[] {
  return textChunks(lines).filter(visible).map((text) => ({ type: 'context', elements: [{ type: 'mrkdwn', text }] }));
}

/** How many sections one line takes on its own: a bound for paging, since lines pack together. */
export function sectionsOf(line: string): number {
  return splitLongLine(line).length;
}

export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

/**
 * A message whose blocks pass Slack's 50, as consecutive messages of at most 50 blocks, for
 * the caller to post one after the other in the same thread. Blocks keep their order (a
 * button that follows a list stays after it); each part but the last says the list goes on.
 */
export function messageParts<M extends SlackMessage>(message: M, maxBlocks: number = BLOCK_LIMITS.message): M[] {
  if (message.blocks.length <= maxBlocks) return [message];
  const perPart = maxBlocks - 1;
  const count = Math.ceil(message.blocks.length / perPart);
  return Array.from({ length: count }, (_, i) => {
    const blocks = message.blocks.slice(i * perPart, (i + 1) * perPart);
    const last = i === count - 1;
    return {
      ...message,
      text: i === 0 ? message.text : `${message.text} (continued, part ${i + 1} of ${count})`,
      blocks: last ? blocks : [...blocks, { type: 'context', elements: [{ type: 'mrkdwn', text: `Continued in the next message (part ${i + 2} of ${count}).` }] }],
    };
  });
}

export interface PageOptions<T> {
  /** At most this many items a page. */
  perPage: number;
  /** And at most this many blocks of them a page... */
  maxBlocks: number;
  /** ...where an item takes this many (an upper bound is enough). */
  blocksOf: (item: T) => number;
}

/**
 * Items in pages, in order, each page within both bounds; an item is never split across pages.
 * A lone item bigger than `maxBlocks` still gets a page of its own rather than disappearing.
 */
export function paginate<T>(items: readonly T[], options: PageOptions<T>): T[][] {
  const pages: T[][] = [];
  let page: T[] = [];
  let blocks = 0;
  for (const item of items) {
    const size = options.blocksOf(item);
    if (page.length > 0 && (page.length >= options.perPage || blocks + size > options.maxBlocks)) {
      pages.push(page);
      page = [];
      blocks = 0;
    }
    page.push(item);
    blocks += size;
  }
  if (page.length > 0) pages.push(page);
  return pages;
}

/**
 * `--page N` among a command's words: the page asked for (1 when absent) and the other words;
 * `undefined` page when the number is not a whole number of at least 1.
 */
export function takePageOption(words: readonly string[]): { page: number | undefined; rest: string[] } {
  const at = words.findIndex((w) => w.toLowerCase() === '--page');
  if (at < 0) return { page: 1, rest: [...words] };
  const value = words[at + 1] ?? '';
  const page = /^\d{1,6}$/.test(value) && Number(value) >= 1 ? Number(value) : undefined;
  return { page, rest: words.filter((_, i) => i !== at && i !== at + 1) };
}

/**
 * What a page of a slash-command answer says under its list: which page, how many in all, and
 * the command that shows the next page. Nothing when everything is on one page.
 */
export function pageFooter(options: { page: number; pages: number; total: number; shownThrough: number; noun: string; nextCommand: (page: number) => string }): ContextBlock | undefined {
  const { page, pages, total, shownThrough, noun } = options;
  if (pages <= 1) return undefined;
  const more = total - shownThrough;
  const next = page < pages ? ` · ${more} more: \`${options.nextCommand(page + 1)}\`` : '';
  return { type: 'context', elements: [{ type: 'mrkdwn', text: `Page ${page} of ${pages} · ${total} ${noun} in all${next}` }] };
}

/** One list on a surface shared with others (App Home): its heading, its items, and what to say about the rest. */
export interface BlockList {
  /** Shown above the items when there are any. */
  head: KnownBlock[];
  /** Each item's blocks, kept together. */
  items: KnownBlock[][];
  /** Says how many items are not shown and which command lists them. */
  more: (hidden: number) => KnownBlock;
}

const sizeOf = (list: BlockList) => (list.items.length === 0 ? 0 : list.head.length + list.items.reduce((n, item) => n + item.length, 0));

/** As many items as fit `budget` blocks, in order, with the note on the rest when some do not fit. */
function fitList(list: BlockList, budget: number): KnownBlock[] {
  if (list.items.length === 0) return [];
  if (sizeOf(list) <= budget) return [...list.head, ...list.items.flat()];
  const out = [...list.head];
  let shown = 0;
  // One block is kept for the note.
  while (shown < list.items.length && out.length + list.items[shown]!.length <= budget - 1) out.push(...list.items[shown++]!);
  const note = list.more(list.items.length - shown);
  if (out.length + 1 <= budget) return [...out, note];
  return budget >= 1 ? [note] : [];
}

/**
 * Fixed blocks, then each list, within `max` blocks in all. When everything does not fit, the
 * room is shared out so a long list cannot push the others off the surface: lists smaller than
 * an even share keep all their items, the rest split what is left, and each list that lost
 * items ends with how many and where to see them.
 */
export function fitLists(fixed: readonly KnownBlock[], lists: readonly BlockList[], max: number): KnownBlock[] {
  const available = max - fixed.length;
  const sizes = lists.map(sizeOf);
  if (sizes.reduce((a, b) => a + b, 0) <= available) return [...fixed, ...lists.flatMap((list) => fitList(list, Infinity))];
  const budgets = new Array<number>(lists.length).fill(0);
  let left = available;
  const bySize = lists.map((_, i) => i).sort((a, b) => sizes[a]! - sizes[b]!);
  bySize.forEach((index, k) => {
    const share = Math.floor(left / (bySize.length - k));
    budgets[index] = Math.min(sizes[index]!, share);
    left -= budgets[index]!;
  });
  return [...fixed, ...lists.flatMap((list, i) => fitList(list, budgets[i]!))];
}
