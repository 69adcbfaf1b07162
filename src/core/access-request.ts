import { z } from 'zod';
import { checkSite } from './site.js';
import { malformedScopes, parseScopes } from './scopes.js';
import { SPOKE_IDS } from './spoke-catalogue.js';

/**
 * Access requests (README, "Access requests and the audit log"): what a team asks for, the states a request goes through,
 * and who may move it. Pure rules; the store applies a transition atomically.
 */
export const REQUEST_KINDS = ['new_connection', 'confluence_group', 'more_scopes'] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];
export const REQUEST_KIND_LABELS: Record<RequestKind, string> = {
  new_connection: 'A new connection',
  confluence_group: 'A Confluence group for a connection',
  more_scopes: 'More scopes on a connection',
};

export const REQUEST_STATES = ['open', 'approved', 'denied', 'withdrawn', 'expired'] as const;
export type RequestState = (typeof REQUEST_STATES)[number];

export const REQUEST_FIELDS = ['kind', 'spoke', 'site', 'team', 'connection', 'groups', 'scopes', 'reason'] as const;
export type RequestField = (typeof REQUEST_FIELDS)[number];

/** Which fields each kind asks for, in order. */
export const KIND_FIELDS: Record<RequestKind, readonly RequestField[]> = {
  new_connection: ['spoke', 'site', 'team', 'reason'],
  confluence_group: ['connection', 'groups', 'reason'],
  more_scopes: ['connection', 'scopes', 'reason'],
};

export const requestDetailsSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('new_connection'), spoke: z.enum(SPOKE_IDS), site: z.string(), team: z.string() }),
  z.object({ kind: z.literal('confluence_group'), connection: z.string(), groups: z.array(z.string()) }),
  z.object({ kind: z.literal('more_scopes'), connection: z.string(), scopes: z.array(z.string()) }),
]);
export type RequestDetails = z.infer<typeof requestDetailsSchema>;

export interface RequestInput {
  kind: string;
  spoke: string;
  site: string;
  team: string;
  connection: string;
  groups: string;
  scopes: string;
  reason: string;
}

export interface RequestContext {
  allowlist: readonly string[];
  /** Active connections by name, with their spoke, method and scopes. */
  connections: ReadonlyMap<string, { spoke: string; method: string; scopes: readonly string[] }>;
}

/** Confluence group names: letters, digits, spaces and - _ . (no `^`, they go into queries). */
const GROUP = /^[A-Za-z0-9][A-Za-z0-9 _.-]{0,99}$/;

export type ParsedRequest = { ok: true; details: RequestDetails; reason: string } | { ok: false; errors: Partial<Record<RequestField, string>> };

export function parseRequest(input: RequestInput, context: RequestContext): ParsedRequest {
  const errors: Partial<Record<RequestField, string>> = {};
  const reason = input.reason.trim();
  if (reason.length < 10) errors.reason = 'Say what it is for, in a sentence (approvers decide on this).';
  const connection = () => {
    const known = context.connections.get(input.connection);
    if (!known) errors.connection = 'Choose one of the connections spokebot knows.';
    return known;
  };
  let details: RequestDetails | undefined;
  switch (input.kind) {
    case 'new_connection': {
      const spoke = SPOKE_IDS.find((s) => s === input.spoke);
      if (!spoke) errors.spoke = 'Choose Jira, JSM or Confluence.';
      const site = checkSite(input.site, context.allowlist);
      if (!site.ok) errors.site = site.message;
      if (!input.team.trim()) errors.team = 'Which team is asking?';
      if (spoke && site.ok) details = { kind: 'new_connection', spoke, site: site.origin, team: input.team.trim() };
      break;
    }
    case 'confluence_group': {
      const known = connection();
      if (known && known.spoke !== 'confluence') errors.connection = 'Confluence groups belong to a Confluence connection.';
      const groups = input.groups.split(',').map((g) => g.trim()).filter(Boolean);
      if (groups.length === 0) errors.groups = 'Name at least one group, comma-separated.';
      else if (groups.some((g) => !GROUP.test(g))) errors.groups = 'Group names use letters, digits, spaces and - _ . only.';
      if (known) details = { kind: 'confluence_group', connection: input.connection, groups };
      break;
    }
    case 'more_scopes': {
      const known = connection();
      // New scopes take a new consent, which only an OAuth 2.0 (3LO) connection has.
      if (known && known.method !== 'oauth_3lo') errors.connection = 'Only OAuth 2.0 (3LO) connections take more scopes through a new consent.';
      const scopes = parseScopes(input.scopes);
      const bad = malformedScopes(scopes);
      const fresh = scopes.filter((s) => !known?.scopes.includes(s));
      if (scopes.length === 0) errors.scopes = 'Which scopes? Space-separated, like read:jira-work.';
      else if (bad.length > 0) errors.scopes = `Not a scope: ${bad.join(', ')}.`;
      else if (known && fresh.length === 0) errors.scopes = 'The connection already has all of these scopes.';
      if (known) details = { kind: 'more_scopes', connection: input.connection, scopes };
      break;
    }
    default:
      errors.kind = 'Choose what you need.';
  }
  if (Object.keys(errors).length > 0 || !details) return { ok: false, errors };
  return { ok: true, details, reason };
}

