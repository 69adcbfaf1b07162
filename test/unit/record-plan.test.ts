import { describe, expect, it } from 'vitest';
import { planOAuthRecords } from '../../src/core/oauth-plan.js';
import { RECORD_KEYS } from '../../src/core/record-keys.js';
import { describeValue, planDepth, planLevels, SECRET_MASK } from '../../src/core/record-plan.js';
import { planRecords } from '../../src/core/plan-for-method.js';
import { SERVICENOW_COLUMNS, SPOKES, type ServiceNowTable } from '../../src/core/spoke-catalogue.js';
import type { SetupRequest } from '../../src/core/setup-request.js';

const request: SetupRequest = {
  spoke: 'confluence',
  method: 'oauth_3lo',
  connectionName: 'Confluence acme',
  siteOrigin: 'https://acme.atlassian.net',
  clientId: 'client-1',
  secret: 'never-in-a-plan',
  scopes: [...SPOKES.confluence.defaultScopes],
  channel: 'C1',
};
const atlassian = { authUrl: 'https://auth.atlassian.com', apiUrl: 'https://api.atlassian.com' };

describe('planOAuthRecords', () => {
  const plan = planOAuthRecords(request, '11111111-2222-3333-4444-555555555555', atlassian);

  it('lists the records a 3LO connection needs, one scope row and one profile-scope row per scope', () => {
    const tables = plan.records.map((r) => r.table);
    const scopes = request.scopes.length;
    expect(tables.filter((t) => t === 'oauth_entity_scope')).toHaveLength(scopes);
    expect(tables.filter((t) => t === 'oauth_entity_profile_scope')).toHaveLength(scopes);
    expect(new Set(tables)).toEqual(new Set(['oauth_entity', 'oauth_entity_scope', 'oauth_entity_profile', 'oauth_entity_profile_scope', 'oauth_2_0_credentials', 'sys_alias', 'http_connection']));
  });

  it('orders writes by dependency, four levels deep', () => {
    const levels = planLevels(plan).map((level) => [...new Set(level.map((r) => r.table))].sort());
    expect(levels).toEqual([
      ['oauth_entity', 'sys_alias'],
      ['oauth_entity_profile', 'oauth_entity_scope'],
      ['oauth_2_0_credentials', 'oauth_entity_profile_scope'],
      ['http_connection'],
    ]);
    expect(planDepth(plan)).toBe(4);
  });

  it('finds the default profile instead of creating one', () => {
    expect(plan.records.find((r) => r.key === RECORD_KEYS.profile)).toMatchObject({ action: 'find', match: { default: 'true' } });
  });

  it('never carries the secret, only a marker shown as ••••', () => {
    expect(JSON.stringify(plan)).not.toContain('never-in-a-plan');
    const entity = plan.records.find((r) => r.key === RECORD_KEYS.entity)!;
    expect(describeValue(entity.fields.client_secret!, plan)).toBe(SECRET_MASK);
  });

  it('points Confluence at the API gateway and writes the Atlassian endpoints', () => {
    const connection = plan.records.find((r) => r.key === RECORD_KEYS.connection)!;
    expect(connection.fields.connection_url).toBe('https://api.atlassian.com/');
    const entity = plan.records.find((r) => r.key === RECORD_KEYS.entity)!;
    expect(entity.fields).toMatchObject({ default_grant_type: 'authorization_code', auth_url: 'https://auth.atlassian.com/authorize?audience=api.atlassian.com&prompt=consent', token_url: 'https://auth.atlassian.com/oauth/token' });
  });

  it('flags scopes beyond the defaults without refusing them', () => {
    const wider = planOAuthRecords({ ...request, scopes: [...request.scopes, 'write:page:confluence'] }, 'x', atlassian);
    expect(wider.warnings.join(' ')).toContain('write:page:confluence');
    expect(plan.warnings).toEqual([]);
  });

  it('gives Jira its gateway URL with the Cloud ID and its attributes', () => {
    const jira = planOAuthRecords({ ...request, spoke: 'jira', scopes: [...SPOKES.jira.defaultScopes] }, 'cloud-9', atlassian);
    const connection = jira.records.find((r) => r.key === RECORD_KEYS.connection)!;
    expect(connection.fields.connection_url).toBe('https://api.atlassian.com/ex/jira/cloud-9');
    expect(JSON.parse(connection.fields.extended_attributes as string)).toEqual({ api_version: '2', server_type: 'cloud' });
  });
});

describe('the catalogue of tables and columns the doctor proves', () => {
  it('holds every table and column any plan writes or matches on, for every spoke and method', () => {
    for (const spoke of Object.values(SPOKES)) {
      for (const method of spoke.methods) {
        const plan = planRecords({ ...request, spoke: spoke.id, method, email: 'ada@acme.test' }, 'cloud', atlassian);
        for (const record of plan.records) {
          const known: readonly string[] = SERVICENOW_COLUMNS[record.table as ServiceNowTable] ?? [];
          expect(known, `${spoke.id}/${method}: table ${record.table}`).not.toEqual([]);
          for (const column of [...Object.keys(record.match), ...Object.keys(record.fields)]) expect(known, `${record.table}.${column}`).toContain(column);
        }
      }
    }
  });
});
