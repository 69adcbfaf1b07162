import { TERMINAL_STATUSES } from '../../store/schema.js';
import type { PendingSetup, SpokeStore } from '../../store/spoke-store.js';

/** Setups still in progress, shown to admins on App Home. */
export function homePending(store: SpokeStore, isAdmin: boolean): PendingSetup[] {
  return isAdmin ? store.listSetups((s) => !TERMINAL_STATUSES.includes(s.status)) : [];
}
