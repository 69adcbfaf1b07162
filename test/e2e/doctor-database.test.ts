import { afterEach, describe, expect, it } from 'vitest';
import { storeChecks } from '../../src/doctor/store-check.js';
import { loadConfig } from '../../src/config.js';
import { PostgresSpokeStore } from '../../src/store/postgres/postgres-store.js';
import { freshDatabase, type FreshDatabase } from '../support/postgres.js';

const KEY = Buffer.alloc(32, 7);
const OTHER_KEY = Buffer.alloc(32, 8);

function configFor(url: string, key = KEY) {
  return loadConfig({
    SLACK_BOT_TOKEN: 'xoxb-doctor',
    SLACK_SIGNING_SECRET: 'secret',
    SERVICENOW_INSTANCE_URL: 'https://acme.service-now.com',
    SERVICENOW_TOKEN: 'token',
    SPOKE_ENCRYPTION_KEY: key.toString('base64'),
    SPOKE_DATABASE_URL: url,
  });
}

describe('spokebot doctor on a PostgreSQL store', () => {
  let database: FreshDatabase | undefined;
  afterEach(async () => {
    await database?.drop();
    database = undefined;
  });

  it('an empty database: reachable, migrations to apply at the first start, nothing else to prove', async () => {
    database = await freshDatabase();
    const rows = await storeChecks({ config: configFor(database.url) });
    expect(rows.map((r) => [r.name, r.status])).toEqual([
      ['database', 'ok'],
      ['migrations', 'ok'],
    ]);
    expect(rows[1]!.detail).toMatch(/the first start applies \d+ migrations/);
  });

  it('a database the bot runs on: every migration applied, the key opens it, the audit chain holds; another key fails its row', async () => {
    database = await freshDatabase();
    const store = await PostgresSpokeStore.open({ url: database.url, encryptionKey: KEY });
    for (let i = 0; i < 5; i++) await store.audit({ actor: 'UADMIN', action: 'setup.started', outcome: 'ok', connection: `c${i}` });
    await store.close();

    const rows = await storeChecks({ config: configFor(database.url) });
    expect(rows.map((r) => [r.name, r.status])).toEqual([
      ['database', 'ok'],
      ['migrations', 'ok'],
      ['encryption key', 'ok'],
      ['audit log', 'ok'],
    ]);
    expect(rows[3]!.detail).toMatch(/audit_log: chain intact: 5 entries/);

    const wrongKey = await storeChecks({ config: configFor(database.url, OTHER_KEY) });
    expect(wrongKey.find((r) => r.name === 'encryption key')).toMatchObject({ status: 'fail', fix: expect.stringMatching(/SPOKE_ENCRYPTION_KEY/) });
  });

  it('a role PostgreSQL refuses: one failing row naming what to check, never the password', async () => {
    database = await freshDatabase();
    const url = new URL(database.url);
    url.username = 'nobody';
    url.password = 'hunter2-secret';
    const rows = await storeChecks({ config: configFor(url.toString()) });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ name: 'database', status: 'fail' });
    expect(JSON.stringify(rows)).not.toContain('hunter2-secret');
  });
});
