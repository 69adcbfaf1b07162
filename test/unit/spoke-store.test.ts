import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SetupRequest } from '../../src/core/setup-request.js';
import { SpokeStore } from '../../src/store/spoke-store.js';

const KEY = Buffer.alloc(32, 9);
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

let dir: string;
let path: string;
let clock: Date;
const now = () => clock;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spokebot-store-'));
  path = join(dir, 'nested', 'spokebot.json');
  clock = new Date('2026-11-23T10:00:00Z');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('SpokeStore', () => {
  it('keeps the secret sealed in a 0600 file and gives it back to the setup it belongs to', async () => {
    const store = await SpokeStore.open(path, KEY, now);
    const setup = await store.createSetup(request, 'U1', 60_000);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readFile(path, 'utf8')).not.toContain('the-client-secret-value');
    expect(store.revealSecret(setup)).toBe('the-client-secret-value');
  });

  it('survives a reopen (a restart) with everything it had', async () => {
    const store = await SpokeStore.open(path, KEY, now);
    const setup = await store.createSetup(request, 'U1', 60_000);
    await store.audit({ actor: 'U1', action: 'setup.started', outcome: 'ok', setupId: setup.id });
    const reopened = await SpokeStore.open(path, KEY, now);
    expect(reopened.getSetup(setup.id)).toEqual(setup);
    expect(reopened.revealSecret(reopened.getSetup(setup.id)!)).toBe('the-client-secret-value');
    expect((await reopened.auditTrail())).toHaveLength(1);
  });

  it('wipes the secret when a setup ends, and expires setups left too long', async () => {
    const store = await SpokeStore.open(path, KEY, now);
    const done = await store.createSetup(request, 'U1', 60_000);
    await store.updateSetup(done.id, { status: 'cancelled' });
    expect(store.getSetup(done.id)!.sealedSecret).toBeUndefined();

    const stale = await store.createSetup(request, 'U1', 60_000);
    clock = new Date(clock.getTime() + 59_000);
    expect(await store.expireSetups()).toEqual([]);
    clock = new Date(clock.getTime() + 2_000);
    expect((await store.expireSetups()).map((s) => s.id)).toEqual([stale.id]);
    expect(store.getSetup(stale.id)).toMatchObject({ status: 'expired' });
    expect(store.getSetup(stale.id)!.sealedSecret).toBeUndefined();
  });

  it('lets only one of two concurrent transitions through', async () => {
    const store = await SpokeStore.open(path, KEY, now);
    const setup = await store.createSetup(request, 'U1', 60_000);
    await store.updateSetup(setup.id, { status: 'planned' });
    const [a, b] = await Promise.all([
      store.transitionSetup(setup.id, ['planned'], { status: 'writing' }),
      store.transitionSetup(setup.id, ['planned'], { status: 'writing' }),
    ]);
    expect([a, b].filter(Boolean)).toHaveLength(1);
  });

  it('refuses a store file it cannot read as spokebot data', async () => {
    const store = await SpokeStore.open(path, KEY, now);
    await store.createSetup(request, 'U1', 60_000);
    const { writeFile } = await import('node:fs/promises');
    await writeFile(path, JSON.stringify({ version: 1, setups: [{ id: 1 }], connections: [], audit: [] }));
    await expect(SpokeStore.open(path, KEY, now)).rejects.toThrow();
  });
});

describe('SpokeStore requests and audit migration', () => {
  it('settles two racing decisions in the store: one wins', async () => {
    const store = await SpokeStore.open(path, KEY, now);
    const request = await store.createRequest({ requester: 'U1', details: { kind: 'new_connection', spoke: 'jira', site: 'https://acme.atlassian.net', team: 't' }, reason: 'r', state: 'open', createdAt: clock.toISOString(), lastAnnouncedAt: clock.toISOString(), reannounced: 0 });
    const copy = store.getRequest(request.id)!;
    copy.state = 'denied'; // a copy: changing it changes nothing
    const [a, b] = await Promise.all([
      store.transitionRequest(request.id, ['open'], { state: 'approved', decidedBy: 'U2' }),
      store.transitionRequest(request.id, ['open'], { state: 'denied', decidedBy: 'U3' }),
    ]);
    expect([a, b].filter(Boolean)).toHaveLength(1);
    expect(store.getRequest(request.id)).toMatchObject({ state: 'approved', decidedBy: 'U2' });
  });

  it('moves audit events kept in the store file by older versions into the audit log', async () => {
    const { writeFile, mkdir } = await import('node:fs/promises');
    const { dirname } = await import('node:path');
    await mkdir(dirname(path), { recursive: true });
    const old = { at: clock.toISOString(), actor: 'U1', action: 'setup.started', outcome: 'ok' };
    await writeFile(path, JSON.stringify({ version: 1, setups: [], connections: [], audit: [old] }));
    const store = await SpokeStore.open(path, KEY, now);
    expect((await store.auditTrail())).toEqual([old]);
    await store.close();
    const again = await SpokeStore.open(path, KEY, now);
    expect((await again.auditTrail())).toEqual([old]);
    await again.close();
  });
});
