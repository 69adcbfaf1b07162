import { ACTION } from '../../src/slack/ids.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { clickButton, setupAnswers, setupUntilConsent, waitForMessage } from '../support/setup-steps.js';
import { startWorld, type World } from '../support/world.js';
import type { ServiceNowStandIn } from '../standins/servicenow.js';

const TABLES = ['oauth_entity', 'oauth_entity_scope', 'oauth_entity_profile', 'oauth_entity_profile_scope', 'oauth_2_0_credentials', 'sys_alias', 'http_connection'];

/** The records as a comparable set: names and links by role, not by sys_id or port. */
function recordSet(world: World): Record<string, string[]> {
  const sn = world.serviceNow;
  const ports = (v: string) => v.replaceAll(world.atlassian.authUrl, '{atlassian}').replaceAll(world.atlassian.apiUrl, '{atlassian-api}').replaceAll(sn.url, '{servicenow}');
  const nameOf = new Map<string, string>();
  for (const table of TABLES) for (const row of sn.rows(table)) nameOf.set(row.sys_id!, `${table}:${row.name || row.oauth_entity_scope || row.sys_id}`);
  const describe = (row: Record<string, string>) =>
    Object.entries(row)
      .filter(([k]) => !k.startsWith('sys_') && k !== 'client_secret')
      .map(([k, v]) => `${k}=${nameOf.get(v) ?? ports(v)}`)
      .sort()
      .join(',');
  return Object.fromEntries(TABLES.map((t) => [t, sn.rows(t).map(describe).sort()]));
}

function insertsSoFar(sn: ServiceNowStandIn): number {
  return sn.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/api/now/table/')).length;
}

describe('setup writes are idempotent and resumable', () => {
  let baseline: Record<string, string[]>;
  let inserts: number;

  beforeAll(async () => {
    const world = await startWorld();
    await setupUntilConsent(world);
    baseline = recordSet(world);
    inserts = insertsSoFar(world.serviceNow);
    await world.close();
  });

  it('running the same setup twice leaves one set of records', async () => {
    const world = await startWorld();
    try {
      await setupUntilConsent(world);
      const postsAfterFirst = insertsSoFar(world.serviceNow);
      await setupUntilConsent(world);
      expect(recordSet(world)).toEqual(baseline);
      expect(insertsSoFar(world.serviceNow)).toBe(postsAfterFirst);
    } finally {
      await world.close();
    }
  });

  for (const fault of ['500', '429', 'drop-after-commit', 'drop-before'] as const) {
    it(`survives a ${fault} injected at each insert in turn, with no duplicates`, async () => {
      for (let nth = 0; nth < inserts; nth++) {
        const world = await startWorld();
        try {
          // Let `nth` inserts through, then fault the next one.
          const faults = world.serviceNow.faults;
          if (fault === '500') faults.next({ method: 'POST', status: 500, skip: nth });
          if (fault === '429') faults.next({ method: 'POST', status: 429, headers: { 'Retry-After': '0' }, skip: nth });
          if (fault === 'drop-after-commit') faults.next({ method: 'POST', drop: 'after', skip: nth });
          if (fault === 'drop-before') faults.next({ method: 'POST', drop: 'before', skip: nth });
          await setupUntilConsent(world);
          expect(recordSet(world), `fault at insert ${nth}`).toEqual(baseline);
          const setup = world.bot.store.listSetups()[0]!;
          expect(setup.status).toBe('awaiting_consent');
        } finally {
          await world.close();
        }
      }
    });
  }
});

describe('a setup that ServiceNow stops', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld();
  });

  it('says which records exist and what to do, and Retry resumes without duplicates', async () => {
    const sn = world.serviceNow;
    // The credential insert is refused by an ACL.
    const body = { error: { message: 'Operation Failed', detail: 'ACL restricts insert on oauth_2_0_credentials' }, status: 'failure' };
    sn.faults.next({ method: 'POST', table: 'oauth_2_0_credentials', status: 403, body });
    const { openSetupModal, submitView, waitForPlanView } = await import('../support/setup-steps.js');
    const form = await openSetupModal(world);
    await submitView(world, form, setupAnswers(world));
    const plan = await waitForPlanView(world, String(form.id));
    await submitView(world, plan, {});
    const stopped = await waitForMessage(world, /Setup stopped/);
    const text = JSON.stringify(stopped.args.blocks);
    expect(text).toContain('ACL restricts insert on oauth_2_0_credentials');
    expect(text).toContain('admin role');
    expect(text).toContain('oauth_entity');
    expect(sn.rows('oauth_2_0_credentials')).toHaveLength(0);
    expect(sn.rows('oauth_entity')).toHaveLength(1);
    const setup = world.bot.store.listSetups()[0]!;
    expect(setup.status).toBe('write_failed');
    expect(setup.sealedSecret).toBeDefined();

    await clickButton(world, stopped, ACTION.retrySetup);
    await waitForMessage(world, /One click left/);
    expect(sn.rows('oauth_entity')).toHaveLength(1);
    expect(sn.rows('oauth_2_0_credentials')).toHaveLength(1);
    expect(sn.rows('http_connection')).toHaveLength(1);
    // The secret is wiped as soon as ServiceNow holds it, before the consent link is posted.
    expect(world.bot.store.getSetup(setup.id)!.sealedSecret).toBeUndefined();
    await world.close();
  });
});
