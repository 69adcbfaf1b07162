import { expect } from 'vitest';
import { START } from '../fixtures.js';
import type { StoreCase } from '../store-contract.js';

export function rotationCases(store: StoreCase): void {
  store('keeps a rotation in flight until it ends', async ({ store, clock }) => {
    const rotation = await store.startRotation({ kind: 'reconsent', connection: 'Jira acme', userId: 'U1', step: 'watching', since: START.toISOString() });
    expect(rotation).toMatchObject({ kind: 'reconsent', connection: 'Jira acme', step: 'watching', startedAt: START.toISOString(), updatedAt: START.toISOString() });
    const other = await store.startRotation({ kind: 'secret', connection: 'Jira other', userId: 'U2', step: 'verifying' });
    expect(other.id).not.toBe(rotation.id);
    expect(store.listRotations().map((r) => r.id).sort()).toEqual([rotation.id, other.id].sort());

    clock.advance(1_000);
    await store.updateRotation(other.id, { step: 'writing' });
    expect(store.listRotations().find((r) => r.id === other.id)).toMatchObject({ step: 'writing', startedAt: START.toISOString(), updatedAt: clock.iso() });

    await store.endRotation(rotation.id);
    expect(store.listRotations().map((r) => r.id)).toEqual([other.id]);
    // Ending one already ended (another replica's, a second click) and updating it are no-ops.
    await store.endRotation(rotation.id);
    await store.updateRotation(rotation.id, { step: 'writing' });
    expect(store.listRotations().map((r) => r.id)).toEqual([other.id]);
  });
}
