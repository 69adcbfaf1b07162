/**
 * Block Kit JSON as HTML and CSS that looks like Slack's client closely enough for a reviewer to
 * judge a surface before the app is installed: the modal, message and App Home chrome around it,
 * mrkdwn as Slack formats it, and every block and element spokebot's builders use (and the
 * common ones they do not yet use). Written for this repository from how Slack's client looks;
 * a type it does not know is drawn as a visible "unsupported: <type>" box, never left out, so a
 * screenshot cannot hide a block.
 */
import { emojiHtml } from './emoji.js';

/** Block Kit as it comes from a builder: loose JSON, since a surface may hold types we do not know. */
export type Json = Record<string, any>;

/** Names for the ids mentions carry, as a workspace would show them. */
export interface Directory {
  users?: Record<string, string>;
  channels?: Record<string, string>;
  usergroups?: Record<string, string>;
}

export type SurfaceKind = 'modal' | 'message' | 'home';

export type RenderInput =
  | { kind: 'modal'; view: Json }
  | { kind: 'home'; view: Json }
  /** `where` names the conversation the message is in (a channel, a DM, a thread). */
  | { kind: 'message'; blocks: Json[]; text?: string; where?: string };

export interface RenderOptions {
  directory?: Directory;
  appName?: string;
  /** The message timestamp as the client shows it. */
  time?: string;
}

interface Ctx {
  dir: Directory;
}

/** Slack's own limits on the texts the chrome shows, marked on the picture when passed. */
export const CHROME_LIMITS = { modalTitle: 24, modalButton: 24, header: 150, button: 75, optionText: 75, section: 3000 } as const;

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const esc = (text: string): string => text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);

/** Slack escapes exactly these three in mrkdwn; the client shows them as the characters. */
export const decodeEntities = (text: string): string => text.replace(/&(amp|lt|gt);/g, (_, name: string) => ({ amp: '&', lt: '<', gt: '>' })[name]!);

const str = (value: unknown): string => (typeof value === 'string' ? value : '');
const list = (value: unknown): Json[] => (Array.isArray(value) ? (value.filter((v) => v && typeof v === 'object') as Json[]) : []);

function unsupported(type: unknown, inline = false): string {
  const tag = inline ? 'span' : 'div';
  return `<${tag} class="unsupported">unsupported: ${esc(typeof type === 'string' && type ? type : '(no type)')}</${tag}>`;
}

/** Text over one of Slack's limits is outlined and labelled with its length, so it cannot pass unseen. */
function limited(html: string, length: number, limit: number, what: string): string {
  if (length <= limit) return html;
  return `<span class="over-limit">${html}</span><span class="limit-badge">${esc(what)} ${length}/${limit}</span>`;
}

// ── mrkdwn ────────────────────────────────────────────────────────────────────────────────────

