import { randomUUID } from 'node:crypto';
import { announcementOwed, cardOwed, checkDecision, nextAnnounceDelayMs, reannouncement, REQUEST_STATES, type AnnounceFailure, type Decision, type RequestDetails } from '../core/access-request.js';
import { RECORD_KEYS } from '../core/record-keys.js';
import type { RecordPlan } from '../core/record-plan.js';
import { CONFLUENCE_GROUPS } from '../core/spoke-catalogue.js';
import { findConfluenceGroupsTable } from '../servicenow/confluence-groups-table.js';
import type { PlanWriter } from '../servicenow/plan-writer.js';
import type { ServiceNowTableClient } from '../servicenow/table-client.js';
import type { AccessRequest, Connection, SpokeStore } from '../store/spoke-store.js';
import { planScopeChange } from './scope-change-plan.js';

export interface Approvers {
  isAdmin(userId: string): Promise<boolean>;
}

export type DecideResult = { ok: true; request: AccessRequest } | { ok: false; why: string };

/** A claimed try at a request's announcement; `inDoubt`: an earlier try may have posted its card. */
export interface AnnounceClaim {
  request: AccessRequest;
  inDoubt: boolean;
}

/**
 * Access requests from asking to the work that follows approval. Decisions are settled in the
 * store (one transition from "open"), not in Slack, so a double click or two approvers at once
 * make one decision. Every step is audited.
 */
/** How long another replica's claim on a request card stands before a replica takes it as abandoned. */
export const ANNOUNCE_CLAIM_MS = 2 * 60_000;

export class RequestService {
  constructor(
    private readonly deps: {
      store: SpokeStore;
      serviceNow: ServiceNowTableClient;
      writer: PlanWriter;
      approvers: Approvers;
      now: () => Date;
      reannounceEveryMs: number;
      reannounceTimes: number;
    },
  ) {}

  /**
   * This run of the bot. A claim on an announcement names the run that took it: one left by
   * another run was cut off by a crash or a kill, and no process is still working on it.
   */
  private readonly run = randomUUID();

  async submit(requester: string, details: RequestDetails, reason: string): Promise<AccessRequest> {
    const at = this.deps.now().toISOString();
    // Saved owing its card: whatever happens after this write, the outbox posts it (README, "Access requests").
    const request = await this.deps.store.createRequest({ requester, details, reason, state: 'open', createdAt: at, lastAnnouncedAt: at, reannounced: 0, announce: { attempts: 0, nextAttemptAt: at } });
    await this.audit(request, requester, 'request.created', 'ok', {});
    return request;
  }

  async decide(id: number, actor: string, decision: Exclude<Decision, 'expire'>, denyReason?: string): Promise<DecideResult> {
    const request = this.deps.store.getRequest(id);
    if (!request) return { ok: false, why: 'No such request.' };
    const isApprover = decision === 'withdraw' ? false : await this.deps.approvers.isAdmin(actor);
    const check = checkDecision(request, actor, decision, isApprover);
    if (!check.ok) {
      await this.audit(request, actor, `request.${decision}`, 'refused', { reason: check.why });
      return check;
    }
    const decided = await this.deps.store.transitionRequest(id, ['open'], {
      state: check.next,
      decidedBy: actor,
      decidedAt: this.deps.now().toISOString(),
      ...(denyReason ? { denyReason } : {}),
    });
    if (!decided) {
      const now = this.deps.store.getRequest(id)!;
      return { ok: false, why: `This request was already ${now.state}${now.decidedBy ? ` by <@${now.decidedBy}>` : ''}.` };
    }
    await this.audit(decided, actor, `request.${check.next}`, 'ok', denyReason ? { denyReason } : {});
    return { ok: true, request: decided };
  }

  /** A follow-up failed: said on the card, and open to a Retry (`step` says which part runs again). */
  async recordFailure(request: AccessRequest, actor: string, problem: string, step: 'approval' | 'scopes' = 'approval'): Promise<void> {
    await this.deps.store.transitionRequest(request.id, [request.state], { outcome: `failed: ${problem}`, followUp: { step, state: 'failed', problem } });
    await this.audit(request, actor, 'request.follow_up', 'failed', { problem, step });
  }

