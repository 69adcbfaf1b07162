/**
 * Slack view rules for the Web API stand-in: the validation Slack applies to modals, Home tabs
 * and message blocks (limits from Slack's Block Kit reference), and the modal stacks
 * (root + 2 pushes) with hashes for optimistic updates.
 */
import { createHash, randomBytes } from 'node:crypto';

export type Json = Record<string, unknown>;

export interface View extends Json {
  id: string;
  type: string;
  hash: string;
  root_view_id: string;
  previous_view_id: string | null;
  private_metadata: string;
  callback_id: string;
  external_id: string;
  blocks: unknown[];
  state: { values: Record<string, unknown> };
}

export const TEAM_ID = 'T0001';
export const BOT_USER_ID = 'U0BOT';
export const BOT_ID = 'B0001';
export const APP_ID = 'A0001';

const MAX_STACK = 3;

/** Stable DM channel id per user, shared by the Web API stand-in and the event driver. */
export function dmChannelFor(userId: string): string {
  return `D${createHash('sha1').update(userId).digest('hex').slice(0, 10).toUpperCase()}`;
}

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Slack's invalid_arguments messages look like this; tests print them on failure. */
function problem(message: string, pointer: string): string {
  return `[ERROR] ${message} [json-pointer:${pointer}]`;
}

function checkText(obj: unknown, max: number, pointer: string, required: boolean, out: string[]): void {
  if (obj === undefined || obj === null) {
    if (required) out.push(problem('missing required field', pointer));
    return;
  }
  if (!isObject(obj) || obj.type !== 'plain_text' || typeof obj.text !== 'string') {
    out.push(problem('must be a plain_text text object', pointer));
    return;
  }
  if (obj.text.length > max) out.push(problem(`must be less than ${max + 1} characters`, `${pointer}/text`));
}

function checkMax(value: unknown, max: number, pointer: string, out: string[]): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'string') out.push(problem('must be a string', pointer));
  else if (value.length > max) out.push(problem(`must be less than ${max + 1} characters`, pointer));
}

/**
 * A confirmation dialog on an interactive element: title ≤ 100, text ≤ 300 (plain_text or
 * mrkdwn), confirm and deny ≤ 30, each required; style primary or danger.
 */
function checkConfirm(confirm: unknown, pointer: string, out: string[]): void {
  if (!isObject(confirm)) {
    out.push(problem('must be a confirmation dialog object', pointer));
    return;
  }
  checkText(confirm.title, 100, `${pointer}/title`, true, out);
  const text = confirm.text;
  if (!isObject(text) || (text.type !== 'plain_text' && text.type !== 'mrkdwn') || typeof text.text !== 'string') out.push(problem('must be a text object', `${pointer}/text`));
  else if (text.text.length > 300) out.push(problem('must be less than 301 characters', `${pointer}/text/text`));
  checkText(confirm.confirm, 30, `${pointer}/confirm`, true, out);
  checkText(confirm.deny, 30, `${pointer}/deny`, true, out);
  if (confirm.style !== undefined && confirm.style !== 'primary' && confirm.style !== 'danger') out.push(problem('must be one of primary, danger', `${pointer}/style`));
}

/** Options of selects, checkboxes and radio buttons: text ≤ 75, value ≤ 150. */
function checkElement(el: Json, pointer: string, out: string[]): void {
  checkMax(el.action_id, 255, `${pointer}/action_id`, out);
  if (el.confirm !== undefined) checkConfirm(el.confirm, `${pointer}/confirm`, out);
  const groups = Array.isArray(el.option_groups) ? el.option_groups.filter(isObject) : [];
  const lists: Array<[unknown, string]> = [[el.options, `${pointer}/options`]];
  groups.forEach((g, i) => lists.push([g.options, `${pointer}/option_groups/${i}/options`]));
  for (const [options, at] of lists) {
    if (!Array.isArray(options)) continue;
    options.forEach((o: unknown, i) => {
      const text = isObject(o) && isObject(o.text) ? o.text.text : undefined;
      if (typeof text === 'string' && text.length > 75) out.push(problem('must be less than 76 characters', `${at}/${i}/text/text`));
      checkMax(isObject(o) ? o.value : undefined, 150, `${at}/${i}/value`, out);
    });
  }
}

/** Checks a block list; `base` is the JSON pointer prefix (/view/blocks or /blocks). */
export function checkBlocks(blocks: unknown, max: number, base: string, out: string[]): void {
  if (!Array.isArray(blocks)) {
    out.push(problem('must be an array', base));
    return;
  }
  if (blocks.length > max) out.push(problem(`no more than ${max} items allowed`, base));
  const seen = new Set<string>();
  blocks.forEach((block: unknown, i) => {
    const at = `${base}/${i}`;
    if (!isObject(block) || typeof block.type !== 'string') {
      out.push(problem('must provide a block type', at));
      return;
    }
    if (block.block_id !== undefined) {
      checkMax(block.block_id, 255, `${at}/block_id`, out);
      if (typeof block.block_id === 'string') {
        if (seen.has(block.block_id)) out.push(problem(`duplicate block_id "${block.block_id}"`, `${at}/block_id`));
        seen.add(block.block_id);
      }
    }
    if (block.type === 'input') {
      if (typeof block.block_id !== 'string' || block.block_id === '') out.push(problem('input block needs a block_id', at));
      checkText(block.label, 2000, `${at}/label`, true, out);
      if (!isObject(block.element) || typeof block.element.type !== 'string') {
        out.push(problem('missing required field: element', `${at}/element`));
      } else {
        checkElement(block.element, `${at}/element`, out);
      }
    }
    if (isObject(block.accessory)) checkElement(block.accessory, `${at}/accessory`, out);
    if (Array.isArray(block.elements)) {
      block.elements.forEach((el: unknown, j) => {
        if (isObject(el)) checkElement(el, `${at}/elements/${j}`, out);
      });
    }
  });
}

