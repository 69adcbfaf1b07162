/**
 * What the bot put in front of people: every mrkdwn string of a Slack call (message text,
 * section and context text, fields) and of a view it sent, and the limits Slack holds them to.
 * `plain_text` objects, input values, button values and private_metadata are not mrkdwn: Slack
 * shows them as they are, so typed text there is not markup.
 */
import { MARK } from './hostile.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** mrkdwn strings in a block list (sections, contexts, fields, and any text object of type mrkdwn). */
function blockTexts(blocks: unknown, out: string[]): void {
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!isObject(node)) return;
    if (node.type === 'mrkdwn' && typeof node.text === 'string') out.push(node.text);
    for (const [key, value] of Object.entries(node)) {
      // Values a person never reads as markup.
      if (key === 'value' || key === 'initial_value' || key === 'private_metadata' || key === 'url') continue;
      walk(value);
    }
  };
  walk(blocks);
}

/** A message's text is mrkdwn unless it says `mrkdwn: false`. */
function messageTexts(message: Json, out: string[]): void {
  if (typeof message.text === 'string' && message.mrkdwn !== false) out.push(message.text);
  blockTexts(message.blocks, out);
  blockTexts(message.attachments, out);
}

/** Every mrkdwn string in one Slack Web API call's arguments (or one ack body). */
export function mrkdwnOf(args: Json): string[] {
  const out: string[] = [];
  messageTexts(args, out);
  if (isObject(args.view)) blockTexts(args.view.blocks, out);
  return out;
}

/**
 * Markup that must never come from typed text: the special mentions, links to the evil host,
 * and any `<…>` whose target (before a `|`) holds the marker. A label after `|` may hold
 * typed text, escaped, in a link the bot builds itself.
 */
const NEVER = [/<!channel>/, /<!here>/, /<!everyone>/, /<!subteam\^/, /<!date\^/, /<https?:\/\/evil/, /<mailto:/, /<javascript:/i, new RegExp(`<[^<>|]*${MARK}[^<>]*>`)];

/** The raw markup found in these mrkdwn strings, with where. */
export function rawMarkup(texts: readonly string[]): string[] {
  const found: string[] = [];
  for (const text of texts) {
    for (const pattern of NEVER) {
      const match = pattern.exec(text);
      if (match) found.push(`${pattern} matched ${JSON.stringify(match[0].slice(0, 80))} in ${JSON.stringify(text.slice(Math.max(0, match.index - 40), match.index + 80))}`);
    }
  }
  return found;
}

const MAX = { sectionText: 3000, contextText: 3000, field: 2000, header: 150, buttonText: 75, buttonValue: 2000, optionText: 75, optionValue: 150, privateMetadata: 3000, inputValue: 3000, url: 3000, blockId: 255, confirmTitle: 100, confirmText: 300, confirmButton: 30 } as const;

/**
 * Slack's limits (Block Kit reference) that the stand-in does not check: text lengths, values,
 * private_metadata. A Slack call past one would be refused by real Slack.
 */
export function limitProblems(args: Json, where: string): string[] {
  const problems: string[] = [];
  const over = (what: string, value: unknown, max: number) => {
    if (typeof value === 'string' && value.length > max) problems.push(`${where}: ${what} has ${value.length} characters (Slack takes ${max})`);
  };
  const walkBlocks = (blocks: unknown) => {
    if (!Array.isArray(blocks)) return;
    for (const block of blocks) {
      if (!isObject(block)) continue;
      over('block_id', block.block_id, MAX.blockId);
      if (block.type === 'section') {
        if (isObject(block.text)) over('section text', block.text.text, MAX.sectionText);
        if (Array.isArray(block.fields)) for (const f of block.fields) if (isObject(f)) over('section field', f.text, MAX.field);
        if (isObject(block.accessory)) element(block.accessory);
      }
      if (block.type === 'context' && Array.isArray(block.elements)) for (const e of block.elements) if (isObject(e)) over('context text', e.text, MAX.contextText);
      if (block.type === 'header' && isObject(block.text)) over('header', block.text.text, MAX.header);
      if (block.type === 'actions' && Array.isArray(block.elements)) for (const e of block.elements) if (isObject(e)) element(e);
      if (block.type === 'input' && isObject(block.element)) element(block.element);
    }
  };
  const element = (e: Json) => {
    if (e.type === 'button') {
      if (isObject(e.text)) over('button text', e.text.text, MAX.buttonText);
      over('button value', e.value, MAX.buttonValue);
      over('button url', e.url, MAX.url);
    }
    // A confirmation dialog quotes typed names (connections, groups, scopes).
    if (isObject(e.confirm)) {
      for (const [part, max] of [['title', MAX.confirmTitle], ['text', MAX.confirmText], ['confirm', MAX.confirmButton], ['deny', MAX.confirmButton]] as const) {
        const text = e.confirm[part];
        if (isObject(text)) over(`confirm ${part}`, text.text, max);
      }
    }
    over('input initial_value', e.initial_value, MAX.inputValue);
    const options = [...(Array.isArray(e.options) ? e.options : []), ...(Array.isArray(e.initial_options) ? e.initial_options : []), ...(isObject(e.initial_option) ? [e.initial_option] : [])];
    for (const o of options) {
      if (!isObject(o)) continue;
      if (isObject(o.text)) over('option text', o.text.text, MAX.optionText);
      over('option value', o.value, MAX.optionValue);
    }
  };
  walkBlocks(args.blocks);
  if (isObject(args.view)) {
    walkBlocks(args.view.blocks);
    over('private_metadata', args.view.private_metadata, MAX.privateMetadata);
  }
  return problems;
}