  /** What came of the request; a follow-up that failed before is settled by it. */
  async recordOutcome(request: AccessRequest, outcome: string): Promise<AccessRequest> {
    return (await this.deps.store.transitionRequest(request.id, [request.state], { outcome, followUp: undefined })) ?? request;
  }

  /**
   * Claims a Retry of a failed follow-up, in the store, once: a second click, or one after the
   * retry worked, finds nothing to retry. A retry left running by another run of the bot (a crash
   * cut it off) may be claimed again.
   */
  async claimRetry(id: number, actor: string): Promise<AccessRequest | undefined> {
    const before = this.deps.store.getRequest(id);
    if (!before?.followUp) return undefined;
    const retryable = (r: AccessRequest) => r.followUp !== undefined && (r.followUp.state === 'failed' || r.followUp.run !== this.run);
    const claimed = await this.deps.store.transitionRequest(id, ['approved'], { outcome: 'retrying', followUp: { ...before.followUp, state: 'retrying', run: this.run } }, retryable);
    if (claimed) await this.audit(claimed, actor, 'request.retry', 'ok', { step: before.followUp.step });
    return claimed ? structuredClone(claimed) : undefined;
  }

  /** Requests whose card or receipt is still owed, oldest first. */
  owedAnnouncements(): AccessRequest[] {
    return this.deps.store.listRequests((r) => announcementOwed(r)).map((r) => structuredClone(r));
  }

  /**
   * Claims the next try at a request's announcement, in the store before any Slack call, so the
   * try after saving, the sweep and the start-up run never post the same card twice. Refused
   * while this run has a try in flight or the next try is not due; a claim left by another run
   * is taken over at once, and marks the announcement in doubt (that try may have posted).
   */
  async claimAnnouncement(id: number): Promise<AnnounceClaim | undefined> {
    const before = this.deps.store.getRequest(id);
    if (!before || !announcementOwed(before)) return undefined;
    const now = this.deps.now();
    const current = before.announce ?? { attempts: 0, nextAttemptAt: before.createdAt };
    if (current.claim?.run === this.run) return undefined;
    // Another run's claim: with one process, that run is over (a restart). With replicas it may be
    // a live replica posting the card right now, so it counts as abandoned only once it is old.
    const claimAge = current.claim ? now.getTime() - Date.parse(current.claim.at) : 0;
    if (current.claim && this.deps.store.shared && claimAge < ANNOUNCE_CLAIM_MS) return undefined;
    const abandoned = current.claim !== undefined;
    if (!abandoned && Date.parse(current.nextAttemptAt) > now.getTime()) return undefined;
    const inDoubt = (current.inDoubt ?? false) || abandoned;
    const seen = JSON.stringify(before.announce ?? null);
    const claimed = await this.deps.store.transitionRequest(
      id,
      ['open'],
      { announce: { ...current, claim: { run: this.run, at: now.toISOString() }, ...(inDoubt ? { inDoubt } : {}) } },
      // Compare and set: nobody claimed or settled it since it was read.
      (r) => JSON.stringify(r.announce ?? null) === seen && r.card?.ts === before.card?.ts,
    );
    return claimed ? { request: structuredClone(claimed), inDoubt } : undefined;
  }

  /**
   * The card is in the channel (posted now, or found from a try that was cut off). Expiry counts
   * from here: an undecided request's clock starts when approvers could first see it.
   */
  async recordCard(id: number, card: { channel: string; ts: string }, how: 'posted' | 'found'): Promise<AccessRequest | undefined> {
    const at = this.deps.now().toISOString();
    const before = this.deps.store.getRequest(id);
    const { inDoubt: _settled, ...announce } = before?.announce ?? { attempts: 0, nextAttemptAt: at };
    // From any state: a request withdrawn while its card was on the way still gets its card recorded, to be redrawn.
    const recorded = await this.deps.store.transitionRequest(id, REQUEST_STATES, { card, lastAnnouncedAt: at, reannounced: 0, announce }, (r) => r.card === undefined);
    if (recorded) await this.audit(recorded, 'spokebot', 'request.announced', 'ok', { channel: card.channel, tries: String(announce.attempts + 1), card: how });
    return this.deps.store.getRequest(id);
  }

