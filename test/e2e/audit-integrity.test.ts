import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SpokeStore } from '../../src/store/spoke-store.js';
import { startServiceNowStandIn, type ServiceNowStandIn } from '../standins/servicenow.js';
import { startSlackStandIn, type SlackStandIn } from '../standins/slack-api.js';
import { runCommand } from '../support/setup-steps.js';
import { childEnv } from '../support/bot-process.js';
import { ADMIN, BOT_TOKEN, startWorld, type World } from '../support/world.js';

/** Replaces one line of the audit log (1-based) with text that does not parse. */
async function garble(file: string, lineNumber: number): Promise<void> {
  const lines = (await readFile(file, 'utf8')).split('\n');
  lines[lineNumber - 1] = '{"at":"2026-11-01T00:00:00.000Z","actor":"U0ADMIN","acti  garbled';
  await writeFile(file, lines.join('\n'));
}

describe('/spoke audit', () => {
  let world: World;
  afterEach(async () => {
    await world.close();
  });

  it('says how many lines of the log do not parse, where the first is, and what to run', async () => {
    world = await startWorld();
    for (let i = 0; i < 4; i++) await world.bot.store.audit({ actor: ADMIN, action: `step.${i}`, outcome: 'ok' });
    await world.restartBot(() => garble(world.bot.store.auditLog.location, 2));
    // Counted in the background after open.
    expect(await world.bot.store.auditLog.unreadableCounted).toEqual({ count: 1, firstLine: 2 });
    expect(world.bot.store.auditLog.unreadable).toEqual({ count: 1, firstLine: 2 });

    const since = world.slack.calls.length;
    await runCommand(world, 'audit');
    const answer = await world.slack.waitForCall('response_url', (c) => world.slack.calls.indexOf(c) >= since && String(c.args.text).startsWith('Audit log'));
    const contexts = (answer.args.blocks as Array<{ type: string; elements?: Array<{ text: string }> }>).filter((b) => b.type === 'context').map((b) => b.elements![0]!.text);
    expect(contexts).toContain('1 unreadable line in the audit log (first at line 2): run `spokebot audit verify`');
  });

  it('pages a long log without counting it whole: "N+ more" until the entries left fit the pages read', async () => {
    world = await startWorld();
    await Promise.all(Array.from({ length: 130 }, (_, i) => world.bot.store.audit({ actor: ADMIN, action: 'step', outcome: 'ok', detail: { n: String(i + 1) } })));
    const page = async (words: string) => {
      const since = world.slack.calls.length;
      await runCommand(world, words);
      const answer = await world.slack.waitForCall('response_url', (c) => world.slack.calls.indexOf(c) >= since && String(c.args.text).startsWith('Audit log'));
      const contexts = (answer.args.blocks as Array<{ type: string; elements?: Array<{ text: string }> }>).filter((b) => b.type === 'context').map((b) => b.elements![0]!.text);
      return { title: String(answer.args.text), contexts, numbers: [...JSON.stringify(answer.args.blocks).matchAll(/n=(\d+)/g)].map((m) => Number(m[1])) };
    };
    // Page 1 reads 4 pages' worth (120 of 130 entries): more than that is left unsaid.
    const first = await page('audit');
    expect(first.title).toBe('Audit log (page 1)');
    expect(first.contexts).toContain('Page 1 · 90+ more: `/spoke audit --page 2`');
    expect(first.numbers).toEqual(Array.from({ length: 30 }, (_, i) => 130 - i));
    // Page 2 reads 5 pages' worth, which holds every entry: the total is exact again.
    const second = await page('audit --page 2');
    expect(second.title).toBe('Audit log (page 2 of 5)');
    expect(second.contexts).toContain('Page 2 of 5 · 130 entries in all · 70 more: `/spoke audit --page 3`');
    expect(second.numbers).toEqual(Array.from({ length: 30 }, (_, i) => 100 - i));
  });

  it('says nothing of the kind for a clean log', async () => {
    world = await startWorld();
    await world.bot.store.audit({ actor: ADMIN, action: 'step', outcome: 'ok' });
    const since = world.slack.calls.length;
    await runCommand(world, 'audit');
    const answer = await world.slack.waitForCall('response_url', (c) => world.slack.calls.indexOf(c) >= since && String(c.args.text).startsWith('Audit log'));
    expect(JSON.stringify(answer.args.blocks)).not.toContain('unreadable');
  });
});

describe('the bot as a process, starting on what a crash left', () => {
  let slack: SlackStandIn;
  let serviceNow: ServiceNowStandIn;
  let dataDir: string;
  beforeAll(async () => {
    slack = await startSlackStandIn({ botToken: BOT_TOKEN });
    serviceNow = await startServiceNowStandIn({ username: 'u', password: 'p' });
    dataDir = await mkdtemp(join(tmpdir(), 'spokebot-leftovers-'));
  });
  afterAll(async () => {
    await Promise.all([slack.close(), serviceNow.close()]);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('removes stale temporary copies of the store, touches nothing else, and logs them and the unreadable audit lines', async () => {
    const key = Buffer.alloc(32, 3);
    const path = join(dataDir, 'spokebot.json');
    const store = await SpokeStore.open(path, key);
    for (let i = 0; i < 3; i++) await store.audit({ actor: 'U0ADMIN', action: `step.${i}`, outcome: 'ok' });
    await store.close();
    await garble(`${path}.audit.jsonl`, 2);
    const stale = ['spokebot.json.31337.tmp', 'spokebot.json.8.tmp'];
    const kept = ['spokebot.json.backup', 'spokebot.json.8.tmp.orig', 'other.json.31337.tmp'];
    for (const name of [...stale, ...kept]) await writeFile(join(dataDir, name), 'x');

    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: {
        ...childEnv({ slackApiUrl: slack.apiUrl, serviceNowUrl: serviceNow.url, dbPath: path, key, port: 0 }),
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const deadline = Date.now() + 20_000;
      // The unreadable lines are counted after open, so their warning may follow "running".
      const started = () => output.includes('spokebot is running') && output.includes('unreadable line');
      while (!started() && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
      expect(output).toContain('spokebot is running');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);

    const logs = output.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { level: number; msg: string; removed?: number; unreadable?: number; firstLine?: number });
    expect(logs).toContainEqual(expect.objectContaining({ level: 30, removed: 2, msg: expect.stringMatching(/^removed 2 stale temporary copies of the store/) }));
    const warned = logs.filter((l) => l.level === 40 && l.unreadable !== undefined);
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ unreadable: 1, firstLine: 2, msg: `1 unreadable line in the audit log ${path}.audit.jsonl (first at line 2): run \`spokebot audit verify\`` });
    for (const name of stale) expect(existsSync(join(dataDir, name)), name).toBe(false);
    for (const name of kept) expect(existsSync(join(dataDir, name)), name).toBe(true);
  }, 40_000);
});
