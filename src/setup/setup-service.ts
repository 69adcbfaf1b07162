import { consentLink } from '../core/consent-link.js';
import { RECORD_KEYS } from '../core/record-keys.js';
import { planRecords } from '../core/plan-for-method.js';
import { adviceFor, type FieldAdvice } from '../core/verification-advice.js';
import { CredentialRejectedError } from '../atlassian/errors.js';
import type { CredentialVerifier } from './credential-verifier.js';
import { ConnectionNameHeldError, SetupEndedError } from './setup-conflicts.js';
import { SignInDeferredError, type SignInLimiter, type SignInSubject } from './sign-in-limiter.js';
import type { AliasPreview, RecordPlan } from '../core/record-plan.js';
import { SPOKES } from '../core/spoke-catalogue.js';
import { decideAlias } from '../servicenow/shipped-alias.js';
import type { SetupRequest } from '../core/setup-request.js';
import { SpokeError } from '../errors.js';
import type { TenantInfoClient } from '../atlassian/tenant-info.js';
import { EARLIEST_ZONE, endOfDay } from '../core/calendar.js';
import { lookForConsent, takeBaseline, threeLeggedCredentials, waitForConsent, type ConsentEvidence, type TokenBaseline, type TokenOwner } from '../servicenow/consent-watcher.js';
import { PlanWriteError, type PlanWriter, type WrittenRecord } from '../servicenow/plan-writer.js';
import { ServiceNowError } from '../servicenow/errors.js';
import type { ServiceNowRecord, ServiceNowTableClient } from '../servicenow/table-client.js';
import type { PendingSetup, SpokeStore } from '../store/spoke-store.js';

/**
 * Where cancel can end a setup: nothing of it is in ServiceNow yet, or what is there is left for
 * Retry. Once the records are written and wait for a consent, the connection exists, and ending
 * it is `/spoke remove`.
 */
export const CANCELLABLE_STATUSES: readonly PendingSetup['status'][] = ['checking_site', 'site_failed', 'credential_failed', 'planned', 'write_failed'];

export interface SetupServiceConfig {
  instanceUrl: string;
  authUrl: string;
  apiUrl: string;
  setupTtlMs: number;
  /** A setup waiting on the admin this long since it last moved is expired, its secret wiped. */
  setupIdleMs: number;
  consentTimeoutMs: number;
  consentFirstPollMs?: number;
}

export interface SetupServiceDeps {
  store: SpokeStore;
  serviceNow: ServiceNowTableClient;
  writer: PlanWriter;
  tenantInfo: TenantInfoClient;
  verifier: CredentialVerifier;
  /** Shared with rotation and health checks: one budget of sign-ins per Atlassian account. */
  signIns: SignInLimiter;
  config: SetupServiceConfig;
  now?: () => Date;
}

export type DiscoverResult =
  | { ok: true; setup: PendingSetup; plan: RecordPlan }
  /** `advice` names the form field to fix when Atlassian refused the credential. */
  | { ok: false; setup: PendingSetup; error: SpokeError; advice?: FieldAdvice };

export type ConfirmResult =
  /** `link` is ServiceNow's consent link for 3LO; API tokens and service accounts are connected at once. */
  | { ok: true; setup: PendingSetup; link?: string; written: WrittenRecord[] }
  | { ok: false; reason: 'not_owner' | 'not_ready'; setup?: PendingSetup }
  | { ok: false; reason: 'write_failed'; setup: PendingSetup; error: PlanWriteError }
  /** ServiceNow now has a record of this name the plan did not warn of: nothing written, the plan to draw again. */
  | { ok: false; reason: 'plan_changed'; setup: PendingSetup; plan: RecordPlan };

/**
 * The setup of one connection (3LO, API token or service account), from a validated request to
 * "connected", with no Slack in it: the Slack listeners ack, call these steps after the ack, and
 * turn the results into views and messages. Every step is audited.
 */
export class SetupService {
  private readonly now: () => Date;

