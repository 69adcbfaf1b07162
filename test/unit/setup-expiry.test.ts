import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SetupRequest } from '../../src/core/setup-request.js';
import type { PendingSetup } from '../../src/store/schema.js';
import { SpokeStore } from '../../src/store/spoke-store.js';

const KEY = Buffer.alloc(32, 9);
const MINUTE = 60_000;
const IDLE = 30 * MINUTE;
const TTL = 24 * 60 * MINUTE;
const request: SetupRequest = {
  spoke: 'confluence',
  method: 'oauth_3lo',
  connectionName: 'Confluence acme',
  siteOrigin: 'https://acme.atlassian.net',
  clientId: 'id',
  secret: 'the-client-secret-value',
  scopes: ['read:me'],
  channel: 'C1',
};

let dir: string;
let clock: Date;
let store: SpokeStore;
const later = (ms: number) => (clock = new Date(clock.getTime() + ms));
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spokebot-expiry-'));
  clock = new Date('2026-11-23T10:00:00Z');
  store = await SpokeStore.open(join(dir, 'spokebot.json'), KEY, () => clock);
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

async function setupIn(status: PendingSetup['status']): Promise<PendingSetup> {
  const setup = await store.createSetup(request, 'U1', TTL);
  return store.updateSetup(setup.id, { status });
}

describe('expiring setups', () => {
  it('expires every state that waits on the admin once it has not moved for the idle limit, wiping its secret', async () => {
    const waiting = await Promise.all((['checking_site', 'site_failed', 'credential_failed', 'planned', 'write_failed'] as const).map(setupIn));
    const busy = await Promise.all((['writing', 'awaiting_consent', 'consent_timeout'] as const).map(setupIn));
    later(IDLE - 1);
    expect(await store.expireSetups(IDLE)).toEqual([]);
    later(1);
    const ended = await store.expireSetups(IDLE);
    expect(ended.map((s) => s.id).sort()).toEqual(waiting.map((s) => s.id).sort());
    for (const setup of ended) {
      expect(setup).toMatchObject({ status: 'expired', failure: { code: 'idle' } });
      expect(setup.sealedSecret).toBeUndefined();
      expect(setup.failure?.message).toContain('30 min (SPOKE_SETUP_IDLE)');
    }
    for (const setup of busy) expect(store.getSetup(setup.id)!.status).not.toBe('expired');
  });

  it('counts idleness from the last move, not from the start', async () => {
    const setup = await setupIn('site_failed');
    later(20 * MINUTE);
    await store.updateSetup(setup.id, { status: 'planned' });
    later(20 * MINUTE);
    expect(await store.expireSetups(IDLE)).toEqual([]);
    later(10 * MINUTE);
    expect((await store.expireSetups(IDLE)).map((s) => s.id)).toEqual([setup.id]);
  });

  it('keeps SPOKE_SETUP_TTL as the hard cap for a setup that keeps moving, and never ends a write in progress', async () => {
    const moving = await setupIn('consent_timeout');
    const writing = await setupIn('writing');
    later(TTL - MINUTE);
    await store.updateSetup(moving.id, { status: 'consent_timeout' });
    later(MINUTE);
    const ended = await store.expireSetups(IDLE);
    expect(ended.map((s) => s.id)).toEqual([moving.id]);
    expect(ended[0]).toMatchObject({ failure: { code: 'expired' } });
    expect(store.getSetup(writing.id)!.status).toBe('writing');
  });
});

describe('rotations in flight', () => {
  it('are kept in the store until they end, and a store written before they existed still opens', async () => {
    const rotation = await store.startRotation({ kind: 'secret', connection: 'Jira token', userId: 'U1', step: 'verifying' });
    await store.updateRotation(rotation.id, { step: 'writing' });
    const reopened = await SpokeStore.open(join(dir, 'spokebot.json'), KEY, () => clock);
    expect(reopened.listRotations()).toEqual([{ ...rotation, step: 'writing' }]);
    await reopened.endRotation(rotation.id);
    expect(reopened.listRotations()).toEqual([]);
    await reopened.close();

    const old = join(dir, 'old.json');
    await writeFile(old, JSON.stringify({ version: 1, setups: [], connections: [] }), { mode: 0o600 });
    const fromBefore = await SpokeStore.open(old, KEY, () => clock);
    expect(fromBefore.listRotations()).toEqual([]);
    await fromBefore.close();
  });
});
