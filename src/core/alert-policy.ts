import type { HealthState } from './health.js';

/**
 * When a state change is worth a message. The channel hears about a change once; a check that
 * flaps (fails, passes, fails) within the quiet period after an alert says nothing more, and a
 * change that outlasts the quiet period is reported at the next check.
 */
export interface AlertMemory {
  /** The state the channel last heard about; undefined before the first check (ok is assumed). */
  alertedState?: HealthState;
  alertedAt?: string;
}

export type AlertDecision = { alert: false } | { alert: true; kind: 'failing' | 'warning' | 'recovered' };

export function decideAlert(memory: AlertMemory, state: HealthState, now: Date, quietMs: number): AlertDecision {
  const known = memory.alertedState ?? 'ok';
  if (state === known) return { alert: false };
  if (memory.alertedAt && now.getTime() - Date.parse(memory.alertedAt) < quietMs) return { alert: false };
  if (state === 'ok') return { alert: true, kind: 'recovered' };
  return { alert: true, kind: state };
}
