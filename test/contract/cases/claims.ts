import { expect } from 'vitest';
import { HOUR, MINUTE, connection, health } from '../fixtures.js';
import type { StoreCase } from '../store-contract.js';

const LEASE = 5 * MINUTE;
const sorted = (names: string[]) => [...names].sort();

export function claimCases(store: StoreCase): void {
  store('claims the checks that are due, of connected connections only, each once while claimed', async ({ store, clock }) => {
    await store.saveConnection(connection('never checked'));
    await store.saveConnection(connection('due'));
    await store.saveHealth('due', health(clock.now(), clock.now()));
    await store.saveConnection(connection('not due'));
    await store.saveHealth('not due', health(clock.now(), new Date(clock.now().getTime() + HOUR)));
    await store.saveConnection(connection('awaiting consent', { state: 'awaiting_consent' }));
    await store.saveConnection(connection('removed', { state: 'removed' }));

    const first = await store.claimDueChecks({ limit: 1, leaseMs: LEASE });
    expect(first).toHaveLength(1);
    const rest = await store.claimDueChecks({ limit: 10, leaseMs: LEASE });
    expect(sorted([...first, ...rest])).toEqual(['due', 'never checked']);
    expect(await store.claimDueChecks({ limit: 10, leaseMs: LEASE })).toEqual([]);

    // The hour passes: the one not due becomes due; the claimed ones' leases ran out long ago.
    clock.advance(HOUR);
    expect(sorted(await store.claimDueChecks({ limit: 10, leaseMs: LEASE }))).toEqual(['due', 'never checked', 'not due']);
  });

  store('claims a check again once its lease runs out (its process died)', async ({ store, clock }) => {
    await store.saveConnection(connection('Jira acme'));
    expect(await store.claimDueChecks({ limit: 10, leaseMs: LEASE })).toEqual(['Jira acme']);
    clock.advance(LEASE - 1_000);
    expect(await store.claimDueChecks({ limit: 10, leaseMs: LEASE })).toEqual([]);
    clock.advance(2_000);
    expect(await store.claimDueChecks({ limit: 10, leaseMs: LEASE })).toEqual(['Jira acme']);
  });

  store('ends a claim when its result is saved, and the check is due again when the record says', async ({ store, clock }) => {
    await store.saveConnection(connection('Jira acme'));
    await store.saveConnection(connection('Jira other'));
    expect(sorted(await store.claimDueChecks({ limit: 10, leaseMs: LEASE }))).toEqual(['Jira acme', 'Jira other']);
    // Results due again right away (a check that asks to run again now), saved both ways.
    expect(await store.saveCheckResult('Jira acme', undefined, health(clock.now(), clock.now()))).toBe(true);
    await store.saveHealth('Jira other', health(clock.now(), clock.now()));
    expect(sorted(await store.claimDueChecks({ limit: 10, leaseMs: LEASE }))).toEqual(['Jira acme', 'Jira other']);

    // A result due in an hour: not claimed before then, even with no claim held.
    await store.saveHealth('Jira acme', health(clock.now(), new Date(clock.now().getTime() + HOUR)));
    clock.advance(LEASE + 1_000);
    expect(await store.claimDueChecks({ limit: 10, leaseMs: LEASE })).toEqual(['Jira other']);
    clock.advance(HOUR);
    expect(sorted(await store.claimDueChecks({ limit: 10, leaseMs: LEASE }))).toEqual(['Jira acme', 'Jira other']);
  });

  store('ends a claim when its result is refused too: the check still due is claimed again at once, not after the lease', async ({ store, clock }) => {
    await store.saveConnection(connection('Jira acme'));
    await store.saveConnection(connection('Jira other'));
    await store.saveHealth('Jira other', health(clock.now(), clock.now()));
    expect(sorted(await store.claimDueChecks({ limit: 10, leaseMs: LEASE }))).toEqual(['Jira acme', 'Jira other']);
    // Rotated while its check ran (the credential the check began with is not the one held now),
    // and a check that started from another record than the one stored.
    const hourOn = new Date(clock.now().getTime() + HOUR);
    expect(await store.saveCheckResult('Jira acme', 5, health(clock.now(), hourOn))).toBe(false);
    expect(await store.saveCheckResult('Jira other', undefined, health(clock.now(), hourOn), { checkedAt: undefined })).toBe(false);
    expect(sorted(await store.claimDueChecks({ limit: 10, leaseMs: LEASE }))).toEqual(['Jira acme', 'Jira other']);
  });

  store('claims a reminder once; once marked it is never claimed again; released, it is', async ({ store, clock }) => {
    expect(await store.claimReminder('r1', LEASE)).toBe(true);
    expect(await store.claimReminder('r1', LEASE)).toBe(false);
    await store.releaseReminder('r1');
    expect(await store.claimReminder('r1', LEASE)).toBe(true);
    clock.advance(LEASE + 1_000);
    // Its claimant died: the lease ran out.
    expect(await store.claimReminder('r1', LEASE)).toBe(true);

    await store.markReminders(['r1', 'r2']);
    await store.markReminders([]);
    await store.markReminders(['r1']);
    expect(sorted([...store.remindersHandled()])).toEqual(['r1', 'r2']);
    expect(await store.claimReminder('r1', LEASE)).toBe(false);
    expect(await store.claimReminder('r2', LEASE)).toBe(false);
    clock.advance(LEASE + 1_000);
    expect(await store.claimReminder('r1', LEASE)).toBe(false);

    const both = await Promise.all([store.claimReminder('r3', LEASE), store.claimReminder('r3', LEASE)]);
    expect(both.filter(Boolean)).toHaveLength(1);
  });

  store('holds a lease, again for its holder (which renews it), and lets it go', async ({ store }) => {
    expect(await store.acquireLease('setup:1', LEASE)).toBe(true);
    expect(await store.acquireLease('setup:1', LEASE)).toBe(true);
    expect(await store.acquireLease('watch:1', LEASE)).toBe(true);
    await store.releaseLease('setup:1');
    await store.releaseLease('not held');
    expect(await store.acquireLease('setup:1', LEASE)).toBe(true);
    expect(await store.acquireLease('watch:1', LEASE)).toBe(true);
  });
}
