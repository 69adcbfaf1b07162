import { childEnv, freePort } from '../support/bot-process.js';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServiceNowStandIn, type ServiceNowStandIn } from '../standins/servicenow.js';
import { startSlackStandIn, type SlackStandIn } from '../standins/slack-api.js';
import { sendSlashCommand } from '../standins/slack-driver.js';
import { BOT_TOKEN, SIGNING_SECRET } from '../support/world.js';

/** `npm start`'s entry point as its own process: config from the environment alone, /healthz, SIGTERM. */
describe('the bot as a process', () => {
  let slack: SlackStandIn;
  let serviceNow: ServiceNowStandIn;
  let dataDir: string;
  beforeAll(async () => {
    slack = await startSlackStandIn({ botToken: BOT_TOKEN });
    serviceNow = await startServiceNowStandIn({ username: 'u', password: 'p' });
    dataDir = await mkdtemp(join(tmpdir(), 'spokebot-main-'));
  });
  afterAll(async () => {
    await Promise.all([slack.close(), serviceNow.close()]);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('serves /healthz and /slack/events from env alone, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: {
        ...childEnv({ slackApiUrl: slack.apiUrl, serviceNowUrl: serviceNow.url, dbPath: join(dataDir, 'db.json'), key: Buffer.alloc(32, 3), port }),
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));

    const deadline = Date.now() + 15_000;
    let health: Response | undefined;
    while (Date.now() < deadline && !health) {
      health = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
      if (!health) await new Promise((r) => setTimeout(r, 100));
    }
    expect(health?.status, output).toBe(200);
    expect(await health!.json()).toEqual({ ok: true });

    const help = await sendSlashCommand(`http://127.0.0.1:${port}/slack/events`, SIGNING_SECRET, { text: 'help', userId: 'U1', triggerId: 't' });
    expect(help.json).toMatchObject({ response_type: 'ephemeral' });

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('spokebot is running');
  }, 30_000);
});