  /** Card and receipt are out: nothing more is owed. */
  async finishAnnouncement(id: number): Promise<void> {
    await this.deps.store.transitionRequest(id, REQUEST_STATES, { announce: undefined }, (r) => r.announce?.claim?.run === this.run);
  }

  /** A try failed: the claim is released and the next try scheduled (Retry-After, or the backoff). */
  async announceFailed(id: number, failure: AnnounceFailure, channel: string): Promise<AccessRequest | undefined> {
    const request = this.deps.store.getRequest(id);
    const current = request?.announce;
    if (!request || current?.claim?.run !== this.run) return undefined;
    const attempts = current.attempts + 1;
    const next = new Date(this.deps.now().getTime() + nextAnnounceDelayMs(attempts, failure));
    const inDoubt = (current.inDoubt ?? false) || (failure.kind === 'transient' && failure.inDoubt);
    const { claim: _released, ...rest } = current;
    return this.deps.store.transitionRequest(
      id,
      REQUEST_STATES,
      { announce: { ...rest, attempts, nextAttemptAt: next.toISOString(), lastError: failure.error, channel, ...(inDoubt ? { inDoubt } : {}) } },
      (r) => r.announce?.claim?.run === this.run,
    );
  }

  /**
   * The card is refused for a reason a person must fix: audited, and marked told so the
   * requester hears it once. Returns whether the admins still need telling: not when another
   * request is already blocked for the same reason and they heard of that one.
   */
  async announceBlocked(id: number, error: string, channel: string): Promise<{ tellAdmins: boolean } | undefined> {
    const request = this.deps.store.getRequest(id);
    if (!request?.announce || request.announce.toldAt !== undefined) return undefined;
    const others = this.deps.store.listRequests((r) => r.id !== id && cardOwed(r) && r.announce?.toldAt !== undefined && r.announce.lastError === error && r.announce.channel === channel);
    const seen = JSON.stringify(request.announce);
    const marked = await this.deps.store.transitionRequest(id, ['open'], { announce: { ...request.announce, toldAt: this.deps.now().toISOString() } }, (r) => JSON.stringify(r.announce ?? null) === seen);
    if (!marked) return undefined;
    await this.audit(marked, 'spokebot', 'request.announce_blocked', 'failed', { channel, error });
    return { tellAdmins: others.length === 0 };
  }

  /**
   * Approved Confluence groups go into the spoke's Confluence Groups table, once each. Where this
   * instance has no such table, nothing is written and the answer says where to add them by hand.
   */
  async addConfluenceGroups(request: AccessRequest, actor: string): Promise<string> {
    if (request.details.kind !== 'confluence_group') throw new Error('not a Confluence group request');
    const connection = this.connection(request.details.connection);
    const alias = connection.records[RECORD_KEYS.alias] ?? '';
    const groups = await findConfluenceGroupsTable(this.deps.serviceNow);
    if (groups === undefined) {
      await this.audit(request, actor, 'request.follow_up', 'failed', { problem: 'no Confluence Groups table on the instance' });
      return `This instance has no Confluence Groups table spokebot can find, so nothing was written. Add ${request.details.groups.join(', ')} by hand in ServiceNow: ${CONFLUENCE_GROUPS.menuPath}, for the alias of ${connection.name}.`;
    }
    const written: string[] = [];
    for (const group of request.details.groups) {
      const match = { [groups.nameColumn]: group, [groups.aliasColumn]: alias };
      const existing = await this.deps.serviceNow.findOne(groups.table, match);
      const row = existing ?? (await this.deps.serviceNow.createRecord(groups.table, match));
      written.push(`${group} (${existing ? 'already there' : 'added'}, ${row.sys_id})`);
      await this.audit(request, actor, 'servicenow.write', 'ok', { table: groups.table, sysId: row.sys_id, outcome: existing ? 'unchanged' : 'created' });
    }
    return `Confluence groups for ${connection.name}: ${written.join(', ')}`;
  }

