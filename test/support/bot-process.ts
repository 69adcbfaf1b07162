import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { BOT_TOKEN, SIGNING_SECRET } from './world.js';

/**
 * `npm start`'s entry point (src/main.ts) as a child process, configured through its environment
 * alone, so a test can kill it for real (SIGKILL: no handler, no drain, no last write) and start
 * another on the same store. The stand-ins stay in the test process and outlive every kill.
 */
export interface BotProcess {
  url: string;
  eventsUrl: string;
  pid: number;
  /** stdout and stderr so far, for a failing assertion's message. */
  output(): string;
  /** kill -9, and wait until the process is gone. */
  kill9(): Promise<void>;
  /** SIGTERM, as an orchestrator stops it; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * The least environment src/main.ts starts from, pointed at the test's Slack and ServiceNow
 * stand-ins (integration user u/p) and a store file: the shared part of every child-process test.
 */
export function childEnv(o: { slackApiUrl: string; serviceNowUrl: string; dbPath: string; key: string | Buffer; port: number | string }): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: o.slackApiUrl,
    SERVICENOW_INSTANCE_URL: o.serviceNowUrl,
    SERVICENOW_USERNAME: 'u',
    SERVICENOW_PASSWORD: 'p',
    SPOKE_ENCRYPTION_KEY: typeof o.key === 'string' ? o.key : o.key.toString('base64'),
    SPOKE_DB_PATH: o.dbPath,
    PORT: String(o.port),
  };
}

export async function startBotProcess(env: Record<string, string>, readyWithinMs = 20_000): Promise<BotProcess> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { PATH: process.env.PATH, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  // /healthz answers 200 only once the bot runs: after the start-up gate and the restart recovery.
  const deadline = Date.now() + readyWithinMs;
  for (;;) {
    const status = await fetch(`${url}/healthz`).then((r) => r.status, () => 0);
    if (status === 200) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the bot did not come up on ${url} (exit ${child.exitCode}):\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    eventsUrl: `${url}/slack/events`,
    pid: child.pid!,
    output: () => output,
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** A port nothing listens on now (the kernel's choice, so it never collides with another test's random pick). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

/** What startBotChild adds to a plain start: preloads, an IPC channel, a bounded output. */
export interface BotChildOptions {
  /** Modules loaded with `--import` after tsx and before src/main.ts (test-only preloads). */
  imports?: string[];
  /** An IPC channel to the child (`process.send` / `process.on('message')` in it). */
  ipc?: boolean;
  readyWithinMs?: number;
  /** Only the last this many characters of stdout and stderr are kept (a long run logs a lot). */
  outputLimit?: number;
}

export interface BotChild extends BotProcess {
  port: number;
  /** Still running: not killed, not exited. */
  alive(): boolean;
  /**
   * Sends `message` on the IPC channel and resolves with the first answer `accept` turns into a
   * value (undefined: not this one), or rejects after `timeoutMs` or when the child exits.
   */
  ask<T>(message: unknown, accept: (reply: unknown) => T | undefined, timeoutMs?: number): Promise<T>;
}

/**
 * src/main.ts as a child process like startBotProcess, with preloads before it and, given `ipc`,
 * a channel the test talks to them on (test/support/clock-preload.ts moves the child's clock).
 */
export async function startBotChild(env: Record<string, string>, options: BotChildOptions = {}): Promise<BotChild> {
  const port = await freePort();
  const imports = (options.imports ?? []).flatMap((file) => ['--import', file]);
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', ...imports, 'src/main.ts'], {
    env: { PATH: process.env.PATH, ...env, PORT: String(port) },
    stdio: options.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  const limit = options.outputLimit ?? Number.POSITIVE_INFINITY;
  let output = '';
  const keep = (chunk: Buffer | string) => {
    output += String(chunk);
    if (output.length > limit * 2) output = output.slice(-limit);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let gone = false;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      gone = true;
      resolve(code);
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.readyWithinMs ?? 20_000);
  for (;;) {
    const status = await fetch(`${url}/healthz`).then((r) => r.status, () => 0);
    if (status === 200) break;
    if (gone || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the bot did not come up on ${url} (exit ${child.exitCode}):\n${output.slice(-limit)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    port,
    eventsUrl: `${url}/slack/events`,
    pid: child.pid!,
    output: () => output.slice(-limit),
    alive: () => !gone && child.exitCode === null && child.signalCode === null,
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    ask<T>(message: unknown, accept: (reply: unknown) => T | undefined, timeoutMs = 5000): Promise<T> {
      if (!child.send) return Promise.reject(new Error('the bot child was started without an IPC channel'));
      return new Promise<T>((resolve, reject) => {
        const done = () => {
          clearTimeout(timer);
          child.off('message', onMessage);
          child.off('exit', onExit);
        };
        const onMessage = (reply: unknown) => {
          const value = accept(reply);
          if (value === undefined) return;
          done();
          resolve(value);
        };
        const onExit = () => {
          done();
          reject(new Error(`bot ${child.pid} exited before it answered`));
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`bot ${child.pid} did not answer within ${timeoutMs} ms`));
        }, timeoutMs);
        child.on('message', onMessage);
        child.once('exit', onExit);
        child.send!(message as Parameters<NonNullable<ChildProcess['send']>>[0], (error) => {
          if (error) {
            done();
            reject(error);
          }
        });
      });
    },
  };
}
