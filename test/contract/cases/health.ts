import { expect } from 'vitest';
import { HOUR, START, connection, health } from '../fixtures.js';
import type { StoreCase } from '../store-contract.js';

const later = (ms: number) => new Date(START.getTime() + ms);

export function healthCases(store: StoreCase): void {
  store('keeps the health record saved for a connection', async ({ store }) => {
    await store.saveConnection(connection('Jira acme'));
    expect(store.getHealth('Jira acme')).toBeUndefined();
    // Names are typed by admins: one must not find what every object inherits.
    expect(store.getHealth('constructor')).toBeUndefined();
    const record = health(START, later(HOUR), { state: 'warning', alertedState: 'warning', alertedAt: START.toISOString() });
    await store.saveHealth('Jira acme', record);
    expect(store.getHealth('Jira acme')).toEqual(record);
    const next = health(later(HOUR), later(2 * HOUR));
    await store.saveHealth('Jira acme', next);
    expect(store.getHealth('Jira acme')).toEqual(next);
  });

  store('keeps a check result only over the connection and credential it began with', async ({ store }) => {
    const record = health(START, later(HOUR));
    expect(await store.saveCheckResult('Jira acme', undefined, record)).toBe(false);
    expect(store.getHealth('Jira acme')).toBeUndefined();

    await store.saveConnection(connection('Jira acme'));
    expect(await store.saveCheckResult('Jira acme', 1, record)).toBe(false);
    expect(await store.saveCheckResult('Jira acme', undefined, record)).toBe(true);
    expect(store.getHealth('Jira acme')).toEqual(record);

    // The credential changed while a check ran: its result is about the old one.
    await store.transitionConnection('Jira acme', ['connected'], {}, { newCredential: true });
    const stale = health(later(1), later(HOUR), { state: 'failing' });
    expect(await store.saveCheckResult('Jira acme', 0, stale)).toBe(false);
    expect(await store.saveCheckResult('Jira acme', 1, stale)).toBe(true);

    await store.transitionConnection('Jira acme', ['connected'], { state: 'removed' });
    expect(await store.saveCheckResult('Jira acme', 1, health(later(2), later(HOUR)))).toBe(false);
    expect(store.getHealth('Jira acme')).toEqual(stale);
  });

  store('keeps only the first of two check results that started from the same record', async ({ store }) => {
    await store.saveConnection(connection('Jira acme'));
    const first = health(later(1), later(HOUR), { state: 'failing' });
    const second = health(later(2), later(HOUR), { state: 'failing' });
    // Neither saw a record: the first to save wins.
    expect(await store.saveCheckResult('Jira acme', undefined, first, { checkedAt: undefined })).toBe(true);
    expect(await store.saveCheckResult('Jira acme', undefined, second, { checkedAt: undefined })).toBe(false);
    expect(store.getHealth('Jira acme')).toEqual(first);

    const third = health(later(3), later(HOUR));
    const fourth = health(later(4), later(HOUR));
    const [a, b] = await Promise.all([
      store.saveCheckResult('Jira acme', undefined, third, { checkedAt: first.checkedAt }),
      store.saveCheckResult('Jira acme', undefined, fourth, { checkedAt: first.checkedAt }),
    ]);
    expect([a, b].filter(Boolean)).toHaveLength(1);
    expect(store.getHealth('Jira acme')).toEqual(a ? third : fourth);
  });
}
