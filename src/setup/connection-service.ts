import { consentLink } from '../core/consent-link.js';
import { RECORD_KEYS } from '../core/record-keys.js';
import { CREDENTIAL_TABLE, SPOKES, connectionUrlForMethod } from '../core/spoke-catalogue.js';
import { adviceFor, type FieldAdvice } from '../core/verification-advice.js';
import { CredentialRejectedError } from '../atlassian/errors.js';
import { currentRefreshTokens, waitForRefreshToken, type TokenOwner } from '../servicenow/consent-watcher.js';
import type { ServiceNowTableClient } from '../servicenow/table-client.js';
import type { Connection, SpokeStore } from '../store/spoke-store.js';
import type { CredentialVerifier } from './credential-verifier.js';
import { SignInDeferredError, type SignInLimiter, type SignInSubject } from './sign-in-limiter.js';

export interface NewCredential {
  secret: string;
  tokenExpiresOn?: string;
  scopedToken?: boolean;
}

export interface Reconsent {
  link: string;
  since: Date;
  baseline: ReadonlySet<string>;
}

export type RotateResult = { ok: true; connection: Connection } | { ok: false; advice: FieldAdvice };

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
    // The modal may have been open for minutes: act on the connection as it is now.
    const connection = this.active(asOpened.name);
    if (!connection) return { ok: false, advice: { field: 'apiToken', message: 'This connection was removed meanwhile; nothing was changed.' } };
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
    const rotated: Connection = {
      ...connection,
      scopedToken: connection.method === 'api_token' ? scopedToken : connection.scopedToken,
      ...(next.tokenExpiresOn ? { tokenExpiresOn: next.tokenExpiresOn } : {}),
      sealedCredential: this.deps.store.sealCredential(connection.name, next.secret),
    };
    if (connection.method !== 'api_token') delete rotated.scopedToken;
    await this.deps.store.saveConnection(rotated);
    // A fresh credential starts with a clean slate: the sign-in back-off of the old one is over.
    const health = this.deps.store.getHealth(connection.name);
    if (health?.authFailedAt) {
      const { authFailedAt: _over, ...rest } = health;
      await this.deps.store.saveHealth(connection.name, { ...rest, nextCheckAt: this.deps.now().toISOString() });
    }
    await this.audit(connection, userId, 'connection.rotate', 'ok', { method: connection.method, ...(next.tokenExpiresOn ? { tokenExpiresOn: next.tokenExpiresOn } : {}) });
    return { ok: true, connection: rotated };
  }

  /** A fresh consent link for a 3LO connection; the watch starts from now. */
  async startReconsent(connection: Connection, userId: string): Promise<Reconsent> {
    const owner = this.tokenOwner(connection);
    const link = consentLink(this.deps.instanceUrl, owner.credential, owner.profile);
    // The tokens there now are the old ones; only a row that is not among them proves consent.
    const baseline = await currentRefreshTokens(this.deps.serviceNow, owner);
    await this.audit(connection, userId, 'connection.reconsent_started', 'ok', {});
    return { link, since: this.deps.now(), baseline };
  }

  async waitForReconsent(connection: Connection, userId: string, reconsent: Reconsent, signal?: AbortSignal): Promise<'connected' | 'timeout' | 'aborted'> {
    const result = await waitForRefreshToken(this.deps.serviceNow, this.tokenOwner(connection), reconsent.since, {
      timeoutMs: this.deps.consentTimeoutMs,
      now: this.deps.now,
      baseline: reconsent.baseline,
      ...(signal ? { signal } : {}),
    });
    const current = this.active(connection.name);
    if (result.status === 'connected' && current) {
      await this.deps.store.saveConnection({ ...current, state: 'connected', connectedAt: this.deps.now().toISOString() });
      await this.audit(connection, userId, 'connection.reconsented', 'ok', { tokenUpdatedOn: result.tokenUpdatedOn });
    } else if (result.status === 'timeout') {
      await this.audit(connection, userId, 'connection.reconsented', 'failed', { reason: 'timeout' });
    }
    return result.status;
  }

  /** Sets the connection and its credential inactive in ServiceNow; deletes nothing. */
  async deactivate(connection: Connection, userId: string): Promise<Connection> {
    const credentialTable = CREDENTIAL_TABLE[connection.method];
    await Promise.all([
      this.deps.serviceNow.updateRecord('http_connection', this.record(connection, RECORD_KEYS.connection), { active: 'false' }),
      this.deps.serviceNow.updateRecord(credentialTable, this.record(connection, RECORD_KEYS.credential), { active: 'false' }),
    ]);
    const { sealedCredential: _wiped, ...rest } = connection;
    const removed: Connection = { ...rest, state: 'removed', removedAt: this.deps.now().toISOString() };
    await this.deps.store.saveConnection(removed);
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
