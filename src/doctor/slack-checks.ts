import { WebClient, WebAPIHTTPError, WebAPIPlatformError, WebAPIRateLimitedError, WebAPIRequestError } from '@slack/web-api';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { boltLogger } from '../slack/bolt-logger.js';
import { BOT_SCOPES } from '../slack/surface.js';
import { fail, ok, warn, type CheckResult } from './check-result.js';

/** Errors that mean Slack looked at the token and said no: no retry will change that. */
export const REFUSED_TOKEN_ERRORS = new Set(['invalid_auth', 'token_revoked', 'token_expired', 'account_inactive', 'not_authed', 'not_allowed_token_type']);

/** Slack's own words for "try again later", as opposed to a decision about the request. */
const TRANSIENT_PLATFORM_ERRORS = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'ratelimited']);

export type SlackFailure =
  | { kind: 'refused'; error: string }
  | { kind: 'unreachable'; message: string }
  | { kind: 'platform'; error: string; needed?: string };

/**
 * What a failed Web API call means for the operator: the token was refused, Slack could not be
 * reached (network, timeout, 5xx, rate limit; worth waiting for), or Slack answered with another
 * error about this particular request.
 */
export function classifySlackFailure(error: unknown): SlackFailure {
  if (error instanceof WebAPIPlatformError) {
    const code = error.data.error;
    if (REFUSED_TOKEN_ERRORS.has(code)) return { kind: 'refused', error: code };
    if (TRANSIENT_PLATFORM_ERRORS.has(code)) return { kind: 'unreachable', message: `Slack answered ${code}` };
    const needed = (error.data as { needed?: unknown }).needed;
    return { kind: 'platform', error: code, ...(typeof needed === 'string' ? { needed } : {}) };
  }
  if (error instanceof WebAPIHTTPError) return { kind: 'unreachable', message: `HTTP ${error.statusCode} ${error.statusMessage}`.trim() };
  if (error instanceof WebAPIRateLimitedError) return { kind: 'unreachable', message: `rate limited (retry after ${error.retryAfter} s)` };
  if (error instanceof WebAPIRequestError) return { kind: 'unreachable', message: causeMessage(error.original) };
  return { kind: 'unreachable', message: causeMessage(error) };
}

/** fetch hides the reason ("fetch failed") one level down, in `cause`. */
function causeMessage(error: unknown): string {
  const e = error as { message?: string; cause?: { code?: string; message?: string } };
  const cause = e.cause?.code ?? e.cause?.message;
  return cause ? `${e.message ?? String(error)} (${cause})` : (e.message ?? String(error));
}

export interface SlackClientOptions {
  logger: Logger;
  /** Retries per call; the doctor and the start-up gate make their own decisions, so 0 by default. */
  retries?: number;
  timeoutMs?: number;
}

/** A WebClient like the app's, but failing fast: one try, a timeout, rate limits reported rather than waited out. */
export function slackClient(token: string, config: Pick<Config, 'SLACK_API_URL'>, options: SlackClientOptions): WebClient {
  return new WebClient(token, {
    slackApiUrl: config.SLACK_API_URL,
    logger: boltLogger(options.logger),
    retryConfig: { retries: options.retries ?? 0 },
    timeout: options.timeoutMs ?? 10_000,
    rejectRateLimitedCalls: true,
  });
}

const NEW_BOT_TOKEN = 'copy the Bot User OAuth Token (xoxb-…) from api.slack.com/apps → your app → OAuth & Permissions (reinstall the app if it was revoked) into SLACK_BOT_TOKEN';

/** The one-line reason the bot token does not work, used by the doctor and the start-up gate alike. */
export function refusedBotTokenMessage(error: string): string {
  return `Slack refused SLACK_BOT_TOKEN (${error}): ${NEW_BOT_TOKEN}`;
}

export interface SlackCheckDeps {
  config: Config;
  logger: Logger;
  retries?: number;
  timeoutMs?: number;
}

/**
 * Slack: the bot token works, the workspace granted every scope manifest.yml asks for, the mode's
 * own secret or token is in place, and the configured channels can be posted to.
 */
