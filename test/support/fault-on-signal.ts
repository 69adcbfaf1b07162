/**
 * Test-only, loaded with `--import` before src/main.ts by test/e2e/malformed-requests.test.ts:
 * on SIGUSR2 it makes the fault SPOKEBOT_TEST_FAULT names, from outside any request, so the
 * process's last-resort handlers meet a real one without a hook in the product.
 */
const fault = process.env.SPOKEBOT_TEST_FAULT;

process.on('SIGUSR2', () => {
  if (fault === 'rejection') void Promise.reject(new Error('test fault: a promise nobody awaited'));
  if (fault === 'exception') throw new Error('test fault: thrown out of a signal handler');
});
