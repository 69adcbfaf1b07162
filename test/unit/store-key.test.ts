import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SetupRequest } from '../../src/core/setup-request.js';
import { SecretBox } from '../../src/store/secret-box.js';
import { SpokeStore, type Connection } from '../../src/store/spoke-store.js';
import { checkStoreKey, KeyRotationRefusedError, rotateStoreKey, StoreKeyError, StoreUnreadableError } from '../../src/store/store-key.js';

const KEY = Buffer.alloc(32, 9);
const OTHER = Buffer.alloc(32, 10);
const NEW = Buffer.alloc(32, 11);
const now = () => new Date('2026-11-23T10:00:00Z');

const request: SetupRequest = {
  spoke: 'confluence',
  method: 'oauth_3lo',
  connectionName: 'Confluence acme',
  siteOrigin: 'https://acme.atlassian.net',
  clientId: 'id',
  secret: 'the-client-secret-value',
  scopes: ['read:me', 'offline_access'],
  channel: 'C1',
};

function connection(name: string, sealedCredential?: Connection['sealedCredential']): Connection {
  return {
    name,
    spoke: 'jira',
    method: sealedCredential ? 'api_token' : 'oauth_3lo',
    siteOrigin: 'https://acme.atlassian.net',
    cloudId: 'cloud-1',
    channel: 'C1',
    scopes: [],
    createdBy: 'U1',
    createdAt: now().toISOString(),
    state: 'connected',
    records: {},
    ...(sealedCredential ? { sealedCredential } : {}),
  };
}

let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spokebot-store-key-'));
  path = join(dir, 'data', 'spokebot.json');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A store holding two setup secrets, two connection credentials and one 3LO connection (no secret). */
async function filledStore(key = KEY): Promise<{ setups: Record<string, string>; credentials: Record<string, string> }> {
  const store = await SpokeStore.open(path, key, now);
  const a = await store.createSetup(request, 'U1', 60_000);
  const b = await store.createSetup({ ...request, secret: 'second-secret' }, 'U1', 60_000);
  await store.saveConnection(connection('Jira acme', store.sealCredential('Jira acme', 'token-acme')));
  await store.saveConnection(connection('Jira beta', store.sealCredential('Jira beta', 'token-beta')));
  await store.saveConnection(connection('Confluence 3LO'));
  await store.audit({ actor: 'U1', action: 'setup.started', outcome: 'ok', setupId: a.id });
  await store.close();
  return { setups: { [a.id]: 'the-client-secret-value', [b.id]: 'second-secret' }, credentials: { 'Jira acme': 'token-acme', 'Jira beta': 'token-beta' } };
}

/** Rewrites the file as a version from before the key check would have left it. */
async function dropKeyCheck(): Promise<void> {
  const data = JSON.parse(await readFile(path, 'utf8'));
  delete data.keyCheck;
  await writeFile(path, JSON.stringify(data));
}

async function snapshot(file: string): Promise<{ bytes: Buffer; mtimeMs: number; ctimeMs: number }> {
  const info = await stat(file);
  return { bytes: await readFile(file), mtimeMs: info.mtimeMs, ctimeMs: info.ctimeMs };
}

async function expectKeyRefused(key: Buffer): Promise<StoreKeyError> {
  const error = await SpokeStore.open(path, key, now).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StoreKeyError);
  const refused = error as StoreKeyError;
  expect(refused.code).toBe('store_key_mismatch');
  expect(refused.message).toContain('this key did not seal this store');
  expect(refused.message).toContain(path);
  expect(refused.hint).toMatch(/SPOKE_ENCRYPTION_KEY[\s\S]*backup[\s\S]*move the store file aside/);
  return refused;
}

