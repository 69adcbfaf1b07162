import { WebAPIHTTPError, WebAPIPlatformError, WebAPIRateLimitedError, WebAPIRequestError, WebClient } from '@slack/web-api';
import { isAnnounceBlocker, type AnnounceFailure } from '../../core/access-request.js';
import type { AccessRequest } from '../../store/spoke-store.js';
import { adminBlockedMessage, CARD_EVENT_TYPE, requesterBlockedMessage } from '../blocks/request-announce.js';
import { requestCard, requestReceivedMessage } from '../blocks/request-card.js';
import type { Message } from '../blocks/setup-messages.js';
import { boltLogger } from '../bolt-logger.js';
import type { SlackDeps } from '../deps.js';

/** `skipped`: not owed, not due, or in flight already. */
export type TryResult = 'done' | 'skipped' | 'failed' | 'ratelimited';

/**
 * The outbox of access requests: each saved request owes a card in the approvers' channel and
 * then a receipt to its requester, and this posts them from the store. It runs after each save
 * (in the background, after the ack), on every sweep, and at start, so a crash between saving
 * and posting delays a card but never loses it.
 *
 * Every try is claimed in the store before Slack is called (RequestService.claimAnnouncement),
 * so the three never post the same card twice within a run. What remains: the process can die
 * after Slack took the card but before the store recorded it. The next run sees the claim the
 * dead run left, and looks for the card by its metadata (conversations.history) before posting
 * again; that needs channels:history (groups:history for a private channel), which manifest.yml
 * does not ask for. Without it, or when the card is older than the 200 latest messages, the card
 * is posted again: approvers may see it twice, and a decision on either is still made once.
 */
export class RequestOutbox {
  private oneTry: WebClient | undefined;

  constructor(
    private readonly deps: SlackDeps,
    private readonly client: WebClient,
  ) {}

  /** Every owed announcement that is due, one at a time. A 429 ends the round: the channel's limit holds for the rest too. */
  async sweep(): Promise<void> {
    for (const request of this.deps.requests.owedAnnouncements()) {
      if ((await this.tryOne(request.id)) === 'ratelimited') break;
    }
  }

  /** One try at request `id`'s announcement, if it is owed, due and not in flight already. */
  async tryOne(id: number): Promise<TryResult> {
    const channel = this.deps.approvalChannel;
    // Requests are refused while no channel is set; one saved before it was unset waits for it.
    if (!channel) return 'skipped';
    const claimed = await this.deps.requests.claimAnnouncement(id);
    if (!claimed) return 'skipped';
    let request = claimed.request;
    let stage: 'card' | 'receipt' = 'card';
    try {
      if (!request.card) {
        const found = claimed.inDoubt ? await this.findCard(channel, id) : undefined;
        const card = found ?? (await this.postCard(channel, request));
        request = (await this.deps.requests.recordCard(id, card, found ? 'found' : 'posted')) ?? request;
      }
      stage = 'receipt';
      // Withdrawn while its card was on the way: the card shows that, and nobody needs a receipt.
      if (request.state !== 'open' && request.card) await this.client.chat.update({ channel: request.card.channel, ts: request.card.ts, ...requestCard(request) });
      else await this.dm(request.requester, requestReceivedMessage(request));
      await this.deps.requests.finishAnnouncement(id);
      return 'done';
    } catch (error) {
      const failure = stage === 'receipt' ? { kind: 'transient' as const, error: errorCode(error), inDoubt: false } : classify(error);
      this.deps.logger.warn({ request: id, stage, error: failure.error, kind: failure.kind }, 'access request not announced yet; will try again');
      const failed = await this.deps.requests.announceFailed(id, failure, channel);
      if (failed && failure.kind === 'blocked') await this.tellBlocked(failed, failure.error, channel);
      return failure.kind === 'ratelimited' ? 'ratelimited' : 'failed';
    }
  }

