import { consentLink } from '../core/consent-link.js';
import { RECORD_KEYS } from '../core/record-keys.js';
import { CREDENTIAL_TABLE, SPOKES, connectionUrlForMethod } from '../core/spoke-catalogue.js';
import { adviceFor, type FieldAdvice } from '../core/verification-advice.js';
import { CredentialRejectedError } from '../atlassian/errors.js';
import { EARLIEST_ZONE, endOfDay } from '../core/calendar.js';
import { takeBaseline, threeLeggedCredentials, waitForConsent, type TokenBaseline, type TokenOwner } from '../servicenow/consent-watcher.js';
import type { ServiceNowTableClient } from '../servicenow/table-client.js';
import type { Connection, Rotation, SpokeStore } from '../store/spoke-store.js';
import type { CredentialVerifier } from './credential-verifier.js';
import { SignInDeferredError, type SignInLimiter, type SignInSubject } from './sign-in-limiter.js';
import { rotationLease, type WorkLeases } from './work-leases.js';

export interface NewCredential {
  secret: string;
  /** An API token's last day, typed by an admin in `tokenExpiryZone` (their Slack tz). */
  tokenExpiresOn?: string;
  tokenExpiryZone?: string;
  scopedToken?: boolean;
}

export interface Reconsent {
  link: string;
  since: Date;
  /** What ServiceNow held when the link was handed out (servicenow/consent-watcher.ts). */
  baseline: TokenBaseline;
  /** The stored record of this re-consent, so a restart can watch on. */
  rotationId?: string;
}

/** What a restart found of the rotations that were running when the bot stopped. */
/**
 * Cut off for good (a secret being verified or written, or a re-consent whose link never reached
 * the admin), or a re-consent whose link the admin has: watched on, the deadline counted from the link.
 */
export type RotationAfterRestart = { interrupted: Rotation } | { watch: { rotation: Rotation; connection: Connection; reconsent: Reconsent } };

export type RotateResult =
  | { ok: true; connection: Connection }
  | { ok: false; advice: FieldAdvice }
  /** Removed while the rotation ran: it stays removed. `written`: the new credential reached ServiceNow's (inactive) credential first. */
  | { ok: false; removed: true; written: boolean };

/**
 * Changes to a connection that exists: a new API token or client secret (verified first, then
 * written over the ServiceNow credential in place), a fresh 3LO consent, or deactivation.
 * Nothing is deleted in ServiceNow; every change is audited.
 */
export class ConnectionService {
  constructor(
    private readonly deps: {
      store: SpokeStore;
      serviceNow: ServiceNowTableClient;
      verifier: CredentialVerifier;
      /** Shared with setup and health checks: one budget of sign-ins per Atlassian account. */
      signIns: SignInLimiter;
      work: WorkLeases;
      instanceUrl: string;
      apiUrl: string;
      consentTimeoutMs: number;
      now: () => Date;
    },
  ) {}

  active(name: string): Connection | undefined {
    const connection = this.deps.store.getConnection(name);
    return connection && connection.state !== 'removed' ? connection : undefined;
  }

  async rotateSecret(asOpened: Connection, userId: string, next: NewCredential): Promise<RotateResult> {
    // Kept in the store while it runs: cut off by a restart, ServiceNow may hold either credential
    // while the bot checks with the old one, so the restart tells the admin to rotate again.
    const rotation = await this.deps.store.startRotation({ kind: 'secret', connection: asOpened.name, userId, step: 'verifying' });
    await this.deps.store.audit({ actor: userId, action: 'connection.rotate_started', outcome: 'ok', connection: asOpened.name, detail: { method: asOpened.method } });
    try {
      // Leased while it runs: a replica that dies mid-rotation leaves it to another to report.
      return await this.deps.work.hold(rotationLease(rotation.id), () => this.verifyAndWrite(asOpened, userId, next, rotation.id));
    } finally {
      await this.deps.store.endRotation(rotation.id);
    }
  }

