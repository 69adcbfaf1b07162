import { describe, expect, it } from 'vitest';
import { parseSetupRequest, type SetupRequestInput } from '../../src/core/setup-request.js';
import { SPOKES } from '../../src/core/spoke-catalogue.js';

const allow = ['https://*.atlassian.net'];
const good: SetupRequestInput = {
  connectionName: 'Confluence acme',
  site: 'acme',
  clientId: 'client-1',
  clientSecret: 'shh',
  scopes: SPOKES.confluence.defaultScopes.join(' '),
  channel: 'C0REPORTS',
};

describe('parseSetupRequest', () => {
  it('accepts a good request and normalises the site', () => {
    const parsed = parseSetupRequest('confluence', good, allow);
    expect(parsed).toMatchObject({ ok: true, request: { siteOrigin: 'https://acme.atlassian.net', spoke: 'confluence' } });
  });

  it('puts each problem on its own field', () => {
    const parsed = parseSetupRequest('confluence', { ...good, site: 'https://intranet.local', clientId: ' ', clientSecret: '', scopes: 'read:me' }, allow);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(Object.keys(parsed.errors).sort()).toEqual(['clientId', 'clientSecret', 'scopes', 'site']);
    expect(parsed.errors.scopes).toMatch(/offline_access/);
    expect(parsed.errors.site).toMatch(/not on the allowed site list/);
  });

  it('refuses a connection name that could change a ServiceNow query', () => {
    const parsed = parseSetupRequest('confluence', { ...good, connectionName: 'x^ORactive=true' }, allow);
    expect(parsed).toMatchObject({ ok: false, errors: { connectionName: expect.any(String) } });
  });

  it('lets a resubmitted form keep the secret it already gave', () => {
    expect(parseSetupRequest('confluence', { ...good, clientSecret: '' }, allow, true).ok).toBe(true);
  });

  it('names malformed scopes', () => {
    const parsed = parseSetupRequest('confluence', { ...good, scopes: 'offline_access READ ME' }, allow);
    expect(parsed).toMatchObject({ ok: false, errors: { scopes: expect.stringContaining('READ') } });
  });
});
