import { expect } from 'vitest';
import { MINUTE, START, connection, setupRequest } from '../fixtures.js';
import type { StoreCase } from '../store-contract.js';

export function setupCases(store: StoreCase): void {
  store('creates a setup checking its site, with the secret sealed to it', async ({ store, clock }) => {
    const setup = await store.createSetup(setupRequest(), 'U1', 30 * MINUTE, 'V1');
    expect(setup).toMatchObject({ status: 'checking_site', userId: 'U1', connectionName: 'Confluence acme', viewId: 'V1', written: [] });
    expect(setup.createdAt).toBe(START.toISOString());
    expect(setup.expiresAt).toBe(new Date(START.getTime() + 30 * MINUTE).toISOString());
    expect(JSON.stringify(setup)).not.toContain('the-client-secret-value');
    expect(store.revealSecret(setup)).toBe('the-client-secret-value');
    expect(store.getSetup(setup.id)).toEqual(setup);
    expect(store.getSetup('no-such-setup')).toBeUndefined();

    clock.advance(1);
    const other = await store.createSetup(setupRequest({ connectionName: 'Jira acme' }), 'U2', 30 * MINUTE);
    expect(other.id).not.toBe(setup.id);
    expect(other).not.toHaveProperty('viewId');
    expect(store.listSetups().map((s) => s.id).sort()).toEqual([setup.id, other.id].sort());
    expect(store.listSetups((s) => s.userId === 'U2').map((s) => s.id)).toEqual([other.id]);
  });

  store('binds a sealed secret to its setup, and a credential to its connection name', async ({ store }) => {
    const a = await store.createSetup(setupRequest(), 'U1', MINUTE);
    const b = await store.createSetup(setupRequest({ secret: 'another' }), 'U1', MINUTE);
    expect(() => store.revealSecret({ ...b, sealedSecret: a.sealedSecret })).toThrow();

    await store.resealSecret(a.id, 'fixed-secret');
    expect(store.revealSecret(store.getSetup(a.id)!)).toBe('fixed-secret');

    const sealed = store.sealCredential('Jira acme', 'api-token-1');
    expect(JSON.stringify(sealed)).not.toContain('api-token-1');
    expect(store.revealCredential(connection('Jira acme', { sealedCredential: sealed }))).toBe('api-token-1');
    expect(() => store.revealCredential(connection('Jira other', { sealedCredential: sealed }))).toThrow();
    expect(store.revealCredential(connection('Jira acme'))).toBeUndefined();
  });

  store('updates a setup, and wipes its secret when asked or when it ends', async ({ store, clock }) => {
    const setup = await store.createSetup(setupRequest(), 'U1', MINUTE);
    clock.advance(5_000);
    const updated = await store.updateSetup(setup.id, { status: 'site_failed', cloudId: 'cloud-1' });
    expect(updated).toMatchObject({ status: 'site_failed', cloudId: 'cloud-1', updatedAt: clock.iso() });
    expect(store.revealSecret(store.getSetup(setup.id)!)).toBe('the-client-secret-value');

    await store.updateSetup(setup.id, {}, { wipeSecret: true });
    expect(store.getSetup(setup.id)!.sealedSecret).toBeUndefined();

    for (const status of ['connected', 'cancelled', 'expired'] as const) {
      const ending = await store.createSetup(setupRequest(), 'U1', MINUTE);
      await store.updateSetup(ending.id, { status });
      expect(store.getSetup(ending.id)).toMatchObject({ status });
      expect(store.getSetup(ending.id)!.sealedSecret).toBeUndefined();
    }
    await expect(store.updateSetup('no-such-setup', { status: 'cancelled' })).rejects.toThrow();
  });

  store('moves a setup on only from the states named, once of two at the same time', async ({ store, clock }) => {
    const setup = await store.createSetup(setupRequest(), 'U1', MINUTE);
    expect(await store.transitionSetup(setup.id, ['planned'], { status: 'writing' })).toBeUndefined();
    expect(store.getSetup(setup.id)).toMatchObject({ status: 'checking_site', updatedAt: START.toISOString() });
    expect(await store.transitionSetup('no-such-setup', ['checking_site'], { status: 'planned' })).toBeUndefined();

    clock.advance(1_000);
    const moved = await store.transitionSetup(setup.id, ['checking_site', 'site_failed'], { status: 'planned', cloudId: 'c' });
    expect(moved).toMatchObject({ status: 'planned', cloudId: 'c', updatedAt: clock.iso() });
    expect(store.getSetup(setup.id)).toMatchObject({ status: 'planned', cloudId: 'c' });
    expect(store.revealSecret(store.getSetup(setup.id)!)).toBe('the-client-secret-value');

    const both = await Promise.all([
      store.transitionSetup(setup.id, ['planned'], { status: 'writing' }),
      store.transitionSetup(setup.id, ['planned'], { status: 'writing' }),
    ]);
    expect(both.filter(Boolean)).toHaveLength(1);

    expect(await store.transitionSetup(setup.id, ['writing'], { status: 'write_failed' }, { wipeSecret: true })).toBeDefined();
    expect(store.getSetup(setup.id)!.sealedSecret).toBeUndefined();

    const ending = await store.createSetup(setupRequest(), 'U1', MINUTE);
    await store.transitionSetup(ending.id, ['checking_site'], { status: 'cancelled' });
    expect(store.getSetup(ending.id)!.sealedSecret).toBeUndefined();
  });

  store('plans a setup: the name is reserved, and nothing changes for a setup no longer checking', async ({ store, clock }) => {
    const setup = await store.createSetup(setupRequest(), 'U1', MINUTE);
    clock.advance(1_000);
    const outcome = await store.planSetup(setup.id, { cloudId: 'cloud-1', shownWarnings: ['w'] });
    expect(outcome).toEqual({ planned: expect.objectContaining({ id: setup.id, status: 'planned', cloudId: 'cloud-1', shownWarnings: ['w'], updatedAt: clock.iso() }), superseded: [] });
    expect(store.getSetup(setup.id)).toMatchObject({ status: 'planned', cloudId: 'cloud-1' });
    // Planned already: no longer checking.
    expect(await store.planSetup(setup.id, {})).toBeUndefined();
    expect(await store.planSetup('no-such-setup', {})).toBeUndefined();
  });

  store("refuses another admin's setup of a held name, case and spaces aside", async ({ store }) => {
    const first = await store.createSetup(setupRequest({ connectionName: 'Confluence acme' }), 'U1', MINUTE);
    expect(await store.planSetup(first.id, {})).toMatchObject({ planned: { id: first.id } });
    const second = await store.createSetup(setupRequest({ connectionName: ' CONFLUENCE Acme ' }), 'U2', MINUTE);
    expect(store.nameHolder(second)?.id).toBe(first.id);

    const outcome = await store.planSetup(second.id, { cloudId: 'c' });
    expect(outcome).toEqual({ heldBy: expect.objectContaining({ id: first.id, userId: 'U1', status: 'planned' }) });
    expect(store.getSetup(second.id)).toMatchObject({ status: 'checking_site' });
    expect(store.getSetup(second.id)!.cloudId).toBeUndefined();

    // Every holding state holds; an ended setup does not.
    for (const status of ['writing', 'write_failed', 'awaiting_consent', 'consent_timeout'] as const) {
      await store.updateSetup(first.id, { status });
      expect(await store.planSetup(second.id, {}), status).toMatchObject({ heldBy: { id: first.id } });
    }
    await store.updateSetup(first.id, { status: 'connected' });
    expect(store.nameHolder(second)).toBeUndefined();
    expect(await store.planSetup(second.id, {})).toMatchObject({ planned: { id: second.id }, superseded: [] });
  });

  store("lets the same admin's newer setup of a name supersede the earlier one, unless it is writing", async ({ store }) => {
    const earlier = await store.createSetup(setupRequest(), 'U1', MINUTE);
    await store.planSetup(earlier.id, {});
    const newer = await store.createSetup(setupRequest({ connectionName: 'confluence ACME' }), 'U1', MINUTE);
    const outcome = await store.planSetup(newer.id, {});
    expect(outcome).toMatchObject({ planned: { id: newer.id, status: 'planned' }, superseded: [{ id: earlier.id, status: 'cancelled', failure: { code: 'superseded' } }] });
    expect(store.getSetup(earlier.id)).toMatchObject({ status: 'cancelled', failure: { code: 'superseded' } });
    expect(store.getSetup(earlier.id)!.sealedSecret).toBeUndefined();

    const third = await store.createSetup(setupRequest(), 'U1', MINUTE);
    await store.updateSetup(newer.id, { status: 'writing' });
    expect(await store.planSetup(third.id, {})).toMatchObject({ heldBy: { id: newer.id, status: 'writing' } });
    expect(store.getSetup(newer.id)).toMatchObject({ status: 'writing' });
  });

  store('expires setups past their hard cap once, wiping the secret and saying why', async ({ store, clock }) => {
    const setup = await store.createSetup(setupRequest(), 'U1', MINUTE);
    clock.advance(MINUTE - 1_000);
    expect(await store.expireSetups()).toEqual([]);
    clock.advance(2_000);
    const ended = await store.expireSetups();
    expect(ended).toEqual([expect.objectContaining({ id: setup.id, status: 'expired', failure: expect.objectContaining({ code: 'expired', message: expect.stringContaining('SPOKE_SETUP_TTL') }) })]);
    expect(ended[0]!.sealedSecret).toBeUndefined();
    expect(store.getSetup(setup.id)).toMatchObject({ status: 'expired', updatedAt: clock.iso() });
    expect(store.getSetup(setup.id)!.sealedSecret).toBeUndefined();
    expect(await store.expireSetups()).toEqual([]);
  });

  store('expires setups left idle waiting for the admin, but never one writing or awaiting consent', async ({ store, clock }) => {
    const idle = await store.createSetup(setupRequest(), 'U1', 24 * 60 * MINUTE);
    const writing = await store.createSetup(setupRequest({ connectionName: 'Writing' }), 'U1', 24 * 60 * MINUTE);
    await store.updateSetup(writing.id, { status: 'writing' });
    const consent = await store.createSetup(setupRequest({ connectionName: 'Consent' }), 'U1', 20 * MINUTE);
    await store.updateSetup(consent.id, { status: 'awaiting_consent' });
    clock.advance(6 * MINUTE);
    const moved = await store.createSetup(setupRequest({ connectionName: 'Recent' }), 'U1', 24 * 60 * MINUTE);

    clock.advance(9 * MINUTE);
    expect(await store.expireSetups()).toEqual([]);
    const ended = await store.expireSetups(10 * MINUTE);
    expect(ended.map((s) => s.id)).toEqual([idle.id]);
    expect(ended[0]!.failure).toMatchObject({ code: 'idle', message: expect.stringContaining('SPOKE_SETUP_IDLE') });
    expect(store.getSetup(moved.id)).toMatchObject({ status: 'checking_site' });

    // Past every hard cap: writing and awaiting consent are still left to their own ends.
    clock.advance(2 * 24 * 60 * MINUTE);
    expect((await store.expireSetups(10 * MINUTE)).map((s) => s.id)).toEqual([moved.id]);
    expect(store.getSetup(writing.id)).toMatchObject({ status: 'writing' });
    expect(store.getSetup(consent.id)).toMatchObject({ status: 'awaiting_consent' });
  });
}
