import { afterEach, describe, expect, it } from 'vitest';
import { SERVICENOW_TABLES } from '../../src/core/spoke-catalogue.js';
import { failures, inArea, line, startDoctorWorld, type DoctorWorld } from '../support/doctor-world.js';

/** `spokebot doctor`'s ServiceNow lines, each case on an instance with one thing wrong. */
let world: DoctorWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

async function deployment(): Promise<DoctorWorld> {
  world = await startDoctorWorld();
  return world;
}

describe('the ServiceNow checks', () => {
  it('a healthy instance: every table and column present, readable, admin, each spoke installed, the groups table found', async () => {
    const w = await deployment();
    const outcome = await w.doctor();
    const lines = inArea(outcome, 'ServiceNow');
    expect(lines.filter((l) => l.status === 'fail'), JSON.stringify(lines, null, 2)).toEqual([]);
    for (const table of SERVICENOW_TABLES) {
      expect(line(outcome, 'ServiceNow', `table ${table}`)).toMatchObject({ status: 'ok' });
      expect(line(outcome, 'ServiceNow', `read ${table}`)).toMatchObject({ status: 'ok' });
    }
    expect(line(outcome, 'ServiceNow', 'write access')).toMatchObject({ status: 'ok', detail: expect.stringContaining('admin') });
    for (const spoke of ['Jira Cloud', 'Jira Service Management', 'Confluence Cloud']) expect(line(outcome, 'ServiceNow', `${spoke} spoke`)).toMatchObject({ status: 'ok' });
    expect(line(outcome, 'ServiceNow', 'Confluence Groups')).toMatchObject({ status: 'ok', detail: expect.stringContaining('sn_confluence_spoke_group_config') });
    // Plain HTTP is a warning, never a failure: the stand-in is not behind TLS.
    expect(line(outcome, 'ServiceNow', 'instance')).toMatchObject({ status: 'warn' });
    expect(outcome.serviceNowRequests).toBeLessThan(40);
  });

  it('runs its checks at once: with 50 ms of ServiceNow latency it takes a few round trips, not one per request', async () => {
    const w = await deployment();
    w.serviceNow.faults.setLatency(50);
    const started = performance.now();
    const outcome = await w.doctor();
    const ms = performance.now() - started;
    expect(failures(outcome)).toEqual([]);
    const requests = outcome.serviceNowRequests ?? 0;
    console.log(`doctor against stand-ins with 50 ms ServiceNow latency: ${Math.round(ms)} ms, ${requests} ServiceNow requests`);
    expect(ms).toBeLessThan(requests * 50);
  });

  it('a column the instance lacks fails naming table and column', async () => {
    const w = await deployment();
    w.serviceNow.schema.removeColumn('oauth_requestor_profile', 'requestor_id');
    const outcome = await w.doctor();
    expect(line(outcome, 'ServiceNow', 'table oauth_requestor_profile')).toMatchObject({ status: 'fail', detail: expect.stringContaining('oauth_requestor_profile.requestor_id') });
    expect(outcome.failed).toBe(true);
  });

  it('an inherited column removed from the parent table is missing on the child', async () => {
    const w = await deployment();
    w.serviceNow.schema.removeColumn('http_connection', 'credential');
    const outcome = await w.doctor();
    expect(line(outcome, 'ServiceNow', 'table http_connection')).toMatchObject({ status: 'fail', detail: expect.stringContaining('http_connection.credential') });
  });

  it('a spoke that is not installed fails naming its alias', async () => {
    const w = await deployment();
    const jsm = w.serviceNow.rows('sys_alias').find((a) => a.name === 'Jira_SM')!;
    w.serviceNow.remove('sys_alias', jsm.sys_id!);
    const outcome = await w.doctor();
    expect(line(outcome, 'ServiceNow', 'Jira Service Management spoke')).toMatchObject({ status: 'fail', detail: expect.stringContaining('Jira_SM'), fix: expect.stringContaining('ServiceNow Store') });
    expect(line(outcome, 'ServiceNow', 'Jira Cloud spoke')).toMatchObject({ status: 'ok' });
    expect(outcome.failed).toBe(true);
  });

  it('a refused password fails naming SERVICENOW_USERNAME and SERVICENOW_PASSWORD, and nothing else is tried', async () => {
    const w = await deployment();
    const outcome = await w.doctor({ SERVICENOW_PASSWORD: 'not-the-password' });
    const lines = inArea(outcome, 'ServiceNow');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ status: 'fail', name: 'integration user', fix: expect.stringContaining('SERVICENOW_USERNAME / SERVICENOW_PASSWORD') });
  });

  it('a table the user may not read fails naming the table and the role to grant', async () => {
    const w = await deployment();
    w.serviceNow.deniedReads.add('oauth_credential');
    const outcome = await w.doctor();
    expect(line(outcome, 'ServiceNow', 'read oauth_credential')).toMatchObject({ status: 'fail', fix: expect.stringContaining('oauth_admin') });
  });

  it('a user without admin or the roles spokebot writes with fails naming them', async () => {
    const w = await deployment();
    w.serviceNow.setRoles(['oauth_admin', 'rest_service']);
    const outcome = await w.doctor();
    expect(line(outcome, 'ServiceNow', 'write access')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/credential_admin.*connection_admin|connection_admin.*credential_admin/) });
  });

  it('no Confluence Groups table: a warning with the menu path to add groups by hand', async () => {
    const w = await deployment();
    w.serviceNow.schema.removeTable('sn_confluence_spoke_group_config');
    const outcome = await w.doctor();
    expect(line(outcome, 'ServiceNow', 'Confluence Groups')).toMatchObject({ status: 'warn', fix: expect.stringContaining('Confluence Cloud > Confluence Groups') });
    expect(inArea(outcome, 'ServiceNow').filter((l) => l.status === 'fail')).toEqual([]);
  });
});