  scopePlan(request: AccessRequest): RecordPlan {
    if (request.details.kind !== 'more_scopes') throw new Error('not a scope request');
    return planScopeChange(this.connection(request.details.connection), request.details.scopes);
  }

  /** Claims the confirmation of a scope change, once: a second click finds it taken. */
  async claimScopeConfirmation(id: number, actor: string): Promise<AccessRequest | undefined> {
    const request = this.deps.store.getRequest(id);
    if (request?.state !== 'approved' || request.details.kind !== 'more_scopes' || request.decidedBy !== actor) return undefined;
    const claimed = (r: AccessRequest) => r.outcome?.startsWith('scopes confirmed') ?? false;
    // After a failed write Confirm works again, like Retry; never while a Retry is running.
    const free = (r: AccessRequest) => r.followUp === undefined || (r.followUp.step === 'scopes' && r.followUp.state === 'failed');
    return this.deps.store.transitionRequest(id, ['approved'], { outcome: `scopes confirmed by <@${actor}>`, followUp: undefined }, (r) => !claimed(r) && free(r));
  }

  /** Writes the approved scope rows; the caller then posts a fresh consent link. */
  async writeScopes(request: AccessRequest, actor: string): Promise<Connection> {
    if (request.details.kind !== 'more_scopes') throw new Error('not a scope request');
    const connection = this.connection(request.details.connection);
    const written = await this.deps.writer.write(this.scopePlan(request), {});
    for (const record of written.values()) {
      if (record.outcome !== 'found') await this.audit(request, actor, 'servicenow.write', 'ok', { table: record.table, sysId: record.sysId, outcome: record.outcome });
    }
    const added = request.details.scopes;
    // Onto the connection as it is now, not the copy read before the write: a rotation or a
    // removal that landed meanwhile stands.
    const updated = await this.deps.store.transitionConnection(connection.name, ['connected', 'awaiting_consent'], (current) => ({ scopes: [...new Set([...current.scopes, ...added])] }));
    if (!updated) throw new Error(`connection ${connection.name} was removed while its scopes were written`);
    return updated;
  }

  /** Requests due for another announcement, and those that waited too long and now expire. */
  async sweepUndecided(): Promise<{ reannounce: AccessRequest[]; expired: AccessRequest[] }> {
    const now = this.deps.now();
    const out = { reannounce: [] as AccessRequest[], expired: [] as AccessRequest[] };
    for (const request of this.deps.store.listRequests((r) => r.state === 'open')) {
      // Never seen by the approvers: nothing to remind them of, and no clock running towards expiry.
      if (cardOwed(request)) continue;
      const due = reannouncement(request, now, this.deps.reannounceEveryMs, this.deps.reannounceTimes);
      if (due === 'reannounce') {
        const moved = await this.deps.store.transitionRequest(request.id, ['open'], { lastAnnouncedAt: now.toISOString(), reannounced: request.reannounced + 1 });
        if (moved) {
          await this.audit(moved, 'spokebot', 'request.reannounced', 'ok', { times: String(moved.reannounced) });
          out.reannounce.push(moved);
        }
      } else if (due === 'expire') {
        const moved = await this.deps.store.transitionRequest(request.id, ['open'], { state: 'expired', decidedAt: now.toISOString() });
        if (moved) {
          await this.audit(moved, 'spokebot', 'request.expired', 'ok', {});
          out.expired.push(moved);
        }
      }
    }
    return out;
  }

  private connection(name: string): Connection {
    const connection = this.deps.store.getConnection(name);
    if (!connection || connection.state === 'removed') throw new Error(`no active connection ${name}`);
    return connection;
  }

  private audit(request: AccessRequest, actor: string, action: string, outcome: 'ok' | 'refused' | 'failed', detail: Record<string, string>) {
    const connection = 'connection' in request.details ? request.details.connection : undefined;
    return this.deps.store.audit({ actor, action, outcome, ...(connection ? { connection } : {}), detail: { request: String(request.id), kind: request.details.kind, ...detail } });
  }
}
