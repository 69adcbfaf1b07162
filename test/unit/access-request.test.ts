import { describe, expect, it } from 'vitest';
import { checkDecision, parseRequest, reannouncement, type RequestInput } from '../../src/core/access-request.js';

const blank: RequestInput = { kind: 'new_connection', spoke: 'jira', site: 'acme', team: 'Support', connection: '', groups: '', scopes: '', reason: 'Sync support tickets with Jira.' };
const context = {
  allowlist: ['https://*.atlassian.net'],
  connections: new Map([
    ['Wiki', { spoke: 'confluence', method: 'oauth_3lo', scopes: ['read:me', 'offline_access'] }],
    ['Jira robot', { spoke: 'jira', method: 'service_account', scopes: ['read:jira-work'] }],
  ]),
};

describe('parseRequest', () => {
  it('reads each kind and normalises the site', () => {
    expect(parseRequest(blank, context)).toMatchObject({ ok: true, details: { kind: 'new_connection', spoke: 'jira', site: 'https://acme.atlassian.net', team: 'Support' } });
    expect(parseRequest({ ...blank, kind: 'confluence_group', connection: 'Wiki', groups: 'a-team, b team' }, context)).toMatchObject({ ok: true, details: { groups: ['a-team', 'b team'] } });
    expect(parseRequest({ ...blank, kind: 'more_scopes', connection: 'Wiki', scopes: 'write:page:confluence read:me' }, context)).toMatchObject({ ok: true, details: { scopes: ['write:page:confluence', 'read:me'] } });
  });

  it('puts problems on their fields', () => {
    expect(parseRequest({ ...blank, site: 'https://intranet.local', team: '', reason: 'x' }, context)).toMatchObject({ ok: false, errors: { site: expect.any(String), team: expect.any(String), reason: expect.any(String) } });
    expect(parseRequest({ ...blank, kind: 'confluence_group', connection: 'Jira robot', groups: 'x^y' }, context)).toMatchObject({ ok: false, errors: { connection: expect.stringContaining('Confluence'), groups: expect.any(String) } });
    expect(parseRequest({ ...blank, kind: 'more_scopes', connection: 'Jira robot', scopes: 'read:jira-user' }, context)).toMatchObject({ ok: false, errors: { connection: expect.stringContaining('3LO') } });
    expect(parseRequest({ ...blank, kind: 'more_scopes', connection: 'Wiki', scopes: 'read:me' }, context)).toMatchObject({ ok: false, errors: { scopes: expect.stringContaining('already has') } });
    expect(parseRequest({ ...blank, kind: 'nonsense' }, context)).toMatchObject({ ok: false, errors: { kind: expect.any(String) } });
  });
});

describe('checkDecision', () => {
  const open = { state: 'open' as const, requester: 'UREQ' };
  it('lets an approver other than the requester decide an open request, once', () => {
    expect(checkDecision(open, 'UAPP', 'approve', true)).toEqual({ ok: true, next: 'approved' });
    expect(checkDecision(open, 'UAPP', 'deny', true)).toEqual({ ok: true, next: 'denied' });
    expect(checkDecision({ ...open, state: 'approved' }, 'UAPP', 'deny', true)).toMatchObject({ ok: false, why: expect.stringContaining('already approved') });
  });
  it('refuses self-approval, non-approvers, and withdrawal by anyone but the requester', () => {
    expect(checkDecision(open, 'UREQ', 'approve', true)).toMatchObject({ ok: false, why: expect.stringContaining('own request') });
    expect(checkDecision(open, 'UOTHER', 'approve', false)).toMatchObject({ ok: false, why: expect.stringContaining('Only approvers') });
    expect(checkDecision(open, 'UAPP', 'withdraw', true)).toMatchObject({ ok: false });
    expect(checkDecision(open, 'UREQ', 'withdraw', false)).toEqual({ ok: true, next: 'withdrawn' });
  });
});

describe('reannouncement', () => {
  const t0 = new Date('2026-11-23T00:00:00Z');
  const day = 86_400_000;
  it('waits the period, re-announces a few times, then expires', () => {
    const request = { state: 'open' as const, lastAnnouncedAt: t0.toISOString(), reannounced: 0 };
    expect(reannouncement(request, new Date(t0.getTime() + day - 1), day, 3)).toBe('none');
    expect(reannouncement(request, new Date(t0.getTime() + day), day, 3)).toBe('reannounce');
    expect(reannouncement({ ...request, reannounced: 3 }, new Date(t0.getTime() + day), day, 3)).toBe('expire');
    expect(reannouncement({ ...request, state: 'approved' }, new Date(t0.getTime() + 9 * day), day, 3)).toBe('none');
  });
});
