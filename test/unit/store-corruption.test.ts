import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { storeChecks } from '../../src/doctor/store-check.js';
import { storeRefusalLine } from '../../src/startup/preflight.js';
import { SpokeStore } from '../../src/store/spoke-store.js';
import { checkStoreKey } from '../../src/store/store-key.js';

/**
 * A store file the bot cannot read is refused in one line that names the file and the way out
 * (its backup, or the exact `mv` that moves it aside), the same line at start, from the doctor's
 * check and from `src/main.ts` as a process, and never with a word of what the file holds.
 */
const KEY = Buffer.alloc(32, 7);
/** Shaped like a Slack token and like a field name, so neither a secret filter nor a field filter would let it through by luck. */
const MARKER = 'xoxbSecretMarker4242';
const asRoot = process.getuid?.() === 0;

interface Row {
  name: string;
  /** Puts the bad store at `path`. */
  plant(path: string): Promise<void>;
  /** What the line says is wrong (between "cannot read the store <path>: " and ". "). */
  reason: string | RegExp;
  /** The fix, given the path; default: restore, or the mv. */
  fix?: (path: string) => string;
  skip?: boolean;
}

const restoreOrMove = (path: string) => `Restore ${path} from a backup, or move it aside to start with an empty store (every connection then has to be set up again): mv ${path} ${path}.unreadable`;

const ROWS: Row[] = [
  {
    name: 'truncated JSON',
    plant: (path) => writeFile(path, `{"version":1,"setups":[],"connections":[{"name":"${MARKER}","sealedCredential":{"iv":"`),
    reason: 'it is not valid JSON (it ends part-way, as if cut off)',
  },
  { name: 'an empty file', plant: (path) => writeFile(path, ''), reason: 'it is empty (0 bytes), as a write cut off by a crash can leave it' },
  {
    name: 'a NUL-byte tail',
    plant: (path) => writeFile(path, Buffer.concat([Buffer.from(`{"version":1,"setups":[],"connections":[{"name":"${MARKER}"`), Buffer.alloc(512)])),
    reason: 'it ends in 512 NUL bytes, as a power loss during a write can leave it',
  },
  { name: 'nothing but NUL bytes', plant: (path) => writeFile(path, Buffer.alloc(4096)), reason: 'it holds nothing but NUL bytes (4096), as a power loss during a write can leave it' },
  {
    name: 'valid JSON with the wrong schema',
    // The marker as a record key (a connection name) and as a value: both are the file's content.
    plant: (path) => writeFile(path, JSON.stringify({ version: 1, setups: [], connections: [], health: { [MARKER]: { state: MARKER, checks: [], expiries: [], checkedAt: 'x', nextCheckAt: 'x' } } })),
    reason: 'it is not spokebot data (health[…].state: expected "ok" or "warning" or "failing")',
  },
  {
    name: 'a directory where the file should be',
    plant: (path) => mkdir(path),
    reason: 'it is a directory, not a file',
    fix: (path) => `A volume mounted at the file's own path makes a directory there: mount the folder instead, or move the directory aside to start with an empty store: mv ${path} ${path}.unreadable`,
  },
  {
    name: 'a file the bot may not read (mode 000)',
    plant: async (path) => {
      await writeFile(path, JSON.stringify({ version: 1, setups: [], connections: [{ name: MARKER }] }));
      await chmod(path, 0o000);
    },
    reason: `the bot's user (uid ${process.getuid?.()}) may not read or write it (EACCES)`,
    fix: (path) => `Give it to that user: chown ${process.getuid?.()} ${path} && chmod 600 ${path} (and the folder it is in must be that user's too).`,
    // root reads any file whatever its mode.
    skip: asRoot,
  },
];

const expectedLine = (row: Row, path: string) => `spokebot cannot start: cannot read the store ${path}: ${row.reason}. ${(row.fix ?? restoreOrMove)(path)}`;

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'spokebot-corrupt-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function planted(row: Row, label: string): Promise<string> {
  const dir = join(root, `${label}-${ROWS.indexOf(row)}`);
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'spokebot.json');
  await row.plant(path);
  return path;
}

const env = (path: string) => ({
  SLACK_BOT_TOKEN: 'xoxb-test',
  SLACK_SIGNING_SECRET: 'secret',
  // Nothing listens on port 9: a store that got past the gate would leave the bot waiting, not refused.
  SLACK_API_URL: 'http://127.0.0.1:9/api/',
  SERVICENOW_INSTANCE_URL: 'http://127.0.0.1:9',
  SERVICENOW_USERNAME: 'u',
  SERVICENOW_PASSWORD: 'p',
  SPOKE_ENCRYPTION_KEY: KEY.toString('base64'),
  SPOKE_DB_PATH: path,
  PORT: '0',
  LOG_LEVEL: 'info',
});