export async function slackChecks({ config, logger, retries, timeoutMs }: SlackCheckDeps): Promise<CheckResult[]> {
  const clientOptions = { logger, ...(retries !== undefined ? { retries } : {}), ...(timeoutMs !== undefined ? { timeoutMs } : {}) };
  const bot = slackClient(config.SLACK_BOT_TOKEN, config, clientOptions);
  // The mode check needs no bot token, so it runs beside auth.test rather than after it.
  const [identity, mode] = await Promise.all([botTokenCheck(bot, config), modeCheck(config, clientOptions)]);
  if (!identity.scopes) return [identity.result, mode];
  const granted = identity.scopes;
  const channels = await Promise.all([
    channelCheck(bot, granted, 'approval channel', 'SPOKE_APPROVAL_CHANNEL', config.SPOKE_APPROVAL_CHANNEL, {
      unset: 'access requests are refused until it is set (/spoke request answers that nobody can decide)',
      use: 'access-request cards',
    }),
    channelCheck(bot, granted, 'alert channel', 'SPOKE_ALERT_CHANNEL', config.SPOKE_ALERT_CHANNEL, {
      // Reserved: nothing posts there yet (each connection reports to the channel chosen at setup),
      // so leaving it unset loses nothing and is not worth a warning.
      unset: undefined,
      use: 'alerts',
    }),
  ]);
  return [identity.result, ...scopeChecks(granted), mode, ...channels];
}

async function botTokenCheck(bot: WebClient, config: Config): Promise<{ result: CheckResult; scopes?: string[] | undefined }> {
  try {
    const answer = await bot.auth.test();
    const scopes = answer.response_metadata?.scopes;
    return {
      result: ok('Slack', 'bot token', `auth.test: ${answer.user ?? 'bot'} (${answer.user_id ?? '?'}) in ${answer.team ?? '?'} (${answer.team_id ?? '?'})`),
      // An empty list stands for "Slack did not say", which scopeChecks reports as such.
      scopes: scopes ?? [],
    };
  } catch (error) {
    const failure = classifySlackFailure(error);
    if (failure.kind === 'refused') {
      return { result: fail('Slack', 'bot token', `Slack refused SLACK_BOT_TOKEN: ${failure.error}`, NEW_BOT_TOKEN) };
    }
    if (failure.kind === 'unreachable') {
      return { result: fail('Slack', 'bot token', `${config.SLACK_API_URL}auth.test did not answer: ${failure.message}`, 'check SLACK_API_URL and that this host can reach Slack (proxy, firewall, DNS)') };
    }
    return { result: fail('Slack', 'bot token', `auth.test failed: ${failure.error}`, NEW_BOT_TOKEN) };
  }
}

/** Every bot scope manifest.yml asks for (BOT_SCOPES; test/unit/manifest.test.ts keeps the two equal). */
function scopeChecks(granted: string[]): CheckResult[] {
  if (granted.length === 0) {
    return [warn('Slack', 'scopes', 'Slack did not report the granted scopes (no x-oauth-scopes header)', 'compare OAuth & Permissions → Bot Token Scopes with manifest.yml by hand')];
  }
  const missing = BOT_SCOPES.filter((scope) => !granted.includes(scope));
  if (missing.length === 0) return [ok('Slack', 'scopes', `all ${BOT_SCOPES.length} bot scopes of manifest.yml granted`)];
  return missing.map((scope) =>
    fail('Slack', `scope ${scope}`, `the bot token lacks ${scope}`, `add ${scope} under OAuth & Permissions → Bot Token Scopes (or from manifest.yml), then reinstall the app after adding it`),
  );
}

