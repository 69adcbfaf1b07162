import type { App, Receiver, ReceiverEvent } from '@slack/bolt';
import type { Logger } from '../logger.js';

/**
 * Slack delivers at least once. A Socket Mode envelope whose ack Slack did not see (the socket
 * dropped between our ack and Slack) comes again with `retry_attempt` ≥ 1, and an Events API
 * event whose HTTP answer was late comes again with `x-slack-retry-num`. Bolt hands every
 * delivery to the listeners, so without this a redelivered Confirm would write a setup twice and
 * a redelivered command would open a second modal. The guard sits between the receiver and the
 * app: a delivery it has seen is acked again with the answer the first one gave (Slack kept
 * waiting for that answer: a view submission must still get its `response_action`) and the
 * listeners are not run.
 *
 * What identifies a delivery, and why only these:
 * - `envelope_id` (Socket Mode, every kind): Slack resends the same envelope when its ack was
 *   lost, and each envelope is one delivery of one thing, so it is exact.
 * - `event_id` (Events API, both transports): stays the same on every retry of the event, over
 *   HTTP (where there is no envelope) and in an envelope, even if a retry came in a new one.
 * - the request's timestamp and signature (HTTP, every kind): Slack does not retry interactions
 *   and slash commands, and the fields they carry do not make an exact key (a view's id and hash
 *   stay the same when the user corrects a form after `response_action: errors` and submits
 *   again, a real second submission; `view_closed` has no trigger_id). But a request sent again
 *   byte for byte, by a proxy or by someone who captured it, has the same
 *   `x-slack-request-timestamp` and `x-slack-signature`, which no two requests from Slack share.
 *   A signature is accepted 5 minutes either side of its timestamp (Bolt and request-guard.ts),
 *   so remembering it for 10 minutes covers every replay that could get in.
 */
export interface RedeliveryGuardOptions {
  logger: Logger;
  /** How long a delivery is remembered; Slack's retries come within minutes (the last about 5 min after the first). */
  rememberMs?: number;
  /** At most this many deliveries are remembered; the oldest are forgotten first. */
  maxEntries?: number;
  /** How long a redelivery waits for the first delivery's ack when that is still running (Slack's own deadline). */
  ackWaitMs?: number;
  clock?: () => number;
  /**
   * Replicas: a delivery's keys claimed in the shared store, so a redelivery that lands on another
   * replica is not run there either. False from `claim` when another replica has them.
   */
  shared?: SharedDeliveries;
}

export interface SharedDeliveries {
  claim(keys: readonly string[], rememberMs: number): Promise<boolean>;
  /** A first delivery that failed before its ack: Slack's redelivery deserves a real run, wherever it lands. */
  release(keys: readonly string[]): Promise<void>;
}

/** Socket Mode's receiver passes the envelope id to the app through this custom property. */
export const ENVELOPE_ID_PROPERTY = 'envelopeId';

/** HTTPReceiver passes the request's timestamp and signature to the app through this custom property. */
export const REQUEST_SIGNATURE_PROPERTY = 'requestSignature';

/** For HTTPReceiver's `customPropertiesExtractor`: what identifies one signed request exactly. */
export function requestSignatureOf(req: { headers: Record<string, string | string[] | undefined> }): Record<string, string> {
  const timestamp = req.headers['x-slack-request-timestamp'];
  const signature = req.headers['x-slack-signature'];
  return typeof timestamp === 'string' && typeof signature === 'string' && signature !== '' ? { [REQUEST_SIGNATURE_PROPERTY]: `${timestamp}:${signature}` } : {};
}

/** For SocketModeReceiver's `customPropertiesExtractor`: Bolt does not pass the envelope id on otherwise. */
export function envelopeIdOf(args: { envelope_id?: unknown }): Record<string, string> {
  return typeof args.envelope_id === 'string' && args.envelope_id !== '' ? { [ENVELOPE_ID_PROPERTY]: args.envelope_id } : {};
}

/**
 * One delivery as remembered. Most are never delivered again, so the first answer is kept as a
 * plain value; only a redelivery that arrives before that answer gets a promise to wait on.
 */
class Seen {
  private answered = false;
  private answer: unknown;
  private waiting: Array<(answer: unknown) => void> | undefined;

  constructor(readonly at: number) {}

  /** Keeps the first delivery's answer (undefined for an empty ack) and hands it to any redelivery waiting for it. */
  settle(answer: unknown): void {
    if (this.answered) return;
    this.answered = true;
    this.answer = answer;
    for (const resolve of this.waiting ?? []) resolve(answer);
    this.waiting = undefined;
  }

  /** The first delivery's answer, once it has one. */
  answerOnce(): Promise<unknown> {
    if (this.answered) return Promise.resolve(this.answer);
    return new Promise((resolve) => (this.waiting ??= []).push(resolve));
  }
}

/** Keys of a request sent again as it was; Slack itself never does that, so they outlive a failure. */
const REPLAY_KEY_PREFIX = 'request:';