const replaceEmoji = (html: string, hold: (h: string) => string): string => html.replace(/:([a-z0-9_+'-]+):/g, (whole, name: string) => {
  const drawn = emojiHtml(name);
  return drawn ? hold(drawn) : whole;
});

/** `<…>` markup: mentions, special mentions, dates and links, as the client draws them. */
function markup(inner: string, ctx: Ctx): string {
  const [target = '', label] = splitOnce(inner, '|');
  const shown = (text: string) => esc(decodeEntities(text));
  if (target.startsWith('@')) {
    const id = target.slice(1);
    return `<span class="mention">@${shown(ctx.dir.users?.[id] ?? label ?? id)}</span>`;
  }
  if (target.startsWith('#')) {
    const id = target.slice(1);
    return `<span class="mention">#${shown(ctx.dir.channels?.[id] ?? label ?? id)}</span>`;
  }
  if (target.startsWith('!')) {
    const special = target.slice(1);
    if (['here', 'channel', 'everyone'].includes(special)) return `<span class="mention loud">@${special}</span>`;
    if (special.startsWith('subteam^')) {
      const id = special.slice('subteam^'.length);
      return `<span class="mention">${shown(label ?? `@${ctx.dir.usergroups?.[id] ?? id}`)}</span>`;
    }
    // <!date^…|fallback> and the like: the fallback text is what a client that cannot format it shows.
    return shown(label ?? special);
  }
  if (/^(https?|mailto|slack):/i.test(target)) {
    const url = decodeEntities(target);
    return `<a class="link" href="${esc(url)}">${label !== undefined ? shown(label) : esc(url)}</a>`;
  }
  return shown(label ?? target);
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

/** A bare URL in mrkdwn becomes a link, as the client does unless the text is `verbatim`. */
function linkBareUrls(text: string, hold: (h: string) => string): string {
  return text.replace(/https?:\/\/[^\s\u0001\u0002]+/g, (match) => {
    let url = match;
    const entity = url.search(/&(lt|gt);/);
    if (entity >= 0) url = url.slice(0, entity);
    const trailing = /[.,;:!?)\]'"]+$/.exec(url)?.[0] ?? '';
    url = url.slice(0, url.length - trailing.length);
    if (!url.includes('.')) return match;
    const decoded = decodeEntities(url);
    return hold(`<a class="link" href="${esc(decoded)}">${esc(decoded)}</a>`) + match.slice(url.length);
  });
}

/**
 * `*bold*`, `_italic_`, `~strike~` as the client reads them: the marks must sit at a word's edge
 * (so `oauth_entity_profile` keeps its underscores) and hug the text they style.
 */
function styleMarks(html: string): string {
  const TAGS: [string, string][] = [
    ['*', 'b'],
    ['_', 'i'],
    ['~', 's'],
  ];
  let out = html;
  for (const [mark, tag] of TAGS) {
    // Under the u flag only syntax characters may be escaped: `*` is one, `_` and `~` are not.
    const m = mark === '*' ? '\\*' : mark;
    const pattern = new RegExp(`(^|[^\\p{L}\\p{N}${m}])${m}(?=[^\\s${m}])([^${m}]*?[^\\s${m}])${m}(?![\\p{L}\\p{N}${m}])`, 'gu');
    out = out.replace(pattern, `$1<${tag}>$2</${tag}>`);
  }
  return out;
}

/** One line of mrkdwn (no code fences or quotes left) as HTML. */
function inlineMrkdwn(line: string, ctx: Ctx, verbatim: boolean): string {
  const held: string[] = [];
  const hold = (html: string) => `\u0001${held.push(html) - 1}\u0002`;
  let s = line.replace(/`([^`]+)`/g, (_, code: string) => hold(`<code>${esc(decodeEntities(code))}</code>`));
  s = s.replace(/<([^<>]+)>/g, (_, inner: string) => hold(markup(inner, ctx)));
  if (!verbatim) s = linkBareUrls(s, hold);
  s = replaceEmoji(s, hold);
  s = styleMarks(esc(decodeEntities(s)));
  return s.replace(/\u0001(\d+)\u0002/g, (_, i: string) => held[Number(i)]!);
}

/** Lines starting with `>` (or `&gt;`, the escaped form the client stores) are a quote. */
const QUOTE = /^(?:>|&gt;) ?(.*)$/;

function linesHtml(segment: string, ctx: Ctx, verbatim: boolean): string {
  const out: string[] = [];
  let plain: string[] = [];
  let quote: string[] = [];
  const flushPlain = () => {
    if (plain.length) out.push(plain.map((l) => inlineMrkdwn(l, ctx, verbatim)).join('\n'));
    plain = [];
  };
  const flushQuote = () => {
    if (quote.length) out.push(`<blockquote>${quote.map((l) => inlineMrkdwn(l, ctx, verbatim)).join('\n')}</blockquote>`);
    quote = [];
  };
  for (const line of segment.split('\n')) {
    const quoted = QUOTE.exec(line);
    if (quoted) {
      flushPlain();
      quote.push(quoted[1]!);
    } else {
      flushQuote();
      plain.push(line);
    }
  }
  flushPlain();
  flushQuote();
  return out.join('');
}

/** mrkdwn as the client shows it; whitespace is kept (the bot indents with spaces). */
export function mrkdwnHtml(text: string, directory: Directory = {}, verbatim = false): string {
  return mrkdwn(text, { dir: directory }, verbatim);
}

function mrkdwn(text: string, ctx: Ctx, verbatim = false): string {
  const parts = text.split(/```([\s\S]*?)```/);
  return parts
    .map((part, i) => {
      if (i % 2 === 1) return `<pre class="pre">${esc(decodeEntities(part.replace(/^\n/, '').replace(/\n$/, '')))}</pre>`;
      // The newline beside a fence belongs to the fence, not to an empty line.
      let segment = part;
      if (i > 0) segment = segment.replace(/^\n/, '');
      if (i < parts.length - 1) segment = segment.replace(/\n$/, '');
      return segment ? linesHtml(segment, ctx, verbatim) : '';
    })
    .join('');
}

/** plain_text: shown as typed, except emoji shortcodes (unless `emoji: false`). */
function plain(obj: Json | undefined): string {
  const text = esc(str(obj?.text));
  if (obj?.emoji === false) return text;
  const held: string[] = [];
  const withEmoji = replaceEmoji(text, (html) => `\u0001${held.push(html) - 1}\u0002`);
  return withEmoji.replace(/\u0001(\d+)\u0002/g, (_, i: string) => held[Number(i)]!);
}

function textObject(obj: Json | undefined, ctx: Ctx): string {
  if (!obj) return '';
  return obj.type === 'mrkdwn' ? mrkdwn(str(obj.text), ctx, obj.verbatim === true) : plain(obj);
}

const textLength = (obj: Json | undefined) => str(obj?.text).length;

// ── elements ──────────────────────────────────────────────────────────────────────────────────

const CHEVRON = '<svg class="chevron" viewBox="0 0 10 6" width="10" height="6"><path d="M1 1l4 4 4-4" fill="none" stroke="currentColor" stroke-width="1.6"/></svg>';
const CALENDAR = '<svg class="field-icon" viewBox="0 0 16 16" width="16" height="16"><rect x="1.5" y="2.5" width="13" height="12" rx="2" fill="none" stroke="currentColor" stroke-width="1.3"/><path d="M1.5 6.5h13M5 1v3M11 1v3" stroke="currentColor" stroke-width="1.3"/></svg>';
const CLOCK = '<svg class="field-icon" viewBox="0 0 16 16" width="16" height="16"><circle cx="8" cy="8" r="6.5" fill="none" stroke="currentColor" stroke-width="1.3"/><path d="M8 4v4l2.5 1.5" fill="none" stroke="currentColor" stroke-width="1.3"/></svg>';
const DOTS = '<svg viewBox="0 0 16 4" width="16" height="4"><circle cx="2" cy="2" r="1.6" fill="currentColor"/><circle cx="8" cy="2" r="1.6" fill="currentColor"/><circle cx="14" cy="2" r="1.6" fill="currentColor"/></svg>';
const EXTERNAL = '<svg class="external" viewBox="0 0 12 12" width="11" height="11"><path d="M5 2H2v8h8V7M7 1.5h3.5V5M10.5 1.5L5.5 6.5" fill="none" stroke="currentColor" stroke-width="1.3"/></svg>';

function optionText(option: Json, ctx: Ctx): string {
  return limited(textObject(option.text, ctx), textLength(option.text), CHROME_LIMITS.optionText, 'option');
}

function placeholderOr(html: string | undefined, el: Json, fallback: string): string {
  if (html) return `<span class="value">${html}</span>`;
  return `<span class="placeholder">${el.placeholder ? plain(el.placeholder) : esc(fallback)}</span>`;
}

function selectBox(inner: string, wide: boolean, icon = ''): string {
  return `<span class="select${wide ? ' wide' : ''}">${icon}${inner}${CHEVRON}</span>`;
}

const chip = (html: string) => `<span class="chip">${html}<span class="chip-x">×</span></span>`;
const userLabel = (id: string, ctx: Ctx) => `<span class="mini-avatar"></span>${esc(ctx.dir.users?.[id] ?? id)}`;
const channelLabel = (id: string, ctx: Ctx) => `<span class="hash">#</span>${esc(ctx.dir.channels?.[id] ?? id)}`;

function formatDate(iso: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!match) return iso;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return date.toLocaleDateString('en-US', { timeZone: 'UTC', weekday: 'short', month: 'short', day: 'numeric', year: 'numeric' });
}

