import { WebClient } from '@slack/web-api';
import type { Logger } from '../logger.js';
import { boltLogger } from './bolt-logger.js';

/**
 * Telling the person who acted that something did not happen, through whichever path still
 * works. Slack gives each command and message click a `response_url` that takes 5 posts within
 * 30 minutes and needs no bot token, so it is tried first (it works even when Slack refuses
 * the token); then an ephemeral in the channel they acted in; then a DM.
 */

export interface Recipient {
  userId: string;
  /** The command's or click's response_url; absent for App Home and modal clicks. */
  responseUrl?: string;
  /** A channel the person is in (where they ran the command, or the one they chose), for an ephemeral. */
  channel?: string;
}

export type TellPath = 'response_url' | 'ephemeral' | 'dm';

/** Who ran a slash command, and the two ways back to them that need no DM. */
export function commandRecipient(command: { user_id: string; response_url: string; channel_id: string }): Recipient {
  return { userId: command.user_id, responseUrl: command.response_url, channel: command.channel_id };
}

/** Who clicked: a message click has a response_url and a channel; App Home and modal clicks have neither, so `channel` may say where to try. */
export function clickRecipient(body: { user: { id: string }; response_url?: string; channel?: { id: string } }, channel?: string): Recipient {
  const where = body.channel?.id ?? channel;
  return { userId: body.user.id, ...(body.response_url ? { responseUrl: body.response_url } : {}), ...(where ? { channel: where } : {}) };
}

export interface Said {
  text: string;
  blocks?: unknown[];
}

/** What went wrong with a Slack call, in Slack's own words where it gave some. */
export interface SlackFailure {
  /** Slack's error code (`expired_trigger_id`, `not_in_channel`…), `ratelimited` for a 429, `no_answer` when nothing came back. */
  code: string;
  retryAfterSec?: number;
}

/** Errors meaning Slack no longer accepts the bot token: nothing signed with it will work. */
export const TOKEN_REFUSALS: readonly string[] = ['invalid_auth', 'not_authed', 'token_revoked', 'token_expired', 'account_inactive'];

/** A trigger_id lives 3 seconds after the click; after that Slack opens nothing with it. */
const TRIGGER_REFUSALS: readonly string[] = ['expired_trigger_id', 'invalid_trigger_id', 'trigger_exchanged'];

/** Reads a WebClient error (or undefined when it is not a Slack failure, e.g. a bug). */
export function slackFailureOf(error: unknown): SlackFailure | undefined {
  const e = error as { code?: string; data?: { error?: string }; retryAfter?: number; statusCode?: number; message?: string };
  switch (e?.code) {
    case 'slack_webapi_platform_error':
      return { code: e.data?.error ?? 'unknown_error' };
    case 'slack_webapi_rate_limited_error':
      return { code: 'ratelimited', ...(typeof e.retryAfter === 'number' ? { retryAfterSec: e.retryAfter } : {}) };
    case 'slack_webapi_http_error':
      return { code: `http_${e.statusCode ?? 'error'}` };
    case 'slack_webapi_request_error': {
      // A client that waits out 429s ends, when out of retries, with the header in its message.
      const retryAfter = /retry-after: (\d+)/.exec(e.message ?? '')?.[1];
      return retryAfter ? { code: 'ratelimited', retryAfterSec: Number(retryAfter) } : { code: 'no_answer' };
    }
    default:
      return undefined;
  }
}

/**
 * What to say when a Slack call made for someone failed: what did not happen, why, and what to
 * do. `doing` names the thing ("open the setup form"); `again` how to retry ("run the command again").
 */
export function slackFailureText(failure: SlackFailure, doing: string, again: string): string {
  const { code } = failure;
  if (TRIGGER_REFUSALS.includes(code)) return `Slack took too long to ${doing}; ${again}.`;
  if (code === 'ratelimited') {
    const wait = failure.retryAfterSec !== undefined ? `in ${failure.retryAfterSec} seconds` : 'in a minute';
    return `Slack is limiting how often spokebot may call it, so it could not ${doing}. Try again ${wait}.`;
  }
  if (TOKEN_REFUSALS.includes(code)) return `Slack refused spokebot's token (${code}), so it could not ${doing}. An admin should run \`spokebot doctor\` and reinstall the app or set a new SLACK_BOT_TOKEN.`;
  if (code === 'not_in_channel' || code === 'channel_not_found' || code === 'is_archived') {
    return `spokebot could not ${doing}: it is not allowed in that channel (${code}). Invite it with \`/invite @spokebot\`, or choose another channel.`;
  }
  if (code === 'no_answer' || code.startsWith('http_')) return `Slack did not answer in time (${code}), so spokebot could not ${doing}. Try again in a minute.`;
  return `Slack refused to ${doing} (${code}). Try again; if it keeps happening, an admin should run \`spokebot doctor\`.`;
}