  private async verifyAndWrite(asOpened: Connection, userId: string, next: NewCredential, rotationId: string): Promise<RotateResult> {
    // The modal may have been open for minutes: act on the connection as it is now.
    const connection = this.active(asOpened.name);
    if (!connection) return this.removedMeanwhile(asOpened, userId, false);
    const scopedToken = next.scopedToken ?? connection.scopedToken ?? false;
    const subject: SignInSubject = {
      method: connection.method,
      siteOrigin: connection.siteOrigin,
      connection: connection.name,
      ...(connection.email ? { email: connection.email } : {}),
      ...(connection.clientId ? { clientId: connection.clientId } : {}),
      secret: next.secret,
    };
    // "Rotating" to the credential a health check saw refused: its back-off is in the health
    // record, which outlives a restart, so the limiter learns it before deciding.
    const failedAt = this.deps.store.getHealth(connection.name)?.authFailedAt;
    if (failedAt && this.deps.store.revealCredential(connection) === next.secret) this.deps.signIns.refused(subject, new Date(failedAt));
    try {
      await this.deps.signIns.attempt(subject, () => this.deps.verifier.verify({ ...connection, scopedToken, secret: next.secret }));
    } catch (error) {
      if (error instanceof SignInDeferredError) {
        await this.deps.store.audit({ actor: userId, action: 'connection.rotate', outcome: 'refused', connection: connection.name, detail: { reason: `sign_in_${error.reason}`, retryAt: error.retryAt.toISOString() } });
        // The rotate modal shows any advice but a token-kind one under the credential field.
        return { ok: false, advice: { field: 'apiToken', message: `${error.message}. ${error.hint}` } };
      }
      if (!(error instanceof CredentialRejectedError)) throw error;
      await this.audit(connection, userId, 'connection.rotate', 'failed', { reason: error.reason });
      return { ok: false, advice: adviceFor(error.reason, connection.method, scopedToken) };
    }
    // Removed while the new credential was being checked: nothing is written to its records.
    if (!this.active(connection.name)) return this.removedMeanwhile(connection, userId, false);
    await this.deps.store.updateRotation(rotationId, { step: 'writing' });
    if (connection.method === 'api_token') {
      await this.deps.serviceNow.updateRecord('basic_auth_credentials', this.record(connection, RECORD_KEYS.credential), { password: next.secret }, { encryptedFields: true });
      if (scopedToken !== (connection.scopedToken ?? false)) {
        // A scoped token works only through the gateway, a classic one only on the site.
        const url = connectionUrlForMethod('api_token', scopedToken, SPOKES[connection.spoke], this.deps.apiUrl, connection.siteOrigin, connection.cloudId);
        await this.deps.serviceNow.updateRecord('http_connection', this.record(connection, RECORD_KEYS.connection), { connection_url: url });
      }
    } else {
      await this.deps.serviceNow.updateRecord('oauth_entity', this.record(connection, RECORD_KEYS.entity), { client_secret: next.secret }, { encryptedFields: true });
    }
    // Saved over the connection as it is now, and only if it is still active: a removal that
    // landed during the writes stands.
    const rotated = await this.deps.store.transitionConnection(
      connection.name,
      ['connected', 'awaiting_consent'],
      {
        ...(connection.method === 'api_token' ? { scopedToken } : {}),
        ...(next.tokenExpiresOn ? { tokenExpiresOn: next.tokenExpiresOn, tokenExpiresAt: endOfDay(next.tokenExpiresOn, next.tokenExpiryZone ?? EARLIEST_ZONE).toISOString(), tokenExpiryZone: next.tokenExpiryZone ?? EARLIEST_ZONE } : {}),
        sealedCredential: this.deps.store.sealCredential(connection.name, next.secret),
      },
      { newCredential: true, ...(connection.method === 'api_token' ? {} : { unset: ['scopedToken'] }) },
    );
    if (!rotated) return this.removedMeanwhile(connection, userId, true);
    // A fresh credential starts with a clean slate: the sign-in back-off of the old one is over.
    const health = this.deps.store.getHealth(connection.name);
    if (health?.authFailedAt) {
      const { authFailedAt: _over, ...rest } = health;
      await this.deps.store.saveHealth(connection.name, { ...rest, nextCheckAt: this.deps.now().toISOString() });
    }
    await this.audit(connection, userId, 'connection.rotate', 'ok', { method: connection.method, ...(next.tokenExpiresOn ? { tokenExpiresOn: next.tokenExpiresOn } : {}) });
    return { ok: true, connection: rotated };
  }

  private async removedMeanwhile(connection: Connection, userId: string, written: boolean): Promise<RotateResult> {
    await this.deps.store.audit({ actor: userId, action: 'connection.rotate', outcome: 'refused', connection: connection.name, detail: { reason: 'removed', credentialWritten: written } });
    return { ok: false, removed: true, written };
  }

  /** A fresh consent link for a 3LO connection; the watch starts from now. */
  async startReconsent(connection: Connection, userId: string): Promise<Reconsent> {
    const owner = this.tokenOwner(connection);
    const link = consentLink(this.deps.instanceUrl, owner.credential, owner.profile);
    // The tokens there now are the old ones: only what changes after this can prove consent.
    const baseline = await takeBaseline(this.deps.serviceNow, owner, threeLeggedCredentials(this.deps.store.listConnections()));
    const since = this.deps.now();
    const rotation = await this.deps.store.startRotation({ kind: 'reconsent', connection: connection.name, userId, step: 'watching', since: since.toISOString(), tokenBaseline: baseline });
    await this.audit(connection, userId, 'connection.reconsent_started', 'ok', {});
    return { link, since, baseline, rotationId: rotation.id };
  }