/** The keys of one delivery; any one seen before makes it a redelivery. */
export function deliveryKeys(event: Pick<ReceiverEvent, 'body' | 'customProperties'>): string[] {
  const keys: string[] = [];
  const envelopeId = event.customProperties?.[ENVELOPE_ID_PROPERTY];
  if (typeof envelopeId === 'string' && envelopeId !== '') keys.push(`envelope:${envelopeId}`);
  const signed = event.customProperties?.[REQUEST_SIGNATURE_PROPERTY];
  if (typeof signed === 'string' && signed !== '') keys.push(`${REPLAY_KEY_PREFIX}${signed}`);
  const body = event.body as { type?: unknown; event_id?: unknown };
  if (body.type === 'event_callback' && typeof body.event_id === 'string' && body.event_id !== '') keys.push(`event:${body.event_id}`);
  return keys;
}

export class RedeliveryGuard {
  private readonly seen = new Map<string, Seen>();
  private readonly rememberMs: number;
  private readonly maxEntries: number;
  private readonly ackWaitMs: number;
  private readonly clock: () => number;
  private readonly logger: Logger;
  private readonly shared: SharedDeliveries | undefined;

  constructor(options: RedeliveryGuardOptions) {
    this.logger = options.logger;
    this.rememberMs = options.rememberMs ?? 10 * 60_000;
    this.maxEntries = options.maxEntries ?? 5000;
    this.ackWaitMs = options.ackWaitMs ?? 3000;
    this.clock = options.clock ?? Date.now;
    this.shared = options.shared;
  }

  /** How many deliveries are remembered now (for tests). */
  get size(): number {
    return new Set(this.seen.values()).size;
  }

  /** Runs `process` for a first delivery; acks a redelivery with the first answer instead. */
  async handle(event: ReceiverEvent, process: (event: ReceiverEvent) => Promise<void>): Promise<void> {
    this.forgetExpired();
    const keys = deliveryKeys(event);
    if (keys.length === 0) return process(event);
    const earlier = keys.map((k) => this.seen.get(k)).find((s) => s !== undefined);
    if (earlier !== undefined) {
      this.logger.info({ keys, retryNum: event.retryNum, retryReason: event.retryReason }, 'slack redelivered what was already handled (or a request was replayed as it was): acked with the first answer, listeners not run');
      await event.ack(await this.firstAnswer(earlier));
      return;
    }

    const entry = new Seen(this.clock());
    for (const key of keys) this.seen.set(key, entry);
    this.trim();
    if (this.shared && !(await this.claimShared(keys))) {
      // Another replica has it: its answer is not here to repeat, and an empty ack is what Slack needs.
      entry.settle(undefined);
      this.logger.info({ keys, retryNum: event.retryNum }, 'slack redelivered what another replica handles: acked, listeners not run');
      await event.ack();
      return;
    }
    let acked = false;
    const ack = event.ack;
    const remembering: ReceiverEvent = {
      ...event,
      ack: async (response?: unknown) => {
        acked = true;
        entry.settle(response);
        return ack(response);
      },
    };
    try {
      await process(remembering);
    } catch (error) {
      // Never acked: Slack will deliver it again, and that delivery deserves a real run. A
      // replayed request is not Slack's redelivery: it gets the empty answer the failure got.
      if (!acked) {
        const again = keys.filter((key) => !key.startsWith(REPLAY_KEY_PREFIX));
        for (const key of again) if (this.seen.get(key) === entry) this.seen.delete(key);
        entry.settle(undefined);
        await this.shared?.release(again).catch((failure: unknown) => this.logger.warn({ err: failure }, 'could not release a delivery in the shared store'));
      }
      throw error;
    }
  }

  /** A store that cannot answer must not stop Slack traffic: the delivery runs, as with one replica. */
  private async claimShared(keys: readonly string[]): Promise<boolean> {
    try {
      return await this.shared!.claim(keys, this.rememberMs);
    } catch (error) {
      this.logger.warn({ err: error }, 'could not claim a delivery in the shared store; running it');
      return true;
    }
  }

  /** The first delivery's answer; if it has not acked within Slack's deadline, an empty ack. */
  private async firstAnswer(earlier: Seen): Promise<unknown> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), this.ackWaitMs)));
    try {
      return await Promise.race([earlier.answerOnce(), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  private forgetExpired(): void {
    const cutoff = this.clock() - this.rememberMs;
    // Insertion order is arrival order, so the expired ones are at the front.
    for (const [key, entry] of this.seen) {
      if (entry.at > cutoff) break;
      this.seen.delete(key);
    }
  }

  private trim(): void {
    while (this.seen.size > this.maxEntries) {
      const oldest = this.seen.keys().next();
      if (oldest.done === true) break;
      this.seen.delete(oldest.value);
    }
  }
}

/**
 * The receiver as Bolt sees it, with every delivery passing through the guard first. Receivers
 * only call `app.processEvent`, so that is the one thing the app they are given does differently.
 */
export function guardRedeliveries(receiver: Receiver, guard: RedeliveryGuard): Receiver {
  return {
    init(app: App) {
      // Made once: the receiver reads `app.processEvent` on every request.
      const run = (event: ReceiverEvent) => app.processEvent(event);
      const processEvent = (event: ReceiverEvent) => guard.handle(event, run);
      const guarded = new Proxy(app, {
        get(target, property) {
          if (property === 'processEvent') return processEvent;
          const value: unknown = Reflect.get(target, property, target);
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        },
      });
      receiver.init(guarded);
    },
    start: (...args: unknown[]) => receiver.start(...args),
    stop: (...args: unknown[]) => receiver.stop(...args),
  };
}
