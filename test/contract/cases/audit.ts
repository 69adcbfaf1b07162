import { expect } from 'vitest';
import { HOUR, START } from '../fixtures.js';
import type { StoreCase } from '../store-contract.js';

export function auditCases(store: StoreCase): void {
  store('appends events stamped with the time, the trail oldest first', async ({ store, clock }) => {
    expect(await store.auditTrail()).toEqual([]);
    await store.audit({ actor: 'U1', action: 'setup.started', outcome: 'ok', setupId: 's1' });
    clock.advance(1_000);
    await store.audit({ actor: 'U1', action: 'connection.created', outcome: 'ok', connection: 'Jira acme', detail: { scopes: ['a', 'b'], count: 2, ok: true } });
    await store.auditLog.append({ at: '2026-11-23T09:00:00.000Z', actor: 'spokebot', action: 'health.checked', outcome: 'failed', connection: 'Jira acme' });
    expect(await store.auditTrail()).toEqual([
      { at: START.toISOString(), actor: 'U1', action: 'setup.started', outcome: 'ok', setupId: 's1' },
      { at: clock.iso(), actor: 'U1', action: 'connection.created', outcome: 'ok', connection: 'Jira acme', detail: { scopes: ['a', 'b'], count: 2, ok: true } },
      { at: '2026-11-23T09:00:00.000Z', actor: 'spokebot', action: 'health.checked', outcome: 'failed', connection: 'Jira acme' },
    ]);
    expect(store.auditLog.location).toEqual(expect.any(String));
    expect(store.auditLog.location).not.toBe('');
    expect(store.auditLog.unreadable.count).toBe(0);
    expect(store.auditLog.tornAtOpen).toEqual([]);
  });

  store('gives the latest events newest first, of one connection, from a time on, at most a limit', async ({ store, clock }) => {
    for (let i = 1; i <= 25; i++) {
      await store.audit({ actor: 'U1', action: `step.${i}`, outcome: 'ok', connection: i % 2 ? 'odd' : 'even' });
      clock.advance(HOUR);
    }
    const actions = (events: { action: string }[]) => events.map((e) => e.action);
    const latest = await store.auditLog.latest();
    expect(latest).toHaveLength(20);
    expect(actions(latest).slice(0, 3)).toEqual(['step.25', 'step.24', 'step.23']);
    expect(actions(await store.auditLog.latest({ limit: 2 }))).toEqual(['step.25', 'step.24']);
    expect(actions(await store.auditLog.latest({ connection: 'even', limit: 3 }))).toEqual(['step.24', 'step.22', 'step.20']);
    const since = new Date(START.getTime() + 20 * HOUR);
    expect(actions(await store.auditLog.latest({ since }))).toEqual(['step.25', 'step.24', 'step.23', 'step.22', 'step.21']);
    expect(actions(await store.auditLog.latest({ since, connection: 'odd' }))).toEqual(['step.25', 'step.23', 'step.21']);
    expect(await store.auditLog.latest({ connection: 'none' })).toEqual([]);
  });
}
