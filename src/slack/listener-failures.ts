import {
  AuthorizationError,
  MultipleListenerError,
  UnknownError,
  type ReceiverProcessEventErrorHandlerArgs,
  type SocketModeReceiverProcessEventErrorHandlerArgs,
} from '@slack/bolt';
import { SpokeError } from '../errors.js';
import type { Logger } from '../logger.js';
import { parsedBodyOf } from './request-shapes.js';

/**
 * What Slack hears when a listener fails (the app's error handler rethrows every listener
 * error so that it lands here). Bolt's default answers 500, or leaves a Socket Mode envelope
 * unacknowledged, and Slack then shows the user an error or delivers it again. A second run of
 * an interaction that failed halfway helps nobody: it would repeat whatever the first did before
 * it failed. So a failure is acknowledged (HTTP 200 with no body, the envelope acked) and
 * logged once with the listener it came from, what broke and what to do.
 */
export function answerListenerFailures(logger: Logger): (args: ReceiverProcessEventErrorHandlerArgs) => Promise<boolean> {
  return async ({ error, request, response }) => {
    const body = () => parsedBodyOf(request.headers['content-type'], (request as { rawBody?: Buffer }).rawBody?.toString() ?? '');
    if (response.headersSent) {
      logFailure(logger, error, body(), 'after Slack had its answer');
      return false;
    }
    // The app has one token and no authorize function; kept as Bolt answers it should that change.
    if (error instanceof AuthorizationError) {
      logFailure(logger, error, body(), 'and Slack was answered 401');
      response.writeHead(401);
      response.end();
      return true;
    }
    logFailure(logger, error, body(), 'before answering Slack: answered 200 so Slack does not send it again, and the user saw no reply');
    response.writeHead(200);
    response.end();
    // Tells Bolt the request is answered, so its 3-second timer does not answer it again.
    return true;
  };
}

/**
 * The same for Socket Mode: the envelope is acknowledged so Slack does not redeliver it. The
 * handler cannot tell whether the listener acked before it failed; acking again is harmless
 * (Bolt ignores it with a warning), leaving it unacked would make Slack send it again.
 */
export function ackListenerFailures(logger: Logger): (args: SocketModeReceiverProcessEventErrorHandlerArgs) => Promise<boolean> {
  return async ({ error, event }) => {
    logFailure(logger, error, event.body, 'and its envelope was acknowledged so Slack does not deliver it again');
    return true;
  };
}

function logFailure(logger: Logger, error: unknown, body: unknown, outcome: string): void {
  const listener = listenerOf(body);
  const failures = error instanceof MultipleListenerError ? error.originals : [error instanceof UnknownError ? error.original : error];
  for (const failure of failures) {
    const code = (failure as { code?: unknown }).code;
    if (failure instanceof SpokeError) {
      logger.error({ listener, code, hint: failure.hint, err: { message: failure.message } }, `slack listener failed (${listener}) ${outcome}. ${failure.hint}`);
      continue;
    }
    // Message and stack only: an error object's other fields may hold what a request carried.
    const err = failure instanceof Error ? { name: failure.name, message: failure.message, stack: failure.stack } : { message: String(failure) };
    logger.error({ listener, code, err }, `slack listener failed (${listener}) ${outcome}. A bug: the stack says where; the user can try again once it is fixed`);
  }
}

/** Which listener a body reaches, by the ids spokebot gives its commands, buttons and modals. */
export function listenerOf(body: unknown): string {
  const b = record(body);
  const event = record(b.event);
  let name: string;
  if (typeof event.type === 'string') name = `event ${event.type}`;
  else if (typeof b.command === 'string') name = `command ${b.command}`;
  else if (Array.isArray(b.actions)) name = `${String(b.type)} ${b.actions.map((a) => String(record(a).action_id)).join(',')}`;
  else if (typeof record(b.view).callback_id === 'string') name = `${String(b.type)} ${String(record(b.view).callback_id)}`;
  else name = typeof b.type === 'string' ? b.type : 'unrecognised payload';
  return name.slice(0, 200);
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}
