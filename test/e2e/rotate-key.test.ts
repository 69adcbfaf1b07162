import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SetupRequest } from '../../src/core/setup-request.js';
import { SpokeStore, type Connection } from '../../src/store/spoke-store.js';
import { StoreKeyError } from '../../src/store/store-key.js';

/**
 * The key rotation CLI as operators run it: a real child process over a store big enough (about two
 * megabytes) that its single write takes a while, killed with SIGKILL at random moments. After
 * every kill the store must open with exactly one of the two keys and hold every secret.
 *
 * It runs both ways it ships: through tsx as `npm run rotate-key` does, and compiled to plain
 * JavaScript as `node dist/cli/rotate-key.js` does. The kill runs use the compiled one: tsx adds
 * most of a second to every start, which would make fifteen runs slow without testing more.
 */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI_SOURCE = join(ROOT, 'src', 'cli', 'rotate-key.ts');
// Inside the repository, so the compiled files find zod and lowdb in node_modules.
const COMPILED = join(ROOT, 'node_modules', '.cache', `spokebot-rotate-key-test-${process.pid}`);
const CLI_COMPILED = join(COMPILED, 'cli', 'rotate-key.js');
const KEYS = [Buffer.alloc(32, 21), Buffer.alloc(32, 22)] as const;
const STRANGER = Buffer.alloc(32, 23);
const CONNECTIONS = 3000;
const SETUPS = 40;
const KILLS = 15;

const b64 = (key: Buffer) => key.toString('base64');
const now = () => new Date('2026-11-23T10:00:00Z');

let dir: string;
let path: string;
let pristine: string;
const setupSecrets = new Map<string, string>();
const credentials = new Map<string, string>();

/**
 * Compiles the CLI and the modules it loads at run time (type-only imports vanish in the output,
 * so they are not followed) the way tsc emits them, each file on its own.
 */
async function compileCli(): Promise<void> {
  // Below node_modules the repository's "type": "module" does not reach; say it again.
  await mkdir(COMPILED, { recursive: true });
  await writeFile(join(COMPILED, 'package.json'), '{ "type": "module" }\n');
  const pending = ['cli/rotate-key.ts'];
  const done = new Set<string>();
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (done.has(file)) continue;
    done.add(file);
    const source = await readFile(join(ROOT, 'src', file), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2023, verbatimModuleSyntax: true },
    });
    const out = join(COMPILED, file.replace(/\.ts$/, '.js'));
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, outputText);
    for (const [, spec] of outputText.matchAll(/(?:from|import)\s*'(\.{1,2}\/[^']+)\.js'/g)) pending.push(posix.join(posix.dirname(file), `${spec}.ts`));
  }
}

beforeAll(async () => {
  await compileCli();
  dir = await mkdtemp(join(tmpdir(), 'spokebot-rotate-'));
  path = join(dir, 'data', 'spokebot.json');
  pristine = join(dir, 'pristine.json');
  const store = await SpokeStore.open(path, KEYS[0], now);
  const request: SetupRequest = {
    spoke: 'jira',
    method: 'oauth_3lo',
    connectionName: 'Jira acme',
    siteOrigin: 'https://acme.atlassian.net',
    clientId: 'client',
    secret: '',
    scopes: ['read:me', 'offline_access'],
    channel: 'C1',
  };
  // Concurrent calls: the store coalesces them into a few file writes instead of thousands.
  const setups = await Promise.all(
    Array.from({ length: SETUPS }, (_, i) => store.createSetup({ ...request, connectionName: `Jira setup ${i}`, secret: `client-secret-${i}-${randomBytes(24).toString('hex')}` }, 'U1', 3_600_000)),
  );
  for (const setup of setups) setupSecrets.set(setup.id, store.revealSecret(setup)!);
  await Promise.all(
    Array.from({ length: CONNECTIONS }, (_, i) => {
      const name = `Jira site ${i}`;
      // Every tenth is a 3LO connection: it holds no credential and must come through as it was.
      const token = i % 10 === 0 ? undefined : `ATATT3x${randomBytes(90).toString('base64url')}`;
      if (token) credentials.set(name, token);
      const connection: Connection = {
        name,
        spoke: 'jira',
        method: token ? 'api_token' : 'oauth_3lo',
        email: token ? `ops${i}@acme.test` : undefined,
        siteOrigin: `https://site${i}.atlassian.net`,
        cloudId: `cloud-${i}`,
        channel: 'C1',
        scopes: ['read:jira-work', 'write:jira-work'],
        createdBy: 'U1',
        createdAt: now().toISOString(),
        state: 'connected',
        records: { connection: `sys${i}`, credential: `cred${i}` },
        ...(token ? { sealedCredential: store.sealCredential(name, token) } : {}),
      };
      return store.saveConnection(connection);
    }),
  );
  await store.close();
  await copyFile(path, pristine);
}, 60_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  await rm(COMPILED, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** The temporary file the write goes through was left behind: the kill landed mid-write. */
  killedMidWrite: boolean;
}

/**
 * Runs the CLI; with `kill`, sends SIGKILL that many ms after the start, or after the write's
 * temporary file appears (so the kill lands in or just after the write, the moment that matters).
 */
async function runCli(how: 'tsx' | 'compiled', env: Record<string, string>, kill?: { after: 'start' | 'write-begins'; ms: number }): Promise<Run> {
  const started = Date.now();
  const child = spawn(process.execPath, how === 'tsx' ? ['--import', 'tsx', CLI_SOURCE] : [CLI_COMPILED], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const temp = `${path}.${child.pid}.tmp`;
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (code, signal) => resolve([code, signal])));
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  const killLater = (ms: number) => (timer ??= setTimeout(() => child.kill('SIGKILL'), ms));
  if (kill?.after === 'start') killLater(kill.ms);
  if (kill?.after === 'write-begins') {
    watcher = watch(dirname(path), (_event, name) => {
      if (name === basename(temp)) killLater(kill.ms);
    });
  }
  const [code, signal] = await exited;
  clearTimeout(timer);
  watcher?.close();
  const killedMidWrite = existsSync(temp);
  await rm(temp, { force: true });
  return { code, signal, stdout, stderr, ms: Date.now() - started, killedMidWrite };
}