/** Tells `to` through the first path that works; says which, or undefined when none did (logged). */
export async function tellUser(client: WebClient, to: Recipient, said: Said, options: { avoid?: readonly TellPath[]; logger?: Logger } = {}): Promise<TellPath | undefined> {
  const tried: string[] = [];
  const paths: Array<[TellPath, () => Promise<boolean>]> = [
    ['response_url', () => postToResponseUrl(to.responseUrl, said)],
    ['ephemeral', async () => Boolean(to.channel) && (await client.chat.postEphemeral({ channel: to.channel!, user: to.userId, text: said.text, ...(said.blocks ? { blocks: said.blocks as never } : {}) })).ok === true],
    ['dm', async () => {
      const dm = await client.conversations.open({ users: to.userId });
      if (!dm.channel?.id) return false;
      return (await client.chat.postMessage({ channel: dm.channel.id, text: said.text, ...(said.blocks ? { blocks: said.blocks as never } : {}) })).ok === true;
    }],
  ];
  for (const [path, send] of paths) {
    if (options.avoid?.includes(path)) continue;
    try {
      if (await send()) return path;
    } catch (error) {
      tried.push(`${path}: ${slackFailureOf(error)?.code ?? (error as Error).message}`);
    }
  }
  options.logger?.warn({ user: to.userId, tried }, 'could not tell the user what happened');
  return undefined;
}

async function postToResponseUrl(url: string | undefined, said: Said): Promise<boolean> {
  if (!url) return false;
  // replace_original false: the message they clicked (a card, a plan) stays as it was.
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text: said.text, ...(said.blocks ? { blocks: said.blocks } : {}) }),
    signal: AbortSignal.timeout(5000),
  });
  await res.body?.cancel();
  return res.ok;
}

const TRIGGER_LIFETIME_MS = 3000;
const quickClients = new WeakMap<WebClient, WebClient>();

/**
 * The same bot, but a client that gives up at once: waiting out a 429 or a stalled request is
 * useless for a trigger that dies 3 seconds after the click, while the person waits for a form.
 */
function quickClient(client: WebClient, logger: Logger): WebClient {
  let quick = quickClients.get(client);
  if (!quick) {
    quick = new WebClient(client.token, { slackApiUrl: client.slackApiUrl, rejectRateLimitedCalls: true, retryConfig: { retries: 0 }, timeout: TRIGGER_LIFETIME_MS, logger: boltLogger(logger) });
    quickClients.set(client, quick);
  }
  return quick;
}

/**
 * views.open on the trigger of a command or click. When Slack refuses or stalls, the person is
 * told what happened and what to do, and false comes back; anything else is thrown.
 */
export async function openView(
  client: WebClient,
  triggerId: string,
  view: Parameters<WebClient['views']['open']>[0]['view'],
  to: Recipient,
  o: { what: string; again: string; logger: Logger },
): Promise<boolean> {
  try {
    await quickClient(client, o.logger).views.open({ trigger_id: triggerId, view });
    return true;
  } catch (error) {
    const failure = slackFailureOf(error);
    if (!failure) throw error;
    o.logger.warn({ user: to.userId, code: failure.code, retryAfterSec: failure.retryAfterSec }, 'views.open refused');
    // With the token refused, only the response_url (which needs none) can still reach them.
    const avoid: TellPath[] = TOKEN_REFUSALS.includes(failure.code) ? ['ephemeral', 'dm'] : [];
    await tellUser(client, to, { text: `:warning: ${slackFailureText(failure, `open ${o.what}`, o.again)}` }, { avoid, logger: o.logger });
    return false;
  }
}

/** Why conversations.open may refuse, and what the person can do about it. */
function dmRefusalAdvice(code: string): string {
  if (code === 'cannot_dm_bot') return 'spokebot cannot message a bot user; a person has to do this.';
  if (code === 'user_not_found' || code === 'user_disabled' || code === 'user_not_visible') return 'Slack would not let spokebot reach your account; ask a workspace admin to check it.';
  if (code === 'missing_scope') return 'The app lacks the im:write scope; an admin should reinstall it from manifest.yml and run `spokebot doctor`.';
  if (TOKEN_REFUSALS.includes(code)) return 'Slack refused spokebot\'s token; an admin should run `spokebot doctor`.';
  return 'Open spokebot under Apps in Slack and send it any message, then try again.';
}

/**
 * Opens the DM with `to.userId`. When Slack refuses, `to` hears why (`because`: what this
 * means, e.g. "the consent link cannot reach you") through the response_url or an ephemeral,
 * and undefined comes back.
 */
export async function openDm(client: WebClient, to: Recipient, because: string, logger?: Logger): Promise<string | undefined> {
  try {
    const dm = await client.conversations.open({ users: to.userId });
    if (dm.channel?.id) return dm.channel.id;
  } catch (error) {
    const failure = slackFailureOf(error);
    if (!failure) throw error;
    logger?.warn({ user: to.userId, code: failure.code }, 'conversations.open refused');
    await tellUser(client, to, { text: `:warning: spokebot could not open a direct message with you (${failure.code}), so ${because}. ${dmRefusalAdvice(failure.code)}` }, { avoid: ['dm'], ...(logger ? { logger } : {}) });
    return undefined;
  }
  await tellUser(client, to, { text: `:warning: Slack opened no direct message with you, so ${because}. ${dmRefusalAdvice('')}` }, { avoid: ['dm'], ...(logger ? { logger } : {}) });
  return undefined;
}