  private async postCard(channel: string, request: AccessRequest): Promise<{ channel: string; ts: string }> {
    const posted = await this.slack().chat.postMessage({
      channel,
      ...requestCard(request),
      metadata: { event_type: CARD_EVENT_TYPE, event_payload: { request_id: String(request.id) } },
    });
    return { channel: String(posted.channel), ts: String(posted.ts) };
  }

  /**
   * A card a cut-off try may have posted, found by its metadata among the channel's latest
   * messages. Undefined when there is none, or when Slack will not say (no history scope):
   * then the card is posted (again) rather than left unannounced.
   */
  private async findCard(channel: string, id: number): Promise<{ channel: string; ts: string } | undefined> {
    try {
      const history = await this.slack().conversations.history({ channel, limit: 200, include_all_metadata: true });
      const card = history.messages?.find((m) => m.metadata?.event_type === CARD_EVENT_TYPE && String((m.metadata.event_payload as Record<string, unknown> | undefined)?.request_id) === String(id));
      return card?.ts ? { channel, ts: card.ts } : undefined;
    } catch (error) {
      const failure = classify(error);
      // A wait may answer later; a refusal will not, and a possible duplicate beats no card.
      if (failure.kind !== 'blocked') throw error;
      this.deps.logger.warn({ request: id, error: failure.error }, 'cannot look for a card an interrupted try may have posted; posting it, so approvers may see it twice');
      return undefined;
    }
  }

  /** The requester hears once what stops the card and what to do; the admins once per channel and reason. */
  private async tellBlocked(request: AccessRequest, error: string, channel: string): Promise<void> {
    const told = await this.deps.requests.announceBlocked(request.id, error, channel);
    if (!told) return;
    const recipients = [request.requester, ...(told.tellAdmins ? (await this.deps.admins.named()).filter((a) => a !== request.requester) : [])];
    for (const [i, user] of recipients.entries()) {
      const message = i === 0 ? requesterBlockedMessage(request, error, channel) : adminBlockedMessage(request, error, channel);
      await this.dm(user, message).catch((failure: unknown) => this.deps.logger.warn({ request: request.id, user, error: errorCode(failure) }, 'could not tell about a blocked request card'));
    }
  }

  private async dm(userId: string, message: Message): Promise<void> {
    const dm = await this.client.conversations.open({ users: userId });
    if (dm.channel?.id) await this.client.chat.postMessage({ channel: dm.channel.id, ...message });
  }

  /**
   * The outbox's own client: one HTTP request per try, and a 429 handed back with its
   * Retry-After, so the backoff lives in the store and a try does not hold its claim for the
   * half hour the shared client may spend retrying.
   */
  private slack(): WebClient {
    this.oneTry ??= new WebClient(this.client.token, {
      slackApiUrl: this.client.slackApiUrl,
      logger: boltLogger(this.deps.logger),
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      timeout: 30_000,
    });
    return this.oneTry;
  }
}

/** A Slack failure as the outbox sees it: wait as told, wait and double, or tell a person. */
function classify(error: unknown): AnnounceFailure {
  if (error instanceof WebAPIRateLimitedError) return { kind: 'ratelimited', error: 'ratelimited', retryAfterMs: error.retryAfter * 1000 };
  if (error instanceof WebAPIPlatformError) {
    const code = String(error.data.error);
    if (isAnnounceBlocker(code)) return { kind: 'blocked', error: code };
    // Slack answered and said no: nothing was posted.
    return { kind: 'transient', error: code, inDoubt: false };
  }
  // No answer, a 5xx, or a failure after Slack answered (the store write): the card may exist.
  return { kind: 'transient', error: errorCode(error), inDoubt: true };
}

function errorCode(error: unknown): string {
  if (error instanceof WebAPIPlatformError) return String(error.data.error);
  if (error instanceof WebAPIHTTPError) return `HTTP ${error.statusCode}`;
  if (error instanceof WebAPIRequestError) return `no answer from Slack (${error.original.message})`;
  return error instanceof Error ? error.message : String(error);
}
