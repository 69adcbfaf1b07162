import { existsSync } from 'node:fs';
import { chmod, readFile } from 'node:fs/promises';
import { z } from 'zod';
import { SpokeError } from '../errors.js';
import { SecretBox, type Sealed } from './secret-box.js';
import { SecureJsonFile } from './secure-json-file.js';
import { storeDataSchema, type StoreData } from './schema.js';

/**
 * The store's key, proven. A store sealed under one SPOKE_ENCRYPTION_KEY and started with
 * another would otherwise look fine until the first secret is needed (a setup's Confirm, a
 * health check's sign-in) and then fail there, far from the cause. So the store carries a
 * known text sealed under its key (`keyCheck`), and opening it with any other key is refused
 * before anything runs or writes.
 */

const KEY_CHECK_LABEL = 'spokebot:key-check';
const KEY_CHECK_TEXT = 'spokebot store key check v1';

/** What each held secret is bound to: a sealed value copied onto another record must not open. */
export const setupSecretBinding = (setupId: string): string => setupId;
export const connectionCredentialBinding = (connectionName: string): string => `connection:${connectionName}`;

/** What a connection's sealed credential opens to under `box`, if it holds one (both stores open it so). */
export function revealCredentialWith(box: SecretBox, connection: { name: string; sealedCredential?: Sealed | undefined }): string | undefined {
  return connection.sealedCredential ? box.open(connection.sealedCredential, connectionCredentialBinding(connection.name)) : undefined;
}

/** What a setup's sealed secret opens to under `box`, if it still holds one. */
export function revealSecretWith(box: SecretBox, setup: { id: string; sealedSecret?: Sealed | undefined }): string | undefined {
  return setup.sealedSecret ? box.open(setup.sealedSecret, setupSecretBinding(setup.id)) : undefined;
}

export class StoreKeyError extends SpokeError {
  readonly code = 'store_key_mismatch';
  constructor(
    readonly path: string,
    detail: string,
    readonly hint = 'Set SPOKE_ENCRYPTION_KEY to the key that sealed this store (from your backup of it). If that key is lost, the secrets it sealed are lost too: move the store file aside, start the bot, and set the connections up again, re-entering their secrets.',
  ) {
    super(`cannot open the store ${path}: this key did not seal this store (${detail})`);
  }
}

/**
 * The store file cannot be read as spokebot data. The message says where and roughly what, never
 * the file's text: JSON.parse and zod errors quote the input, and the input holds sealed secrets,
 * connection details and everything else the bot keeps, which has no place in a log.
 */
export class StoreUnreadableError extends SpokeError {
  readonly code = 'store_unreadable';
  readonly hint: string;
  constructor(
    readonly path: string,
    reason: string,
    hint = moveAsideHint(path),
  ) {
    super(`cannot read the store ${path}: ${reason}`);
    this.hint = hint;
  }
}

/**
 * The store (or the audit log beside it) is there but the bot may not use it: a folder it cannot
 * write, a file it does not own, a full disk. Raised by SpokeStore.open in place of the bare
 * system error, so the start-up refusal can name the file and the fix in one line.
 */
export class StoreAccessError extends SpokeError {
  readonly code = 'store_access';
  constructor(
    readonly path: string,
    reason: string,
    readonly hint: string,
  ) {
    super(`cannot use ${path}: ${reason}`);
  }
}