describe('SpokeStore.open proves the key', () => {
  it('opens with the key that sealed it, secrets and all', async () => {
    const held = await filledStore();
    const store = await SpokeStore.open(path, KEY, now);
    for (const [id, secret] of Object.entries(held.setups)) expect(store.revealSecret(store.getSetup(id)!)).toBe(secret);
    for (const [name, secret] of Object.entries(held.credentials)) expect(store.revealCredential(store.getConnection(name)!)).toBe(secret);
    await store.close();
  });

  it('gives a new store a key check at once, so the next start with another key is refused', async () => {
    const store = await SpokeStore.open(path, KEY, now);
    await store.close();
    expect(JSON.parse(await readFile(path, 'utf8')).keyCheck).toMatchObject({ iv: expect.any(String), tag: expect.any(String), data: expect.any(String) });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    await expectKeyRefused(OTHER);
  });

  it('refuses another key for a store with a key check, before writing anything', async () => {
    await filledStore();
    await rm(`${path}.audit.jsonl`);
    const before = await snapshot(path);
    await expectKeyRefused(OTHER);
    expect(await snapshot(path)).toEqual(before);
    // Not even the audit log was opened (it would have been created).
    expect(await readdir(dirname(path))).toEqual(['spokebot.json']);
  });

  it('refuses another key for an older store without a key check but with sealed secrets, and the old audit entries stay where they were', async () => {
    await filledStore();
    await dropKeyCheck();
    const data = JSON.parse(await readFile(path, 'utf8'));
    data.audit = [{ at: now().toISOString(), actor: 'U1', action: 'setup.started', outcome: 'ok' }];
    await writeFile(path, JSON.stringify(data));
    await rm(`${path}.audit.jsonl`);
    const before = await snapshot(path);

    const refused = await expectKeyRefused(OTHER);
    expect(refused.message).toMatch(/4 of its 4 sealed secrets do not open/);
    expect(await snapshot(path)).toEqual(before);
    expect(await readdir(dirname(path))).toEqual(['spokebot.json']);

    // The right key opens it, moves the audit entries, and adds the key check.
    const store = await SpokeStore.open(path, KEY, now);
    expect((await store.auditTrail())).toHaveLength(1);
    await store.close();
    expect(JSON.parse(await readFile(path, 'utf8')).keyCheck).toBeDefined();
    await expectKeyRefused(OTHER);
  });

  it('gives an older store without sealed secrets a key check (any key could have been its key)', async () => {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, JSON.stringify({ version: 1, setups: [], connections: [connection('Confluence 3LO')] }));
    const store = await SpokeStore.open(path, OTHER, now);
    expect(store.listConnections()).toHaveLength(1);
    await store.close();
    expect(JSON.parse(await readFile(path, 'utf8')).keyCheck).toBeDefined();
    await expectKeyRefused(KEY);
    await (await SpokeStore.open(path, OTHER, now)).close();
  });
});

describe('an unreadable store', () => {
  const MARKER = 'do-not-echo-this-content';

  async function unreadable(text: string): Promise<StoreUnreadableError> {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
    const error = await SpokeStore.open(path, KEY, now).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StoreUnreadableError);
    const refused = error as StoreUnreadableError;
    expect(refused.code).toBe('store_unreadable');
    expect(refused.message).toContain(path);
    expect(refused.hint).toContain(path);
    for (const said of [refused.message, refused.hint, String(refused.cause ?? ''), JSON.stringify(refused)]) expect(said).not.toContain(MARKER);
    return refused;
  }

  it('is named, with where the JSON broke, and none of its content', async () => {
    const cut = `{"version":1,"setups":[],"connections":[{"name":"${MARKER}","sealedCredential":{"iv":"`;
    expect((await unreadable(cut)).message).toMatch(/not valid JSON \(it ends part-way/);
    expect((await unreadable(`{"version":1,"setups":[] "${MARKER}"}`)).message).toMatch(/not valid JSON/);
    expect((await unreadable(`${MARKER} ${'x'.repeat(5000)}`)).message.length).toBeLessThan(400);
  });

  it('is named, with the wrong fields by path, when it is JSON but not spokebot data', async () => {
    const data = { version: 1, setups: [{ id: MARKER }], connections: [], health: { [MARKER]: { state: MARKER } } };
    const refused = await unreadable(JSON.stringify(data));
    expect(refused.message).toContain('not spokebot data');
    expect(refused.message).toContain('setups[0].spoke');
  });
});

describe('checkStoreKey (doctor, read-only)', () => {
  it('says "new" for a store that does not exist yet, and creates nothing', async () => {
    expect(await checkStoreKey(path, KEY)).toEqual({ status: 'new', sealed: 0 });
    expect(await readdir(dir)).toEqual([]);
  });

  it('counts the secrets that open and leaves the file exactly as it was', async () => {
    await filledStore();
    const before = await snapshot(path);
    expect(await checkStoreKey(path, KEY)).toEqual({ status: 'ok', sealed: 4 });
    await expect(checkStoreKey(path, OTHER)).rejects.toBeInstanceOf(StoreKeyError);
    expect(await snapshot(path)).toEqual(before);
  });

  it('does not add the key check an older store lacks', async () => {
    await filledStore();
    await dropKeyCheck();
    const before = await snapshot(path);
    expect(await checkStoreKey(path, KEY)).toEqual({ status: 'ok', sealed: 4 });
    await expect(checkStoreKey(path, OTHER)).rejects.toThrow(/this key did not seal this store/);
    expect(await snapshot(path)).toEqual(before);
  });

  it('reports an unreadable store', async () => {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, '{"version":');
    await expect(checkStoreKey(path, KEY)).rejects.toBeInstanceOf(StoreUnreadableError);
  });
});

