import { expect } from 'vitest';
import { StoreKeyError } from '../../../src/store/store-key.js';
import { HOUR, MINUTE, OTHER_KEY, START, accessRequest, connection, health, setupRequest } from '../fixtures.js';
import type { StoreCase } from '../store-contract.js';

export function reopenCases(store: StoreCase): void {
  store('keeps everything over a reopen (a restart)', async ({ store, clock, reopen }) => {
    if (!reopen) throw new Error('this store has no reopen');
    const setup = await store.createSetup(setupRequest(), 'U1', HOUR);
    await store.planSetup(setup.id, { cloudId: 'cloud-1' });
    const sealed = store.sealCredential('Jira acme', 'api-token-1');
    await store.saveConnection(connection('Jira acme', { sealedCredential: sealed }));
    await store.transitionConnection('Jira acme', ['connected'], {}, { newCredential: true });
    await store.saveHealth('Jira acme', health(START, new Date(START.getTime() + HOUR)));
    const request = await store.createRequest(accessRequest(START));
    await store.transitionRequest(request.id, ['open'], { state: 'approved', decidedBy: 'U2' });
    const rotation = await store.startRotation({ kind: 'secret', connection: 'Jira acme', userId: 'U1', step: 'writing' });
    await store.markReminders(['r1']);
    await store.rememberHomeViewer('U5');
    await store.setUndeliveredNotice('alert:Jira acme:failing', { tries: 1, nextAt: clock.iso(), lastError: 'x' });
    await store.setReportRefusal('Jira acme', { channel: 'C9', error: 'not_in_channel', at: clock.iso() });
    await store.audit({ actor: 'U1', action: 'setup.started', outcome: 'ok', setupId: setup.id });
    const before = {
      setups: store.listSetups(),
      connections: store.listConnections(),
      health: store.getHealth('Jira acme'),
      requests: store.listRequests(),
      rotations: store.listRotations(),
      trail: await store.auditTrail(),
    };

    const again = await reopen();
    expect(again.listSetups()).toEqual(before.setups);
    expect(again.revealSecret(again.getSetup(setup.id)!)).toBe('the-client-secret-value');
    expect(again.listConnections()).toEqual(before.connections);
    expect(again.getConnection('Jira acme')).toMatchObject({ credentialVersion: 1 });
    expect(again.revealCredential(again.getConnection('Jira acme')!)).toBe('api-token-1');
    expect(again.getHealth('Jira acme')).toEqual(before.health);
    expect(again.listRequests()).toEqual(before.requests);
    expect(again.listRotations().map((r) => r.id)).toEqual([rotation.id]);
    expect(again.listRotations()).toEqual(before.rotations);
    expect([...again.remindersHandled()]).toEqual(['r1']);
    expect(again.homeViewers()).toEqual(['U5']);
    expect(again.undeliveredNoticeKeys('')).toEqual(['alert:Jira acme:failing']);
    expect(again.reportRefusal('Jira acme')).toMatchObject({ channel: 'C9' });
    expect(await again.auditTrail()).toEqual(before.trail);

    // It carries on where it was: the next request number, the name still held, the trail appended to.
    expect((await again.createRequest(accessRequest(START))).id).toBe(request.id + 1);
    const rival = await again.createSetup(setupRequest(), 'U2', MINUTE);
    expect(await again.planSetup(rival.id, {})).toMatchObject({ heldBy: { id: setup.id } });
    await again.audit({ actor: 'U1', action: 'setup.confirmed', outcome: 'ok' });
    expect((await again.auditTrail()).map((e) => e.action)).toEqual(['setup.started', 'setup.confirmed']);
  });

  store('refuses a key that did not seal the store, and opens with the right one after', async ({ store, reopen }) => {
    if (!reopen) throw new Error('this store has no reopen');
    const setup = await store.createSetup(setupRequest(), 'U1', HOUR);
    await expect(reopen(OTHER_KEY)).rejects.toBeInstanceOf(StoreKeyError);
    const again = await reopen();
    expect(again.revealSecret(again.getSetup(setup.id)!)).toBe('the-client-secret-value');
  });
}
