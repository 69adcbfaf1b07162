import { describe, expect, it } from 'vitest';
import { defaultTokenExpiry, emailProblem, parseSetupRequest, tokenExpiryProblem, type SetupRequestInput } from '../../src/core/setup-request.js';
import { SPOKES } from '../../src/core/spoke-catalogue.js';

const today = new Date('2026-11-23T09:00:00Z');
const options = { allowlist: ['https://*.atlassian.net'], today };
const good: SetupRequestInput = {
  method: 'oauth_3lo',
  connectionName: 'Confluence acme',
  site: 'acme',
  clientId: 'client-1',
  clientSecret: 'shh',
  email: '',
  apiToken: '',
  tokenExpiry: '',
  tokenScoped: false,
  scopes: SPOKES.confluence.defaultScopes.join(' '),
  channel: 'C0REPORTS',
};
const token: SetupRequestInput = { ...good, method: 'api_token', connectionName: 'Jira acme', clientId: '', clientSecret: '', scopes: '', email: 'bot@acme.com', apiToken: 'ATATT-1', tokenExpiry: '2027-06-01' };

describe('parseSetupRequest', () => {
  it('accepts a good request and normalises the site', () => {
    const parsed = parseSetupRequest('confluence', good, options);
    expect(parsed).toMatchObject({ ok: true, request: { siteOrigin: 'https://acme.atlassian.net', spoke: 'confluence', method: 'oauth_3lo', secret: 'shh' } });
  });

  it('puts each problem on its own field', () => {
    const parsed = parseSetupRequest('confluence', { ...good, site: 'https://intranet.local', clientId: ' ', clientSecret: '', scopes: 'read:me' }, options);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(Object.keys(parsed.errors).sort()).toEqual(['clientId', 'clientSecret', 'scopes', 'site']);
    expect(parsed.errors.scopes).toMatch(/offline_access/);
    expect(parsed.errors.site).toMatch(/not on the allowed site list/);
  });

  it('refuses a connection name that could change a ServiceNow query', () => {
    expect(parseSetupRequest('confluence', { ...good, connectionName: 'x^ORactive=true' }, options)).toMatchObject({ ok: false, errors: { connectionName: expect.any(String) } });
  });

  it('names an unnamed connection after the spoke and site', () => {
    expect(parseSetupRequest('confluence', { ...good, connectionName: '' }, options)).toMatchObject({ ok: true, request: { connectionName: 'Confluence Cloud acme' } });
  });

  it('lets a resubmitted form keep the secret it already gave', () => {
    expect(parseSetupRequest('confluence', { ...good, clientSecret: '' }, { ...options, secretHeld: true }).ok).toBe(true);
  });

  it('names malformed scopes', () => {
    expect(parseSetupRequest('confluence', { ...good, scopes: 'offline_access READ ME' }, options)).toMatchObject({ ok: false, errors: { scopes: expect.stringContaining('READ') } });
  });

  it('refuses well-formed scopes it does not know, with the likely spelling', () => {
    const parsed = parseSetupRequest('jira', { ...good, scopes: 'offline_access bogus:scope read:jira-wrok' }, options);
    expect(parsed).toMatchObject({ ok: false, errors: { scopes: 'Unknown scopes: bogus:scope, read:jira-wrok (did you mean read:jira-work?). Write each as the Atlassian developer console lists it, e.g. read:jira-work.' } });
    // A service account's scopes are checked the same way.
    expect(parseSetupRequest('jira', { ...good, method: 'service_account', scopes: 'read:jira-work read:jira-usr' }, options)).toMatchObject({ ok: false, errors: { scopes: expect.stringContaining('did you mean read:jira-user?') } });
  });

  it('says what is wrong with an email rather than what the field is for', () => {
    const bad = parseSetupRequest('jira', { ...token, email: 'not-an-email' }, options);
    expect(bad).toMatchObject({ ok: false, errors: { email: '`not-an-email` is not an email address: it needs one @ and a domain, e.g. ada@acme.com' } });
    expect(parseSetupRequest('jira', { ...token, email: '  bot@acme.com ' }, options)).toMatchObject({ ok: true, request: { email: 'bot@acme.com' } });
  });

  it('offers only the methods a spoke supports', () => {
    expect(parseSetupRequest('confluence', token, options)).toMatchObject({ ok: false, errors: { method: expect.any(String) } });
    expect(parseSetupRequest('jsm', { ...good, method: 'service_account' }, options)).toMatchObject({ ok: false, errors: { method: expect.any(String) } });
  });

  it('reads an API token request with its email, expiry and kind', () => {
    expect(parseSetupRequest('jira', { ...token, tokenScoped: true }, options)).toMatchObject({
      ok: true,
      request: { method: 'api_token', email: 'bot@acme.com', tokenExpiresOn: '2027-06-01', scopedToken: true, secret: 'ATATT-1', clientId: '', scopes: [] },
    });
    const bad = parseSetupRequest('jira', { ...token, email: 'not-an-email', apiToken: '', tokenExpiry: '2026-11-01' }, options);
    expect(bad).toMatchObject({ ok: false, errors: { email: expect.any(String), apiToken: expect.any(String), tokenExpiry: expect.stringContaining('passed') } });
  });

  it('does not ask a service account for offline_access', () => {
    const sa = { ...good, method: 'service_account', scopes: SPOKES.jira.serviceAccountScopes.join(' ') };
    expect(parseSetupRequest('jira', sa, options)).toMatchObject({ ok: true, request: { method: 'service_account' } });
  });
});

