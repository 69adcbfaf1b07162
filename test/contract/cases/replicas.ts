import { expect } from 'vitest';
import type { AccessRequest, SpokeStore } from '../../../src/store/spoke-store.js';
import { HOUR, MINUTE, START, accessRequest, connection, health, setupRequest } from '../fixtures.js';
import type { StoreCase, StoreUnderTest } from '../store-contract.js';

/** How long a write on one replica may take to show in another's synchronous reads. */
const VISIBLE_WITHIN_MS = 2_000;

async function replicas(opened: StoreUnderTest): Promise<[SpokeStore, SpokeStore]> {
  if (!opened.secondReplica) throw new Error('this store has no second replica');
  return [opened.store, await opened.secondReplica()];
}

/** Polls `read` until it passes `check`, for at most VISIBLE_WITHIN_MS; fails with what it read last. */
async function eventually<T>(read: () => T, check: (value: T) => void): Promise<void> {
  const deadline = Date.now() + VISIBLE_WITHIN_MS;
  for (;;) {
    try {
      check(read());
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

export function replicaCases(store: StoreCase): void {
  store('sees another replica’s writes, changes and removals shortly after', async (opened) => {
    const [a, b] = await replicas(opened);
    expect(a.shared && b.shared).toBe(true);
    const setup = await a.createSetup(setupRequest(), 'U1', HOUR);
    await a.saveConnection(connection('Jira acme'));
    const request = await a.createRequest(accessRequest(START));
    await a.saveHealth('Jira acme', health(START, new Date(START.getTime() + HOUR)));
    const rotation = await a.startRotation({ kind: 'secret', connection: 'Jira acme', userId: 'U1', step: 'writing' });
    await a.markReminders(['r1']);
    await eventually(
      () => ({
        setup: b.getSetup(setup.id),
        connection: b.getConnection('Jira acme'),
        request: b.getRequest(request.id),
        health: b.getHealth('Jira acme'),
        rotations: b.listRotations().map((r) => r.id),
        reminders: [...b.remindersHandled()],
      }),
      (seen) =>
        expect(seen).toEqual({
          setup: a.getSetup(setup.id),
          connection: a.getConnection('Jira acme'),
          request: a.getRequest(request.id),
          health: a.getHealth('Jira acme'),
          rotations: [rotation.id],
          reminders: ['r1'],
        }),
    );
    expect(b.revealSecret(b.getSetup(setup.id)!)).toBe('the-client-secret-value');

    await a.transitionConnection('Jira acme', ['connected'], { state: 'removed' });
    await a.endRotation(rotation.id);
    await a.updateSetup(setup.id, { status: 'cancelled' });
    await eventually(
      () => [b.getConnection('Jira acme')?.state, b.listRotations().length, b.getSetup(setup.id)?.status],
      (seen) => expect(seen).toEqual(['removed', 0, 'cancelled']),
    );
  });

  store('decides a request once when approvers click on two replicas at once', async (opened) => {
    const [a, b] = await replicas(opened);
    const requests: AccessRequest[] = [];
    for (const i of range(20)) requests.push(await a.createRequest(accessRequest(START, { requester: `U${i}` })));
    const decisions = await Promise.all(
      requests.map((request) =>
        Promise.all([
          a.transitionRequest(request.id, ['open'], { state: 'approved', decidedBy: 'A' }),
          b.transitionRequest(request.id, ['open'], { state: 'denied', decidedBy: 'B' }),
        ]),
      ),
    );
    for (const [i, pair] of decisions.entries()) expect(pair.filter(Boolean), `request ${requests[i]!.id}`).toHaveLength(1);
    // Both replicas come to hold the decision that was made, not their own attempt.
    for (const [i, pair] of decisions.entries()) {
      const made = (pair[0] ?? pair[1])!;
      await eventually(() => [a.getRequest(made.id), b.getRequest(made.id)], (seen) => expect(seen, `request ${requests[i]!.id}`).toEqual([made, made]));
    }
  });

  store('a replica whose decision was refused reads the decision that refused it at once, not its stale copy', async (opened) => {
    const [a, b] = await replicas(opened);
    const request = await a.createRequest(accessRequest(START, { requester: 'U1' }));
    await eventually(() => b.getRequest(request.id)?.state, (state) => expect(state).toBe('open'));
    const made = await a.transitionRequest(request.id, ['open'], { state: 'approved', decidedBy: 'A' });
    // No wait: B's change notice may still be on its way when B's own click is refused.
    expect(await b.transitionRequest(request.id, ['open'], { state: 'denied', decidedBy: 'B' })).toBeUndefined();
    expect(b.getRequest(request.id)).toEqual(made);
  });

  store('numbers requests made on two replicas at once without a gap or a repeat', async (opened) => {
    const [a, b] = await replicas(opened);
    const made = await Promise.all(range(20).flatMap((i) => [a.createRequest(accessRequest(START, { requester: `A${i}` })), b.createRequest(accessRequest(START, { requester: `B${i}` }))]));
    expect(made.map((r) => r.id).sort((x, y) => x - y)).toEqual(range(40));
  });

  store('lets one of two admins on two replicas plan a connection name', async (opened) => {
    const [a, b] = await replicas(opened);
    for (const i of range(10)) {
      const first = await a.createSetup(setupRequest({ connectionName: `Jira ${i}` }), 'U1', HOUR);
      const second = await b.createSetup(setupRequest({ connectionName: `JIRA ${i} ` }), 'U2', HOUR);
      const outcomes = await Promise.all([a.planSetup(first.id, {}), b.planSetup(second.id, {})]);
      const planned = outcomes.filter((o) => o && 'planned' in o);
      const held = outcomes.filter((o) => o && 'heldBy' in o);
      expect([planned.length, held.length], `name ${i}`).toEqual([1, 1]);
      const winner = planned[0] && 'planned' in planned[0] ? planned[0].planned.id : undefined;
      expect(held[0] && 'heldBy' in held[0] ? held[0].heldBy.id : undefined).toBe(winner);
    }
  });

  store('claims every due check exactly once over two replicas claiming in a loop', async (opened) => {
    const [a, b] = await replicas(opened);
    const names = range(60).map((i) => `Jira ${i}`);
    for (const name of names) await a.saveConnection(connection(name));
    const claimedBy = async (replica: SpokeStore) => {
      const claimed: string[] = [];
      for (;;) {
        const batch = await replica.claimDueChecks({ limit: 7, leaseMs: 10 * MINUTE });
        if (batch.length === 0) return claimed;
        claimed.push(...batch);
      }
    };
    const [byA, byB] = await Promise.all([claimedBy(a), claimedBy(b)]);
    expect([...byA, ...byB].sort()).toEqual([...names].sort());
    expect(await a.claimDueChecks({ limit: 100, leaseMs: 10 * MINUTE })).toEqual([]);
    expect(await b.claimDueChecks({ limit: 100, leaseMs: 10 * MINUTE })).toEqual([]);
  });

  store('takes over a claimed check once its lease runs out, and ends a claim when the other replica saves the result', async (opened) => {
    const [a, b] = await replicas(opened);
    await a.saveConnection(connection('Jira acme'));
    expect(await a.claimDueChecks({ limit: 10, leaseMs: 5 * MINUTE })).toEqual(['Jira acme']);
    expect(await b.claimDueChecks({ limit: 10, leaseMs: 5 * MINUTE })).toEqual([]);
    opened.clock.advance(5 * MINUTE + 1_000);
    expect(await b.claimDueChecks({ limit: 10, leaseMs: 5 * MINUTE })).toEqual(['Jira acme']);
    expect(await b.saveCheckResult('Jira acme', undefined, health(opened.clock.now(), opened.clock.now()))).toBe(true);
    expect(await a.claimDueChecks({ limit: 10, leaseMs: 5 * MINUTE })).toEqual(['Jira acme']);
  });

  store("a result refused on one replica ends that replica's claim only", async (opened) => {
    const [a, b] = await replicas(opened);
    await a.saveConnection(connection('Jira acme'));
    expect(await a.claimDueChecks({ limit: 10, leaseMs: 5 * MINUTE })).toEqual(['Jira acme']);
    // A Check now on b, with a credential rotated away meanwhile: refused, and a's claim stands.
    expect(await b.saveCheckResult('Jira acme', 5, health(opened.clock.now(), opened.clock.now()))).toBe(false);
    expect(await b.claimDueChecks({ limit: 10, leaseMs: 5 * MINUTE })).toEqual([]);
    expect(await a.saveCheckResult('Jira acme', 5, health(opened.clock.now(), opened.clock.now()))).toBe(false);
    expect(await b.claimDueChecks({ limit: 10, leaseMs: 5 * MINUTE })).toEqual(['Jira acme']);
  });

  store('keeps one of two check results that started from the same record on two replicas', async (opened) => {
    const [a, b] = await replicas(opened);
    await a.saveConnection(connection('Jira acme'));
    const results = await Promise.all([
      a.saveCheckResult('Jira acme', undefined, health(START, START, { state: 'failing' }), { checkedAt: undefined }),
      b.saveCheckResult('Jira acme', undefined, health(START, START, { state: 'warning' }), { checkedAt: undefined }),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  store('gives a reminder to one replica of two asking at once, and never again once marked', async (opened) => {
    const [a, b] = await replicas(opened);
    const keys = range(20).map((i) => `reminder:${i}`);
    const claims = await Promise.all(keys.map((key) => Promise.all([a.claimReminder(key, MINUTE), b.claimReminder(key, MINUTE)])));
    for (const [i, pair] of claims.entries()) expect(pair.filter(Boolean), keys[i]).toHaveLength(1);

    await a.markReminders(keys);
    opened.clock.advance(2 * MINUTE);
    for (const key of keys) expect([await a.claimReminder(key, MINUTE), await b.claimReminder(key, MINUTE)], key).toEqual([false, false]);
    // Released by its holder: the other replica may take it at once.
    expect(await a.claimReminder('late', MINUTE)).toBe(true);
    expect(await b.claimReminder('late', MINUTE)).toBe(false);
    await a.releaseReminder('late');
    expect(await b.claimReminder('late', MINUTE)).toBe(true);
  });

  store('refuses a lease held by one replica to the other until it runs out, then hands it over', async (opened) => {
    const [a, b] = await replicas(opened);
    expect(await a.acquireLease('setup:1', MINUTE)).toBe(true);
    expect(await b.acquireLease('setup:1', MINUTE)).toBe(false);
    // Not b's to release: it stays a's.
    await b.releaseLease('setup:1');
    expect(await b.acquireLease('setup:1', MINUTE)).toBe(false);
    expect(await a.acquireLease('setup:1', MINUTE)).toBe(true);
    opened.clock.advance(30_000);
    // Acquiring again is how the holder renews: the lease now runs a minute from here.
    expect(await a.acquireLease('setup:1', MINUTE)).toBe(true);
    opened.clock.advance(45_000);
    expect(await b.acquireLease('setup:1', MINUTE)).toBe(false);

    opened.clock.advance(20_000);
    expect(await b.acquireLease('setup:1', MINUTE)).toBe(true);
    expect(await a.acquireLease('setup:1', MINUTE)).toBe(false);
    await b.releaseLease('setup:1');
    expect(await a.acquireLease('setup:1', MINUTE)).toBe(true);

    const both = await Promise.all(range(10).flatMap((i) => [a.acquireLease(`watch:${i}`, MINUTE), b.acquireLease(`watch:${i}`, MINUTE)]));
    for (const i of range(10)) expect([both[2 * i - 2], both[2 * i - 1]].filter(Boolean), `watch:${i}`).toHaveLength(1);
  });

  store('ends each expired setup once over two replicas expiring at once', async (opened) => {
    const [a, b] = await replicas(opened);
    const ids = [];
    for (const i of range(10)) ids.push((await a.createSetup(setupRequest({ connectionName: `Jira ${i}` }), 'U1', MINUTE)).id);
    opened.clock.advance(2 * MINUTE);
    const [byA, byB] = await Promise.all([a.expireSetups(), b.expireSetups()]);
    expect([...byA, ...byB].map((s) => s.id).sort()).toEqual([...ids].sort());
  });

  store('keeps every audit entry appended on two replicas at once, in one trail', async (opened) => {
    const [a, b] = await replicas(opened);
    await Promise.all(range(25).flatMap((i) => [a.audit({ actor: 'A', action: `a.${i}`, outcome: 'ok' }), b.audit({ actor: 'B', action: `b.${i}`, outcome: 'ok' })]));
    const trail = (await a.auditTrail()).map((e) => e.action);
    expect([...trail].sort()).toEqual([...range(25).map((i) => `a.${i}`), ...range(25).map((i) => `b.${i}`)].sort());
    expect((await b.auditTrail()).map((e) => e.action)).toEqual(trail);
  });
}
