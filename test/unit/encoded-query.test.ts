import { describe, expect, it } from 'vitest';
import { UnsafeQueryValueError } from '../../src/errors.js';
import { equalsQuery } from '../../src/servicenow/encoded-query.js';

describe('equalsQuery', () => {
  it('joins equality terms with ^', () => {
    expect(equalsQuery({ name: 'Confluence acme', active: 'true' })).toBe('name=Confluence acme^active=true');
    expect(equalsQuery({ 'oauth_requestor_profile.oauth_requestor': 'abc' }, 'sys_updated_on')).toBe('oauth_requestor_profile.oauth_requestor=abc^ORDERBYDESCsys_updated_on');
  });

  it.each(['x^ORname!=x', 'x\nactive=false', 'x\r', 'javascript:gs.getUserID()'])('refuses the value %j', (value) => {
    expect(() => equalsQuery({ name: value })).toThrow(UnsafeQueryValueError);
  });

  it('refuses a field name that is not a column', () => {
    expect(() => equalsQuery({ 'name=x^active': 'true' })).toThrow(UnsafeQueryValueError);
  });
});