/** HTTP mode needs the signing secret; Socket Mode needs an app-level token that can open a connection. */
async function modeCheck(config: Config, clientOptions: SlackClientOptions): Promise<CheckResult> {
  if (!config.SLACK_APP_TOKEN) {
    return config.SLACK_SIGNING_SECRET
      ? ok('Slack', 'signing secret', 'HTTP mode; SLACK_SIGNING_SECRET is set')
      : fail('Slack', 'signing secret', 'HTTP mode without SLACK_SIGNING_SECRET', 'copy Basic Information → Signing Secret into SLACK_SIGNING_SECRET, or set SLACK_APP_TOKEN for Socket Mode');
  }
  const newAppToken = 'create an app-level token with connections:write under Basic Information → App-Level Tokens and put it in SLACK_APP_TOKEN';
  try {
    // Asks for a socket URL without opening the socket: proves the token and that Socket Mode is on.
    const answer = await slackClient(config.SLACK_APP_TOKEN, config, clientOptions).apps.connections.open();
    return answer.url
      ? ok('Slack', 'app token', 'Socket Mode; apps.connections.open issued a socket URL')
      : fail('Slack', 'app token', 'apps.connections.open answered without a socket URL', 'enable Socket Mode in the app settings (Settings → Socket Mode)');
  } catch (error) {
    const failure = classifySlackFailure(error);
    if (failure.kind === 'unreachable') {
      return fail('Slack', 'app token', `${config.SLACK_API_URL}apps.connections.open did not answer: ${failure.message}`, 'check SLACK_API_URL and that this host can reach Slack');
    }
    return fail('Slack', 'app token', `Slack refused SLACK_APP_TOKEN: ${failure.error}`, newAppToken);
  }
}

async function channelCheck(
  bot: WebClient,
  granted: string[],
  name: string,
  variable: string,
  channel: string | undefined,
  purpose: { unset: string | undefined; use: string },
): Promise<CheckResult> {
  if (!channel) {
    return purpose.unset
      ? warn('Slack', name, `${variable} is unset: ${purpose.unset}`, `set ${variable} to a channel ID (channel details → About, at the bottom) and invite the bot there`)
      : ok('Slack', name, `${variable} is unset (reserved; connections report to the channel chosen at setup)`);
  }
  const invite = `invite the bot: /invite @spokebot in ${channel}`;
  try {
    const answer = await bot.conversations.info({ channel });
    const info = answer.channel ?? {};
    if (info.is_archived) return fail('Slack', name, `${channel} (#${info.name ?? '?'}) is archived`, `unarchive it, or point ${variable} at another channel`);
    if (info.is_member) return ok('Slack', name, `#${info.name ?? channel} (${channel}): the bot is a member and can post ${purpose.use}`);
    if (!info.is_private && granted.includes('chat:write.public')) {
      return ok('Slack', name, `#${info.name ?? channel} (${channel}) is public; the bot posts there with chat:write.public`);
    }
    return fail('Slack', name, `#${info.name ?? channel} (${channel}): the bot is not a member and cannot post there`, invite);
  } catch (error) {
    const failure = classifySlackFailure(error);
    if (failure.kind === 'unreachable') return fail('Slack', name, `conversations.info for ${channel} did not answer: ${failure.message}`, 'check that this host can reach Slack');
    if (failure.kind === 'refused') return fail('Slack', name, `Slack refused the bot token looking up ${channel}: ${failure.error}`, NEW_BOT_TOKEN);
    if (failure.error === 'missing_scope') {
      // manifest.yml does not ask for channels:read / groups:read (nothing else needs them), so a
      // workspace installed from it answers this; the first post finds out instead.
      return warn(
        'Slack',
        name,
        `cannot look up ${channel}: the bot token lacks ${failure.needed ?? 'channels:read / groups:read'}, so whether the bot may post there is unchecked`,
        `to have this checked, add channels:read and groups:read to the bot scopes and reinstall; meanwhile make sure the bot is in ${channel}`,
      );
    }
    if (failure.error === 'channel_not_found') {
      return fail('Slack', name, `Slack knows no channel ${channel} the bot can see (a private channel needs the bot invited first)`, `check ${variable} is the channel ID, then ${invite}`);
    }
    return fail('Slack', name, `conversations.info for ${channel} failed: ${failure.error}`, `check ${variable}`);
  }
}