export type Decision = 'approve' | 'deny' | 'withdraw' | 'expire';

export type DecisionCheck = { ok: true; next: RequestState } | { ok: false; why: string };

/** Who may move a request, and where to. Nobody decides their own request; only its requester withdraws it. */
export function checkDecision(request: { state: RequestState; requester: string }, actor: string, decision: Decision, actorIsApprover: boolean): DecisionCheck {
  if (request.state !== 'open') return { ok: false, why: `This request was already ${request.state}.` };
  switch (decision) {
    case 'approve':
    case 'deny':
      if (actor === request.requester) return { ok: false, why: 'Nobody decides their own request: another approver must.' };
      if (!actorIsApprover) return { ok: false, why: 'Only approvers can decide requests.' };
      return { ok: true, next: decision === 'approve' ? 'approved' : 'denied' };
    case 'withdraw':
      if (actor !== request.requester) return { ok: false, why: 'Only the person who asked can withdraw a request.' };
      return { ok: true, next: 'withdrawn' };
    case 'expire':
      return { ok: true, next: 'expired' };
  }
}

/** Undecided requests are re-announced every `everyMs`, at most `times` times, then expire. */
export function reannouncement(request: { state: RequestState; lastAnnouncedAt: string; reannounced: number }, now: Date, everyMs: number, times: number): 'none' | 'reannounce' | 'expire' {
  if (request.state !== 'open') return 'none';
  if (now.getTime() - Date.parse(request.lastAnnouncedAt) < everyMs) return 'none';
  return request.reannounced < times ? 'reannounce' : 'expire';
}

/**
 * The approvers' card is owed by every open request that has none yet. A request saved before
 * the outbox existed has no `announce` record but is owed all the same (the cards a crash lost).
 */
export function cardOwed(request: { state: RequestState; card?: unknown }): boolean {
  return request.state === 'open' && request.card === undefined;
}

/** The card, or after it the requester's receipt, is still to go out. */
export function announcementOwed(request: { state: RequestState; card?: unknown; announce?: unknown }): boolean {
  return request.state === 'open' && (request.announce !== undefined || request.card === undefined);
}

/**
 * Slack refusals no wait fixes: a person has to invite the bot, unarchive the channel or grant a
 * scope. The requester and the admins are told; the card is still tried, slowly, so it goes out
 * soon after someone fixes it.
 */
export const ANNOUNCE_BLOCKERS = ['not_in_channel', 'channel_not_found', 'is_archived', 'missing_scope'] as const;

export type AnnounceFailure =
  | { kind: 'ratelimited'; error: string; retryAfterMs: number }
  | { kind: 'blocked'; error: string }
  /** `inDoubt`: the try may have reached Slack (no answer, 5xx), so its card may exist. */
  | { kind: 'transient'; error: string; inDoubt: boolean };

export const ANNOUNCE_RETRY = { firstMs: 30_000, maxMs: 30 * 60_000, blockedFirstMs: 5 * 60_000 } as const;

export function isAnnounceBlocker(error: string): boolean {
  return (ANNOUNCE_BLOCKERS as readonly string[]).includes(error);
}

/**
 * How long after failed try number `attempts` (1 for the first) the next is due: what Retry-After
 * says on a 429; otherwise 30 s doubling up to 30 min, starting at 5 min for a refusal a person must fix.
 */
export function nextAnnounceDelayMs(attempts: number, failure: AnnounceFailure): number {
  if (failure.kind === 'ratelimited') return Math.max(failure.retryAfterMs, 1000);
  const doubled = ANNOUNCE_RETRY.firstMs * 2 ** Math.min(Math.max(attempts - 1, 0), 16);
  const floor = failure.kind === 'blocked' ? ANNOUNCE_RETRY.blockedFirstMs : 0;
  return Math.min(Math.max(doubled, floor), ANNOUNCE_RETRY.maxMs);
}
