import { describe, expect, it } from 'vitest';
import { ATLASSIAN_SCOPES, isKnownScope, suggestScope } from '../../src/core/atlassian-scopes.js';
import { malformedScopes, unknownScopesProblem } from '../../src/core/scopes.js';
import { SPOKES } from '../../src/core/spoke-catalogue.js';

describe('the Atlassian scope catalogue', () => {
  it('holds every scope a spoke asks for by default, for OAuth and for service accounts', () => {
    for (const spoke of Object.values(SPOKES)) {
      for (const scope of [...spoke.defaultScopes, ...spoke.serviceAccountScopes]) expect(isKnownScope(scope), `${spoke.id}: ${scope}`).toBe(true);
    }
  });

  it('holds the common classic and granular scopes of Jira, Jira Software, JSM and Confluence', () => {
    const common = [
      'read:jira-work', 'write:jira-work', 'manage:jira-project', 'manage:jira-configuration', 'manage:jira-webhook', 'read:jira-user',
      'read:servicedesk-request', 'write:servicedesk-request', 'manage:servicedesk-customer',
      'read:confluence-content.all', 'read:confluence-space.summary', 'write:confluence-content', 'read:confluence-user', 'read:confluence-groups', 'write:confluence-groups', 'search:confluence',
      'read:me', 'read:account', 'offline_access',
      'read:page:confluence', 'write:page:confluence', 'read:space:confluence', 'ace:confluence',
      'read:sprint:jira-software', 'write:sprint:jira-software', 'delete:sprint:jira-software', 'read:board-scope:jira-software',
      'read:project:jira', 'read:jql:jira', 'read:issue-details:jira', 'read:request:jira-service-management',
    ];
    for (const scope of common) expect(isKnownScope(scope), scope).toBe(true);
  });

  it('lists each scope once, each spelled as a scope', () => {
    expect(new Set(ATLASSIAN_SCOPES).size).toBe(ATLASSIAN_SCOPES.length);
    expect(malformedScopes(ATLASSIAN_SCOPES)).toEqual([]);
  });

  it('knows scopes only as spelled: no case folding, no near misses', () => {
    for (const scope of ['READ:JIRA-WORK', 'read:jira-wrok', 'bogus:scope', 'read', '', 'constructor', '__proto__']) expect(isKnownScope(scope), scope).toBe(false);
  });
});

describe('suggestScope', () => {
  it('finds the scope a typo was meant to be', () => {
    const typos: Record<string, string> = {
      'read:jira-wrok': 'read:jira-work',
      'READ:JIRA-WORK': 'read:jira-work',
      'read:confluence-group': 'read:confluence-groups',
      'write:pages:confluence': 'write:page:confluence',
      'offline-access': 'offline_access',
      'manage:jira-webhooks': 'manage:jira-webhook',
      'read:sprint': 'read:sprint:jira-software',
      'read:sprint:jira-sofware': 'read:sprint:jira-software',
    };
    for (const [typed, meant] of Object.entries(typos)) expect(suggestScope(typed), typed).toBe(meant);
  });

  it('suggests nothing when no known scope is close', () => {
    for (const typed of ['bogus:scope', 'READ', 'x'.repeat(3000), 'read:me:confluence']) expect(suggestScope(typed), typed.slice(0, 20)).toBeUndefined();
  });
});

describe('unknownScopesProblem', () => {
  it('is nothing when every scope is known', () => {
    expect(unknownScopesProblem(SPOKES.jira.defaultScopes)).toBeUndefined();
    expect(unknownScopesProblem([])).toBeUndefined();
  });

  it('names each unknown scope, with its likely spelling where there is one', () => {
    expect(unknownScopesProblem(['offline_access', 'read:jira-wrok'])).toBe('Unknown scope: read:jira-wrok (did you mean read:jira-work?). Write each as the Atlassian developer console lists it, e.g. read:jira-work.');
    const both = unknownScopesProblem(['bogus:scope', 'read:jira-wrok', 'read:me'])!;
    expect(both).toMatch(/^Unknown scopes: bogus:scope, read:jira-wrok \(did you mean read:jira-work\?\)\./);
  });

  it('names five and counts the rest, each clipped, so the message stays short whatever was typed', () => {
    const many = Array.from({ length: 40 }, (_, i) => `nope:${'z'.repeat(100)}${i}`);
    const message = unknownScopesProblem(many)!;
    expect(message).toContain('and 35 more');
    expect(message.length).toBeLessThan(500);
  });
});
