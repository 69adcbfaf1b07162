import type { HealthState } from './health.js';

/**
 * When a state change is worth a message. A new state must be seen by two checks in a row
 * before the channel hears of it, so a check that flaps (fails, passes, fails) says nothing
 * until it settles; and after an alert the channel hears nothing more for a quiet period.
 */
export interface AlertMemory {
  /** The state the channel last heard about; undefined before the first check (ok is assumed). */
  alertedState?: HealthState;
  alertedAt?: string;
}

export type AlertDecision = { alert: false } | { alert: true; kind: 'failing' | 'warning' | 'recovered' };

export function decideAlert(memory: AlertMemory, state: HealthState, previousState: HealthState | undefined, now: Date, quietMs: number): AlertDecision {
  const known = memory.alertedState ?? 'ok';
  if (state === known) return { alert: false };
  if (previousState !== state) return { alert: false };
  if (memory.alertedAt && now.getTime() - Date.parse(memory.alertedAt) < quietMs) return { alert: false };
  if (state === 'ok') return { alert: true, kind: 'recovered' };
  return { alert: true, kind: state };
}