  /** The link is in the admin's DM thread: from here a restart watches on in that thread. */
  async reconsentPosted(reconsent: Reconsent, thread: { channel: string; ts: string }): Promise<void> {
    if (reconsent.rotationId) await this.deps.store.updateRotation(reconsent.rotationId, { thread });
  }

  /**
   * A rotation whose work stopped with its process (the caller holds its work lease): a secret
   * rotation that was cut off is over (the caller tells the admin, then calls endRotation); a
   * re-consent whose link reached the admin is watched on.
   */
  async rotationAfterRestart(rotation: Rotation): Promise<RotationAfterRestart> {
    const connection = this.active(rotation.connection);
    if (rotation.kind === 'reconsent' && rotation.thread && rotation.since && connection) {
      const owner = this.tokenOwner(connection);
      const reconsent = { link: consentLink(this.deps.instanceUrl, owner.credential, owner.profile), since: new Date(rotation.since), baseline: rotation.tokenBaseline ?? { rows: rotation.baseline ?? [] }, rotationId: rotation.id };
      return { watch: { rotation, connection, reconsent } };
    }
    const action = rotation.kind === 'secret' ? 'connection.rotate' : 'connection.reconsented';
    await this.deps.store.audit({ actor: 'spokebot', action, outcome: 'failed', connection: rotation.connection, detail: { reason: 'interrupted', step: rotation.step } });
    return { interrupted: rotation };
  }

  async endRotation(rotationId: string): Promise<void> {
    await this.deps.store.endRotation(rotationId);
  }

  async waitForReconsent(connection: Connection, userId: string, reconsent: Reconsent, signal?: AbortSignal): Promise<'connected' | 'timeout' | 'aborted'> {
    const result = await waitForConsent(this.deps.serviceNow, this.tokenOwner(connection), reconsent.since, {
      timeoutMs: this.deps.consentTimeoutMs,
      now: this.deps.now,
      baseline: reconsent.baseline,
      ...(signal ? { signal } : {}),
    });
    // Only over a connection still active: a removal during the watch stands.
    const current = result.status === 'connected' ? await this.deps.store.transitionConnection(connection.name, ['connected', 'awaiting_consent'], { state: 'connected', connectedAt: this.deps.now().toISOString(), watchedConsent: { at: result.evidence.at, row: result.evidence.row, change: result.evidence.change } }, { newCredential: true }) : undefined;
    if (current && result.status === 'connected') {
      await this.audit(connection, userId, 'connection.reconsented', 'ok', { via: result.evidence.via, consentAt: result.evidence.at });
    } else if (result.status === 'timeout') {
      await this.audit(connection, userId, 'connection.reconsented', 'failed', { reason: 'timeout', ...(result.unproven ? { unprovenChangeAt: result.unproven } : {}) });
    }
    // Stopped by a shutdown, the record stays so the next start watches on.
    if (result.status !== 'aborted' && reconsent.rotationId) await this.deps.store.endRotation(reconsent.rotationId);
    return result.status;
  }

  /**
   * Sets the connection and its credential inactive in ServiceNow; deletes nothing. Undefined when
   * someone else removed it meanwhile.
   */
  async deactivate(connection: Connection, userId: string): Promise<Connection | undefined> {
    const credentialTable = CREDENTIAL_TABLE[connection.method];
    await Promise.all([
      this.deps.serviceNow.updateRecord('http_connection', this.record(connection, RECORD_KEYS.connection), { active: 'false' }),
      this.deps.serviceNow.updateRecord(credentialTable, this.record(connection, RECORD_KEYS.credential), { active: 'false' }),
    ]);
    const removed = await this.deps.store.transitionConnection(connection.name, ['connected', 'awaiting_consent'], { state: 'removed', removedAt: this.deps.now().toISOString() }, { unset: ['sealedCredential'], newCredential: true });
    if (!removed) return undefined;
    await this.audit(connection, userId, 'connection.removed', 'ok', { tables: ['http_connection', credentialTable] });
    return removed;
  }

  private tokenOwner(connection: Connection): TokenOwner {
    return { credential: this.record(connection, RECORD_KEYS.credential), profile: this.record(connection, RECORD_KEYS.profile) };
  }

  private record(connection: Connection, key: string): string {
    const sysId = connection.records[key];
    if (!sysId) throw new Error(`connection ${connection.name} has no ${key} record`);
    return sysId;
  }

  private audit(connection: Connection, actor: string, action: string, outcome: 'ok' | 'failed', detail: Record<string, string | number | string[]>) {
    return this.deps.store.audit({ actor, action, outcome, connection: connection.name, detail });
  }
}
