import { createHmac, randomBytes } from 'node:crypto';
import { CredentialRejectedError, type RejectionReason } from '../atlassian/errors.js';
import type { AuthMethod } from '../core/spoke-catalogue.js';
import { SpokeError } from '../errors.js';

/**
 * Live sign-ins one Atlassian account may get from spokebot in a sliding window. Jira puts an
 * account behind a CAPTCHA after a few failed logins in a row, whoever made them, so the bot
 * must never be the one that trips it: setup verification, rotation and health checks share
 * this budget.
 */
export const SIGN_INS_PER_WINDOW = 3;
export const SIGN_IN_WINDOW_MS = 15 * 60_000;

/** Answers that say nothing about the credential: the next try may well succeed. */
const NOT_A_REFUSAL: readonly RejectionReason[] = ['rate_limited', 'unreachable'];

/** Who would sign in, where, with what: enough to name the account and the credential. */
export interface SignInSubject {
  method: AuthMethod;
  siteOrigin: string;
  email?: string;
  clientId?: string;
  /** Set for a connection that exists (health checks, rotation): its own budget too. */
  connection?: string;
  secret: string;
}

export type SignInBlock = { retryAt: Date; reason: 'limit' | 'refused' };

/** A sign-in spokebot did not send: over the budget, or a credential refused within the back-off. */
export class SignInDeferredError extends SpokeError {
  readonly code = 'sign_in_deferred';
  constructor(
    readonly reason: 'limit' | 'refused',
    readonly retryAt: Date,
    readonly now: Date,
  ) {
    super(
      reason === 'limit'
        ? `spokebot already signed in to Atlassian ${SIGN_INS_PER_WINDOW} times in ${SIGN_IN_WINDOW_MS / 60_000} minutes with this account`
        : 'Atlassian refused this credential a short while ago, and spokebot does not send it again so soon',
    );
  }
  get hint(): string {
    const why = this.reason === 'limit' ? 'so Atlassian does not lock the account after repeated logins' : 'so the account is not locked; a different credential may be tried now';
    return `Nothing was sent to Atlassian. Try again after ${retryAtText(this.retryAt, this.now)} (${why}).`;
  }
}

/** "14:05 UTC (in 12 min)": when a deferred action may be tried again. */
export function retryAtText(retryAt: Date, now: Date): string {
  const minutes = Math.max(1, Math.ceil((retryAt.getTime() - now.getTime()) / 60_000));
  const within = minutes >= 120 ? `${Math.round(minutes / 60)} h` : `${minutes} min`;
  return `${retryAt.toISOString().slice(11, 16)} UTC (in ${within})`;
}

/**
 * Holds live Atlassian sign-ins to a budget per account (the email of an API token, the client
 * ID of a service account) and per connection, and keeps a refused credential from being sent
 * again within the back-off, whoever asks. State is per process: a restart forgets it, and the
 * health record's `authFailedAt` carries a connection's back-off across restarts.
 */
export class SignInLimiter {
  private readonly recent = new Map<string, number[]>();
  private readonly refusedUntil = new Map<string, number>();
  /** Refused credentials are remembered by a keyed hash, never by their secret. */
  private readonly fingerprintKey = randomBytes(32);

  constructor(
    private readonly options: {
      now: () => Date;
      /** SPOKE_AUTH_BACKOFF: how long a refused credential is not sent again. */
      backoffMs: number;
    },
  ) {}

  /** Whether a sign-in could go now; does not use up the budget. */
  blocked(subject: SignInSubject): SignInBlock | undefined {
    const now = this.options.now().getTime();
    this.forgetOld(now);
    const refused = this.refusedUntil.get(this.credentialKey(subject));
    if (refused !== undefined) return { retryAt: new Date(refused), reason: 'refused' };
    const full = this.budgetKeys(subject)
      .map((key) => this.recent.get(key) ?? [])
      .filter((times) => times.length >= SIGN_INS_PER_WINDOW);
    if (full.length === 0) return undefined;
    // The budget frees up when the oldest sign-in still in the window leaves it.
    const retryAt = Math.max(...full.map((times) => times[times.length - SIGN_INS_PER_WINDOW]! + SIGN_IN_WINDOW_MS));
    return { retryAt: new Date(retryAt), reason: 'limit' };
  }

  /**
   * Runs one sign-in if the budget and the back-off allow it, else throws SignInDeferredError
   * without calling `signIn`. The check and the booking happen before the first await, so
   * concurrent callers cannot both slip through.
   */
  async attempt<T>(subject: SignInSubject, signIn: () => Promise<T>): Promise<T> {
    const block = this.blocked(subject);
    if (block) throw new SignInDeferredError(block.reason, block.retryAt, this.options.now());
    const at = this.options.now().getTime();
    for (const key of this.budgetKeys(subject)) this.recent.set(key, [...(this.recent.get(key) ?? []), at]);
    try {
      return await signIn();
    } catch (error) {
      if (error instanceof CredentialRejectedError && !NOT_A_REFUSAL.includes(error.reason)) this.refused(subject, new Date(at));
      throw error;
    }
  }

  /** A refusal learnt elsewhere (the health record after a restart) starts the same back-off. */
  refused(subject: SignInSubject, at: Date): void {
    const until = at.getTime() + this.options.backoffMs;
    if (until > this.options.now().getTime()) this.refusedUntil.set(this.credentialKey(subject), until);
  }

  private budgetKeys(subject: SignInSubject): string[] {
    return [this.accountKey(subject), ...(subject.connection !== undefined ? [`connection:${subject.connection}`] : [])];
  }

  private accountKey(subject: SignInSubject): string {
    return subject.method === 'service_account' ? `client:${subject.clientId ?? ''}` : `email:${(subject.email ?? '').trim().toLowerCase()}`;
  }

  private credentialKey(subject: SignInSubject): string {
    const secret = createHmac('sha256', this.fingerprintKey).update(subject.secret).digest('base64url');
    return `${this.accountKey(subject)}|${subject.siteOrigin}|${secret}`;
  }

  private forgetOld(now: number): void {
    for (const [key, times] of this.recent) {
      const kept = times.filter((t) => t > now - SIGN_IN_WINDOW_MS);
      if (kept.length === 0) this.recent.delete(key);
      else if (kept.length !== times.length) this.recent.set(key, kept);
    }
    for (const [key, until] of this.refusedUntil) if (until <= now) this.refusedUntil.delete(key);
  }
}