/** `path` as one shell word, so the command in a hint can be pasted as it is, spaces and quotes included. */
export function shellWord(path: string): string {
  return /^[\w./@%+=:,-]+$/.test(path) ? path : `'${path.replaceAll("'", `'\\''`)}'`;
}

/** A name beside `path` that is free now, so the `mv` in a hint never overwrites an earlier one. */
function asideName(path: string): string {
  for (let i = 1; ; i++) {
    const candidate = `${path}.unreadable${i === 1 ? '' : `.${i}`}`;
    if (!existsSync(candidate)) return candidate;
  }
}

/** The two ways out of a store the bot cannot read: its backup, or an empty store in its place. */
function moveAsideHint(path: string, what = 'it'): string {
  return `Restore ${path} from a backup, or move ${what} aside to start with an empty store (every connection then has to be set up again): mv ${shellWord(path)} ${shellWord(asideName(path))}`;
}

const uid = (): number | undefined => process.getuid?.();

/** What to do about a system error on one of the store's files; undefined for an error that is not one. */
export function storeFileProblem(path: string, error: unknown): { reason: string; hint: string } | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== 'string' || !/^E[A-Z]+$/.test(code)) return undefined;
  const who = uid() === undefined ? "the bot's user" : `the bot's user (uid ${uid()})`;
  const owner = uid() ?? "the bot's user";
  // The same problems meet the audit log beside the store (<store>.audit.jsonl).
  const thing = path.endsWith('.audit.jsonl') ? 'audit log' : 'store';
  switch (code) {
    case 'EISDIR':
      return {
        reason: 'it is a directory, not a file',
        hint: `A volume mounted at the file's own path makes a directory there: mount the folder instead, or move the directory aside to start with an empty ${thing}: mv ${shellWord(path)} ${shellWord(asideName(path))}`,
      };
    case 'EACCES':
    case 'EPERM':
      return { reason: `${who} may not read or write it (${code})`, hint: `Give it to that user: chown ${owner} ${shellWord(path)} && chmod 600 ${shellWord(path)} (and the folder it is in must be that user's too).` };
    case 'EROFS':
      return { reason: `it is on a read-only file system (${code})`, hint: 'Mount the store\'s folder read-write (the bot writes the store and appends to the audit log).' };
    case 'ENOSPC':
    case 'EDQUOT':
      return { reason: `the disk is full (${code})`, hint: `Free space on the file system that holds ${path}; nothing was lost, the store is written whole or not at all.` };
    case 'ENOTDIR':
      return { reason: `a part of its path is a file, not a folder (${code})`, hint: 'Point SPOKE_DB_PATH at a file inside a folder.' };
    default:
      return { reason: `it cannot be used (${code})`, hint: thing === 'store' ? moveAsideHint(path) : `Check ${path}: the bot's user must be able to read and append to it.` };
  }
}

/** Rotation refused before it started: nothing was written. */
export class KeyRotationRefusedError extends SpokeError {
  readonly code = 'key_rotation_refused';
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

/** A sealed value in the store, what it is bound to, and how to put a re-sealed one in its place. */
interface HeldSecret {
  kind: 'setup' | 'connection';
  sealed: Sealed;
  boundTo: string;
  replace(sealed: Sealed): void;
}

/** Every secret the store holds. The one list, so the key check, doctor and rotation see the same. */
function heldSecrets(data: StoreData): HeldSecret[] {
  const held: HeldSecret[] = [];
  for (const setup of data.setups) {
    if (setup.sealedSecret) {
      held.push({ kind: 'setup', sealed: setup.sealedSecret, boundTo: setupSecretBinding(setup.id), replace: (s) => (setup.sealedSecret = s) });
    }
  }
  for (const connection of data.connections) {
    if (connection.sealedCredential) {
      held.push({
        kind: 'connection',
        sealed: connection.sealedCredential,
        boundTo: connectionCredentialBinding(connection.name),
        replace: (s) => (connection.sealedCredential = s),
      });
    }
  }
  return held;
}

export function opens(box: SecretBox, sealed: Sealed, boundTo: string): string | undefined {
  try {
    return box.open(sealed, boundTo);
  } catch {
    // GCM says only "unable to authenticate"; which key or value was wrong is ours to say.
    return undefined;
  }
}

/** The data a new store starts with (the schema's defaults). */
function emptyStore(): StoreData {
  return storeDataSchema.parse({ version: 1, setups: [], connections: [] });
}

/** Reads and validates the store file without changing anything on disk; undefined if absent. */
async function readStore(path: string): Promise<StoreData | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    const problem = storeFileProblem(path, error) ?? { reason: 'it cannot be read', hint: moveAsideHint(path) };
    throw new StoreUnreadableError(path, problem.reason, problem.hint);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new StoreUnreadableError(path, describeJsonError(error, text));
  }
  const parsed = storeDataSchema.safeParse(raw);
  if (!parsed.success) throw new StoreUnreadableError(path, describeSchemaIssues(parsed.error.issues));
  return parsed.data;
}