function choiceList(el: Json, ctx: Ctx, kind: 'radio' | 'checkbox'): string {
  const chosen = new Set(kind === 'radio' ? [str(el.initial_option?.value)] : list(el.initial_options).map((o) => str(o.value)));
  const items = list(el.options).map((option) => {
    const on = chosen.has(str(option.value));
    const description = option.description ? `<span class="choice-description">${textObject(option.description, ctx)}</span>` : '';
    return `<div class="choice${on ? ' on' : ''}"><span class="${kind}"></span><span class="choice-text">${optionText(option, ctx)}${description}</span></div>`;
  });
  return `<div class="choices">${items.join('')}</div>`;
}

/**
 * The dialog Slack opens before it sends an element's action, drawn as a small card under the
 * element's row (a picture cannot click to open it); it names the element it belongs to.
 */
function confirmNotes(elements: readonly Json[], ctx: Ctx): string {
  const notes = elements
    .filter((el) => el.confirm && typeof el.confirm === 'object')
    .map((el) => {
      const confirm: Json = el.confirm;
      const owner = el.type === 'button' ? `“${plain(el.text)}”` : 'Choosing';
      const confirmStyle = confirm.style === 'danger' ? 'danger' : 'primary';
      return (
        `<div class="confirm-note"><div class="confirm-tag">${owner} asks first</div>` +
        `<div class="confirm-title">${plain(confirm.title)}</div><div class="confirm-text">${textObject(confirm.text, ctx)}</div>` +
        `<div class="confirm-buttons"><span class="btn mini">${confirm.deny ? plain(confirm.deny) : 'Cancel'}</span><span class="btn mini ${confirmStyle}">${confirm.confirm ? plain(confirm.confirm) : 'Yes'}</span></div></div>`
      );
    });
  return notes.length ? `<div class="confirm-notes">${notes.join('')}</div>` : '';
}

