import type { KnownBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { connectionListBlocks } from '../../src/slack/blocks/connection-list.js';
import { outcomeCounts, recordsWrittenMessage, writeFailedMessage } from '../../src/slack/blocks/setup-messages.js';
import {
  BLOCK_LIMITS,
  CONTINUED,
  SECTION_TEXT_LIMIT,
  escapeMrkdwn,
  fitLists,
  messageParts,
  pageFooter,
  paginate,
  splitLongLine,
  takePageOption,
  textChunks,
  textSections,
  type BlockList,
} from '../../src/slack/blocks/text-sections.js';
import { homeView } from '../../src/slack/home/home-view.js';
import type { WrittenRecord } from '../../src/servicenow/plan-writer.js';
import type { Connection } from '../../src/store/spoke-store.js';

/** A small seeded generator, so a failing case can be run again exactly. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['scope', 'read:page:confluence', 'a', 'oauth_entity_profile_scope', '&amp;', '&lt;x&gt;', '<@U123>', '<https://acme.atlassian.net|the site link>', 'é', '😀', '`sys_id`'];

/** A line of about `length` characters: words and separators, or one long run without spaces. */
function randomLine(next: () => number, length: number): string {
  if (next() < 0.15) {
    let run = '';
    while (run.length < length) run += next() < 0.5 ? 'x' : WORDS[Math.floor(next() * WORDS.length)]!.replace(/\s/g, '');
    return run;
  }
  const words: string[] = [];
  let size = 0;
  while (size < length) {
    const word = WORDS[Math.floor(next() * WORDS.length)]!;
    words.push(word);
    size += word.length + 1;
  }
  return words.join(next() < 0.2 ? '  ' : ' ');
}

/** The input lines back from the chunks: pieces of a split line end and start with the mark. */
function rejoin(chunks: readonly string[]): string[] {
  const out: string[] = [];
  if (chunks.length === 0) return out;
  let carrying = false;
  for (const line of chunks.join('\n').split('\n')) {
    const piece = carrying ? line.slice(CONTINUED.length) : line;
    if (carrying) out[out.length - 1] += piece.endsWith(CONTINUED) ? piece.slice(0, -CONTINUED.length) : piece;
    else out.push(piece.endsWith(CONTINUED) ? piece.slice(0, -CONTINUED.length) : piece);
    carrying = line.endsWith(CONTINUED);
  }
  return out;
}

const sectionTexts = (blocks: readonly KnownBlock[]) => blocks.flatMap((b) => (b.type === 'section' && b.text ? [b.text.text] : []));

describe('text sections', () => {
  it('packs random lines into texts of at most 3,000 characters, splitting between lines and losing nothing (500 cases)', () => {
    for (let seed = 1; seed <= 500; seed++) {
      const next = random(seed);
      const count = Math.floor(next() * 60);
      const lines = Array.from({ length: count }, () => randomLine(next, next() < 0.1 ? 3000 + Math.floor(next() * 5000) : Math.floor(next() * 400)));
      const chunks = textChunks(lines);
      for (const chunk of chunks) expect(chunk.length, `seed ${seed}`).toBeLessThanOrEqual(SECTION_TEXT_LIMIT);
      expect(rejoin(chunks), `seed ${seed}`).toEqual(lines);
      // A line that fits is never cut: it is one whole line of some chunk.
      const shown = new Set(chunks.join('\n').split('\n'));
      for (const line of lines.filter((l) => l.length <= SECTION_TEXT_LIMIT)) expect(shown.has(line), `seed ${seed}`).toBe(true);
      // Packing is tight: no chunk could have taken the next one's first line.
      chunks.slice(1).forEach((chunk, i) => expect(chunks[i]!.length + 1 + chunk.split('\n')[0]!.length).toBeGreaterThan(SECTION_TEXT_LIMIT));
    }
  });

  it('keeps a line with its own newlines (a record and its fields) together when it fits', () => {
    const record = `• create or update *read:page:confluence*\n    oauth_entity=${'x'.repeat(2000)}`;
    const chunks = textChunks(['`oauth_entity_scope`', 'y'.repeat(1500), record]);
    expect(chunks).toHaveLength(2);
    expect(chunks[1]).toBe(record);
  });

  it('splits a 4,000-character line at a word boundary, with the mark on both sides of the cut', () => {
    const words = Array.from({ length: 801 }, (_, i) => `w${i % 10}xy`);
    const line = words.join(' ');
    expect(line.length).toBeGreaterThan(3999);
    const pieces = splitLongLine(line);
    expect(pieces).toHaveLength(2);
    const [first, second] = pieces as [string, string];
    expect(first.length).toBeLessThanOrEqual(SECTION_TEXT_LIMIT);
    expect(first.endsWith(CONTINUED)).toBe(true);
    expect(second.startsWith(`${CONTINUED} `)).toBe(true);
    const head = first.slice(0, -CONTINUED.length);
    expect(line.startsWith(head)).toBe(true);
    expect(line[head.length]).toBe(' ');
    expect(head.endsWith('xy')).toBe(true);
    expect(head + second.slice(CONTINUED.length)).toBe(line);
    // The cut is the last space that fits, not an early one.
    expect(first.length).toBeGreaterThan(SECTION_TEXT_LIMIT - 6);
  });

  it('never splits an escaped character (&amp; &lt; &gt;) when a line has no space to split at', () => {
    for (let offset = 0; offset < 6; offset++) {
      const line = `${'x'.repeat(offset)}${escapeMrkdwn('a&b<c>').repeat(700)}`;
      const pieces = splitLongLine(line);
      expect(pieces.length).toBeGreaterThan(1);
      for (const piece of pieces) {
        expect(piece.length).toBeLessThanOrEqual(SECTION_TEXT_LIMIT);
        const body = piece.replace(new RegExp(`^${CONTINUED}|${CONTINUED}$`, 'g'), '');
        expect(body).not.toMatch(/&(?!amp;|lt;|gt;)/);
        expect(body).not.toMatch(/^(?:amp|lt|gt|mp|p|t);/);
      }
      expect(pieces.map((p, i) => (i > 0 ? p.slice(1) : p)).map((p, i, all) => (i < all.length - 1 ? p.slice(0, -1) : p)).join('')).toBe(line);
    }
  });

  it('does not split inside a link or mention when there is a space outside it', () => {
    const link = '<https://acme.atlassian.net/wiki/spaces/IT|the IT space with a long label>';
    const line = `${'word '.repeat(590)}${link} end`;
    const pieces = splitLongLine(line);
    expect(pieces.some((p) => p.includes(link))).toBe(true);
  });

  it('does not split a surrogate pair', () => {
    const pieces = splitLongLine('😀'.repeat(2000));
    for (const piece of pieces) expect(piece).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
  });

  it('gives sections of mrkdwn and none for blank text, which Slack refuses', () => {
    expect(textSections(['a', 'b'])).toEqual([{ type: 'section', text: { type: 'mrkdwn', text: 'a\nb' } }]);
    expect(textSections([])).toEqual([]);
    expect(textSections(['', ' '])).toEqual([]);
  });
});

describe('block limits', () => {
  const section = (i: number): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text: `block ${i}` } });

  it('splits a message of 120 blocks into messages of at most 50, in order, each but the last saying it goes on', () => {
    const blocks = Array.from({ length: 120 }, (_, i) => section(i));
    const parts = messageParts({ text: 'Setup stopped: x', blocks });
    expect(parts).toHaveLength(3);
    for (const part of parts) expect(part.blocks.length).toBeLessThanOrEqual(BLOCK_LIMITS.message);
    expect(parts.flatMap((p) => p.blocks.filter((b) => b.type === 'section'))).toEqual(blocks);
    expect(parts[0]!.text).toBe('Setup stopped: x');
    expect(parts[2]!.text).toBe('Setup stopped: x (continued, part 3 of 3)');
    expect(JSON.stringify(parts[0]!.blocks.at(-1))).toContain('Continued in the next message (part 2 of 3)');
    expect(messageParts({ text: 't', blocks: blocks.slice(0, 50) })).toHaveLength(1);
  });

  it('pages items within both bounds, never splitting an item, and a lone oversized item gets its own page', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const next = random(seed);
      const sizes = Array.from({ length: Math.floor(next() * 200) }, () => 1 + Math.floor(next() * 6));
      const pages = paginate(sizes, { perPage: 30, maxBlocks: 48, blocksOf: (n) => n });
      expect(pages.flat()).toEqual(sizes);
      for (const page of pages) {
        expect(page.length).toBeLessThanOrEqual(30);
        expect(page.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(48);
      }
    }
    expect(paginate([1, 60, 1], { perPage: 10, maxBlocks: 48, blocksOf: (n) => n })).toEqual([[1], [60], [1]]);
  });

  it('reads --page N and refuses a page that is not a whole number of at least 1', () => {
    expect(takePageOption(['Confluence', 'acme', '--page', '3'])).toEqual({ page: 3, rest: ['Confluence', 'acme'] });
    expect(takePageOption(['--since', '2024-01-01'])).toEqual({ page: 1, rest: ['--since', '2024-01-01'] });
    expect(takePageOption(['--page']).page).toBeUndefined();
    expect(takePageOption(['--page', '0']).page).toBeUndefined();
    expect(takePageOption(['--page', 'two']).page).toBeUndefined();
  });

  it('says which page, how many in all, and the command for the next', () => {
    const footer = (page: number, shownThrough: number) => JSON.stringify(pageFooter({ page, pages: 3, total: 72, shownThrough, noun: 'entries', nextCommand: (n) => `/spoke audit --page ${n}` }));
    expect(footer(1, 30)).toContain('Page 1 of 3 · 72 entries in all · 42 more: `/spoke audit --page 2`');
    expect(footer(3, 72)).toContain('Page 3 of 3 · 72 entries in all"');
    expect(pageFooter({ page: 1, pages: 1, total: 5, shownThrough: 5, noun: 'entries', nextCommand: String })).toBeUndefined();
  });

  it('shares a surface between lists: short lists stay whole, a long one shows what fits and counts the rest', () => {
    const item = (i: number, size = 2) => Array.from({ length: size }, () => section(i));
    const more = (what: string) => (hidden: number): KnownBlock => ({ type: 'context', elements: [{ type: 'mrkdwn', text: `${hidden} more ${what}` }] });
    const lists: BlockList[] = [
      { head: [], items: Array.from({ length: 80 }, (_, i) => item(i)), more: more('connections') },
      { head: [{ type: 'divider' }], items: Array.from({ length: 5 }, (_, i) => item(i, 1)), more: more('setups') },
      { head: [{ type: 'divider' }], items: Array.from({ length: 60 }, (_, i) => item(i, 1)), more: more('requests') },
    ];
    const blocks = fitLists([section(-1), section(-2)], lists, BLOCK_LIMITS.home);
    expect(blocks.length).toBeLessThanOrEqual(BLOCK_LIMITS.home);
    const text = JSON.stringify(blocks);
    expect(text).not.toContain('more setups');
    const hiddenConnections = Number(/(\d+) more connections/.exec(text)![1]);
    const hiddenRequests = Number(/(\d+) more requests/.exec(text)![1]);
    const shownConnections = blocks.filter((b) => b.type === 'section').length - 2 - 5 - (60 - hiddenRequests);
    expect(shownConnections / 2 + hiddenConnections).toBe(80);
    expect(hiddenRequests).toBeGreaterThan(0);
    expect(hiddenConnections).toBeGreaterThan(0);
    expect(fitLists([], lists.slice(1), 100)).toHaveLength(1 + 5 + 1 + 60);
  });
});

