import { expect } from 'vitest';
import { START, accessRequest } from '../fixtures.js';
import type { StoreCase } from '../store-contract.js';

export function requestCases(store: StoreCase): void {
  store('numbers requests 1, 2, 3 and hands out copies', async ({ store }) => {
    const created = [];
    for (const requester of ['U1', 'U2', 'U3']) created.push(await store.createRequest(accessRequest(START, { requester })));
    expect(created.map((r) => r.id)).toEqual([1, 2, 3]);
    expect(store.getRequest(2)).toEqual({ ...accessRequest(START, { requester: 'U2' }), id: 2 });
    expect(store.getRequest(4)).toBeUndefined();
    expect(store.listRequests().map((r) => r.id)).toEqual([1, 2, 3]);
    expect(store.listRequests((r) => r.requester !== 'U2').map((r) => r.id)).toEqual([1, 3]);

    const copy = store.getRequest(1)!;
    copy.state = 'denied';
    copy.details = { kind: 'more_scopes', connection: 'x', scopes: [] };
    expect(store.getRequest(1)).toMatchObject({ state: 'open', details: { kind: 'new_connection' } });
  });

  store('decides a request once, from the states named and past its guard', async ({ store }) => {
    const request = await store.createRequest(accessRequest(START));
    expect(await store.transitionRequest(request.id, ['approved'], { state: 'denied' })).toBeUndefined();
    expect(await store.transitionRequest(request.id, ['open'], { state: 'denied' }, (r) => r.requester === 'someone else')).toBeUndefined();
    expect(await store.transitionRequest(99, ['open'], { state: 'denied' })).toBeUndefined();
    expect(store.getRequest(request.id)).toMatchObject({ state: 'open' });

    const [a, b] = await Promise.all([
      store.transitionRequest(request.id, ['open'], { state: 'approved', decidedBy: 'U2', decidedAt: START.toISOString() }),
      store.transitionRequest(request.id, ['open'], { state: 'denied', decidedBy: 'U3', denyReason: 'no' }),
    ]);
    expect([a, b].filter(Boolean)).toHaveLength(1);
    const decided = store.getRequest(request.id)!;
    expect(decided).toEqual(a ?? b);
    expect(decided.decidedBy).toBe(a ? 'U2' : 'U3');
    expect(await store.transitionRequest(request.id, ['open'], { state: 'withdrawn' })).toBeUndefined();

    // A later step that stays in the decided state (recording the outcome) goes through its own guard.
    const followed = await store.transitionRequest(request.id, [decided.state], { outcome: 'done' }, (r) => r.outcome === undefined);
    expect(followed).toMatchObject({ outcome: 'done', state: decided.state });
    expect(await store.transitionRequest(request.id, [decided.state], { outcome: 'twice' }, (r) => r.outcome === undefined)).toBeUndefined();
  });
}
