import { TERMINAL_STATUSES } from '../../store/schema.js';
import type { AccessRequest, PendingSetup, SpokeStore } from '../../store/spoke-store.js';

/** Setups still in progress, shown to admins on App Home. */
export function homePending(store: SpokeStore, isAdmin: boolean): PendingSetup[] {
  return isAdmin ? store.listSetups((s) => !TERMINAL_STATUSES.includes(s.status)) : [];
}

/** Requests on App Home, newest first: approvers see the open ones, everyone else their own. */
export function homeRequests(store: SpokeStore, userId: string, isApprover: boolean): AccessRequest[] {
  return store.listRequests((r) => (isApprover ? r.state === 'open' : r.requester === userId)).reverse();
}