const connection = (i: number, extra: Partial<Connection> = {}): Connection => ({
  name: `Jira team ${String(i).padStart(3, '0')}`,
  spoke: 'jira',
  method: 'api_token',
  siteOrigin: `https://team${i}.atlassian.net`,
  cloudId: '11111111-0000-4000-8000-000000000000',
  channel: 'C0REPORTS',
  scopes: [],
  createdBy: 'UADMIN01',
  createdAt: '2025-01-01T00:00:00.000Z',
  state: 'connected',
  records: {},
  ...extra,
});

describe('lists on Slack surfaces', () => {
  it('/spoke list pages a long list; the pages together hold every connection once', () => {
    const connections = Array.from({ length: 95 }, (_, i) => connection(i, i % 3 === 1 ? { spoke: 'confluence', method: 'oauth_3lo' } : {}));
    const first = connectionListBlocks(connections, () => undefined, 1);
    expect(first.pages).toBe(3);
    const all: string[] = [];
    for (let page = 1; page <= first.pages; page++) {
      const { blocks } = connectionListBlocks(connections, () => undefined, page);
      expect(blocks.length).toBeLessThanOrEqual(BLOCK_LIMITS.message);
      for (const text of sectionTexts(blocks)) expect(text.length).toBeLessThanOrEqual(SECTION_TEXT_LIMIT);
      all.push(...sectionTexts(blocks).join('\n').match(/Jira team \d+/g)!);
      const footer = JSON.stringify(blocks.at(-1));
      expect(footer).toContain(`Page ${page} of 3 · 95 connections in all`);
      if (page < 3) expect(footer).toContain(`more: \`/spoke list --page ${page + 1}\``);
    }
    expect(all.sort()).toEqual(connections.map((c) => c.name).sort());
    expect(JSON.stringify(connectionListBlocks(connections, () => undefined, 2).blocks)).toContain('alias `Jira` (continued)');
    expect(JSON.stringify(connectionListBlocks(connections, () => undefined, 4).blocks)).toContain('There is no page 4');
  });

  it('App Home shows the connections that fit in 100 blocks and says how many more and which command lists them', () => {
    const connections = Array.from({ length: 70 }, (_, i) => connection(i));
    const view = homeView({ listConnections: () => connections, getHealth: () => undefined }, [], true);
    expect(view.blocks.length).toBeLessThanOrEqual(BLOCK_LIMITS.home);
    const text = JSON.stringify(view.blocks);
    const shown = connections.filter((c) => text.includes(`*${c.name}*`)).length;
    expect(text).toContain(`…and ${70 - shown} more connections: \`/spoke list\` lists them all.`);
    expect(shown).toBeGreaterThan(40);
  });

  it('a setup write says what happened to each record and lists all of them', () => {
    const outcomes = ['created', 'created', 'found', 'unchanged', 'updated'] as const;
    const written: WrittenRecord[] = Array.from({ length: 200 }, (_, i) => ({ key: `k${i}`, table: 'oauth_entity_scope', label: `read:thing-${i}:confluence`, sysId: `${i}`.padStart(32, '0'), outcome: outcomes[i % 5]! }));
    expect(outcomeCounts(written)).toBe('created 80, updated 40, unchanged 40, found 40');
    const message = recordsWrittenMessage(written);
    expect(message.text).toBe('Records in ServiceNow: created 80, updated 40, unchanged 40, found 40.');
    const texts = sectionTexts(message.blocks);
    for (const text of texts) expect(text.length).toBeLessThanOrEqual(SECTION_TEXT_LIMIT);
    for (const r of written) expect(texts.join('\n')).toContain(`${r.label} (${r.outcome}, \`${r.sysId}\`)`);
    const failed = writeFailedMessage('setup-1', 'ServiceNow refused it.', 'Press Retry.', written);
    expect(failed.blocks.at(-1)!.type).toBe('actions');
    expect(sectionTexts(failed.blocks).join('\n')).toContain('*Already in ServiceNow* (200: created 80, updated 40, unchanged 40, found 40)');
  });
});