/** An interactive element; `wide` in an input block, where selects and inputs take the full width. */
function element(el: Json, ctx: Ctx, wide: boolean): string {
  switch (el.type) {
    case 'button': {
      const style = el.style === 'primary' || el.style === 'danger' ? ` ${el.style}` : '';
      const label = limited(plain(el.text), textLength(el.text), CHROME_LIMITS.button, 'button');
      return `<span class="btn${style}"${el.url ? ` title="${esc(str(el.url))}"` : ''}>${label}${el.url ? EXTERNAL : ''}</span>`;
    }
    case 'overflow':
      return `<span class="btn overflow" title="${esc(list(el.options).map((o) => str(o.text?.text)).join(' · '))}">${DOTS}</span>`;
    case 'static_select':
    case 'external_select':
      return selectBox(placeholderOr(el.initial_option ? optionText(el.initial_option, ctx) : undefined, el, 'Select an item'), wide);
    case 'multi_static_select':
    case 'multi_external_select': {
      const chosen = list(el.initial_options).map((o) => chip(optionText(o, ctx)));
      return selectBox(chosen.length ? `<span class="chips">${chosen.join('')}</span>` : placeholderOr(undefined, el, 'Select items'), wide);
    }
    case 'users_select':
      return selectBox(placeholderOr(el.initial_user ? userLabel(str(el.initial_user), ctx) : undefined, el, 'Select a user'), wide);
    case 'multi_users_select': {
      const chosen = (Array.isArray(el.initial_users) ? el.initial_users : []).map((id: unknown) => chip(userLabel(str(id), ctx)));
      return selectBox(chosen.length ? `<span class="chips">${chosen.join('')}</span>` : placeholderOr(undefined, el, 'Select users'), wide);
    }
    case 'conversations_select':
    case 'channels_select': {
      const id = str(el.initial_conversation ?? el.initial_channel);
      return selectBox(placeholderOr(id ? channelLabel(id, ctx) : undefined, el, el.type === 'channels_select' ? 'Select a channel' : 'Select a conversation'), wide);
    }
    case 'multi_conversations_select':
    case 'multi_channels_select': {
      const ids: unknown[] = Array.isArray(el.initial_conversations) ? el.initial_conversations : Array.isArray(el.initial_channels) ? el.initial_channels : [];
      const chosen = ids.map((id) => chip(channelLabel(str(id), ctx)));
      return selectBox(chosen.length ? `<span class="chips">${chosen.join('')}</span>` : placeholderOr(undefined, el, 'Select channels'), wide);
    }
    case 'datepicker':
      return selectBox(placeholderOr(el.initial_date ? esc(formatDate(str(el.initial_date))) : undefined, el, 'Select a date'), false, CALENDAR);
    case 'timepicker':
      return selectBox(placeholderOr(el.initial_time ? esc(str(el.initial_time)) : undefined, el, 'Select time'), false, CLOCK);
    case 'radio_buttons':
      return choiceList(el, ctx, 'radio');
    case 'checkboxes':
      return choiceList(el, ctx, 'checkbox');
    case 'plain_text_input':
    case 'email_text_input':
    case 'url_text_input':
    case 'number_input': {
      const value = str(el.initial_value);
      const multiline = el.type === 'plain_text_input' && el.multiline === true;
      return `<span class="text-input${multiline ? ' multiline' : ''}${wide ? ' wide' : ''}">${value ? `<span class="value">${esc(value)}</span>` : el.placeholder ? `<span class="placeholder">${plain(el.placeholder)}</span>` : ''}</span>`;
    }
    case 'image':
      return `<span class="image-ph small" title="${esc(str(el.alt_text))}"></span>`;
    default:
      return unsupported(el.type, true);
  }
}

