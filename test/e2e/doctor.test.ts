import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SpokeStore } from '../../src/store/spoke-store.js';
import { manifestBotScopes } from '../standins/slack-api.js';
import { APP_TOKEN, failures, inArea, line, startDoctorWorld, type DoctorWorld } from '../support/doctor-world.js';

/**
 * `spokebot doctor` against the stand-ins: one deployment per file, each case changing the one
 * thing it is about (an env override, a stand-in switch) and putting it back afterwards. Cases
 * for an area go in that area's describe block.
 */
let world: DoctorWorld;
beforeAll(async () => {
  world = await startDoctorWorld();
});
afterAll(async () => {
  await world.close();
});
afterEach(async () => {
  world.slack.scopes.set(manifestBotScopes());
  world.slack.refuseBotToken(undefined);
  await rm(world.config().SPOKE_DB_PATH, { force: true });
  await rm(`${world.config().SPOKE_DB_PATH}.audit.jsonl`, { force: true });
});

const OTHER_KEY = Buffer.alloc(32, 7).toString('base64');

describe('a healthy deployment', () => {
  it('has no failing check, and each area answers', async () => {
    const outcome = await world.doctor();
    expect(failures(outcome), JSON.stringify(outcome.results, null, 2)).toEqual([]);
    expect(outcome.failed).toBe(false);
    for (const area of ['Slack', 'Atlassian', 'Store'] as const) expect(inArea(outcome, area).length, area).toBeGreaterThan(0);
    expect(line(outcome, 'Slack', 'bot token')).toMatchObject({ status: 'ok' });
    expect(line(outcome, 'Slack', 'scopes')).toMatchObject({ status: 'ok' });
    expect(line(outcome, 'Slack', 'signing secret')).toMatchObject({ status: 'ok' });
    expect(line(outcome, 'Store', 'encryption key')).toMatchObject({ status: 'ok', detail: expect.stringContaining('one will be created') });
  });
});

describe('Slack', () => {
  it('a refused bot token fails naming SLACK_BOT_TOKEN, and nothing that needs the token is tried', async () => {
    const outcome = await world.doctor({ SLACK_BOT_TOKEN: 'xoxb-not-the-installed-token' });
    const token = line(outcome, 'Slack', 'bot token');
    expect(token).toMatchObject({ status: 'fail' });
    expect(`${token!.detail} ${token!.fix}`).toContain('SLACK_BOT_TOKEN');
    expect(token!.detail).toContain('invalid_auth');
    expect(outcome.failed).toBe(true);
    expect(line(outcome, 'Slack', 'approval channel')).toBeUndefined();
  });

  it('a revoked bot token is named as such', async () => {
    world.slack.refuseBotToken('token_revoked');
    const token = line(await world.doctor(), 'Slack', 'bot token');
    expect(token).toMatchObject({ status: 'fail', detail: expect.stringContaining('token_revoked') });
  });

  it('a scope manifest.yml asks for but the workspace did not grant fails naming it', async () => {
    world.slack.scopes.drop('usergroups:read');
    const outcome = await world.doctor();
    const missing = line(outcome, 'Slack', 'scope usergroups:read');
    expect(missing).toMatchObject({ status: 'fail' });
    expect(missing!.detail).toContain('usergroups:read');
    expect(missing!.fix).toContain('reinstall the app after adding it');
    expect(failures(outcome).map((r) => r.name)).toEqual(['scope usergroups:read']);
  });

  it('Socket Mode: the app token opens a connection URL (the socket itself is not opened)', async () => {
    const since = world.slack.calls.length;
    const outcome = await world.doctor({ SLACK_APP_TOKEN: APP_TOKEN, SLACK_SIGNING_SECRET: undefined });
    expect(line(outcome, 'Slack', 'app token')).toMatchObject({ status: 'ok' });
    expect(line(outcome, 'Slack', 'signing secret')).toBeUndefined();
    expect(world.slack.calls.slice(since).filter((c) => c.method === 'apps.connections.open').map((c) => c.response.ok)).toEqual([true]);
  });

  it('Socket Mode: a refused app token fails naming SLACK_APP_TOKEN', async () => {
    const outcome = await world.doctor({ SLACK_APP_TOKEN: 'xapp-1-A0001-revoked', SLACK_SIGNING_SECRET: undefined });
    const app = line(outcome, 'Slack', 'app token');
    expect(app).toMatchObject({ status: 'fail' });
    expect(`${app!.detail} ${app!.fix}`).toContain('SLACK_APP_TOKEN');
  });

  describe('channels (with channels:read and groups:read granted)', () => {
    const withReadScopes = () => world.slack.scopes.set([...manifestBotScopes(), 'channels:read', 'groups:read']);

    it('a channel the bot is in is ok', async () => {
      withReadScopes();
      expect(line(await world.doctor(), 'Slack', 'approval channel')).toMatchObject({ status: 'ok', detail: expect.stringContaining('member') });
    });

    it('a public channel the bot is not in is ok through chat:write.public, and fails without it', async () => {
      withReadScopes();
      world.slack.addChannel({ id: 'C0PUBLIC1', name: 'spoke-alerts', is_member: false });
      expect(line(await world.doctor({ SPOKE_ALERT_CHANNEL: 'C0PUBLIC1' }), 'Slack', 'alert channel')).toMatchObject({ status: 'ok', detail: expect.stringContaining('chat:write.public') });
      world.slack.scopes.drop('chat:write.public');
      expect(line(await world.doctor({ SPOKE_ALERT_CHANNEL: 'C0PUBLIC1' }), 'Slack', 'alert channel')).toMatchObject({ status: 'fail', fix: expect.stringContaining('/invite') });
    });

    it('a private channel the bot was not invited to, or an unknown one, fails', async () => {
      withReadScopes();
      world.slack.addChannel({ id: 'G0PRIVATE1', name: 'secret', is_private: true, is_member: false });
      const outcome = await world.doctor({ SPOKE_APPROVAL_CHANNEL: 'G0PRIVATE1', SPOKE_ALERT_CHANNEL: 'C0NOSUCH1' });
      expect(line(outcome, 'Slack', 'approval channel')).toMatchObject({ status: 'fail', detail: expect.stringContaining('G0PRIVATE1') });
      expect(line(outcome, 'Slack', 'alert channel')).toMatchObject({ status: 'fail', detail: expect.stringContaining('C0NOSUCH1') });
    });
  });

  it('an install from before channels:read was asked for: the channel cannot be looked up, a warning beside the missing scope', async () => {
    world.slack.scopes.drop('channels:read');
    const approval = line(await world.doctor(), 'Slack', 'approval channel');
    expect(approval).toMatchObject({ status: 'warn', detail: expect.stringContaining('channels:read') });
  });

  it('an unset approval channel is a warning that says what it disables', async () => {
    const approval = line(await world.doctor({ SPOKE_APPROVAL_CHANNEL: undefined }), 'Slack', 'approval channel');
    expect(approval).toMatchObject({ status: 'warn', detail: expect.stringContaining('access requests are refused') });
  });
});

