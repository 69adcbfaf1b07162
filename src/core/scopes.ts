import { OFFLINE_ACCESS } from './spoke-catalogue.js';

/** Atlassian scope strings: classic (`read:jira-work`) and granular (`read:sprint:jira-software`). */
const SCOPE = /^[a-z][a-z0-9_-]*(?::[a-z0-9_.-]+){0,3}$/;

export function parseScopes(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).filter(Boolean))];
}

export function malformedScopes(scopes: readonly string[]): string[] {
  return scopes.filter((scope) => !SCOPE.test(scope));
}

export function hasOfflineAccess(scopes: readonly string[]): boolean {
  return scopes.includes(OFFLINE_ACCESS);
}

/** Scopes asked for beyond the spoke's defaults: flagged in the plan for least privilege. */
export function extraScopes(scopes: readonly string[], defaults: readonly string[]): string[] {
  return scopes.filter((scope) => !defaults.includes(scope));
}