  constructor(private readonly deps: SetupServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async begin(request: SetupRequest, userId: string, viewId?: string): Promise<PendingSetup> {
    if (!request.secret) throw new Error('a new setup needs its secret');
    const setup = await this.deps.store.createSetup(request, userId, this.deps.config.setupTtlMs, viewId);
    await this.audit(setup, userId, 'setup.started', 'ok', { site: request.siteOrigin, scopes: request.scopes });
    return setup;
  }

  /**
   * Applies an edited form to a setup whose site check failed. An empty secret keeps the one the
   * setup holds; if the setup is gone (expired, cancelled, someone else's), a form with a secret
   * starts afresh and one without comes back `undefined`: the admin must type it again.
   */
  async resubmit(setupId: string, request: SetupRequest, userId: string, viewId?: string): Promise<PendingSetup | undefined> {
    const { secret, ...fields } = request;
    const held = this.deps.store.getSetup(setupId);
    const mine = held?.userId === userId && held.method === request.method && (secret !== '' || held.sealedSecret !== undefined);
    const setup = mine ? await this.deps.store.transitionSetup(setupId, ['site_failed', 'credential_failed', 'planned'], { ...fields, status: 'checking_site' }) : undefined;
    if (!setup) return secret ? this.begin(request, userId, viewId) : undefined;
    if (secret) await this.deps.store.resealSecret(setupId, secret);
    return setup;
  }

  async discoverSite(setupId: string): Promise<DiscoverResult> {
    const setup = this.requireSetup(setupId);
    // Another admin's setup holds the name: said before anything goes to Atlassian.
    const holder = this.deps.store.nameHolder(setup);
    if (holder) return this.nameHeld(setup, holder);
    // Over the budget, not even the Cloud ID lookup goes out: the answer would be the same.
    const subject = this.signInSubject(setup);
    const block = subject ? this.deps.signIns.blocked(subject) : undefined;
    if (block) return this.deferred(setup, new SignInDeferredError(block.reason, block.retryAt, this.now()));
    let cloudId: string;
    try {
      cloudId = await this.deps.tenantInfo.discoverCloudId(setup.siteOrigin);
    } catch (error) {
      if (!(error instanceof SpokeError)) throw error;
      const failed = await this.deps.store.transitionSetup(setupId, ['checking_site'], { status: 'site_failed', failure: describe(error) });
      if (!failed) return this.ended(setupId);
      await this.audit(failed, setup.userId, 'setup.site_failed', 'failed', { reason: error.code });
      return { ok: false, setup: failed, error };
    }
    const refused = await this.verifyBeforeWriting(setup, cloudId);
    if (refused) return refused;
    // The plan reserves the name, looked up and taken in one step: of two setups of one name
    // checked at the same time, one plans and the other is told who holds it.
    const outcome = await this.deps.store.planSetup(setupId, { cloudId });
    if (!outcome) return this.ended(setupId);
    if ('heldBy' in outcome) return this.nameHeld(setup, outcome.heldBy, cloudId);
    for (const replaced of outcome.superseded) await this.audit(replaced, setup.userId, 'setup.superseded', 'ok', { by: setupId });
    const planned = outcome.planned;
    await this.audit(planned, setup.userId, 'setup.planned', 'ok', { cloudId });
    return { ok: true, setup: planned, plan: await this.planToShow(planned) };
  }

  /** The form comes back with who holds the name; the setup may be resubmitted with another. */
  private async nameHeld(setup: PendingSetup, holder: PendingSetup, cloudId?: string): Promise<DiscoverResult> {
    const error = new ConnectionNameHeldError(setup.connectionName, holder, this.now());
    const failed = await this.deps.store.transitionSetup(setup.id, ['checking_site'], { ...(cloudId ? { cloudId } : {}), status: 'site_failed', failure: describe(error) });
    if (!failed) return this.ended(setup.id);
    await this.audit(failed, setup.userId, 'setup.name_held', 'refused', { heldBy: holder.id });
    return { ok: false, setup: failed, error, advice: { field: 'connectionName', message: error.advice } };
  }

  /** The setup ended (cancelled, expired, replaced) while its check ran: nothing to show for it. */
  private ended(setupId: string): DiscoverResult {
    const setup = this.requireSetup(setupId);
    return { ok: false, setup, error: new SetupEndedError(setup.status) };
  }

  /**
   * The plan as the admin should see it now: with a warning for each record Confirm would take
   * over. Those warnings are kept with the setup: Confirm compares what it finds with them.
   */
  async planToShow(setup: PendingSetup): Promise<RecordPlan> {
    const plan = this.planFor(setup);
    const [takeovers, alias] = await Promise.all([this.takeoverWarnings(setup, plan), this.aliasPreview(setup)]);
    // Saved only when they changed: drawing the same plan again (after a restart) is not the admin acting.
    if (!sameList(this.deps.store.getSetup(setup.id)?.shownWarnings ?? [], takeovers)) await this.deps.store.transitionSetup(setup.id, ['planned'], { shownWarnings: takeovers });
    return { ...plan, warnings: [...plan.warnings, ...takeovers], ...(alias ? { alias } : {}) };
  }

  /**
   * Confirm looks at ServiceNow again: a record of this name may have appeared (or changed hands)
   * since the plan was drawn. A takeover the admin was not shown refuses this Confirm and comes
   * back with the plan to draw again, the warning in it; confirmed again, it goes ahead.
   */
  private async takeoverSinceShown(setup: PendingSetup): Promise<{ setup: PendingSetup; plan: RecordPlan; unseen: string[] } | undefined> {
    const plan = this.planFor(setup);
    const takeovers = await this.takeoverWarnings(setup, plan);
    const shown = new Set(setup.shownWarnings ?? []);
    const unseen = takeovers.filter((warning) => !shown.has(warning));
    if (unseen.length === 0) return undefined;
    const redrawn = await this.deps.store.transitionSetup(setup.id, ['planned'], { shownWarnings: takeovers });
    if (!redrawn) return undefined;
    const alias = await this.aliasPreview(redrawn);
    return { setup: redrawn, plan: { ...plan, warnings: [...plan.warnings, ...takeovers], ...(alias ? { alias } : {}) }, unseen };
  }

  /**
   * Which alias the connection would go under, asked of ServiceNow now so the plan can say it;
   * the writer asks again when it writes. No answer (ServiceNow down, spoke not installed) leaves
   * the plan saying it is decided when writing, where a missing spoke is reported with its fix.
   */
  private async aliasPreview(setup: PendingSetup): Promise<AliasPreview | undefined> {
    try {
      const decision = await decideAlias(this.deps.serviceNow, SPOKES[setup.spoke], setup.connectionName);
      if (!decision) return undefined;
      const shipped = String(decision.shipped.name ?? SPOKES[setup.spoke].aliasName);
      if (decision.existingChild) return { shipped, child: { name: setup.connectionName, servedBy: decision.servedBy, exists: true } };
      if (decision.useShipped) return { shipped };
      return { shipped, child: { name: setup.connectionName, servedBy: decision.servedBy, exists: false } };
    } catch (error) {
      if (!(error instanceof ServiceNowError)) throw error;
      return undefined;
    }
  }
  /** API tokens and service accounts are proven to work before anything is written; once, never in a loop. */
  private async verifyBeforeWriting(setup: PendingSetup, cloudId: string): Promise<DiscoverResult | undefined> {
    const subject = this.signInSubject(setup);
    if (!subject) return undefined;
    try {
      await this.deps.signIns.attempt(subject, () => this.deps.verifier.verify({ ...setup, cloudId, secret: subject.secret }));
      await this.audit(setup, setup.userId, 'setup.credential_verified', 'ok', { method: setup.method });
      return undefined;
    } catch (error) {
      if (error instanceof SignInDeferredError) return this.deferred(setup, error, cloudId);
      if (!(error instanceof CredentialRejectedError)) throw error;
      const advice = adviceFor(error.reason, setup.method, setup.scopedToken ?? false);
      const failed = await this.deps.store.transitionSetup(setup.id, ['checking_site'], { cloudId, status: 'credential_failed', failure: { code: error.code, message: error.message, hint: advice.message } });
      if (!failed) return this.ended(setup.id);
      await this.audit(failed, setup.userId, 'setup.credential_failed', 'failed', { reason: error.reason, status: error.status ?? 0 });
      return { ok: false, setup: failed, error, advice };
    }
  }

  /** What a sign-in for this setup would use; none for 3LO, where ServiceNow signs in. */
  private signInSubject(setup: PendingSetup): SignInSubject | undefined {
    if (setup.method === 'oauth_3lo') return undefined;
    return {
      method: setup.method,
      siteOrigin: setup.siteOrigin,
      ...(setup.email ? { email: setup.email } : {}),
      ...(setup.clientId ? { clientId: setup.clientId } : {}),
      secret: this.deps.store.revealSecret(setup) ?? '',
    };
  }

  /** A sign-in held back: the form comes back saying when to try again; the setup may be resubmitted. */
  private async deferred(setup: PendingSetup, error: SignInDeferredError, cloudId?: string): Promise<DiscoverResult> {
    const field = error.reason === 'refused' ? (setup.method === 'api_token' ? 'apiToken' : 'clientSecret') : setup.method === 'api_token' ? 'email' : 'clientId';
    const failed = await this.deps.store.transitionSetup(setup.id, ['checking_site'], { ...(cloudId ? { cloudId } : {}), status: 'credential_failed', failure: describe(error) });
    if (!failed) return this.ended(setup.id);
    await this.audit(failed, setup.userId, 'setup.sign_in_deferred', 'refused', { reason: error.reason, retryAt: error.retryAt.toISOString() });
    return { ok: false, setup: failed, error, advice: { field, message: `${error.message}. ${error.hint}` } };
  }

  /**
   * Records are found by name, so a name already in use means Confirm updates that record. Say
   * so in the plan when it belongs to something else (another client ID, another URL).
   */
  private async takeoverWarnings(setup: PendingSetup, plan: RecordPlan): Promise<string[]> {
    const connectionUrl = plan.records.find((r) => r.key === RECORD_KEYS.connection)?.fields.connection_url;
    let entity: ServiceNowRecord | undefined;
    let connection: ServiceNowRecord | undefined;
    try {
      [entity, connection] = await Promise.all([
        this.deps.serviceNow.findOne('oauth_entity', { name: setup.connectionName }),
        this.deps.serviceNow.findOne('http_connection', { name: setup.connectionName }),
      ]);
    } catch (error) {
      if (!(error instanceof ServiceNowError)) throw error;
      return [`spokebot could not check ServiceNow for records already named "${setup.connectionName}" (${error.code}). Confirm still looks before it writes.`];
    }
    const warnings: string[] = [];
    if (entity && entity.client_id !== setup.clientId) {
      warnings.push(`An application registry named "${setup.connectionName}" already exists with another client ID; Confirm will overwrite its client ID and secret. Choose another connection name to keep it.`);
    }
    if (connection && typeof connectionUrl === 'string' && connection.connection_url !== connectionUrl) {
      warnings.push(`The connection "${setup.connectionName}" already points at ${String(connection.connection_url)}; Confirm will point it at ${connectionUrl}.`);
    }
    return warnings;
  }

  planFor(setup: PendingSetup): RecordPlan {
    if (!setup.cloudId) throw new Error(`setup ${setup.id} has no Cloud ID yet`);
    const request: SetupRequest = { ...setup, secret: '' };
    return planRecords(request, setup.cloudId, { authUrl: this.deps.config.authUrl, apiUrl: this.deps.config.apiUrl });
  }

  /** Writes (or, after a failure, resumes writing) the records; only the admin who started may. */
  async confirm(setupId: string, userId: string, onRecord?: (record: WrittenRecord) => void): Promise<ConfirmResult> {
    const existing = this.deps.store.getSetup(setupId);
    if (!existing) return { ok: false, reason: 'not_ready' };
    if (existing.userId !== userId) {
      await this.audit(existing, userId, 'setup.confirm', 'refused', { reason: 'not the admin who started it' });
      return { ok: false, reason: 'not_owner', setup: existing };
    }
    if (existing.status === 'planned') {
      const changed = await this.takeoverSinceShown(existing);
      if (changed) {
        await this.audit(existing, userId, 'setup.confirm', 'refused', { reason: 'plan_changed', warnings: changed.unseen });
        return { ok: false, reason: 'plan_changed', setup: changed.setup, plan: changed.plan };
      }
    }
    // One writer per connection name: two setups racing on the same records would both create.
    const busy = this.deps.store.listSetups((s) => s.connectionName === existing.connectionName && s.status === 'writing' && s.id !== setupId);
    const setup = busy.length === 0 ? await this.deps.store.transitionSetup(setupId, ['planned', 'write_failed'], { status: 'writing' }) : undefined;
    if (!setup) return { ok: false, reason: 'not_ready', setup: this.deps.store.getSetup(setupId) };
    const audits: Promise<void>[] = [];
    // What this run wrote, kept in the store as it goes (records arriving during a store write go
    // in the next one), so a crash or an error nobody foresaw still leaves the list of what exists.
    const earlier = [...setup.written];
    const recorded: WrittenRecord[] = [];
    let progress: Promise<void> = Promise.resolve();
    let unsaved = false;
    const audited = (record: WrittenRecord) => {
      recorded.push(record);
      onRecord?.(record);
      audits.push(this.audit(setup, userId, 'servicenow.write', 'ok', { table: record.table, sysId: record.sysId, outcome: record.outcome }));
      if (unsaved) return;
      unsaved = true;
      progress = progress.then(async () => {
        unsaved = false;
        await this.deps.store.transitionSetup(setupId, ['writing'], { written: mergeWritten(earlier, recorded) });
      });
    };
    try {
      // From the move to writing on, every failure must end in write_failed: a setup left
      // writing blocks its connection name and nothing would ever run for it again.
      const plan = this.planFor(setup);
      const secret = this.deps.store.revealSecret(setup);
      const written = await this.deps.writer.write(plan, secret === undefined ? {} : { secret }, audited).finally(() => Promise.all([...audits, progress]));
      const records = [...written.values()];
      const sysId = (key: string) => written.get(key)!.sysId;
      const alias = written.get(RECORD_KEYS.alias);
      const threeLegged = setup.method === 'oauth_3lo';
      const link = threeLegged ? consentLink(this.deps.config.instanceUrl, sysId(RECORD_KEYS.credential), sysId(RECORD_KEYS.profile)) : undefined;
      // Before the link goes out: a name set up again already has tokens in ServiceNow, and only
      // what changes after this can be the admin's consent (servicenow/consent-watcher.ts).
      const baseline = threeLegged ? await this.baselineFor({ credential: sysId(RECORD_KEYS.credential), profile: sysId(RECORD_KEYS.profile) }) : undefined;
      // ServiceNow holds the secret now. A 3LO secret is of no further use to the bot (ServiceNow
      // owns the tokens); an API token or service-account secret is kept, sealed, for health checks.
      const done = await this.deps.store.transitionSetup(
        setupId,
        ['writing'],
        {
          status: threeLegged ? 'awaiting_consent' : 'connected',
          written: records,
          ...(link ? { consent: { credentialSysId: sysId(RECORD_KEYS.credential), profileSysId: sysId(RECORD_KEYS.profile), startedAt: this.now().toISOString(), link, ...(baseline ? { baseline } : {}) } } : {}),
        },
        { wipeSecret: true },
      );
      // Nothing else moves a setup that is writing; should that change, this write must not land.
      if (!done) throw new Error(`setup ${setupId} stopped writing while its records were written`);
      const at = this.now().toISOString();
      await this.deps.store.saveConnection({
        name: done.connectionName,
        spoke: done.spoke,
        method: done.method,
        siteOrigin: done.siteOrigin,
        cloudId: done.cloudId!,
        channel: done.channel,
        scopes: done.scopes,
        ...(done.clientId ? { clientId: done.clientId } : {}),
        ...(done.email ? { email: done.email } : {}),
        ...(done.tokenExpiresOn ? tokenExpiryFields(done.tokenExpiresOn, done.tokenExpiryZone) : {}),
        ...(done.scopedToken !== undefined ? { scopedToken: done.scopedToken } : {}),
        ...(!threeLegged && secret ? { sealedCredential: this.deps.store.sealCredential(done.connectionName, secret) } : {}),
        ...(alias ? { alias: { name: alias.label, ...(alias.childOf ? { childOf: alias.childOf } : {}) } } : {}),
        createdBy: done.userId,
        createdAt: at,
        state: threeLegged ? 'awaiting_consent' : 'connected',
        ...(threeLegged ? {} : { connectedAt: at }),
        records: Object.fromEntries(records.map((r) => [r.key, r.sysId])),
      });
      await this.audit(done, userId, 'setup.records_written', 'ok', { records: records.length, method: done.method });
      if (!threeLegged) await this.audit(done, userId, 'setup.connected', 'ok', { method: done.method });
      return { ok: true, setup: done, written: records, ...(link ? { link } : {}) };
    } catch (error) {
      if (!(error instanceof PlanWriteError)) {
        await this.failUnexpectedly(setupId, ['writing'], error, recorded);
        throw error;
      }
      const failed = await this.deps.store.transitionSetup(setupId, ['writing'], { status: 'write_failed', written: mergeWritten(earlier, error.written), failure: describe(error) });
      if (!failed) return { ok: false, reason: 'not_ready', setup: this.deps.store.getSetup(setupId) };
      await this.audit(failed, userId, 'setup.write_failed', 'failed', { reason: error.failure.code, table: error.failedRecord.table });
      return { ok: false, reason: 'write_failed', setup: failed, error };
    }
  }

  /**
   * A setup whose work stopped with its process (a restart, or a replica that died), by what
   * becomes of it; the caller holds the setup's work lease, so no live process runs it:
   * - checking the site: ended, secret wiped. The check may be what stopped the bot, and the modal
   *   that waited for it can no longer take an answer, so the admin starts again (prefilled);
   * - writing: marked failed, so Retry resumes (records are found before they are written).
   * Undefined when it is in neither state (moved on meanwhile). Planned setups are kept (Confirm
   * on an open plan still works) and consents are watched again by the caller.
   */
  async endInterrupted(setupId: string): Promise<PendingSetup | undefined> {
    const check = {
      code: 'interrupted',
      message: 'spokebot stopped while checking the site',
      hint: 'Open the setup again (your answers are filled in) and enter the secret again: spokebot wiped it rather than keep it for a check nobody waits on.',
    };
    const ended = await this.deps.store.transitionSetup(setupId, ['checking_site'], { status: 'expired', failure: check });
    if (ended) {
      await this.audit(ended, 'spokebot', 'setup.check_interrupted', 'failed', { reason: 'interrupted' });
      return ended;
    }
    const write = { code: 'interrupted', message: 'spokebot stopped while writing the records', hint: 'Press Retry to carry on; the records already written are kept and nothing is written twice.' };
    const stopped = await this.deps.store.transitionSetup(setupId, ['writing'], { status: 'write_failed', failure: write });
    if (stopped) await this.audit(stopped, 'spokebot', 'setup.write_failed', 'failed', { reason: 'interrupted' });
    return stopped;
  }

  /**
   * An error no step handles stopped one: the setup moves to the failed state of that step,
   * where the admin can act (the form again, Retry, Try again), instead of staying in a state
   * nothing will ever move it out of. Only a setup in one of `from` (the states the failed step
   * owns) is moved: a step must not fail a write another click is running. `written` is what the
   * interrupted write got done. A SpokeError says what went wrong; anything else only the logs.
   */
  async failUnexpectedly(setupId: string, from: readonly PendingSetup['status'][], error?: unknown, written: readonly WrittenRecord[] = []): Promise<PendingSetup | undefined> {
    const setup = this.deps.store.getSetup(setupId);
    if (!setup) return undefined;
    if (!from.includes(setup.status)) return setup;
    // The store hands out its own object, which the move below changes.
    const was = setup.status;
    const logs = 'If it happens again, the bot logs have the error.';
    const known = error instanceof SpokeError ? describe(error) : undefined;
    let moved: PendingSetup | undefined;
    if (setup.status === 'checking_site' || setup.status === 'planned') {
      const failure = known ?? { code: 'internal', message: 'spokebot hit an unexpected error while checking the site', hint: `Submit the form again. ${logs}` };
      moved = await this.deps.store.transitionSetup(setupId, [setup.status], { status: 'site_failed', failure });
    } else if (setup.status === 'writing') {
      const failure = { code: known?.code ?? 'internal', message: known?.message ?? 'spokebot hit an unexpected error while writing the records', hint: `Press Retry: the records already written are kept and nothing is written twice. ${logs}` };
      moved = await this.deps.store.transitionSetup(setupId, ['writing'], { status: 'write_failed', written: mergeWritten(setup.written, written), failure });
    } else if (setup.status === 'awaiting_consent') {
      const failure = { code: 'internal', message: 'spokebot stopped watching for consent after an unexpected error', hint: `Press Try again to watch again; the records stay as they are. ${logs}` };
      moved = await this.deps.store.transitionSetup(setupId, ['awaiting_consent'], { status: 'consent_timeout', failure });
    }
    if (!moved) return this.deps.store.getSetup(setupId);
    await this.audit(moved, 'spokebot', 'setup.failed', 'failed', { reason: known?.code ?? 'unexpected', step: was });
    return moved;
  }

  /** Expires setups idle past SPOKE_SETUP_IDLE or older than SPOKE_SETUP_TTL, wiping their secrets. */
  async expire(): Promise<PendingSetup[]> {
    const ended = await this.deps.store.expireSetups(this.deps.config.setupIdleMs);
    for (const setup of ended) await this.audit(setup, 'spokebot', 'setup.expired', 'failed', { reason: setup.failure?.code ?? 'expired' });
    return ended;
  }

  /** The consent link reached the admin: a restart from here on only watches. */
  async markLinkPosted(setupId: string): Promise<void> {
    const setup = this.deps.store.getSetup(setupId);
    if (!setup?.consent) return;
    await this.deps.store.updateSetup(setupId, { consent: { ...setup.consent, linkPostedAt: this.now().toISOString() } });
  }

  /** Watches ServiceNow for the refresh token consent produces; the bot never sees the token. */
  async watchConsent(setupId: string, signal?: AbortSignal): Promise<'connected' | 'timeout' | 'aborted' | 'ended'> {
    const setup = this.requireSetup(setupId);
    if (!setup.consent) throw new Error(`setup ${setupId} has no consent step`);
    const result = await waitForConsent(this.deps.serviceNow, consentOwner(setup.consent), new Date(setup.consent.startedAt), {
      timeoutMs: this.deps.config.consentTimeoutMs,
      ...(setup.consent.baseline ? { baseline: setup.consent.baseline } : {}),
      ...(this.deps.config.consentFirstPollMs ? { firstDelayMs: this.deps.config.consentFirstPollMs } : {}),
      ...(signal ? { signal } : {}),
      now: this.now,
    });
    if (result.status === 'aborted') return 'aborted';
    if (result.status === 'timeout') {
      const timedOut = await this.deps.store.transitionSetup(setupId, ['awaiting_consent'], { status: 'consent_timeout' });
      // Replaced by a newer setup of the name (or otherwise ended) while it was watched: nothing to say.
      if (!timedOut) return 'ended';
      await this.audit(timedOut, setup.userId, 'setup.consent_timeout', 'failed', result.unproven ? { unprovenChangeAt: result.unproven } : {});
      if (result.unproven) await this.deps.store.transitionSetup(setupId, ['consent_timeout'], { failure: unprovenConsent(result.unproven) });
      return 'timeout';
    }
    const connected = await this.deps.store.transitionSetup(setupId, ['awaiting_consent'], { status: 'connected' });
    if (!connected) return 'ended';
    // Not over a removal made while the consent was awaited.
    await this.deps.store.transitionConnection(setup.connectionName, ['awaiting_consent', 'connected'], { state: 'connected', connectedAt: this.now().toISOString(), watchedConsent: watchedConsentOf(result.evidence) }, { newCredential: true });
    await this.audit(connected, setup.userId, 'setup.connected', 'ok', { via: result.evidence.via, consentAt: result.evidence.at });
    return 'connected';
  }

  /**
   * Starts a fresh watch after a timeout (the admin fixed the Atlassian app and consents again),
   * also once the setup has expired, for as long as its connection still waits for consent: a
   * fresh baseline, the link again, a fresh deadline and a fresh hard cap for the setup.
   */
  async restartConsent(setupId: string, userId: string): Promise<PendingSetup | undefined> {
    const setup = this.deps.store.getSetup(setupId);
    if (!setup?.consent || setup.userId !== userId || !this.stillAwaited(setup)) return undefined;
    const { linkPostedAt: _posted, ...consent } = setup.consent;
    const { baseline: _old, ...handedOut } = consent;
    const baseline = await this.baselineFor(consentOwner(consent));
    const now = this.now();
    const restarted = await this.deps.store.transitionSetup(setupId, ['consent_timeout', 'expired'], {
      status: 'awaiting_consent',
      consent: { ...handedOut, startedAt: now.toISOString(), ...(baseline ? { baseline } : {}) },
      expiresAt: new Date(now.getTime() + this.deps.config.setupTtlMs).toISOString(),
    });
    if (restarted) await this.audit(restarted, userId, 'setup.consent_restarted', 'ok', { from: setup.status });
    return restarted;
  }

  /** A setup whose watch is over, while its connection (these records) still waits for consent. */
  private stillAwaited(setup: PendingSetup): boolean {
    if (!setup.consent || (setup.status !== 'consent_timeout' && setup.status !== 'expired')) return false;
    const connection = this.deps.store.getConnection(setup.connectionName);
    return connection?.state === 'awaiting_consent' && connection.records[RECORD_KEYS.credential] === setup.consent.credentialSysId;
  }

  private readonly lateLooks = new Map<string, number>();

  /**
   * Looks, by the consent rule, for consents that came after their watch gave up (timed out, or
   * the setup expired since): each one found connects its setup and connection. Looked for at
   * every sweep in the first hour after the link, every 5 minutes in the first day, then hourly.
   * A setup whose connection was connected meanwhile (a re-consent) is closed quietly.
   */
  async lookForLateConsents(): Promise<PendingSetup[]> {
    const found: PendingSetup[] = [];
    const now = this.now().getTime();
    for (const setup of this.deps.store.listSetups((s) => s.consent !== undefined && (s.status === 'consent_timeout' || s.status === 'expired'))) {
      const connection = this.deps.store.getConnection(setup.connectionName);
      if (setup.status === 'consent_timeout' && connection?.state === 'connected' && connection.records[RECORD_KEYS.credential] === setup.consent!.credentialSysId) {
        await this.deps.store.transitionSetup(setup.id, ['consent_timeout'], { status: 'connected' });
        continue;
      }
      if (!this.stillAwaited(setup)) continue;
      const age = now - Date.parse(setup.consent!.startedAt);
      const every = age < 3_600_000 ? 0 : age < 86_400_000 ? 300_000 : 3_600_000;
      if (now - (this.lateLooks.get(setup.id) ?? 0) < every) continue;
      this.lateLooks.set(setup.id, now);
      let evidence: ConsentEvidence | undefined;
      try {
        evidence = await lookForConsent(this.deps.serviceNow, consentOwner(setup.consent!), new Date(setup.consent!.startedAt), setup.consent!.baseline, this.threeLeggedCredentials());
      } catch (error) {
        if (!(error instanceof ServiceNowError)) throw error;
        continue;
      }
      if (!evidence) continue;
      const connected = await this.deps.store.transitionSetup(setup.id, [setup.status], { status: 'connected' });
      if (!connected) continue;
      this.lateLooks.delete(setup.id);
      await this.deps.store.transitionConnection(setup.connectionName, ['awaiting_consent'], { state: 'connected', connectedAt: this.now().toISOString(), watchedConsent: watchedConsentOf(evidence) }, { newCredential: true });
      await this.audit(connected, setup.userId, 'setup.connected', 'ok', { via: evidence.via, consentAt: evidence.at, late: 'true' });
      found.push(connected);
    }
    return found;
  }

  private threeLeggedCredentials(): string[] {
    return threeLeggedCredentials(this.deps.store.listConnections());
  }

  /**
   * What ServiceNow holds for the credential as a link goes out. Unreadable, the watch takes as
   * its baseline what existed before the link at its first look (consent-watcher.ts).
   */
  private async baselineFor(owner: TokenOwner): Promise<TokenBaseline | undefined> {
    try {
      return await takeBaseline(this.deps.serviceNow, owner, this.threeLeggedCredentials());
    } catch (error) {
      if (!(error instanceof ServiceNowError)) throw error;
      return undefined;
    }
  }

  async cancel(setupId: string, userId: string): Promise<PendingSetup | undefined> {
    const setup = this.deps.store.getSetup(setupId);
    if (!setup || setup.userId !== userId) return undefined;
    const cancelled = await this.deps.store.transitionSetup(setupId, CANCELLABLE_STATUSES, { status: 'cancelled' });
    if (cancelled) await this.audit(cancelled, userId, 'setup.cancelled', 'ok', {});
    return cancelled;
  }

  private requireSetup(setupId: string): PendingSetup {
    const setup = this.deps.store.getSetup(setupId);
    if (!setup) throw new Error(`no setup ${setupId}`);
    return setup;
  }

  private audit(setup: PendingSetup, actor: string, action: string, outcome: 'ok' | 'failed' | 'refused', detail: Record<string, string | number | string[]>) {
    return this.deps.store.audit({ actor, action, outcome, setupId: setup.id, connection: setup.connectionName, detail });
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

function consentOwner(consent: { credentialSysId: string; profileSysId: string }): TokenOwner {
  return { credential: consent.credentialSysId, profile: consent.profileSysId };
}

function watchedConsentOf(evidence: ConsentEvidence): { at: string; row: string; change: ConsentEvidence['change'] } {
  return { at: evidence.at, row: evidence.row, change: evidence.change };
}

/** The timeout came after a change the rule could not tell from a refresh: said in the thread. */
function unprovenConsent(at: string): { code: string; message: string; hint: string } {
  return {
    code: 'consent_unproven',
    message: `ServiceNow wrote a new refresh token at ${at.slice(0, 16).replace('T', ' ')} UTC, but no access token was current then, so a refresh of the old one could have written it as well as a consent`,
    hint: 'If you consented, press Try again and consent once more: with the fresh access token that consent left, spokebot can tell a consent from a refresh.',
  };
}

/** An API token's typed last day, the instant it ends in the typist's zone, and that zone. */
function tokenExpiryFields(on: string, zone: string | undefined): { tokenExpiresOn: string; tokenExpiresAt: string; tokenExpiryZone: string } {
  const where = zone ?? EARLIEST_ZONE;
  return { tokenExpiresOn: on, tokenExpiresAt: endOfDay(on, where).toISOString(), tokenExpiryZone: where };
}

/** Earlier runs' records with this run's, one per key, the newest last word. */
function mergeWritten(earlier: readonly WrittenRecord[], now: readonly WrittenRecord[]): WrittenRecord[] {
  const byKey = new Map(earlier.map((record) => [record.key, record]));
  for (const record of now) byKey.set(record.key, record);
  return [...byKey.values()];
}

function describe(error: SpokeError): { code: string; message: string; hint: string } {
  return { code: error.code, message: error.message, hint: error.hint };
}
