import { isKnownScope, suggestScope } from './atlassian-scopes.js';
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

/** How many unknown scopes one message names; the rest are counted. */
const NAMED_UNKNOWN = 5;

/**
 * What is wrong with scopes spokebot does not know (src/core/atlassian-scopes.ts), each with the
 * known scope it is probably a typo of, or undefined when every scope is known. A scope
 * Atlassian does not have fails only at consent, where nobody can tell which one it was.
 * Plain text: it is shown as a modal field error.
 */
export function unknownScopesProblem(scopes: readonly string[]): string | undefined {
  const unknown = scopes.filter((scope) => !isKnownScope(scope));
  if (unknown.length === 0) return undefined;
  const named = unknown.slice(0, NAMED_UNKNOWN).map((scope) => {
    const shown = scope.length > 60 ? `${scope.slice(0, 59)}…` : scope;
    const suggestion = suggestScope(scope);
    return suggestion ? `${shown} (did you mean ${suggestion}?)` : shown;
  });
  const more = unknown.length > NAMED_UNKNOWN ? ` and ${unknown.length - NAMED_UNKNOWN} more` : '';
  return `Unknown scope${unknown.length === 1 ? '' : 's'}: ${named.join(', ')}${more}. Write each as the Atlassian developer console lists it, e.g. read:jira-work.`;
}