describe('emailProblem', () => {
  it('accepts an address', () => {
    for (const email of ['ada@acme.com', 'ada.lovelace+jira@eng.acme.co.uk']) expect(emailProblem(email), email).toBeUndefined();
  });

  it('names the typed value and what it lacks', () => {
    expect(emailProblem('')).toBe('Enter the email of the Atlassian account that owns the token (e.g. ada@acme.com).');
    expect(emailProblem('not-an-email')).toBe('`not-an-email` is not an email address: it needs one @ and a domain, e.g. ada@acme.com');
    expect(emailProblem('ada@@acme.com')).toBe('`ada@@acme.com` is not an email address: it needs one @ and a domain, e.g. ada@acme.com');
    expect(emailProblem('@acme.com')).toBe('`@acme.com` is not an email address: it needs a name before the @, e.g. ada@acme.com');
    expect(emailProblem('ada@acme')).toBe('`ada@acme` is not an email address: after the @ it needs a whole domain, such as acme.com');
    expect(emailProblem('ada@acme.')).toMatch(/whole domain/);
    expect(emailProblem('ada lovelace@acme.com')).toBe('`ada lovelace@acme.com` is not an email address: it has a space in it (an address has none), e.g. ada@acme.com');
    expect(emailProblem('ada()@acme.com')).toBe('`ada()@acme.com` is not an email address: it has characters an address cannot have, e.g. ada@acme.com');
  });

  it('shows a long value clipped, and no backtick of its own', () => {
    const problem = emailProblem(`${'`'.repeat(3)}${'a'.repeat(500)}`)!;
    expect(problem.length).toBeLessThan(200);
    expect(problem.match(/`/g)).toHaveLength(2);
  });
});

describe('API token expiry', () => {
  it('accepts today up to a year ahead, and defaults to a year', () => {
    expect(tokenExpiryProblem('2026-11-23', today)).toBeUndefined();
    expect(tokenExpiryProblem(defaultTokenExpiry(today), today)).toBeUndefined();
    expect(tokenExpiryProblem('2026-11-22', today)).toMatch(/passed/);
    expect(tokenExpiryProblem('2027-11-24', today)).toMatch(/at most 365 days/);
    expect(tokenExpiryProblem('', today)).toMatch(/Pick the date/);
  });
});
