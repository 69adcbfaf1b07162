/**
 * One line of `spokebot doctor`: what was checked, how it went, and the one thing to do about it.
 * Every area (Slack, ServiceNow, Atlassian, store) returns a list of these; the runner prints them
 * as one table and exits non-zero when any is failing.
 */
export type CheckStatus = 'ok' | 'warn' | 'fail';

export type CheckArea = 'Config' | 'Slack' | 'ServiceNow' | 'Atlassian' | 'Store';

export interface CheckResult {
  area: CheckArea;
  /** Short name of the check, e.g. "bot token", "table oauth_entity". */
  name: string;
  status: CheckStatus;
  /** What was found, in a line. */
  detail: string;
  /** The fix in one line; absent when ok. */
  fix?: string;
}

export const ok = (area: CheckArea, name: string, detail: string): CheckResult => ({ area, name, status: 'ok', detail });
export const warn = (area: CheckArea, name: string, detail: string, fix: string): CheckResult => ({ area, name, status: 'warn', detail, fix });
export const fail = (area: CheckArea, name: string, detail: string, fix: string): CheckResult => ({ area, name, status: 'fail', detail, fix });