// ── blocks ────────────────────────────────────────────────────────────────────────────────────

function section(b: Json, ctx: Ctx): string {
  const text = b.text ? `<div class="text">${limited(textObject(b.text, ctx), textLength(b.text), CHROME_LIMITS.section, 'section')}</div>` : '';
  const fields = list(b.fields);
  const fieldHtml = fields.length ? `<div class="fields">${fields.map((f) => `<div class="field">${textObject(f, ctx)}</div>`).join('')}</div>` : '';
  const accessory = b.accessory
    ? `<div class="accessory">${b.accessory.type === 'image' ? `<span class="image-ph" title="${esc(str(b.accessory.alt_text))}"></span>` : element(b.accessory, ctx, false)}</div>`
    : '';
  const section = `<div class="block section${accessory ? ' has-accessory' : ''}"><div class="section-main">${text}${fieldHtml}</div>${accessory}</div>`;
  return b.accessory ? section + confirmNotes([b.accessory], ctx) : section;
}

function context(b: Json, ctx: Ctx): string {
  const items = list(b.elements).map((el) => {
    if (el.type === 'image') return `<span class="image-ph tiny" title="${esc(str(el.alt_text))}"></span>`;
    if (el.type === 'mrkdwn' || el.type === 'plain_text') return `<span class="context-text">${textObject(el, ctx)}</span>`;
    return unsupported(el.type, true);
  });
  return `<div class="block context">${items.join('')}</div>`;
}

function input(b: Json, ctx: Ctx): string {
  const optional = b.optional === true ? ' <span class="optional">(optional)</span>' : '';
  const hint = b.hint ? `<div class="hint">${plain(b.hint)}</div>` : '';
  const drawn = b.element ? element(b.element, ctx, true) + confirmNotes([b.element], ctx) : '';
  return `<div class="block input"><div class="input-label">${plain(b.label)}${optional}</div><div class="input-element">${drawn}</div>${hint}</div>`;
}

function image(b: Json): string {
  const title = b.title ? `<div class="image-title">${plain(b.title)}</div>` : '';
  return `<div class="block image">${title}<div class="image-ph wide" title="${esc(str(b.alt_text))}">${esc(str(b.alt_text))}</div></div>`;
}

function block(b: Json, ctx: Ctx): string {
  switch (b.type) {
    case 'section':
      return section(b, ctx);
    case 'context':
      return context(b, ctx);
    case 'divider':
      return '<div class="block divider"><hr></div>';
    case 'header':
      return `<div class="block header">${limited(plain(b.text), textLength(b.text), CHROME_LIMITS.header, 'header')}</div>`;
    case 'actions':
      return `<div class="block actions">${list(b.elements).map((el) => element(el, ctx, false)).join('')}</div>${confirmNotes(list(b.elements), ctx)}`;
    case 'input':
      return input(b, ctx);
    case 'image':
      return image(b);
    default:
      return unsupported(b.type);
  }
}

export function blocksHtml(blocks: readonly Json[], directory: Directory = {}): string {
  const ctx: Ctx = { dir: directory };
  return blocks.map((b) => (b && typeof b === 'object' ? block(b, ctx) : unsupported(undefined))).join('');
}

// ── chrome ────────────────────────────────────────────────────────────────────────────────────

