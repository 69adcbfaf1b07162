import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/store/audit-log.js';
import type { AuditEvent } from '../../src/store/schema.js';

/**
 * `spokebot` as the image ships it: src/ compiled by tsc, beside production dependencies only,
 * installed with the image's own `npm ci --omit=dev --ignore-scripts`, in a folder outside the
 * repository, so nothing can quietly resolve from the repository's node_modules (which holds tsx,
 * vitest and the rest of the devDependencies). Built once; every case runs from that folder.
 */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const COMMANDS = ['doctor', 'rotate-key', 'audit export', 'audit verify', 'store migrate', 'start'];

let app: string;
let data: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<Run> {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The compiled command, with an environment holding nothing but PATH unless a case adds to it. */
const spokebot = (args: string[], env: Record<string, string> = {}) =>
  run(process.execPath, ['dist/cli/spokebot.js', ...args], { cwd: app, env: { PATH: process.env.PATH, ...env } });

/**
 * The image's install step. The lock file pins every package and `npm ci` has already filled the
 * npm cache on any machine that runs the tests, so offline is enough and keeps the network out;
 * --prefer-offline is the fallback for a cache that has been pruned.
 */
async function installProductionDependencies(dir: string): Promise<void> {
  // npm passes its settings to child processes as npm_config_*: `npm test --omit=…` or a CI's
  // settings must not change what this install does.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));
  const base = ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'];
  let result = await run('npm', [...base, '--offline'], { cwd: dir, env });
  if (result.code !== 0) result = await run('npm', [...base, '--prefer-offline'], { cwd: dir, env });
  if (result.code !== 0) throw new Error(`npm ci --omit=dev failed:\n${result.stderr}`);
}

beforeAll(async () => {
  app = await mkdtemp(join(tmpdir(), 'spokebot-cli-'));
  data = join(app, 'data');
  await mkdir(data);
  await Promise.all(['package.json', 'package-lock.json'].map((f) => copyFile(join(ROOT, f), join(app, f))));
  const started = performance.now();
  // Both take seconds and need nothing from each other.
  const [build] = await Promise.all([
    run(process.execPath, [TSC, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(app, 'dist')], { cwd: ROOT }),
    installProductionDependencies(app),
  ]);
  // tsc emits even when it finds type errors; those are `npm run typecheck`'s to report. What
  // matters here is that the commands came out.
  if (build.code !== 0) console.warn(`tsc -p tsconfig.build.json reported problems (the build still emitted):\n${build.stdout}`);
  console.info(`compiled dist/ and installed production dependencies in ${Math.round(performance.now() - started)} ms`);
}, 120_000);

afterAll(async () => {
  if (app) await rm(app, { recursive: true, force: true });
});

describe('spokebot, compiled, with production dependencies only', () => {
  it('--help and help list every command, one line each', async () => {
    for (const flag of ['--help', 'help']) {
      const { code, stdout } = await spokebot([flag]);
      expect(code, stdout).toBe(0);
      for (const command of COMMANDS) expect(stdout).toMatch(new RegExp(`^  ${command}\\s{2,}\\S.*$`, 'm'));
      expect(stdout.split('\n').filter((line) => /^ {2}\S/.test(line))).toHaveLength(COMMANDS.length);
    }
  });

  it('<command> --help prints that command’s usage and does nothing else', async () => {
    for (const command of COMMANDS) {
      // No environment: a command that ran instead of answering would exit 78.
      const { code, stdout, stderr } = await spokebot([...command.split(' '), '--help']);
      expect(code, stderr).toBe(0);
      expect(stdout).toMatch(new RegExp(`^usage: spokebot ${command}\\b`));
    }
  });

  it('audit export --since prints only the entries from that day on, and the count on stderr', async () => {
    const store = join(data, 'spokebot.json');
    const entry = (at: string, action: string): AuditEvent => ({ at, actor: 'U0ADMIN', action, outcome: 'ok', connection: 'Confluence Cloud acme' });
    const log = await AuditLog.open(`${store}.audit.jsonl`);
    for (const event of [
      entry('2026-10-31T23:59:59.999Z', 'setup.confirm'),
      entry('2026-11-01T00:00:00.000Z', 'servicenow.write'),
      entry('2026-11-20T09:30:00.000Z', 'connection.connected'),
    ]) {
      await log.append(event);
    }
    await log.close();
    // What a crash mid-append leaves behind.
    await appendFile(`${store}.audit.jsonl`, '{"at":"2026-11-21T08:00:00.000Z","actor":"U0A');

    const since = await spokebot(['audit', 'export', '--since', '2026-11-01'], { SPOKE_DB_PATH: store });
    expect(since.code, since.stderr).toBe(0);
    const lines = since.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as AuditEvent);
    expect(lines.map((e) => e.action)).toEqual(['servicenow.write', 'connection.connected']);
    expect(since.stderr).toMatch(/^2 audit events since 2026-11-01 from .*spokebot\.json\.audit\.jsonl\n$/);

    // --file names the log directly; without --since, everything that parses.
    const all = await spokebot(['audit', 'export', '--file', `${store}.audit.jsonl`]);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout.trimEnd().split('\n')).toHaveLength(3);
    expect(all.stderr).toMatch(/^3 audit events from /);
  });

  it('audit verify proves a clean log (0), calls a torn last line torn (0), and names the first broken entry (1)', async () => {
    const store = join(data, 'verify.json');
    const file = `${store}.audit.jsonl`;
    const log = await AuditLog.open(file);
    for (const action of ['setup.confirm', 'servicenow.write', 'connection.connected']) await log.append({ at: '2026-11-20T09:30:00.000Z', actor: 'U0ADMIN', action, outcome: 'ok' });
    await log.close();

    const clean = await spokebot(['audit', 'verify'], { SPOKE_DB_PATH: store });
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);
    expect(clean.stdout).toMatch(new RegExp(`^${file}: chain intact: 3 entries from line 1, each written after the one before it\n`));
    const head = /newest entry: line 3, sha256 ([0-9a-f]{64})/.exec(clean.stdout)![1]!;

    await appendFile(file, '{"at":"2026-11-21T08:00:00.000Z","actor":"U0A');
    const torn = await spokebot(['audit', 'verify', '--file', file, '--noted', head]);
    expect(torn.code, torn.stdout + torn.stderr).toBe(0);
    expect(torn.stdout).toContain('torn: the last line (4) was cut off by a crash mid-append, not tampering');
    expect(torn.stdout).toContain('the noted entry is still there, at line 3');

    // The newest entry removed: the chain that is left holds, the hash kept from before does not.
    const cut = join(data, 'cut.jsonl');
    await writeFile(cut, (await readFile(file, 'utf8')).split('\n').slice(0, 2).join('\n') + '\n');
    const shortened = await spokebot(['audit', 'verify', '--file', cut, '--noted', head]);
    expect(shortened.code).toBe(1);
    expect(shortened.stdout).toContain('chain intact: 2 entries');
    expect(shortened.stdout).toContain(`MISSING: no line has the noted hash ${head}`);

    const lines = (await readFile(file, 'utf8')).split('\n');
    lines[1] = lines[1]!.replace('servicenow.write', 'servicenow.read');
    await writeFile(file, lines.join('\n'));
    const edited = await spokebot(['audit', 'verify', '--file', file]);
    expect(edited.code).toBe(1);
    expect(edited.stdout).toMatch(new RegExp(`^${file}: BROKEN at line 2 \\(edited\\): line 2 was edited`));

    // The log, chain and all, still exports.
    const exported = await spokebot(['audit', 'export', '--file', file]);
    expect(exported.stdout.trimEnd().split('\n').map((line) => (JSON.parse(line) as AuditEvent).action)).toEqual(['setup.confirm', 'servicenow.read', 'connection.connected']);

    const none = await spokebot(['audit', 'verify', '--file', join(data, 'none.jsonl')]);
    expect(none.code).toBe(66);
    expect(none.stderr).toMatch(/^audit verify: no audit log at .*none\.jsonl/);
  });

  it('audit export refuses a date that is not YYYY-MM-DD with one line and 64', async () => {
    for (const bad of ['2026-11-31', '01/11/2026', '2026-11-1', 'yesterday']) {
      const { code, stdout, stderr } = await spokebot(['audit', 'export', '--since', bad, '--file', join(data, 'none.jsonl')]);
      expect(code, `${bad}: ${stderr}`).toBe(64);
      expect(stdout).toBe('');
      expect(stderr).toMatch(/^audit export: --since takes a date as YYYY-MM-DD.*\n$/);
    }
  });

  it('start without configuration exits 78, lists what is missing and points to npm run demo', async () => {
    const { code, stdout, stderr } = await spokebot(['start']);
    expect(code, stdout + stderr).toBe(78);
    for (const variable of ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SERVICENOW_INSTANCE_URL', 'SERVICENOW_USERNAME', 'SPOKE_ENCRYPTION_KEY']) {
      expect(stderr).toContain(`  - ${variable}`);
    }
    expect(stderr).toContain('npm run demo');
  });

  it('doctor and rotate-key load with production dependencies alone (no environment: 78)', async () => {
    expect(existsSync(join(app, 'node_modules', '@slack', 'bolt'))).toBe(true);
    expect(existsSync(join(app, 'node_modules', 'tsx')), 'a devDependency was installed').toBe(false);
    // Reaching the configuration check means every module the command imports was found.
    for (const command of ['doctor', 'rotate-key']) {
      const { code, stderr } = await spokebot([command]);
      expect(code, `${command}: ${stderr}`).toBe(78);
      expect(stderr).toContain('SPOKE_ENCRYPTION_KEY');
    }
  });

  it('an unknown command exits 64 with the usage', async () => {
    const { code, stdout, stderr } = await spokebot(['frobnicate']);
    expect(code).toBe(64);
    expect(stdout).toBe('');
    expect(stderr).toContain('unknown command "frobnicate"');
    for (const command of COMMANDS) expect(stderr).toContain(`  ${command} `);
  });

  it('the image’s `spokebot` wrapper runs this command, and its default CMD is `spokebot start`', async () => {
    const dockerfile = await readFile(join(ROOT, 'Dockerfile'), 'utf8');
    const wrapper = /^RUN printf '([^']+)' > \/usr\/local\/bin\/spokebot/m.exec(dockerfile);
    expect(wrapper, 'the Dockerfile writes /usr/local/bin/spokebot with printf').not.toBeNull();
    expect(dockerfile).toMatch(/^WORKDIR \/app$/m);
    expect(dockerfile.trimEnd().split('\n').filter((line) => line.startsWith('CMD ')).at(-1)).toBe('CMD ["spokebot", "start"]');
    // The same printf, with /app (the image's WORKDIR) moved to this folder.
    const { stdout: script } = await promisify(execFile)('printf', [wrapper![1]!]);
    const path = join(app, 'spokebot');
    await writeFile(path, script.replaceAll('/app/', `${app}/`));
    await chmod(path, 0o755);
    const { code, stdout } = await run(path, ['--help'], { cwd: app });
    expect(code).toBe(0);
    for (const command of COMMANDS) expect(stdout).toContain(`  ${command} `);
  });
});
