import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { EX_SOFTWARE, lastResort } from '../../src/startup/last-resort.js';

/** The handlers with a stop and an exit the test can watch. */
function harness(stop: () => Promise<void>, stopTimeoutMs?: number) {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  const exits: number[] = [];
  let exited!: () => void;
  const exitedOnce = new Promise<void>((resolve) => (exited = resolve));
  let stops = 0;
  const handlers = lastResort({
    logger,
    stop: () => {
      stops += 1;
      return stop();
    },
    exit: (code) => {
      exits.push(code);
      exited();
    },
    ...(stopTimeoutMs !== undefined ? { stopTimeoutMs } : {}),
  });
  return { handlers, lines, exits, exitedOnce, stops: () => stops };
}

describe('last-resort handlers', () => {
  it('an uncaught exception: logged as fatal, the bot stopped, then exit 70', async () => {
    let finishStop!: () => void;
    const h = harness(() => new Promise<void>((resolve) => (finishStop = resolve)));
    h.handlers.uncaughtException(new Error('boom'));
    expect(h.lines[0]).toMatchObject({ level: 60, exitCode: EX_SOFTWARE, err: { message: 'boom', stack: expect.stringContaining('boom') } });
    expect(String(h.lines[0]!.msg)).toContain('uncaught exception: the process state is unknown');
    // Nothing exits while the stop (background tasks, store) is still running.
    await new Promise((r) => setTimeout(r, 20));
    expect(h.exits).toEqual([]);
    finishStop();
    await h.exitedOnce;
    expect(h.exits).toEqual([EX_SOFTWARE]);
    expect(h.stops()).toBe(1);
  });

  it('a stop that hangs is cut off: exit 70 after the timeout', async () => {
    const h = harness(() => new Promise<void>(() => undefined), 30);
    h.handlers.uncaughtException(new Error('boom'));
    await h.exitedOnce;
    expect(h.exits).toEqual([EX_SOFTWARE]);
    expect(h.lines.some((l) => String(l.msg).includes('stopping took longer than 30 ms'))).toBe(true);
  });

  it('a stop that fails still exits 70', async () => {
    const h = harness(() => Promise.reject(new Error('store would not close')));
    h.handlers.uncaughtException(new Error('boom'));
    await h.exitedOnce;
    expect(h.exits).toEqual([EX_SOFTWARE]);
    expect(h.lines.some((l) => String(l.msg).includes('stopping after an uncaught exception failed too'))).toBe(true);
  });

  it('a second exception while stopping is logged; the stop under way is not started again', async () => {
    let finishStop!: () => void;
    const h = harness(() => new Promise<void>((resolve) => (finishStop = resolve)));
    h.handlers.uncaughtException(new Error('first'));
    h.handlers.uncaughtException('second, not an Error');
    expect(h.stops()).toBe(1);
    expect(h.lines[1]).toMatchObject({ level: 60, err: { message: 'second, not an Error' } });
    finishStop();
    await h.exitedOnce;
    expect(h.exits).toEqual([EX_SOFTWARE]);
  });

  it('an unhandled rejection: logged with its stack, and the bot keeps serving', async () => {
    const h = harness(async () => undefined);
    h.handlers.unhandledRejection(new Error('nobody awaited me'));
    await new Promise((r) => setTimeout(r, 20));
    expect(h.stops()).toBe(0);
    expect(h.exits).toEqual([]);
    expect(h.lines).toEqual([expect.objectContaining({ level: 50, err: expect.objectContaining({ message: 'nobody awaited me', stack: expect.any(String) }) })]);
    expect(String(h.lines[0]!.msg)).toContain('logged and survived');
  });
});
