import { expect } from 'vitest';
import { HOUR, START } from '../fixtures.js';
import type { StoreCase } from '../store-contract.js';

const DAY = 24 * HOUR;

export function noteCases(store: StoreCase): void {
  store('remembers who opened App Home and when, most recent first, and forgets the old ones', async ({ store, clock }) => {
    expect(store.homeViewers()).toEqual([]);
    await store.rememberHomeViewer('U1');
    clock.advance(2 * DAY);
    await store.rememberHomeViewer('U2');
    clock.advance(2 * DAY);
    await store.rememberHomeViewer('U3');
    expect(store.homeViewers()).toEqual(['U3', 'U2', 'U1']);
    expect(store.homeViewers(new Date(START.getTime() + DAY))).toEqual(['U3', 'U2']);

    // Opened again: first again.
    await store.rememberHomeViewer('U1');
    expect(store.homeViewers()[0]).toBe('U1');
    expect(await store.forgetHomeViewers(new Date(START.getTime() + 3 * DAY))).toBe(1);
    expect(store.homeViewers().sort()).toEqual(['U1', 'U3']);
    expect(await store.forgetHomeViewers(new Date(START.getTime() + 3 * DAY))).toBe(0);
  });

  store('keeps undelivered notices until settled, found by key prefix', async ({ store, clock }) => {
    const notice = { tries: 1, nextAt: clock.iso(), lastError: 'channel_not_found', alert: 'failing' as const };
    await store.setUndeliveredNotice('alert:Jira acme:failing', notice);
    await store.setUndeliveredNotice('reminder:Jira acme:7', { tries: 2, nextAt: clock.iso(), lastError: 'ratelimited' });
    expect(store.undeliveredNotice('alert:Jira acme:failing')).toEqual(notice);
    expect(store.undeliveredNotice('alert:nothing')).toBeUndefined();
    expect(store.undeliveredNotice('constructor')).toBeUndefined();
    expect(store.undeliveredNoticeKeys('alert:')).toEqual(['alert:Jira acme:failing']);
    expect(store.undeliveredNoticeKeys('').sort()).toEqual(['alert:Jira acme:failing', 'reminder:Jira acme:7']);

    await store.setUndeliveredNotice('alert:Jira acme:failing', { ...notice, tries: 2 });
    expect(store.undeliveredNotice('alert:Jira acme:failing')).toMatchObject({ tries: 2 });
    await store.setUndeliveredNotice('alert:Jira acme:failing', undefined);
    await store.setUndeliveredNotice('never there', undefined);
    expect(store.undeliveredNotice('alert:Jira acme:failing')).toBeUndefined();
    expect(store.undeliveredNoticeKeys('')).toEqual(['reminder:Jira acme:7']);
  });

  store("keeps a report channel's refusal until cleared", async ({ store, clock }) => {
    const refusal = { channel: 'C9', error: 'not_in_channel', at: clock.iso() };
    expect(store.reportRefusal('Jira acme')).toBeUndefined();
    await store.setReportRefusal('Jira acme', refusal);
    expect(store.reportRefusal('Jira acme')).toEqual(refusal);
    expect(store.reportRefusal('Jira other')).toBeUndefined();
    await store.setReportRefusal('Jira acme', undefined);
    await store.setReportRefusal('Jira other', undefined);
    expect(store.reportRefusal('Jira acme')).toBeUndefined();
  });
}