const appIcon = (name: string, size: 'small' | 'large') => `<span class="app-icon ${size}">${esc(name.slice(0, 2))}</span>`;

function modalChrome(view: Json, options: Required<RenderOptions>): string {
  const title = limited(plain(view.title), textLength(view.title), CHROME_LIMITS.modalTitle, 'title');
  const close = view.close ?? { type: 'plain_text', text: 'Cancel' };
  const buttons = [
    `<span class="btn">${limited(plain(close), textLength(close), CHROME_LIMITS.modalButton, 'close')}</span>`,
    view.submit ? `<span class="btn primary">${limited(plain(view.submit), textLength(view.submit), CHROME_LIMITS.modalButton, 'submit')}</span>` : '',
  ].join('');
  const kind = view.type === 'modal' ? '' : unsupported(`view ${str(view.type)}`);
  return (
    `<div class="surface modal">` +
    `<div class="modal-head">${appIcon(options.appName, 'small')}<span class="modal-title">${title}</span><span class="modal-x">×</span></div>` +
    `<div class="modal-body">${kind}${blocksHtml(list(view.blocks), options.directory)}</div>` +
    `<div class="modal-foot">${buttons}</div></div>`
  );
}

function messageChrome(input: Extract<RenderInput, { kind: 'message' }>, options: Required<RenderOptions>): string {
  const body = input.blocks.length ? blocksHtml(input.blocks, options.directory) : `<div class="block section"><div class="text">${mrkdwnHtml(input.text ?? '', options.directory)}</div></div>`;
  const where = input.where ? `<div class="channel-bar">${esc(input.where)}</div>` : '';
  return (
    `<div class="surface message-surface">${where}<div class="message">` +
    `<div class="avatar">${appIcon(options.appName, 'large')}</div>` +
    `<div class="message-main"><div class="message-head"><span class="bot-name">${esc(options.appName)}</span><span class="app-badge">APP</span><span class="ts">${esc(options.time)}</span></div>` +
    `<div class="message-blocks">${body}</div></div></div></div>`
  );
}

function homeChrome(view: Json, options: Required<RenderOptions>): string {
  const kind = view.type === 'home' ? '' : unsupported(`view ${str(view.type)}`);
  return (
    `<div class="surface home">` +
    `<div class="home-top">${appIcon(options.appName, 'small')}<span class="bot-name">${esc(options.appName)}</span></div>` +
    `<div class="tabs"><span class="tab on">Home</span><span class="tab">Messages</span><span class="tab">About</span></div>` +
    `<div class="home-body">${kind}${blocksHtml(list(view.blocks), options.directory)}</div></div>`
  );
}

/** The surface alone (no document around it). */
export function surfaceFragment(input: RenderInput, options: RenderOptions = {}): string {
  const full: Required<RenderOptions> = { directory: options.directory ?? {}, appName: options.appName ?? 'spokebot', time: options.time ?? '10:42 AM' };
  switch (input.kind) {
    case 'modal':
      return modalChrome(input.view, full);
    case 'home':
      return homeChrome(input.view, full);
    case 'message':
      return messageChrome(input, full);
  }
}

/** Width of the picture: a modal is as wide as Slack draws one; messages and Home as a narrow client pane. */
export const SURFACE_WIDTH: Record<SurfaceKind, number> = { modal: 520, message: 700, home: 700 };

/** A whole HTML document with one surface in it. */
export function surfaceHtml(input: RenderInput, options: RenderOptions = {}): string {
  return `<!doctype html><html><head><meta charset="utf-8"><style>${CSS}</style></head><body class="kind-${input.kind}">${surfaceFragment(input, options)}</body></html>`;
}

