/**
 * The stand-ins are test infrastructure, but e2e tests trust them to behave like the real
 * services: these checks pin the behaviours the bot's tests lean on.
 */
import { describe, expect, it } from 'vitest';

import { post, serviceNow } from '../support/standin-fixtures.js';

describe('ServiceNow stand-in', () => {
  it('requires Basic auth and answers unknown tables with 400', async () => {
    const sn = await serviceNow();
    const anon = await fetch(`${sn.url}/api/now/table/sys_alias`);
    expect(anon.status).toBe(401);
    expect(await anon.json()).toEqual({
      error: { message: 'User Not Authenticated', detail: 'Required to provide Auth information' },
      status: 'failure',
    });
    const bad = await sn.call('/api/now/table/no_such_table');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { message: 'Invalid table no_such_table' } });
  });

  it('ignores query terms on unknown columns, like a real instance', async () => {
    const sn = await serviceNow();
    const q = (query: string) => sn.call(`/api/now/table/sys_alias?sysparm_query=${encodeURIComponent(query)}`);
    const exact = (await (await q('name=Jira')).json()) as { result: unknown[] };
    expect(exact.result).toHaveLength(1);
    // An injected `^bogus=1` term is dropped, so the query matches MORE rows, not fewer.
    const injected = await q('nameSTARTSWITHJira^bogus_column=1');
    expect(((await injected.json()) as { result: unknown[] }).result).toHaveLength(2);
    expect(injected.headers.get('x-total-count')).toBe('2');
    const all = (await (await q('nope=x')).json()) as { result: unknown[] };
    expect(all.result).toHaveLength(3);
  });

  it('creates the default profile itself and refuses a second default', async () => {
    const sn = await serviceNow();
    const created = await sn.call('/api/now/table/oauth_entity?sysparm_input_display_value=true', post({
      name: 'Atlassian Jira',
      client_id: 'cid',
      client_secret: 's3cret',
      default_grant_type: 'authorization_code',
      unknown_column: 'ignored',
    }));
    expect(created.status).toBe(201);
    const entity = ((await created.json()) as { result: Record<string, string> }).result;
    expect(created.headers.get('location')).toBe(`${sn.url}/api/now/table/oauth_entity/${entity.sys_id}`);
    expect(entity.client_secret).not.toBe('s3cret');
    expect(entity).not.toHaveProperty('unknown_column');
    expect(sn.secretOf('oauth_entity', entity.sys_id ?? '')).toEqual({ value: 's3cret', wellFormed: true });

    const profiles = await sn.call(
      `/api/now/table/oauth_entity_profile?sysparm_query=oauth_entity=${entity.sys_id}^default=true`,
    );
    const [profile] = ((await profiles.json()) as { result: Array<Record<string, unknown>> }).result;
    expect(profile).toMatchObject({
      name: 'Atlassian Jira default_profile',
      grant_type: 'authorization_code',
      oauth_entity: { value: entity.sys_id, link: `${sn.url}/api/now/table/oauth_entity/${entity.sys_id}` },
    });

    const second = await sn.call('/api/now/table/oauth_entity_profile', post({ name: 'x', oauth_entity: entity.sys_id, default: true }));
    expect(second.status).toBe(403);
    expect(await second.json()).toEqual({
      error: { message: 'Operation Failed', detail: 'Only one default profile is allowed per OAuth entity' },
      status: 'failure',
    });
  });

  it('answers malformed JSON, 404s and pagination like the Table API', async () => {
    const sn = await serviceNow();
    const bad = await sn.call('/api/now/table/sys_alias', { method: 'POST', body: '{nope' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { detail: 'The payload is not valid JSON.' } });
    const missing = await sn.call(`/api/now/table/sys_alias/${'0'.repeat(32)}`, { method: 'PATCH', body: '{}' });
    expect(missing.status).toBe(404);
    const page = await sn.call('/api/now/table/sys_alias?sysparm_limit=1&sysparm_offset=1&sysparm_fields=name,bogus');
    expect(((await page.json()) as { result: unknown[] }).result).toEqual([{ name: 'Jira_SM' }]);
    const link = page.headers.get('link') ?? '';
    expect(link).toMatch(/^<http:\/\/127\.0\.0\.1:\d+\/api\/now\/table\/sys_alias\?[^>]*sysparm_offset=0[^>]*>;rel="first",/);
    expect(link).toMatch(/sysparm_offset=0[^>]*>;rel="prev",/);
    expect(link).toMatch(/sysparm_offset=2[^>]*>;rel="next",/);
    expect(link).toMatch(/sysparm_offset=2[^>]*>;rel="last"$/);
  });

  it('serves a 429 fault in the rate limiter shape, and drop:after still commits', async () => {
    const sn = await serviceNow();
    sn.faults.next({ table: 'sys_alias', status: 429 });
    const limited = await sn.call('/api/now/table/sys_alias');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.headers.get('x-ratelimit-limit')).toBe('5000');
    expect(limited.headers.get('x-ratelimit-reset')).toMatch(/^\d+$/);
    expect(limited.headers.get('x-ratelimit-rule')).toMatch(/^[0-9a-f]{32}$/);
    expect(await limited.json()).toEqual({
      error: { message: 'Rate limit exceeded', detail: 'Rate limit of 5000 requests per hour for Table API exceeded' },
      status: 'failure',
    });

    sn.faults.next({ method: 'POST', table: 'basic_auth_credentials', drop: 'after' });
    await expect(sn.call('/api/now/table/basic_auth_credentials', post({ name: 'tok', password: 'p' }))).rejects.toThrow();
    expect(sn.rows('basic_auth_credentials').map((r) => r.name)).toEqual(['tok']);
    expect(sn.secretOf('basic_auth_credentials', sn.rows('basic_auth_credentials')[0]?.sys_id ?? '').wellFormed).toBe(false);
  });
});

