import type { ReceiverEvent } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { RedeliveryGuard, deliveryKeys, envelopeIdOf } from '../../src/slack/redelivery-guard.js';

const logger = createLogger('silent');

/** A delivery as a receiver hands it over, recording what it was acked with. */
function delivery(body: Record<string, unknown>, extra: Partial<ReceiverEvent> = {}) {
  const acks: unknown[] = [];
  const event: ReceiverEvent = {
    body,
    ack: async (response?: unknown) => void acks.push(response),
    ...extra,
  };
  return { event, acks };
}

const envelope = (id: string, body: Record<string, unknown> = { type: 'view_submission' }, retryNum = 0) =>
  delivery(body, { customProperties: envelopeIdOf({ envelope_id: id }), retryNum, retryReason: retryNum > 0 ? 'timeout' : '' });

/** A listener that acks with `answer` and counts its runs. */
function listener(answer?: unknown) {
  const runs: ReceiverEvent[] = [];
  return {
    runs,
    process: async (e: ReceiverEvent) => {
      runs.push(e);
      await e.ack(answer);
    },
  };
}

describe('redelivery guard', () => {
  it('keys a delivery by its envelope id and, for events, by event_id; HTTP interactions have no key', () => {
    expect(deliveryKeys(envelope('E1').event)).toEqual(['envelope:E1']);
    expect(deliveryKeys(envelope('E2', { type: 'event_callback', event_id: 'Ev1' }).event)).toEqual(['envelope:E2', 'event:Ev1']);
    expect(deliveryKeys(delivery({ type: 'event_callback', event_id: 'Ev1' }, { retryNum: 1 }).event)).toEqual(['event:Ev1']);
    expect(deliveryKeys(delivery({ type: 'block_actions', trigger_id: 't' }).event)).toEqual([]);
    expect(envelopeIdOf({})).toEqual({});
  });

  it('runs the first delivery and acks a redelivery with the same answer, without running it', async () => {
    const guard = new RedeliveryGuard({ logger });
    const l = listener({ response_action: 'update', view: { type: 'modal' } });
    const first = envelope('E1');
    await guard.handle(first.event, l.process);
    const again = envelope('E1', { type: 'view_submission' }, 1);
    await guard.handle(again.event, l.process);
    expect(l.runs).toHaveLength(1);
    expect(again.acks).toEqual([{ response_action: 'update', view: { type: 'modal' } }]);
    expect(first.acks).toEqual(again.acks);
  });

  it('knows an event again by event_id, in a new envelope or as an HTTP retry', async () => {
    const guard = new RedeliveryGuard({ logger });
    const l = listener();
    const body = { type: 'event_callback', event_id: 'Ev9', event: { type: 'app_home_opened' } };
    await guard.handle(envelope('E1', body).event, l.process);
    await guard.handle(envelope('E2', body, 1).event, l.process);
    await guard.handle(delivery(body, { retryNum: 2, retryReason: 'http_timeout' }).event, l.process);
    expect(l.runs).toHaveLength(1);
  });

  it('lets every HTTP interaction through, even a repeated one', async () => {
    const guard = new RedeliveryGuard({ logger });
    const l = listener();
    const body = { type: 'view_submission', view: { id: 'V1', hash: 'h1' } };
    await guard.handle(delivery(body).event, l.process);
    await guard.handle(delivery(body).event, l.process);
    expect(l.runs).toHaveLength(2);
  });

  it('holds a redelivery that arrives mid-run until the first delivery acks, then gives its answer', async () => {
    const guard = new RedeliveryGuard({ logger });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let runs = 0;
    const slow = async (e: ReceiverEvent) => {
      runs += 1;
      await gate;
      await e.ack({ text: 'done' });
    };
    const first = envelope('E1');
    const again = envelope('E1', { type: 'view_submission' }, 1);
    const running = guard.handle(first.event, slow);
    const waiting = guard.handle(again.event, slow);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(again.acks).toEqual([]);
    release();
    await Promise.all([running, waiting]);
    expect(runs).toBe(1);
    expect(again.acks).toEqual([{ text: 'done' }]);
  });

  it('gives a redelivery an empty ack when the first delivery never acks within the wait', async () => {
    const guard = new RedeliveryGuard({ logger, ackWaitMs: 30 });
    const first = envelope('E1');
    void guard.handle(first.event, () => new Promise(() => undefined));
    const again = envelope('E1', { type: 'view_submission' }, 1);
    await guard.handle(again.event, async () => expect.unreachable());
    expect(again.acks).toEqual([undefined]);
  });

  it('forgets a delivery that failed before acking, so its redelivery gets a real run', async () => {
    const guard = new RedeliveryGuard({ logger });
    const failing = async () => {
      throw new Error('authorize failed');
    };
    await expect(guard.handle(envelope('E1').event, failing)).rejects.toThrow('authorize failed');
    const l = listener();
    await guard.handle(envelope('E1', { type: 'view_submission' }, 1).event, l.process);
    expect(l.runs).toHaveLength(1);
  });

  it('remembers for a bounded time and a bounded number of deliveries', async () => {
    let now = 0;
    const guard = new RedeliveryGuard({ logger, rememberMs: 1000, maxEntries: 3, clock: () => now });
    const l = listener();
    await guard.handle(envelope('E1').event, l.process);
    now = 999;
    await guard.handle(envelope('E1').event, l.process);
    expect(l.runs).toHaveLength(1);
    now = 1001;
    await guard.handle(envelope('E1').event, l.process);
    expect(l.runs).toHaveLength(2);

    for (const id of ['E2', 'E3', 'E4', 'E5']) await guard.handle(envelope(id).event, l.process);
    expect(guard.size).toBe(3);
    await guard.handle(envelope('E2').event, l.process);
    expect(l.runs).toHaveLength(2 + 4 + 1);
  });
});
