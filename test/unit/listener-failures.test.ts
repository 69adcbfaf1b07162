import type { IncomingMessage, ServerResponse } from 'node:http';
import { UnknownError, type ReceiverEvent } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { ackListenerFailures, answerListenerFailures, listenerOf } from '../../src/slack/listener-failures.js';
import { RedeliveryGuard, deliveryKeys, requestSignatureOf } from '../../src/slack/redelivery-guard.js';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  return { lines, logger: createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) }) };
}

/** The parts of ServerResponse the handler uses, recording what it wrote. */
function response(headersSent = false) {
  const written: number[] = [];
  const res = {
    headersSent,
    writeHead(status: number) {
      written.push(status);
      return this;
    },
    end() {
      return this;
    },
  };
  return { res: res as unknown as ServerResponse, written };
}

const request = (body: string) => ({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, rawBody: Buffer.from(body) }) as unknown as IncomingMessage;
const viewSubmissionBody = `payload=${encodeURIComponent(JSON.stringify({ type: 'view_submission', user: { id: 'U1' }, view: { callback_id: 'spoke_setup', private_metadata: 'SECRET-ISH' } }))}`;

describe('listener failures', () => {
  it('over HTTP, a failure before the ack is answered 200 and logged once with its listener, never the body', async () => {
    const { lines, logger } = capture();
    const { res, written } = response();
    const failure = new UnknownError(new TypeError("Cannot read properties of undefined (reading 'id')"));
    const acknowledged = await answerListenerFailures(logger)({ error: failure, logger: console as never, request: request(viewSubmissionBody), response: res, storedResponse: undefined });
    expect(acknowledged).toBe(true);
    expect(written).toEqual([200]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 50, listener: 'view_submission spoke_setup', err: { name: 'TypeError', message: "Cannot read properties of undefined (reading 'id')" } });
    expect(String(lines[0]!.msg)).toContain('answered 200 so Slack does not send it again');
    expect(JSON.stringify(lines)).not.toContain('SECRET-ISH');
  });

  it('over HTTP, a failure after the ack leaves the answer alone', async () => {
    const { lines, logger } = capture();
    const { res, written } = response(true);
    const acknowledged = await answerListenerFailures(logger)({ error: new Error('late'), logger: console as never, request: request('command=%2Fspoke&text=list'), response: res, storedResponse: undefined });
    expect(acknowledged).toBe(false);
    expect(written).toEqual([]);
    expect(lines[0]).toMatchObject({ listener: 'command /spoke', err: { message: 'late' } });
  });

  it('in Socket Mode, the envelope of a failed listener is acknowledged', async () => {
    const { lines, logger } = capture();
    const event = { body: { type: 'block_actions', actions: [{ action_id: 'spoke_check_now' }] }, ack: async () => undefined } as ReceiverEvent;
    expect(await ackListenerFailures(logger)({ error: new Error('x'), logger: console as never, event })).toBe(true);
    expect(lines[0]).toMatchObject({ listener: 'block_actions spoke_check_now' });
  });

  it('names the listener from any body, however broken', () => {
    expect(listenerOf(null)).toBe('unrecognised payload');
    expect(listenerOf({ type: 'event_callback', event: { type: 'app_home_opened' } })).toBe('event app_home_opened');
    expect(listenerOf({ type: 'view_closed', view: null })).toBe('view_closed');
  });
});

describe('a replayed HTTP request', () => {
  const signed = (timestamp: string, signature: string) => ({ customProperties: requestSignatureOf({ headers: { 'x-slack-request-timestamp': timestamp, 'x-slack-signature': signature } }) });

  it('is keyed by its timestamp and signature', () => {
    expect(deliveryKeys({ body: { type: 'block_actions' }, ...signed('1700000000', 'v0=ab') })).toEqual(['request:1700000000:v0=ab']);
    expect(requestSignatureOf({ headers: {} })).toEqual({});
  });

  it('gets the empty answer its failed first run got, and is not run again', async () => {
    const { logger } = capture();
    const guard = new RedeliveryGuard({ logger });
    let runs = 0;
    const failing = async () => {
      runs += 1;
      throw new Error('listener failed before its ack');
    };
    await expect(guard.handle({ body: { type: 'view_submission' }, ack: async () => undefined, ...signed('1', 'v0=aa') }, failing)).rejects.toThrow();
    const acks: unknown[] = [];
    await guard.handle({ body: { type: 'view_submission' }, ack: async (answer?: unknown) => void acks.push(answer), ...signed('1', 'v0=aa') }, failing);
    expect(runs).toBe(1);
    expect(acks).toEqual([undefined]);
  });
});