function expectOneLineWithoutContent(line: string | undefined, expected: string): void {
  expect(line).toBe(expected);
  expect(line).not.toContain('\n');
  expect(line).not.toContain(MARKER);
}

describe('a store the bot cannot read, in one line', () => {
  for (const row of ROWS) {
    it.skipIf(row.skip)(`${row.name}: at open, from the start-up check and in the doctor`, async () => {
      const path = await planted(row, 'unit');
      const expected = expectedLine(row, path);

      const atOpen = await SpokeStore.open(path, KEY).then(() => undefined, (e: unknown) => e);
      expectOneLineWithoutContent(storeRefusalLine(atOpen), expected);
      expect(JSON.stringify(atOpen)).not.toContain(MARKER);
      expect(String((atOpen as Error).stack)).not.toContain(MARKER);

      const checked = await checkStoreKey(path, KEY).then(() => undefined, (e: unknown) => e);
      expectOneLineWithoutContent(storeRefusalLine(checked), expected);

      const [key] = await storeChecks({ config: loadConfig(env(path)) });
      expect(key).toMatchObject({ area: 'Store', name: 'encryption key', status: 'fail' });
      expectOneLineWithoutContent(`spokebot cannot start: ${key!.detail}. ${key!.fix}`, expected);
    });
  }

  it('an audit log that is a directory: the same kind of line, naming the audit log', async () => {
    const dir = join(root, 'audit-dir');
    const path = join(dir, 'spokebot.json');
    await mkdir(`${path}.audit.jsonl`, { recursive: true });
    const error = await SpokeStore.open(path, KEY).then(() => undefined, (e: unknown) => e);
    expect(storeRefusalLine(error)).toBe(
      `spokebot cannot start: cannot use ${path}.audit.jsonl: it is a directory, not a file. A volume mounted at the file's own path makes a directory there: mount the folder instead, or move the directory aside to start with an empty audit log: mv ${path}.audit.jsonl ${path}.audit.jsonl.unreadable`,
    );
  });

  it('the mv never overwrites what an earlier one moved aside, and quotes a path with spaces or quotes', async () => {
    const dir = join(root, "it's a folder");
    await mkdir(dir);
    const path = join(dir, 'spokebot.json');
    await writeFile(path, '{');
    await writeFile(`${path}.unreadable`, 'moved aside last time');
    const line = storeRefusalLine(await checkStoreKey(path, KEY).then(() => undefined, (e: unknown) => e));
    const quoted = `'${path.replace("'", `'\\''`)}`;
    expect(line).toMatch(new RegExp(`: mv ${escape(`${quoted}'`)} ${escape(`${quoted}.unreadable.2'`)}$`));
  });
});

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('src/main.ts on each bad store: exit 78, the one line on stderr, no stack', () => {
  function startMain(path: string) {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: { PATH: process.env.PATH, ...env(path) }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = { stdout: '', stderr: '' };
    child.stdout.on('data', (chunk) => (out.stdout += chunk));
    child.stderr.on('data', (chunk) => (out.stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    return new Promise<{ code: number | null } & typeof out>((resolve) =>
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, ...out });
      }),
    );
  }

  it('an audit log that is a directory', async () => {
    const dir = join(root, 'process-audit-dir');
    const path = join(dir, 'spokebot.json');
    await mkdir(`${path}.audit.jsonl`, { recursive: true });
    const run = await startMain(path);
    expect(run.code, run.stdout + run.stderr).toBe(78);
    expect(run.stderr).toMatch(new RegExp(`^spokebot cannot start: cannot use ${escape(path)}\\.audit\\.jsonl: it is a directory, not a file\\. .*: mv \\S+ \\S+\\.unreadable\\n$`));
    expect(run.stdout + run.stderr).not.toMatch(/^\s+at /m);
  });

  for (const row of ROWS) {
    it.skipIf(row.skip)(row.name, async () => {
      const path = await planted(row, 'process');
      const run = await startMain(path);
      expect(run.code, run.stdout + run.stderr).toBe(78);
      expect(run.stderr).toBe(`${expectedLine(row, path)}\n`);
      expect(run.stdout + run.stderr).not.toMatch(/^\s+at /m);
      expect(run.stdout + run.stderr).not.toContain(MARKER);
    });
  }
});