const CSS = `
* { box-sizing: border-box; }
body { margin: 0; padding: 0; background: #e9e9ea; color: #1d1c1d; font: 14px/1.46668 Lato, "Helvetica Neue", Helvetica, Arial, "DejaVu Sans", sans-serif; -webkit-font-smoothing: antialiased; }
body.kind-message, body.kind-home { background: #fff; }
.surface { background: #fff; overflow-wrap: anywhere; display: flow-root; }
.modal { width: ${SURFACE_WIDTH.modal}px; border-radius: 8px; overflow: hidden; }
.message-surface, .home { width: ${SURFACE_WIDTH.message}px; }
.modal-head { display: flex; align-items: center; gap: 12px; padding: 18px 24px; border-bottom: 1px solid #dddddd; }
.modal-title { font-size: 20px; font-weight: 900; flex: 1; }
.modal-x { font-size: 24px; color: #616061; line-height: 1; }
.modal-body { padding: 20px 24px 8px; }
.modal-foot { display: flex; justify-content: flex-end; gap: 12px; padding: 18px 24px; border-top: 1px solid #dddddd; }
.modal-foot .btn { height: 36px; padding: 0 16px; font-size: 14px; }
.app-icon { display: inline-flex; align-items: center; justify-content: center; background: #3f0e40; color: #fff; font-weight: 700; border-radius: 4px; flex: none; }
.app-icon.small { width: 24px; height: 24px; font-size: 11px; }
.app-icon.large { width: 36px; height: 36px; font-size: 15px; border-radius: 6px; }
.channel-bar { padding: 12px 20px; border-bottom: 1px solid #dddddd; font-weight: 900; font-size: 16px; }
.message { display: flex; gap: 8px; padding: 10px 20px 14px; }
.message-main { flex: 1; min-width: 0; }
.message-head { display: flex; align-items: baseline; gap: 6px; }
.bot-name { font-weight: 900; }
.app-badge { background: rgba(29,28,29,.13); color: rgba(29,28,29,.7); font-size: 10px; font-weight: 700; padding: 0 3px; border-radius: 2px; }
.ts { color: #616061; font-size: 12px; }
.home-top { display: flex; align-items: center; gap: 8px; padding: 14px 20px 8px; font-size: 16px; }
.tabs { display: flex; gap: 20px; padding: 0 20px; border-bottom: 1px solid #dddddd; }
.tab { padding: 8px 0; color: #616061; font-weight: 700; font-size: 13px; border-bottom: 2px solid transparent; }
.tab.on { color: #1d1c1d; border-bottom-color: #1264a3; }
.home-body { padding: 16px 20px 20px; }
.block { margin: 4px 0; }
.modal .block { margin: 0 0 14px; }
.home .block { margin: 6px 0; }
.text, .field, .context-text { white-space: pre-wrap; }
.section { display: flex; gap: 12px; align-items: flex-start; }
.section-main { flex: 1; min-width: 0; }
.accessory { flex: none; }
.fields { display: grid; grid-template-columns: 1fr 1fr; gap: 6px 16px; margin-top: 4px; }
.context { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 8px; color: #616061; font-size: 12px; }
.context .emoji { width: 16px; height: 16px; }
.divider hr { border: 0; border-top: 1px solid #dddddd; margin: 12px 0; }
.header { font-size: 18px; font-weight: 900; line-height: 1.33; margin-top: 8px !important; }
.actions { display: flex; flex-wrap: wrap; gap: 8px; margin: 8px 0 !important; }
.input-label { font-weight: 700; margin-bottom: 6px; }
.optional { font-weight: 400; color: #616061; }
.hint { color: #616061; font-size: 12px; margin-top: 6px; }
b { font-weight: 700; }
a.link { color: #1264a3; text-decoration: none; }
code { font: 12px/1.5 Monaco, Menlo, Consolas, "DejaVu Sans Mono", monospace; color: #e01e5a; background: rgba(29,28,29,.04); border: 1px solid rgba(29,28,29,.13); border-radius: 3px; padding: 1px 3px; }
pre.pre { font: 12px/1.5 Monaco, Menlo, Consolas, "DejaVu Sans Mono", monospace; background: rgba(29,28,29,.04); border: 1px solid rgba(29,28,29,.13); border-radius: 4px; padding: 8px; margin: 4px 0; white-space: pre-wrap; }
blockquote { margin: 2px 0; padding-left: 12px; border-left: 4px solid #dddddd; }
.mention { color: #1264a3; background: rgba(29,155,209,.1); border-radius: 3px; padding: 0 2px; }
.mention.loud { color: #8f5b00; background: rgba(242,199,68,.4); }
.emoji { width: 18px; height: 18px; vertical-align: -3px; margin: 0 1px; }
.btn { display: inline-flex; align-items: center; gap: 6px; height: 28px; padding: 0 12px; border: 1px solid rgba(29,28,29,.3); border-radius: 4px; background: #fff; color: #1d1c1d; font-weight: 700; font-size: 13px; white-space: nowrap; }
.btn.primary { background: #007a5a; border-color: #007a5a; color: #fff; }
.btn.danger { background: #e01e5a; border-color: #e01e5a; color: #fff; }
.btn.overflow { padding: 0 8px; }
.btn.mini { height: 24px; padding: 0 8px; font-size: 11px; }
.external { opacity: .8; }
.confirm-notes { display: flex; flex-wrap: wrap; gap: 8px; margin: 0 0 8px; }
.confirm-note { width: 290px; font-size: 12px; line-height: 1.4; background: #fff; border: 1px solid rgba(29,28,29,.2); border-radius: 6px; box-shadow: 0 1px 3px rgba(0,0,0,.12); padding: 8px 10px; }
.confirm-tag { font-size: 10px; text-transform: uppercase; letter-spacing: .04em; color: #616061; margin-bottom: 2px; }
.confirm-title { font-weight: 900; font-size: 13px; margin-bottom: 2px; }
.confirm-text { white-space: pre-wrap; }
.confirm-buttons { display: flex; justify-content: flex-end; gap: 6px; margin-top: 6px; }
.select, .text-input { display: inline-flex; align-items: center; gap: 8px; min-height: 36px; min-width: 180px; padding: 6px 12px; border: 1px solid rgba(29,28,29,.3); border-radius: 4px; background: #fff; }
.select.wide, .text-input.wide { display: flex; width: 100%; }
.select .value, .select .placeholder { flex: 1; }
.text-input.multiline { align-items: flex-start; min-height: 84px; }
.text-input .value { white-space: pre-wrap; }
.placeholder { color: #868686; }
.chevron { color: #616061; flex: none; }
.field-icon { color: #616061; flex: none; }
.chips { display: flex; flex-wrap: wrap; gap: 4px; flex: 1; }
.chip { display: inline-flex; align-items: center; gap: 4px; background: rgba(29,28,29,.06); border-radius: 3px; padding: 0 6px; }
.chip-x { color: #616061; }
.mini-avatar { display: inline-block; width: 18px; height: 18px; border-radius: 4px; background: #c7a2c9; vertical-align: -4px; margin-right: 6px; }
.hash { color: #616061; margin-right: 4px; }
.choices { display: flex; flex-direction: column; gap: 8px; }
.choice { display: flex; gap: 8px; align-items: flex-start; }
.radio, .checkbox { flex: none; width: 16px; height: 16px; margin-top: 2px; border: 1px solid rgba(29,28,29,.5); background: #fff; }
.radio { border-radius: 50%; }
.checkbox { border-radius: 4px; }
.choice.on .radio { border: 5px solid #1264a3; }
.choice.on .checkbox { background: #1264a3 url("data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Cpath d='M4 8.5l2.5 2.5 5.5-6' fill='none' stroke='white' stroke-width='2'/%3E%3C/svg%3E") center/14px no-repeat; border-color: #1264a3; }
.choice-description { display: block; color: #616061; font-size: 12px; }
.image-ph { display: inline-flex; align-items: center; justify-content: center; width: 88px; height: 88px; background: repeating-linear-gradient(45deg, #eee, #eee 6px, #e2e2e2 6px, #e2e2e2 12px); border-radius: 6px; color: #616061; font-size: 12px; }
.image-ph.small { width: 36px; height: 36px; }
.image-ph.tiny { width: 20px; height: 20px; border-radius: 3px; }
.image-ph.wide { width: 100%; height: 160px; }
.image-title { font-weight: 700; margin-bottom: 4px; }
.unsupported { display: block; margin: 6px 0; padding: 8px 10px; border: 2px dashed #e01e5a; border-radius: 4px; background: #fdecf1; color: #a0043a; font: 700 12px/1.4 "DejaVu Sans Mono", monospace; }
span.unsupported { display: inline-block; margin: 0; }
.over-limit { outline: 2px solid #e01e5a; outline-offset: 1px; }
.limit-badge { display: inline-block; margin-left: 6px; padding: 0 4px; border-radius: 3px; background: #e01e5a; color: #fff; font-size: 10px; font-weight: 700; vertical-align: middle; }
`;
