import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { inject } from 'vitest';

/**
 * A real PostgreSQL for the tests: one throwaway server per test run (started by
 * postgres-global-setup.ts), and a fresh database on it for every test that asks. No mock: the
 * store's guarantees across replicas are the database's locks and constraints, so only the real
 * engine can show them.
 */

const run = promisify(execFile);

/** The key the global setup provides the server's admin URL under (see postgres-global-setup.ts). */
declare module 'vitest' {
  export interface ProvidedContext {
    /** postgres://… of the run's server as its superuser, or '' when none could be started. */
    spokeTestPostgresUrl: string;
    /** Why no server could be started, for the tests that need one to fail with. */
    spokeTestPostgresProblem: string;
  }
}

export interface RunningPostgres {
  /** The superuser's URL, database `postgres`. */
  url: string;
  stop(): Promise<void>;
}

/** The newest installed server binaries (Debian keeps each major version under /usr/lib/postgresql/<n>/bin). */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a))
    : [];
  if (versions[0]) return join(root, versions[0], 'bin');
  // Other layouts (a source build, another distribution): pg_config says where the binaries are.
  try {
    const bindir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (existsSync(join(bindir, 'initdb'))) return bindir;
  } catch {
    // no pg_config either: fall through to the error below
  }
  throw new Error(
    'The tests need the PostgreSQL server binaries (initdb, pg_ctl) and found none under /usr/lib/postgresql/*/bin or at `pg_config --bindir`. ' +
      "Install Debian's package: apt-get install --no-install-recommends postgresql (or point SPOKE_TEST_DATABASE_URL at a server whose user may create databases).",
  );
}

/**
 * initdb refuses to run as root, so as root the server's files belong to the `postgres` user
 * (the Debian package creates it) and initdb and pg_ctl run as that user.
 */
function asServerUser(bin: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
}

/**
 * Starts a server in a new temporary folder: trust authentication on loopback only, durability
 * off (a test's data may be lost in a crash of the machine, and writes are several times faster).
 */
export async function startPostgres(): Promise<RunningPostgres> {
  const bin = postgresBinDir();
  const dir = await mkdtemp(join(tmpdir(), 'spokebot-pg-'));
  const data = join(dir, 'data');
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    await chown(dir, uid, gid);
  }
  const pgCtl = join(bin, 'pg_ctl');
  let started = false;
  // Whatever ends the test run (a failure, Ctrl-C handled by vitest) leaves no server behind.
  const stopNow = () => {
    if (started) {
      const [cmd, args] = asServerUser(pgCtl, ['stop', '-D', data, '-m', 'immediate', '-s']);
      try {
        execFileSync(cmd, args, { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', stopNow);
  try {
    await run(...asServerUser(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C']));
    const port = await unusedLoopbackPort();
    const options = [
      `-p ${port}`,
      `-k ${dir}`,
      '-c listen_addresses=127.0.0.1',
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      // Several bot processes, each with a pool, and a pool per store in the contract suite.
      '-c max_connections=300',
    ].join(' ');
    started = true;
    // -w waits until the server accepts connections.
    await run(...asServerUser(pgCtl, ['start', '-D', data, '-w', '-t', '30', '-s', '-l', join(dir, 'server.log'), '-o', options]));
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      async stop() {
        process.off('exit', stopNow);
        const [cmd, args] = asServerUser(pgCtl, ['stop', '-D', data, '-m', 'fast', '-s']);
        await run(cmd, args).catch(() => undefined);
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    // The server's own log says why it did not start (a port taken meanwhile, shared memory);
    // it goes with the folder, so it is quoted first.
    const log = await readFile(join(dir, 'server.log'), 'utf8').catch(() => '');
    process.off('exit', stopNow);
    stopNow();
    throw log ? new Error(`${(error as Error).message}\nserver log:\n${log}`, { cause: error }) : error;
  }
}

/**
 * A loopback port nothing listens on now, the kernel's pick. Not bot-process.ts's freePort: that
 * module loads the whole bot (through world.ts), seconds on a busy machine, in vitest's main
 * process before any test may start.
 */
async function unusedLoopbackPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** The run's server (its superuser's URL), as the global setup provided it; throws when there is none. */
export function testPostgresUrl(): string {
  const url = inject('spokeTestPostgresUrl');
  if (!url) throw new Error(inject('spokeTestPostgresProblem') || 'no PostgreSQL server: is test/support/postgres-global-setup.ts in vitest.config.ts globalSetup?');
  return url;
}

export interface FreshDatabase {
  url: string;
  /** The database's name, to use it as another's template. */
  name: string;
  /** Drops the database, closing whatever connections are still open on it. */
  drop(): Promise<void>;
}

/**
 * A new database of its own on the run's server, so tests running at once never see each other's
 * rows: empty, or a copy of `template` (a database nothing is connected to, such as one a test
 * file migrated once, so its cases need not each run the migrations).
 */
export async function freshDatabase(options: { template?: string } = {}): Promise<FreshDatabase> {
  const admin = new URL(testPostgresUrl());
  const name = `spoke_test_${process.pid}_${randomBytes(6).toString('hex')}`;
  await asAdmin(admin, async (client) => {
    // FILE_COPY copies the template's files whole: several times faster than PostgreSQL 15's
    // default (WAL_LOG, page by page) on a server that does not sync. Older servers only copy files.
    const { rows } = await client.query<{ version: string }>("SELECT current_setting('server_version_num') AS version");
    const strategy = Number(rows[0]!.version) >= 150_000 ? ' STRATEGY FILE_COPY' : '';
    await client.query(`CREATE DATABASE ${name} TEMPLATE ${options.template ?? 'template0'}${strategy}`);
  });
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () => asAdmin(admin, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)),
  };
}

async function asAdmin(url: URL, work: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}
