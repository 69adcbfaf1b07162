import { describe, expect, it } from 'vitest';
import { checkSite, normaliseSite, siteAllowed } from '../../src/core/site.js';

describe('normaliseSite', () => {
  it.each([
    ['acme', 'https://acme.atlassian.net'],
    ['acme.atlassian.net', 'https://acme.atlassian.net'],
    ['https://acme.atlassian.net/', 'https://acme.atlassian.net'],
    ['https://acme.atlassian.net/wiki/home', 'https://acme.atlassian.net'],
    ['  ACME  ', 'https://acme.atlassian.net'],
  ])('turns %s into %s', (input, origin) => {
    expect(normaliseSite(input)).toBe(origin);
  });

  it.each(['', 'ftp://acme.atlassian.net', 'https://user:pw@acme.atlassian.net', 'https://acme.atlassian.net/admin/secret', 'not a site'])('refuses %j', (input) => {
    expect(normaliseSite(input)).toBeUndefined();
  });
});

describe('siteAllowed', () => {
  it('matches one DNS label for *.atlassian.net, not a lookalike host', () => {
    const allow = ['https://*.atlassian.net'];
    expect(siteAllowed('https://acme.atlassian.net', allow)).toBe(true);
    expect(siteAllowed('https://acme.atlassian.net.evil.com', allow)).toBe(false);
    expect(siteAllowed('https://a.b.atlassian.net', allow)).toBe(false);
    expect(siteAllowed('http://acme.atlassian.net', allow)).toBe(false);
    expect(siteAllowed('https://169.254.169.254', allow)).toBe(false);
  });

  it('matches any port for http://127.0.0.1:*', () => {
    expect(siteAllowed('http://127.0.0.1:4311', ['http://127.0.0.1:*'])).toBe(true);
    expect(siteAllowed('http://127.0.0.2:4311', ['http://127.0.0.1:*'])).toBe(false);
  });
});

describe('checkSite', () => {
  it('tells a malformed site from one outside the allowlist', () => {
    expect(checkSite('https://x y', ['https://*.atlassian.net'])).toMatchObject({ ok: false, reason: 'malformed' });
    expect(checkSite('https://intranet.local', ['https://*.atlassian.net'])).toMatchObject({ ok: false, reason: 'not_allowed' });
  });
});
