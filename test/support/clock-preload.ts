/**
 * Test-only, loaded with `--import` before src/main.ts by test/support/replicas.ts: the process's
 * wall clock (`Date.now()`, `new Date()`, `Date()`) runs `offset` ms ahead of the real one, and the
 * test moves that offset over the IPC channel, so several bot processes live through a month of
 * days at once. Timers, `performance.now()` and everything else measured in elapsed time stay
 * real: a sweep still ticks every few real seconds, and compares against the shifted time.
 *
 * Protocol: the parent sends `{ spokebotClock: <offset ms> }`, the child answers
 * `{ spokebotClockSet: <offset ms> }` once every later reading of the clock sees it.
 * SPOKEBOT_TEST_CLOCK_OFFSET_MS sets the offset a process starts with (one started mid-month).
 */
const RealDate = Date;
let offsetMs = Number(process.env.SPOKEBOT_TEST_CLOCK_OFFSET_MS ?? 0) || 0;

const shiftedNow = (): number => RealDate.now() + offsetMs;

const ShiftedDate = new Proxy(RealDate, {
  // `new Date()` is now plus the offset; a date built from anything given is that date.
  construct(target, args: unknown[], newTarget) {
    return Reflect.construct(target, args.length === 0 ? [shiftedNow()] : args, newTarget) as object;
  },
  // `Date()` called as a function gives the current time as a string.
  apply() {
    return new RealDate(shiftedNow()).toString();
  },
  get(target, property, receiver) {
    if (property === 'now') return shiftedNow;
    return Reflect.get(target, property, receiver) as unknown;
  },
});

globalThis.Date = ShiftedDate;

if (process.send) {
  process.on('message', (message: unknown) => {
    if (typeof message !== 'object' || message === null || !('spokebotClock' in message)) return;
    const next = Number((message as { spokebotClock: unknown }).spokebotClock);
    if (!Number.isFinite(next)) return;
    offsetMs = next;
    process.send?.({ spokebotClockSet: offsetMs });
  });
  // The test process is gone (it crashed, or was killed): no bot outlives it.
  process.on('disconnect', () => process.exit(0));
  // The channel alone must not keep a process alive that would otherwise end.
  process.channel?.unref();
}