describe('Atlassian', () => {
  it('an auth or API URL that does not answer fails naming it', async () => {
    const outcome = await world.doctor({ ATLASSIAN_API_URL: 'http://127.0.0.1:9' });
    expect(line(outcome, 'Atlassian', 'API URL')).toMatchObject({ status: 'fail', detail: expect.stringContaining('http://127.0.0.1:9') });
    expect(line(outcome, 'Atlassian', 'auth URL')).toMatchObject({ status: 'ok' });
  });

  it('a malformed allowlist entry is refused with the configuration, naming the entry', async () => {
    expect(() => world.config({ ATLASSIAN_SITE_ALLOWLIST: 'http://127.0.0.1:*,https://acme.atlassian.net/wiki' })).toThrowError(/ATLASSIAN_SITE_ALLOWLIST: "https:\/\/acme.atlassian.net\/wiki" is not scheme:\/\/host/);
  });
});

describe('Store', () => {
  async function storeSealedWith(key: string): Promise<void> {
    const store = await SpokeStore.open(world.config().SPOKE_DB_PATH, Buffer.from(key, 'base64'));
    await store.saveConnection({
      name: 'Jira token',
      spoke: 'jira',
      method: 'api_token',
      siteOrigin: 'https://acme.atlassian.net',
      cloudId: '00000000-0000-4000-8000-000000000000',
      channel: 'C0REPORTS',
      scopes: [],
      sealedCredential: store.sealCredential('Jira token', 'ATATT-test-token'),
      createdBy: 'UADMIN01',
      createdAt: new Date().toISOString(),
      state: 'connected',
      records: {},
    });
    await store.close();
  }

  it('an existing store opens with the key and its sealed secrets are counted', async () => {
    await storeSealedWith(world.env().SPOKE_ENCRYPTION_KEY!);
    expect(line(await world.doctor(), 'Store', 'encryption key')).toMatchObject({ status: 'ok', detail: expect.stringContaining('1 sealed secret') });
  });

  it('a key that did not seal the existing store fails with what to do', async () => {
    await storeSealedWith(OTHER_KEY);
    const key = line(await world.doctor(), 'Store', 'encryption key');
    expect(key).toMatchObject({ status: 'fail', detail: expect.stringContaining('this key did not seal this store') });
    expect(key!.fix).toContain('SPOKE_ENCRYPTION_KEY');
  });
});

describe('the CLI (npm run doctor)', () => {
  function runCli(env: Record<string, string>, entry: string[] = ['src/cli/doctor.ts']): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = spawn(process.execPath, ['--import', 'tsx', ...entry], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
  }

  it('prints the table and the wall time, and exits 0 when nothing fails', async () => {
    const { code, stdout, stderr } = await runCli(world.env());
    expect(code, stdout + stderr).toBe(0);
    expect(stdout).toMatch(/^AREA\s+CHECK\s+STATUS\s+DETAIL\s+FIX/m);
    expect(stdout).toMatch(/^Slack\s+bot token\s+ok\s/m);
    const took = /checks: .*; took (\d+) ms/.exec(stdout);
    expect(took, stdout).not.toBeNull();
    console.info(`doctor CLI against the stand-ins: ${took![0]}`);
  });

  it('exits 1 and shows FAIL when a check fails', async () => {
    const { code, stdout } = await runCli(world.env({ SLACK_BOT_TOKEN: 'xoxb-not-the-installed-token' }));
    expect(code).toBe(1);
    expect(stdout).toMatch(/^Slack\s+bot token\s+FAIL\s.*invalid_auth/m);
  });

  it('runs as `spokebot doctor` too (the command the image puts on PATH), which names unknown commands', async () => {
    const { code, stdout } = await runCli(world.env(), ['src/cli/spokebot.ts', 'doctor']);
    expect(code, stdout).toBe(0);
    expect(stdout).toMatch(/^Slack\s+bot token\s+ok\s/m);
    const unknown = await runCli({}, ['src/cli/spokebot.ts', 'docter']);
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toContain('unknown command "docter"');
    expect(unknown.stderr).toMatch(/doctor\s+check the deployment/);
  });

  it('exits 78 with the list of problems when the environment is invalid', async () => {
    const { code, stderr } = await runCli(world.env({ SPOKE_ENCRYPTION_KEY: 'short' }));
    expect(code).toBe(78);
    expect(stderr).toContain('SPOKE_ENCRYPTION_KEY');
  });
});