/**
 * Where the JSON broke, without V8's quote of the text around it (which is the store's content).
 * Empty files and runs of NUL bytes get their own words: they are what a crash or a power loss
 * during a write leaves on file systems that grow a file before its data is on disk.
 */
function describeJsonError(error: unknown, text: string): string {
  const length = text.length;
  if (text.trim() === '') return length === 0 ? 'it is empty (0 bytes), as a write cut off by a crash can leave it' : `it holds nothing but ${length} blank characters`;
  const nuls = length - text.replace(/\0+$/, '').length;
  if (nuls === length) return `it holds nothing but NUL bytes (${length}), as a power loss during a write can leave it`;
  if (nuls > 0) return `it ends in ${nuls} NUL bytes, as a power loss during a write can leave it`;
  const message = error instanceof Error ? error.message : '';
  const position = Number(/at position (\d+)/.exec(message)?.[1] ?? Number.NaN);
  if (/end of JSON input/i.test(message) || position >= length) return 'it is not valid JSON (it ends part-way, as if cut off)';
  return Number.isNaN(position) ? 'it is not valid JSON' : `it is not valid JSON (broken at character ${position} of ${length})`;
}

/** Every field name the store's schema declares: a path part that is not one is a record key, i.e. content. */
const FIELD_NAMES: ReadonlySet<string> = (() => {
  const names = new Set<string>();
  const seen = new Set<z.ZodType>();
  const walk = (schema: z.ZodType): void => {
    if (seen.has(schema)) return;
    seen.add(schema);
    if (schema instanceof z.ZodObject) {
      for (const [name, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
        names.add(name);
        walk(field);
      }
    } else if (schema instanceof z.ZodArray) walk(schema.element as z.ZodType);
    else if (schema instanceof z.ZodRecord) walk(schema.valueType as z.ZodType);
    else if (schema instanceof z.ZodOptional || schema instanceof z.ZodDefault || schema instanceof z.ZodNullable) walk(schema.unwrap() as z.ZodType);
    else if (schema instanceof z.ZodUnion) for (const option of schema.options as z.ZodType[]) walk(option);
  };
  walk(storeDataSchema);
  return names;
})();

/** What is wrong with a field, from the issue's kind and the schema's expectation, never from what the file holds. */
function issueKind(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') return `expected ${issue.expected}`;
  if (issue.code === 'invalid_value') return issue.values.length <= 3 ? `expected ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}` : `not one of the ${issue.values.length} allowed values`;
  if (issue.code === 'unrecognized_keys') return `${issue.keys.length} unexpected fields`;
  return issue.code.replaceAll('_', ' ');
}

/**
 * Which fields are wrong, by path and kind only. Record keys (connection names) and values are
 * the file's content, so a path shows only the schema's own field names and array positions.
 */
function describeSchemaIssues(issues: readonly z.core.$ZodIssue[]): string {
  const shown = issues.slice(0, 3).map((issue) => {
    const path = issue.path
      .map((part, i) => (typeof part === 'number' ? `[${part}]` : typeof part === 'string' && FIELD_NAMES.has(part) ? `${i ? '.' : ''}${part}` : '[…]'))
      .join('');
    return `${path || 'the top level'}: ${issueKind(issue)}`;
  });
  const more = issues.length > shown.length ? `; ${issues.length - shown.length} more` : '';
  return `it is not spokebot data (${shown.join('; ')}${more})`;
}

/**
 * Proves `box` holds the store's key, the way every opener must: the key check if the store has
 * one, otherwise (files written before it existed) every sealed value, since any one of them
 * failing means the key is not the one they were sealed with. Throws StoreKeyError.
 */
function proveKey(path: string, data: StoreData, box: SecretBox): void {
  if (data.keyCheck) {
    if (!keyCheckOpens(box, data.keyCheck)) throw new StoreKeyError(path, 'its key check does not open with it');
    return;
  }
  const held = heldSecrets(data);
  const refused = held.filter((h) => opens(box, h.sealed, h.boundTo) === undefined).length;
  if (refused > 0) throw new StoreKeyError(path, `${refused} of its ${held.length} sealed secrets do not open with it`);
}

/** A known text sealed under the box's key: kept with the store (file or database) to prove the key at open. */
export function sealKeyCheck(box: SecretBox): Sealed {
  return box.seal(KEY_CHECK_TEXT, KEY_CHECK_LABEL);
}

export function keyCheckOpens(box: SecretBox, keyCheck: Sealed): boolean {
  return opens(box, keyCheck, KEY_CHECK_LABEL) === KEY_CHECK_TEXT;
}

/**
 * What SpokeStore.open starts from: the store read, validated and its key proven before anything
 * is written. A store without a key check (new, or from before the check existed) gets one here,
 * written through `file` (the store's own adapter, so its writes stay queued in one place).
 */
export async function unlockStore(path: string, key: Buffer, file: SecureJsonFile<StoreData>): Promise<StoreData> {
  const box = new SecretBox(key);
  const found = await readStore(path);
  const data = found ?? emptyStore();
  proveKey(path, data, box);
  // Whatever umask made it, the file holds secrets: owner only (the adapter writes 0600 anyway).
  if (found) await chmod(path, 0o600);
  if (!data.keyCheck) {
    data.keyCheck = sealKeyCheck(box);
    await file.write(data);
  }
  return data;
}

/**
 * Read-only: may run while the bot holds the store, so it writes nothing (not even the key check
 * an older store lacks). 'new' when there is no store yet; `sealed` counts the held secrets (setup
 * secrets and connection credentials, not the key check) that open with `key`. Throws
 * StoreKeyError or StoreUnreadableError.
 */
export async function checkStoreKey(path: string, key: Buffer): Promise<{ status: 'ok' | 'new'; sealed: number }> {
  const box = new SecretBox(key);
  const data = await readStore(path);
  if (!data) return { status: 'new', sealed: 0 };
  proveKey(path, data, box);
  const sealed = heldSecrets(data).filter((h) => opens(box, h.sealed, h.boundTo) !== undefined).length;
  return { status: 'ok', sealed };
}

/**
 * Re-seals every held secret (each under its own binding) and the key check under `newKey`, and
 * writes the whole store once, atomically (temp file, fsync, rename): a crash at any moment
 * leaves either the old store or the new one, never a mix. The bot must not be running: it would
 * write its old-key copy back over the result. The audit log holds no secrets and is not touched.
 */
export async function rotateStoreKey(path: string, oldKey: Buffer, newKey: Buffer): Promise<{ setups: number; connections: number }> {
  if (oldKey.equals(newKey)) {
    throw new KeyRotationRefusedError('the new key is the same as the current one', 'Make a new key with `openssl rand -base64 32` and put it in SPOKE_NEW_ENCRYPTION_KEY.');
  }
  const oldBox = new SecretBox(oldKey);
  const newBox = new SecretBox(newKey);
  const data = await readStore(path);
  if (!data) {
    throw new StoreUnreadableError(path, 'there is no store file there', 'Point SPOKE_DB_PATH at the store the bot uses (nothing to re-seal otherwise).');
  }
  proveKey(path, data, oldBox);
  const counts = { setups: 0, connections: 0 };
  // Everything is opened before anything is replaced, so a damaged value stops the rotation
  // with the store as it was.
  const held = heldSecrets(data).map((h) => ({ ...h, plaintext: opens(oldBox, h.sealed, h.boundTo) }));
  const damaged = held.filter((h) => h.plaintext === undefined).length;
  if (damaged > 0) {
    throw new StoreUnreadableError(
      path,
      `${damaged} sealed secrets do not open although the key check does, so they are damaged`,
      'Restore the store from a backup, or set up again the connections whose secrets do not open; nothing was re-sealed.',
    );
  }
  for (const h of held) {
    h.replace(newBox.seal(h.plaintext!, h.boundTo));
    counts[h.kind === 'setup' ? 'setups' : 'connections']++;
  }
  data.keyCheck = sealKeyCheck(newBox);
  await new SecureJsonFile<StoreData>(path).write(data);
  return counts;
}