const envFor = (from: Buffer, to: Buffer) => ({ SPOKE_DB_PATH: path, SPOKE_ENCRYPTION_KEY: b64(from), SPOKE_NEW_ENCRYPTION_KEY: b64(to) });

/**
 * Opens the store through the bot's own SpokeStore with each key: exactly one must open it, and
 * under that one every secret must come back as it went in. Returns which key it was.
 */
async function expectWholeUnderOneKey(): Promise<0 | 1> {
  const attempts = await Promise.allSettled(KEYS.map((key) => SpokeStore.open(path, key, now)));
  const opened = attempts.flatMap((attempt, index) => (attempt.status === 'fulfilled' ? [{ index: index as 0 | 1, store: attempt.value }] : []));
  for (const attempt of attempts) if (attempt.status === 'rejected') expect(attempt.reason).toBeInstanceOf(StoreKeyError);
  try {
    expect(opened).toHaveLength(1);
    const { store, index } = opened[0]!;
    const revealed = {
      setups: new Map(store.listSetups().map((setup) => [setup.id, store.revealSecret(setup)])),
      credentials: new Map(store.listConnections().flatMap((c) => (c.sealedCredential ? [[c.name, store.revealCredential(c)] as const] : []))),
      connections: store.listConnections().length,
    };
    // One comparison each rather than thousands of expect calls.
    expect(revealed).toEqual({ setups: setupSecrets, credentials, connections: CONNECTIONS });
    return index;
  } finally {
    await Promise.all(opened.map(({ store }) => store.close()));
  }
}

const resealedLine = `re-sealed ${SETUPS} setup secrets and ${CONNECTIONS - CONNECTIONS / 10} connection credentials in `;

describe('npm run rotate-key', () => {
  it('re-seals every secret under the new key and says what to do next', async () => {
    const run = await runCli('tsx', envFor(KEYS[0], KEYS[1]));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${resealedLine}${path} under the new key; now set SPOKE_ENCRYPTION_KEY to the new key and restart; keep a backup of it\n`);
    expect(await expectWholeUnderOneKey()).toBe(1);
  });

  it('compiled, leaves the store whole under one key or the other, however it is killed', async () => {
    const clean = await runCli('compiled', envFor(KEYS[1], KEYS[0]));
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain(resealedLine);
    let current = await expectWholeUnderOneKey();
    expect(current).toBe(0);
    const outcomes = { killedBeforeWrite: 0, killedMidWrite: 0, finished: 0 };
    for (let i = 0; i < KILLS; i++) {
      const next = current === 0 ? 1 : 0;
      // A third of the kills anywhere in the run (start-up, reading, re-sealing); the rest within
      // 60 ms of the write's temporary file appearing, most of them early, since on a fast disk
      // (or tmpfs) writing and renaming a few megabytes takes only a few ms.
      const kill = i % 3 === 0 ? { after: 'start' as const, ms: Math.random() * clean.ms } : { after: 'write-begins' as const, ms: Math.random() ** 2 * 60 };
      const run = await runCli('compiled', envFor(KEYS[current], KEYS[next]), kill);
      const after = await expectWholeUnderOneKey();
      if (run.code === 0) {
        expect(after).toBe(next);
        outcomes.finished++;
      } else {
        expect(run.signal).toBe('SIGKILL');
        if (run.killedMidWrite) {
          outcomes.killedMidWrite++;
          expect(after).toBe(current);
        } else if (after === current) outcomes.killedBeforeWrite++;
        else outcomes.finished++;
      }
      current = after;
    }
    console.info(`rotate-key kill test: ${JSON.stringify(outcomes)}`);
    // Some kills must have landed mid-write, or the test would not have tested the write.
    expect(outcomes.killedMidWrite).toBeGreaterThan(0);
  }, 60_000);

  it('refuses a current key that did not seal the store: exit 78, one line, no stack, store untouched', async () => {
    await copyFile(pristine, path);
    const before = await readFile(path);
    const run = await runCli('tsx', envFor(STRANGER, KEYS[1]));
    expect(run.code).toBe(78);
    expect(run.stdout).toBe('');
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain('this key did not seal this store');
    expect(run.stderr).toContain(path);
    expect(run.stderr).not.toMatch(/^\s+at /m);
    // Buffer.equals: a deep toEqual walks megabytes byte by byte.
    expect((await readFile(path)).equals(before)).toBe(true);
    expect(await expectWholeUnderOneKey()).toBe(0);
  });

  it('refuses a malformed new key before touching the store', async () => {
    const before = await readFile(path);
    const run = await runCli('compiled', { ...envFor(KEYS[0], KEYS[1]), SPOKE_NEW_ENCRYPTION_KEY: 'c2hvcnQ=' });
    expect(run.code).toBe(78);
    expect(run.stderr).toMatch(/^rotate-key: SPOKE_NEW_ENCRYPTION_KEY: decodes to 5 bytes, needs 32[^\n]*\n$/);
    expect((await readFile(path)).equals(before)).toBe(true);
  });
});
