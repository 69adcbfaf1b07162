import { describe, expect, it } from 'vitest';
import { CredentialRejectedError } from '../../src/atlassian/errors.js';
import { SIGN_IN_WINDOW_MS, SignInDeferredError, SignInLimiter, type SignInSubject } from '../../src/setup/sign-in-limiter.js';

const HOUR = 3_600_000;
const subject = (o: Partial<SignInSubject> = {}): SignInSubject => ({ method: 'api_token', siteOrigin: 'https://acme.atlassian.net', email: 'ops@acme.test', secret: 'token-1', ...o });

function limiter(start = Date.parse('2026-03-01T10:00:00Z')) {
  let now = start;
  const limits = new SignInLimiter({ now: () => new Date(now), backoffMs: 6 * HOUR });
  return { limits, advance: (ms: number) => void (now += ms) };
}

const ok = () => Promise.resolve('signed in');
const refuse = (reason: ConstructorParameters<typeof CredentialRejectedError>[0] = 'bad_credentials') => () => Promise.reject(new CredentialRejectedError(reason, 401, undefined));

describe('SignInLimiter', () => {
  it('lets 3 sign-ins per account through in 15 minutes, then says when the oldest leaves the window', async () => {
    const { limits, advance } = limiter();
    await limits.attempt(subject({ secret: 'a' }), ok);
    advance(60_000);
    await limits.attempt(subject({ secret: 'b' }), ok);
    await limits.attempt(subject({ secret: 'c', email: 'OPS@acme.test ' }), ok);
    let called = false;
    const deferred = await limits.attempt(subject({ secret: 'd' }), async () => void (called = true)).catch((e: unknown) => e);
    expect(called).toBe(false);
    expect(deferred).toBeInstanceOf(SignInDeferredError);
    expect(deferred).toMatchObject({ reason: 'limit', retryAt: new Date(Date.parse('2026-03-01T10:00:00Z') + SIGN_IN_WINDOW_MS) });
    expect((deferred as SignInDeferredError).hint).toContain('Try again after 10:15 UTC (in 14 min)');
    // Another account is not held back by it.
    await expect(limits.attempt(subject({ email: 'other@acme.test' }), ok)).resolves.toBe('signed in');
    advance(SIGN_IN_WINDOW_MS - 60_000);
    await expect(limits.attempt(subject({ secret: 'd' }), ok)).resolves.toBe('signed in');
  });

  it('books the sign-in before it is sent, so concurrent callers cannot all slip through', async () => {
    const { limits } = limiter();
    let sent = 0;
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => limits.attempt(subject({ secret: `t${i}` }), async () => void sent++)));
    expect(sent).toBe(3);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(7);
  });

  it('a connection has a budget of its own beside its account', async () => {
    const { limits } = limiter();
    for (const email of ['a@x.test', 'b@x.test', 'c@x.test']) await limits.attempt(subject({ email, connection: 'Jira' }), ok);
    await expect(limits.attempt(subject({ email: 'd@x.test', connection: 'Jira' }), ok)).rejects.toMatchObject({ reason: 'limit' });
    await expect(limits.attempt(subject({ email: 'd@x.test', connection: 'Other' }), ok)).resolves.toBe('signed in');
  });

  it('a refused credential is not sent again within the back-off, on that site; another secret is', async () => {
    const { limits, advance } = limiter();
    await expect(limits.attempt(subject(), refuse())).rejects.toBeInstanceOf(CredentialRejectedError);
    advance(SIGN_IN_WINDOW_MS);
    await expect(limits.attempt(subject(), ok)).rejects.toMatchObject({ reason: 'refused' });
    await expect(limits.attempt(subject({ siteOrigin: 'https://beta.atlassian.net' }), ok)).resolves.toBe('signed in');
    await expect(limits.attempt(subject({ secret: 'token-2' }), ok)).resolves.toBe('signed in');
    advance(6 * HOUR);
    await expect(limits.attempt(subject(), ok)).resolves.toBe('signed in');
  });

  it('Atlassian not answering or rate-limiting is no refusal; a refusal learnt from the health record is', async () => {
    const { limits, advance } = limiter();
    await expect(limits.attempt(subject(), refuse('unreachable'))).rejects.toBeInstanceOf(CredentialRejectedError);
    await expect(limits.attempt(subject(), refuse('rate_limited'))).rejects.toBeInstanceOf(CredentialRejectedError);
    advance(SIGN_IN_WINDOW_MS);
    await expect(limits.attempt(subject(), ok)).resolves.toBe('signed in');
    limits.refused(subject({ secret: 'old' }), new Date(Date.parse('2026-03-01T10:00:00Z')));
    await expect(limits.attempt(subject({ secret: 'old' }), ok)).rejects.toMatchObject({ reason: 'refused' });
    // One that ended before now starts nothing.
    limits.refused(subject({ secret: 'older' }), new Date(Date.parse('2026-03-01T00:00:00Z')));
    expect(limits.blocked(subject({ secret: 'older' }))).toBeUndefined();
  });

  it('a service account is counted by its client ID', async () => {
    const { limits } = limiter();
    const robot = (secret: string) => subject({ method: 'service_account', email: undefined, clientId: 'robot-1', secret });
    for (const s of ['a', 'b', 'c']) await limits.attempt(robot(s), ok);
    await expect(limits.attempt(robot('d'), ok)).rejects.toMatchObject({ reason: 'limit' });
    await expect(limits.attempt(subject(), ok)).resolves.toBe('signed in');
  });
});
