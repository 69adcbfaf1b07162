import { describe, expect, it } from 'vitest';
import { defaultTokenExpiry, parseSetupRequest, tokenExpiryProblem, type SetupRequestInput } from '../../src/core/setup-request.js';
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

describe('API token expiry', () => {
  it('accepts today up to a year ahead, and defaults to a year', () => {
    expect(tokenExpiryProblem('2026-11-23', today)).toBeUndefined();
    expect(tokenExpiryProblem(defaultTokenExpiry(today), today)).toBeUndefined();
    expect(tokenExpiryProblem('2026-11-22', today)).toMatch(/passed/);
    expect(tokenExpiryProblem('2027-11-24', today)).toMatch(/at most 365 days/);
    expect(tokenExpiryProblem('', today)).toMatch(/Pick the date/);
  });
});
