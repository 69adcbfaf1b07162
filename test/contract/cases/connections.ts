import { expect } from 'vitest';
import { connection } from '../fixtures.js';
import type { StoreCase } from '../store-contract.js';

export function connectionCases(store: StoreCase): void {
  store('saves a new connection, and replaces one only in the states named, its credential counted as changed', async ({ store }) => {
    const saved = await store.saveConnection(connection('Jira acme', { state: 'awaiting_consent' }));
    expect(saved).toEqual(connection('Jira acme', { state: 'awaiting_consent' }));
    expect(store.getConnection('Jira acme')).toEqual(saved);
    expect(store.getConnection('Jira other')).toBeUndefined();
    await store.saveConnection(connection('Jira other'));
    expect(store.listConnections().map((c) => c.name).sort()).toEqual(['Jira acme', 'Jira other']);

    expect(await store.saveConnection(connection('Jira acme', { channel: 'C2' }), ['removed'])).toBeUndefined();
    expect(store.getConnection('Jira acme')).toMatchObject({ state: 'awaiting_consent', channel: 'C1' });

    const replaced = await store.saveConnection(connection('Jira acme', { channel: 'C2' }), ['awaiting_consent']);
    expect(replaced).toMatchObject({ state: 'connected', channel: 'C2', credentialVersion: 1 });
    expect(store.getConnection('Jira acme')).toEqual(replaced);
    // Replaced again (any state by default): the version moves on, never back, whatever the record carries.
    expect(await store.saveConnection(connection('Jira acme', { credentialVersion: 0 }))).toMatchObject({ credentialVersion: 2 });
    expect(await store.saveConnection(connection('Jira acme', { credentialVersion: 7 }))).toMatchObject({ credentialVersion: 7 });
  });

  store('changes a connection only from the states named and past its guard', async ({ store }) => {
    await store.saveConnection(connection('Jira acme', { email: 'a@example.com', tokenExpiresOn: '2027-01-01' }));
    expect(await store.transitionConnection('Jira acme', ['removed'], { channel: 'C2' })).toBeUndefined();
    expect(await store.transitionConnection('Jira acme', ['connected'], { channel: 'C2' }, { guard: (c) => c.channel === 'C9' })).toBeUndefined();
    expect(await store.transitionConnection('no such', ['connected'], { channel: 'C2' })).toBeUndefined();
    expect(store.getConnection('Jira acme')).toMatchObject({ channel: 'C1' });

    const moved = await store.transitionConnection('Jira acme', ['connected'], { channel: 'C2' }, { guard: (c) => c.channel === 'C1' });
    expect(moved).toMatchObject({ name: 'Jira acme', channel: 'C2', state: 'connected' });
    expect(store.getConnection('Jira acme')).toEqual(moved);
  });

  store('works a patch out from the connection as it is, removes fields, counts a new credential, keeps the name', async ({ store }) => {
    await store.saveConnection(connection('Jira acme', { email: 'a@example.com', scopes: ['read:jira-work'] }));
    const moved = await store.transitionConnection(
      'Jira acme',
      ['connected'],
      (current) => ({ scopes: [...current.scopes, 'write:jira-work'], name: 'Renamed' }),
      { unset: ['email'], newCredential: true },
    );
    expect(moved).toMatchObject({ name: 'Jira acme', scopes: ['read:jira-work', 'write:jira-work'], credentialVersion: 1 });
    expect(moved).not.toHaveProperty('email');
    expect(store.getConnection('Renamed')).toBeUndefined();
    const again = await store.transitionConnection('Jira acme', ['connected'], { state: 'removed', removedAt: '2026-11-24T00:00:00.000Z' }, { newCredential: true });
    expect(again).toMatchObject({ state: 'removed', credentialVersion: 2 });
    expect(store.getConnection('Jira acme')).toEqual(again);
  });

  store('leaves a copy handed out earlier as it was', async ({ store }) => {
    await store.saveConnection(connection('Jira acme'));
    const before = store.getConnection('Jira acme')!;
    const listed = store.listConnections();
    const snapshot = structuredClone(before);
    await store.transitionConnection('Jira acme', ['connected'], { channel: 'C2' }, { newCredential: true });
    await store.saveConnection(connection('Jira acme', { channel: 'C3' }));
    expect(before).toEqual(snapshot);
    expect(listed).toEqual([snapshot]);
    expect(store.getConnection('Jira acme')).toMatchObject({ channel: 'C3' });
  });
}
