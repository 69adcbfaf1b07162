import { describe, expect, it } from 'vitest';
import { planApiTokenRecords } from '../../src/core/api-token-plan.js';
import { planOAuthRecords } from '../../src/core/oauth-plan.js';
import { RECORD_KEYS } from '../../src/core/record-keys.js';
import { SPOKES } from '../../src/core/spoke-catalogue.js';
import { PlanLookups } from '../../src/servicenow/plan-lookups.js';
import type { ServiceNowRecord } from '../../src/servicenow/table-client.js';
import { WrittenSecrets } from '../../src/servicenow/written-secrets.js';

const ENDPOINTS = { authUrl: 'https://auth.atlassian.com', apiUrl: 'https://api.atlassian.com' };
const CLOUD = '11111111-2222-3333-4444-555555555555';
const scopes = ['read:a', 'write:b'];
const oauthPlan = planOAuthRecords({ spoke: 'confluence', method: 'oauth_3lo', connectionName: 'Wiki', siteOrigin: 'https://acme.atlassian.net', clientId: 'id', secret: 's', scopes, channel: 'C1' }, CLOUD, ENDPOINTS);

describe('the lookup round of a plan', () => {
  it('finds children through their parents’ names, one query per table and shape', () => {
    const round = new PlanLookups(oauthPlan);
    const byTable = (table: string) => round.lookups.filter((l) => l.table === table).map((l) => l.terms);
    expect(byTable('oauth_entity')).toEqual([{ name: 'Wiki' }]);
    expect(byTable('oauth_entity_scope')).toEqual([{ 'oauth_entity.name': 'Wiki', oauth_entity_scope: scopes }]);
    expect(byTable('oauth_entity_profile')).toEqual([{ 'oauth_entity.name': 'Wiki', default: 'true' }]);
    expect(byTable('oauth_entity_profile_scope')).toEqual([
      { 'oauth_entity_profile.oauth_entity.name': 'Wiki', 'oauth_entity_profile.default': 'true', 'oauth_entity_scope.oauth_entity.name': 'Wiki', 'oauth_entity_scope.oauth_entity_scope': scopes },
    ]);
    // Our connection is read once, for its own record and for the alias decision.
    expect(byTable('http_connection')).toEqual([{ name: 'Wiki' }, { 'connection_alias.name': 'Confluence Cloud' }, { 'connection_alias.id': { endsWith: `.${SPOKES.confluence.aliasIdSuffix}` } }]);
    expect(round.lookupsOf(RECORD_KEYS.alias)).toHaveLength(6);
    expect(round.lookupsOf(RECORD_KEYS.scope('read:a'))).toEqual(round.lookupsOf(RECORD_KEYS.scope('write:b')));
  });

  it('each record picks its own rows from a shared answer; a full page settles nothing', () => {
    const round = new PlanLookups(oauthPlan);
    const index = round.lookups.findIndex((l) => l.table === 'oauth_entity_scope');
    const answers: ServiceNowRecord[][] = round.lookups.map(() => []);
    answers[index] = [{ sys_id: 's1', oauth_entity_scope: 'READ:A', 'oauth_entity.name': 'wiki', oauth_entity: 'e1' }];
    const found = round.found(answers);
    expect(found.rowsFor(RECORD_KEYS.scope('read:a'))).toHaveLength(1);
    expect(found.rowsFor(RECORD_KEYS.scope('write:b'))).toEqual([]);
    answers[index] = Array.from({ length: round.lookups[index]!.limit! }, (_, i) => ({ sys_id: `s${i}`, oauth_entity_scope: 'read:a', 'oauth_entity.name': 'Wiki' }));
    expect(round.found(answers).rowsFor(RECORD_KEYS.scope('read:a'))).toBeUndefined();
  });

  it('decides the alias from the round: the shipped one while it serves nobody else, else our child alias', () => {
    const round = new PlanLookups(oauthPlan);
    const at = (table: string, term: string) => round.lookups.findIndex((l) => l.table === table && term in l.terms);
    const shipped = { sys_id: 'a1', name: 'Confluence Cloud', id: 'sn_conflunce_spoke.Confluence_Cloud', parent: '' };
    const answers: ServiceNowRecord[][] = round.lookups.map(() => []);
    answers[at('sys_alias', 'name')] = [shipped];
    expect(round.found(answers).alias()?.decision).toMatchObject({ shipped, useShipped: true, servedBy: [] });
    answers[at('http_connection', 'connection_alias.name')] = [{ sys_id: 'c9', name: 'Other wiki', connection_alias: 'a1', 'connection_alias.name': 'Confluence Cloud' }];
    expect(round.found(answers).alias()?.decision).toMatchObject({ useShipped: false, servedBy: ['Other wiki'] });
    answers[at('sys_alias', 'name')] = [];
    expect(round.found(answers).alias()).toEqual({ decision: undefined });
  });

  it('an API-token plan: the credential and the connection by name, the alias apart', () => {
    const plan = planApiTokenRecords({ spoke: 'jira', method: 'api_token', connectionName: 'Tickets', siteOrigin: 'https://acme.atlassian.net', email: 'a@b.c', clientId: '', secret: 't', scopes: [], channel: 'C1' }, CLOUD, ENDPOINTS);
    const round = new PlanLookups(plan);
    expect(round.lookupsOf(RECORD_KEYS.credential)).toEqual([expect.objectContaining({ table: 'basic_auth_credentials', terms: { name: 'Tickets' } })]);
  });
});

describe('secrets this process wrote', () => {
  it('are held while the stored form is the one read after the write, for the same secret only', () => {
    const secrets = new WrittenSecrets();
    secrets.remember('oauth_entity', 'e1', 'client_secret', 'first', 'blob-1');
    expect(secrets.holds('oauth_entity', 'e1', 'client_secret', 'first', 'blob-1')).toBe(true);
    expect(secrets.holds('oauth_entity', 'e1', 'client_secret', 'second', 'blob-1')).toBe(false);
    expect(secrets.holds('oauth_entity', 'e1', 'client_secret', 'first', 'blob-2')).toBe(false);
    // An instance that reads back nothing (or the clear value) proves nothing.
    secrets.remember('oauth_entity', 'e1', 'client_secret', 'first', '');
    expect(secrets.holds('oauth_entity', 'e1', 'client_secret', 'first', '')).toBe(false);
  });
});
