import type { IncomingMessage, ServerResponse } from 'node:http';
import { HTTPModuleFunctions, HTTPReceiver, defaultBodyLimit, isRawBodyError, type HTTPReceiverOptions } from '@slack/bolt';
import type { Logger } from '../logger.js';
import { readSlackRequest } from './request-shapes.js';

/** Bolt refuses a signature older than this; the guard refuses one dated as far ahead. */
export const MAX_REQUEST_AGE_SECONDS = 5 * 60;

export interface RequestGuardOptions {
  signingSecret: string;
  /** The receiver's `endpoints`: only POSTs to these carry Slack requests. */
  endpoints: readonly string[];
  logger: Logger;
  /** Milliseconds since the epoch (tests move it). */
  clock?: () => number;
}

/** HTTPReceiver's options, less the ones the guard decides: signature checks and the body limit are its own. */
export type GuardedReceiverOptions = Omit<HTTPReceiverOptions, 'signatureVerification' | 'bodyLimit' | 'endpoints'> & { endpoints: string[] };

/**
 * An HTTPReceiver with the guard in front of its Slack endpoints. The guard checks every
 * request's signature there before Bolt reads it, so Bolt's own check is turned off: it would
 * compute the same HMAC over the same bytes a second time, on every request, for nothing. The
 * two are built here together so that Bolt's check is never off without the guard's in front.
 */
export function guardedHttpReceiver(options: GuardedReceiverOptions, logger: Logger): HTTPReceiver {
  const receiver = new HTTPReceiver({ ...options, signatureVerification: false });
  return guardSlackRequests(receiver, { signingSecret: options.signingSecret, endpoints: options.endpoints, logger });
}

/**
 * Puts a check in front of HTTPReceiver's handling of Slack's POSTs, through the receiver's own
 * `requestListener` (the function its server calls for every request). Bolt checks the
 * signature and then trusts the body; a signed body it cannot handle (`payload=null`, JSON
 * `null`, an interaction without `user`…) throws inside it, where a rejection ends the process or
 * a TypeError becomes a 500. So the guard verifies the signature first with Bolt's own function
 * (same 401s, same 413 over Bolt's body limit), refuses a timestamp more than 5 minutes ahead
 * (Bolt only looks back), and answers 400 to a body that is not one of the shapes in
 * request-shapes.ts. Only then does Bolt get the request, with the body already read (and,
 * built by guardedHttpReceiver, without checking the signature again). Every other path
 * (/healthz, 404s) goes straight to Bolt, untouched: Bolt handles only POSTs to its endpoints
 * as Slack requests, found from the URL the same way as here.
 */
function guardSlackRequests(receiver: HTTPReceiver, options: RequestGuardOptions): HTTPReceiver {
  const bolt = receiver.requestListener;
  const { logger } = options;
  receiver.requestListener = (req, res) => {
    if (!isSlackPost(req, options.endpoints)) return bolt(req, res);
    void screen(req, res, options)
      .then((pass) => {
        if (pass) bolt(req, res);
      })
      .catch((error: unknown) => {
        logger.error({ err: error }, 'the Slack request guard failed: answered 500 and did not run the request');
        answer(res, 500);
      });
  };
  return receiver;
}

function isSlackPost(req: IncomingMessage, endpoints: readonly string[]): boolean {
  if (req.method?.toUpperCase() !== 'POST') return false;
  try {
    return endpoints.includes(new URL(req.url ?? '/', 'http://localhost').pathname);
  } catch {
    // Bolt parses the same URL next and answers for it.
    return false;
  }
}

/** True when Bolt may have the request; otherwise it has been answered. */
async function screen(req: IncomingMessage, res: ServerResponse, options: RequestGuardOptions): Promise<boolean> {
  const { logger } = options;
  let rawBody: string;
  try {
    const buffered = await HTTPModuleFunctions.parseAndVerifyHTTPRequest({ enabled: true, signingSecret: options.signingSecret, bodyLimit: defaultBodyLimit }, req);
    rawBody = buffered.rawBody.toString();
  } catch (error) {
    if (isRawBodyError(error) && (error.type === 'entity.too.large' || error.statusCode === 413)) {
      logger.warn({ status: 413, limit: defaultBodyLimit }, 'refused a Slack request over the body limit');
      answer(res, 413);
      return false;
    }
    // Bolt's message says which check failed (missing header, stale timestamp, signature mismatch).
    logger.warn({ status: 401, err: { message: (error as Error).message } }, 'refused a Slack request that is not signed with SLACK_SIGNING_SECRET');
    answer(res, 401);
    return false;
  }

  const read = readSlackRequest(req.headers['content-type'], rawBody);
  // Slack's certificate check is unsigned and carries nothing; Bolt answers it.
  if (read.ok && read.request.kind === 'ssl_check') return true;

  const aheadBy = Number(req.headers['x-slack-request-timestamp']) - Math.floor((options.clock ?? Date.now)() / 1000);
  if (aheadBy > MAX_REQUEST_AGE_SECONDS) {
    logger.warn(
      { status: 401, aheadBySeconds: aheadBy },
      `refused a signed Slack request dated ${aheadBy} s ahead of this host's clock: a signature is good for ${MAX_REQUEST_AGE_SECONDS / 60} minutes either side of now. If every request is refused, set the host's clock (NTP)`,
    );
    answer(res, 401);
    return false;
  }

  if (!read.ok) {
    logger.warn(
      { status: 400, problem: read.problem, contentType: req.headers['content-type'], bytes: Buffer.byteLength(rawBody) },
      `refused a signed Slack request spokebot does not handle (${read.problem}); nothing was run. If this repeats, Slack changed a payload spokebot reads, or someone else holds SLACK_SIGNING_SECRET (regenerate it under Basic Information)`,
    );
    answer(res, 400, 'malformed Slack request\n');
    return false;
  }

  if (read.request.kind === 'events_api' && read.request.body.type === 'app_rate_limited') {
    // Bolt finds no listener kind for it and would leave it unanswered for 3 s.
    logger.warn({ minuteRateLimited: read.request.body.minute_rate_limited }, 'Slack held back event deliveries for a minute (app_rate_limited); nothing to do');
    answer(res, 200);
    return false;
  }
  return true;
}

function answer(res: ServerResponse, status: number, text?: string): void {
  if (res.headersSent) return;
  res.writeHead(status, text === undefined ? {} : { 'content-type': 'text/plain; charset=utf-8' });
  res.end(text);
}