describe('rotateStoreKey', () => {
  async function expectAllReadable(key: Buffer, held: Awaited<ReturnType<typeof filledStore>>): Promise<void> {
    const store = await SpokeStore.open(path, key, now);
    for (const [id, secret] of Object.entries(held.setups)) expect(store.revealSecret(store.getSetup(id)!)).toBe(secret);
    for (const [name, secret] of Object.entries(held.credentials)) expect(store.revealCredential(store.getConnection(name)!)).toBe(secret);
    expect(store.getConnection('Confluence 3LO')!.sealedCredential).toBeUndefined();
    await store.close();
  }

  it('re-seals every secret under the new key, each still bound to its own record, and leaves the audit log alone', async () => {
    const held = await filledStore();
    const audit = await readFile(`${path}.audit.jsonl`);
    expect(await rotateStoreKey(path, KEY, NEW)).toEqual({ setups: 2, connections: 2 });

    await expectAllReadable(NEW, held);
    await expectKeyRefused(KEY);
    expect(await readFile(`${path}.audit.jsonl`)).toEqual(audit);
    const text = await readFile(path, 'utf8');
    for (const secret of [...Object.values(held.setups), ...Object.values(held.credentials)]) expect(text).not.toContain(secret);

    // Bindings kept: each value opens only as the record it belongs to.
    const data = JSON.parse(text);
    const box = new SecretBox(NEW);
    const [acme, beta] = data.connections as Connection[];
    expect(box.open(acme!.sealedCredential!, 'connection:Jira acme')).toBe('token-acme');
    expect(() => box.open(acme!.sealedCredential!, 'connection:Jira beta')).toThrow();
    expect(() => box.open(beta!.sealedCredential!, 'connection:Jira acme')).toThrow();
    const [setup] = data.setups;
    expect(box.open(setup.sealedSecret, setup.id)).toBe(held.setups[setup.id]);
    expect(() => box.open(setup.sealedSecret, data.setups[1].id)).toThrow();
  });

  it('rotates an older store without a key check, and gives it one under the new key', async () => {
    const held = await filledStore();
    await dropKeyCheck();
    expect(await rotateStoreKey(path, KEY, NEW)).toEqual({ setups: 2, connections: 2 });
    expect(JSON.parse(await readFile(path, 'utf8')).keyCheck).toBeDefined();
    await expectAllReadable(NEW, held);
    await expectKeyRefused(KEY);
  });

  it('refuses the same key twice, a wrong current key, and a missing store, writing nothing', async () => {
    const held = await filledStore();
    const before = await snapshot(path);
    await expect(rotateStoreKey(path, KEY, Buffer.from(KEY))).rejects.toBeInstanceOf(KeyRotationRefusedError);
    const wrong = rotateStoreKey(path, OTHER, NEW);
    await expect(wrong).rejects.toBeInstanceOf(StoreKeyError);
    await expect(wrong).rejects.toThrow(path);
    expect(await snapshot(path)).toEqual(before);
    await expect(rotateStoreKey(join(dir, 'elsewhere.json'), KEY, NEW)).rejects.toBeInstanceOf(StoreUnreadableError);
    expect((await readdir(dirname(path))).sort()).toEqual(['spokebot.json', 'spokebot.json.audit.jsonl']);
    await expectAllReadable(KEY, held);
  });

  it('refuses a store whose key check opens but a secret does not (damaged), writing nothing', async () => {
    await filledStore();
    const data = JSON.parse(await readFile(path, 'utf8'));
    data.connections[1].sealedCredential = data.connections[0].sealedCredential; // bound to another record
    await writeFile(path, JSON.stringify(data));
    const before = await snapshot(path);
    await expect(rotateStoreKey(path, KEY, NEW)).rejects.toThrow(/1 sealed secrets do not open/);
    expect(await snapshot(path)).toEqual(before);
  });
});