export function validateView(view: unknown, kind: 'modal' | 'home'): string[] {
  const out: string[] = [];
  if (!isObject(view)) return [problem('missing required field: view', '/view')];
  if (view.type !== kind) out.push(problem(`must be "${kind}"`, '/view/type'));
  if (kind === 'modal') {
    checkText(view.title, 24, '/view/title', true, out);
    checkText(view.submit, 24, '/view/submit', false, out);
    checkText(view.close, 24, '/view/close', false, out);
    const hasInput = Array.isArray(view.blocks) && view.blocks.some((b) => isObject(b) && b.type === 'input');
    if (hasInput && view.submit === undefined) out.push(problem('must provide submit when there are input blocks', '/view/submit'));
  }
  checkBlocks(view.blocks, 100, '/view/blocks', out);
  checkMax(view.private_metadata, 3000, '/view/private_metadata', out);
  checkMax(view.callback_id, 255, '/view/callback_id', out);
  checkMax(view.external_id, 255, '/view/external_id', out);
  return out;
}

function newViewId(): string {
  return `V${randomBytes(5).toString('hex').toUpperCase()}`;
}

function newHash(now: number): string {
  return `${Math.floor(now / 1000)}.${randomBytes(4).toString('hex')}`;
}

export class ViewRegistry {
  readonly views = new Map<string, View>();
  private readonly stacks = new Map<string, string[]>();
  private readonly external = new Map<string, string>();
  /** The modal most recently opened, pushed or updated: where an unattributed push lands. */
  lastRoot: string | undefined;

  constructor(private readonly now: () => number) {}

  private build(input: Json, id: string, root: string, previous: string | null): View {
    return {
      ...input,
      id,
      team_id: TEAM_ID,
      type: String(input.type),
      blocks: Array.isArray(input.blocks) ? input.blocks : [],
      private_metadata: typeof input.private_metadata === 'string' ? input.private_metadata : '',
      callback_id: typeof input.callback_id === 'string' ? input.callback_id : '',
      external_id: typeof input.external_id === 'string' ? input.external_id : '',
      state: { values: {} },
      hash: newHash(this.now()),
      clear_on_close: input.clear_on_close === true,
      notify_on_close: input.notify_on_close === true,
      root_view_id: root,
      previous_view_id: previous,
      app_id: APP_ID,
      app_installed_team_id: TEAM_ID,
      bot_id: BOT_ID,
    };
  }

  private remember(view: View): View {
    this.views.set(view.id, view);
    if (view.external_id !== '') this.external.set(view.external_id, view.id);
    return view;
  }

  externalInUse(externalId: unknown): boolean {
    return typeof externalId === 'string' && externalId !== '' && this.external.has(externalId);
  }

  open(input: Json): View {
    const id = newViewId();
    this.stacks.set(id, [id]);
    this.lastRoot = id;
    return this.remember(this.build(input, id, id, null));
  }

  push(root: string, input: Json): View | 'push_limit_reached' | 'not_found' {
    const stack = this.stacks.get(root);
    if (stack === undefined) return 'not_found';
    if (stack.length >= MAX_STACK) return 'push_limit_reached';
    const id = newViewId();
    const previous = stack[stack.length - 1] ?? null;
    stack.push(id);
    this.lastRoot = root;
    return this.remember(this.build(input, id, root, previous));
  }

  resolve(viewId: unknown, externalId: unknown): View | undefined {
    const id = typeof viewId === 'string' && viewId !== '' ? viewId : this.external.get(String(externalId ?? ''));
    return id === undefined ? undefined : this.views.get(id);
  }

  /** Replaces the content, keeping the view's place (id, root, previous) and issuing a new hash. */
  update(current: View, input: Json): View {
    if (current.type === 'modal') this.lastRoot = current.root_view_id;
    return this.remember(this.build(input, current.id, current.root_view_id, current.previous_view_id));
  }

  rootOf(viewId: string): string | undefined {
    return this.views.get(viewId)?.root_view_id;
  }

  /** One Home tab per user; publishing again replaces it in place. */
  publish(userId: string, input: Json, homes: Map<string, string>): View {
    const existing = homes.get(userId);
    const id = existing ?? newViewId();
    homes.set(userId, id);
    return this.remember(this.build(input, id, id, null));
  }
}
