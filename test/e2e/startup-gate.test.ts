import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SpokeStore } from '../../src/store/spoke-store.js';
import { startServiceNowStandIn, type ServiceNowStandIn } from '../standins/servicenow.js';
import { startSlackStandIn, type SlackStandIn } from '../standins/slack-api.js';
import { childEnv } from '../support/bot-process.js';
import { BOT_TOKEN } from '../support/world.js';

/**
 * `npm start`'s entry point as its own process, misconfigured: what is wrong for good ends it with
 * one line and 78; what is only not there yet is waited for, with /healthz saying so.
 */
let slack: SlackStandIn;
let serviceNow: ServiceNowStandIn;
let dataDir: string;
const children: ChildProcess[] = [];
const KEY = Buffer.alloc(32, 3).toString('base64');

beforeAll(async () => {
  slack = await startSlackStandIn({ botToken: BOT_TOKEN });
  serviceNow = await startServiceNowStandIn({ username: 'u', password: 'p' });
  dataDir = await mkdtemp(join(tmpdir(), 'spokebot-gate-'));
});
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});
afterAll(async () => {
  await Promise.all([slack.close(), serviceNow.close()]);
  await rm(dataDir, { recursive: true, force: true });
});

/** A port nobody listens on now (taken and released), for the bot or for a late ServiceNow. */
async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function startMain(overrides: Record<string, string>, port = 0) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      ...childEnv({ slackApiUrl: slack.apiUrl, serviceNowUrl: serviceNow.url, dbPath: join(dataDir, `db-${children.length}.json`), key: KEY, port }),
      SERVICENOW_TIMEOUT: '2s',
      LOG_LEVEL: 'info',
      ...overrides,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const out = { stdout: '', stderr: '' };
  child.stdout!.on('data', (chunk) => (out.stdout += chunk));
  child.stderr!.on('data', (chunk) => (out.stderr += chunk));
  const started = performance.now();
  const exited = new Promise<{ code: number | null; ms: number }>((resolve) => child.on('exit', (code) => resolve({ code, ms: performance.now() - started })));
  return { child, out, exited };
}

/** Exit 78, quickly, with exactly one line on stderr and no stack frame anywhere. */
async function expectRefusal(run: ReturnType<typeof startMain>, ...mentions: string[]): Promise<string> {
  const { code, ms } = await run.exited;
  const all = run.out.stdout + run.out.stderr;
  expect(code, all).toBe(78);
  expect(ms).toBeLessThan(10_000);
  expect(all).not.toMatch(/^\s+at /m);
  const lines = run.out.stderr.trim().split('\n');
  expect(lines, run.out.stderr).toHaveLength(1);
  for (const mention of mentions) expect(lines[0]).toContain(mention);
  return lines[0]!;
}

async function health(port: number): Promise<{ status: number; body: Record<string, unknown> } | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  } catch {
    return undefined;
  }
}

async function waitForHealth(port: number, status: number, timeoutMs: number): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  let last: Awaited<ReturnType<typeof health>>;
  while (Date.now() < deadline) {
    last = await health(port);
    if (last?.status === status) return last.body;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`/healthz never answered ${status} within ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
}

describe('refused at start: one line, exit 78', () => {
  it('Slack refuses the bot token', async () => {
    const line = await expectRefusal(startMain({ SLACK_BOT_TOKEN: 'xoxb-revoked-or-wrong' }), 'SLACK_BOT_TOKEN', 'invalid_auth');
    expect(line).toContain('OAuth & Permissions');
  });

  it('ServiceNow refuses the integration user (401)', async () => {
    await expectRefusal(startMain({ SERVICENOW_PASSWORD: 'wrong' }), 'SERVICENOW_USERNAME/SERVICENOW_PASSWORD', '401');
  });

  it('ServiceNow refuses the bearer token (401), naming SERVICENOW_TOKEN', async () => {
    await expectRefusal(startMain({ SERVICENOW_USERNAME: '', SERVICENOW_PASSWORD: '', SERVICENOW_TOKEN: 'not-a-token' }), 'SERVICENOW_TOKEN');
  });

  it('the encryption key did not seal the existing store', async () => {
    const path = join(dataDir, 'sealed-elsewhere.json');
    await (await SpokeStore.open(path, Buffer.alloc(32, 9))).close();
    await expectRefusal(startMain({ SPOKE_DB_PATH: path }), 'this key did not seal this store', 'SPOKE_ENCRYPTION_KEY');
  });
});

describe('not reachable yet: waits, /healthz says so', () => {
  it('ServiceNow unreachable at first: /healthz 503 names its URL, then 200 once it answers', async () => {
    const port = await freePort();
    const latePort = await freePort();
    const lateUrl = `http://127.0.0.1:${latePort}`;
    const run = startMain({ SERVICENOW_INSTANCE_URL: lateUrl }, port);

    const waiting = await waitForHealth(port, 503, 15_000);
    expect(waiting).toMatchObject({ ok: false, ready: false, waitingFor: lateUrl });
    expect(String(waiting.error)).not.toBe('');

    // ServiceNow "comes up" a little later: a plain proxy on the port the bot was given.
    await new Promise((r) => setTimeout(r, 1500));
    const target = new URL(serviceNow.url);
    const proxy = http.createServer((req, res) => {
      const upstream = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(latePort, '127.0.0.1', resolve));
    try {
      expect(await waitForHealth(port, 200, 15_000)).toEqual({ ok: true });
      expect(run.out.stdout).toContain(`cannot reach ${lateUrl}`);
      expect(run.out.stdout).toContain('spokebot is running');
      run.child.kill('SIGTERM');
      expect((await run.exited).code).toBe(0);
    } finally {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    }
  }, 40_000);

  it('stops cleanly on SIGTERM while still waiting', async () => {
    const port = await freePort();
    const run = startMain({ SLACK_API_URL: `http://127.0.0.1:${await freePort()}/api/` }, port);
    const waiting = await waitForHealth(port, 503, 15_000);
    expect(String(waiting.waitingFor)).toMatch(/\/api\/auth\.test$/);
    run.child.kill('SIGTERM');
    expect((await run.exited).code).toBe(0);
  });
});
