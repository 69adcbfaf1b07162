import { CredentialRejectedError } from '../atlassian/errors.js';
import type { TenantInfoClient } from '../atlassian/tenant-info.js';
import { apiTokenExpiry, type HealthFacts } from '../core/health.js';
import { RECORD_KEYS } from '../core/record-keys.js';
import { SPOKES, connectionUrlForMethod } from '../core/spoke-catalogue.js';
import { adviceFor } from '../core/verification-advice.js';
import { SpokeError } from '../errors.js';
import { consentClock, instanceKeepsRows, readTokenRows, threeLeggedCredentials } from '../servicenow/consent-watcher.js';
import type { ServiceNowRecord, ServiceNowTableClient } from '../servicenow/table-client.js';
import type { CredentialVerifier } from '../setup/credential-verifier.js';
import { SignInDeferredError, SignInLimiter } from '../setup/sign-in-limiter.js';
import type { Connection, HealthRecord, SpokeStore } from '../store/spoke-store.js';
import { SweepReads, wantedRecords, type ConnectionReads } from './sweep-reads.js';

export interface HealthProbeDeps {
  store: SpokeStore;
  serviceNow: ServiceNowTableClient;
  tenantInfo: TenantInfoClient;
  verifier: CredentialVerifier;
  apiUrl: string;
  now: () => Date;
  /** After Atlassian refused a held credential, the next live sign-in waits this long. */
  authBackoffMs: number;
  /**
   * The budget of live sign-ins per account, shared with setup and rotation (app.ts passes the
   * bot's one); without it the probe keeps a budget of its own.
   */
  signIns?: SignInLimiter;
}

export interface ProbeResult {
  facts: HealthFacts;
  /** Set when this probe's live sign-in was refused (starts the back-off). */
  authFailedAt?: string;
}

const reason = (error: unknown) => (error instanceof SpokeError ? error.message : String(error));

/**
 * Gathers the facts the health rules judge, for one connection: the ServiceNow records, its
 * scope rows and refresh token, the site's Cloud ID, and a live sign-in for credentials the bot
 * holds. Reads only; independent reads run together.
 */
export class HealthProbe {
  private readonly signIns: SignInLimiter;
  /** The running sweep's reads, batched across its connections; undefined between sweeps. */
  private sweepReads: SweepReads | undefined;

  constructor(private readonly deps: HealthProbeDeps) {
    this.signIns = deps.signIns ?? new SignInLimiter({ now: deps.now, backoffMs: deps.authBackoffMs });
  }

  /**
   * Starts reading, batched, what the checks of these connections will ask ServiceNow and the
   * sites (sweep-reads.ts); their probes then take those answers instead of asking one by one.
   * The health sweep calls it with each chunk it claims, and endSweep when it is done.
   */
  readAhead(connections: readonly Connection[]): void {
    this.sweepReads ??= new SweepReads(this.deps.serviceNow, this.deps.tenantInfo);
    this.sweepReads.add(connections);
  }

  /** Forgets the sweep's reads: the next sweep, and a Check now after it, ask afresh. */
  endSweep(): void {
    this.sweepReads = undefined;
  }

  async probe(connection: Connection, previous?: HealthRecord): Promise<ProbeResult> {
    const oauth = connection.method !== 'api_token';
    const ahead = this.sweepReads?.take(connection);
    const [records, scopes, site, refreshToken, credential] = await Promise.all([
      this.records(connection, ahead),
      oauth ? this.scopes(connection, ahead) : Promise.resolve(undefined),
      this.site(connection, ahead),
      connection.method === 'oauth_3lo' ? this.refreshToken(connection, ahead) : Promise.resolve(undefined),
      connection.method === 'oauth_3lo' ? Promise.resolve(undefined) : this.credential(connection, previous),
    ]);
    const tokenExpiry = apiTokenExpiry(connection);
    const facts: HealthFacts = {
      method: connection.method,
      records,
      site,
      ...(scopes ? { scopes } : {}),
      ...(refreshToken ? { refreshToken } : {}),
      ...(credential ? { credential: credential.fact } : {}),
      ...(tokenExpiry ? { tokenExpiry: { at: tokenExpiry.at, on: tokenExpiry.on!, zone: tokenExpiry.zone! } } : {}),
    };
    return { facts, ...(credential?.failedAt ? { authFailedAt: credential.failedAt } : {}) };
  }

  private async records(connection: Connection, ahead: ConnectionReads | undefined): Promise<HealthFacts['records']> {
    const spoke = SPOKES[connection.spoke];
    const urlExpected = connectionUrlForMethod(connection.method, connection.scopedToken ?? false, spoke, this.deps.apiUrl, connection.siteOrigin, connection.cloudId);
    try {
      const rows = await Promise.all(
        wantedRecords(connection).map(async ([key, table]): Promise<[string, ServiceNowRecord | undefined]> => {
          const sysId = connection.records[key];
          if (!sysId) return [table, undefined];
          const read = await ahead?.records.get(key);
          return [table, read === undefined ? await this.deps.serviceNow.findOne(table, { sys_id: sysId }) : (read ?? undefined)];
        }),
      );
      const missing = rows.filter(([, row]) => !row).map(([table]) => table);
      const inactive = rows.filter(([, row]) => row && 'active' in row && row.active === 'false').map(([table]) => table);
      const connectionRow = rows.find(([table]) => table === 'http_connection')?.[1];
      return { missing, inactive, urlExpected, ...(connectionRow ? { urlActual: String(connectionRow.connection_url) } : {}) };
    } catch (error) {
      return { error: reason(error) };
    }
  }

  private async scopes(connection: Connection, ahead: ConnectionReads | undefined): Promise<HealthFacts['scopes']> {
    const entity = connection.records[RECORD_KEYS.entity];
    if (!entity) return { error: 'no application registry recorded' };
    try {
      const actual = (await ahead?.scopes) ?? (await this.deps.serviceNow.findRecords('oauth_entity_scope', { oauth_entity: entity }, { fields: ['oauth_entity_scope'], limit: 200 })).map((r) => String(r.oauth_entity_scope));
      return { expected: connection.scopes, actual };
    } catch (error) {
      return { error: reason(error) };
    }
  }

  private async site(connection: Connection, ahead: ConnectionReads | undefined): Promise<HealthFacts['site']> {
    try {
      return { expectedCloudId: connection.cloudId, cloudId: await (ahead?.cloudId ?? this.deps.tenantInfo.discoverCloudId(connection.siteOrigin)) };
    } catch (error) {
      return { expectedCloudId: connection.cloudId, error: error instanceof SpokeError ? error.hint : reason(error) };
    }
  }

  private async refreshToken(connection: Connection, ahead: ConnectionReads | undefined): Promise<HealthFacts['refreshToken']> {
    const credential = connection.records[RECORD_KEYS.credential];
    const profile = connection.records[RECORD_KEYS.profile];
    if (!credential || !profile) return { present: false };
    try {
      const read = (await ahead?.refreshTokenRows) ?? (await readTokenRows(this.deps.serviceNow, { credential, profile }));
      const rows = read.filter((r) => r.type === 'refresh_token').sort((a, b) => b.created - a.created);
      const row = rows[0];
      if (!row) return { present: false };
      // Where the 365 days start is decided with the consent rule (consent-watcher.ts): a consent
      // spokebot watched, else the token row's creation, never the time spokebot adopted it.
      const clock = await consentClock(row, connection.watchedConsent, () => instanceKeepsRows(this.deps.serviceNow, threeLeggedCredentials(this.deps.store.listConnections())));
      return { present: true, lastRefreshed: new Date(Math.max(row.updated, row.created)).toISOString(), consentedAt: clock.start, basis: clock.basis, rowCreated: clock.rowCreated };
    } catch (error) {
      return { error: reason(error) };
    }
  }

  private async credential(connection: Connection, previous?: HealthRecord): Promise<{ fact: NonNullable<HealthFacts['credential']>; failedAt?: string } | undefined> {
    const now = this.deps.now();
    if (previous?.authFailedAt && now.getTime() - Date.parse(previous.authFailedAt) < this.deps.authBackoffMs) {
      // Atlassian locks an account after repeated bad logins; one refusal waits hours, not minutes.
      return { fact: notTriedBefore(new Date(Date.parse(previous.authFailedAt) + this.deps.authBackoffMs).toISOString(), previous) };
    }
    const secret = this.deps.store.revealCredential(connection);
    if (!secret) return { fact: { skipped: 'spokebot holds no credential for this connection.' } };
    const subject = {
      method: connection.method,
      siteOrigin: connection.siteOrigin,
      connection: connection.name,
      ...(connection.email ? { email: connection.email } : {}),
      ...(connection.clientId ? { clientId: connection.clientId } : {}),
      secret,
    };
    try {
      await this.signIns.attempt(subject, () => this.deps.verifier.verify({ ...connection, secret }));
      return { fact: { ok: true } };
    } catch (error) {
      // The account's budget is spent (setups, rotations, other checks): the last verdict stands.
      if (error instanceof SignInDeferredError) return { fact: notTriedBefore(error.retryAt.toISOString(), previous) };
      if (!(error instanceof CredentialRejectedError)) throw error;
      if (error.reason === 'rate_limited' || error.reason === 'unreachable') return { fact: { skipped: `Atlassian did not answer the sign-in (${error.reason}).` } };
      const summary = adviceFor(error.reason, connection.method, connection.scopedToken ?? false).message;
      return { fact: { ok: false, summary }, failedAt: now.toISOString() };
    }
  }
}

/** A sign-in not sent: a failing verdict is carried over with when it is tried again; anything else is skipped. */
function notTriedBefore(until: string, previous: HealthRecord | undefined): NonNullable<HealthFacts['credential']> {
  const stillFailing = previous?.checks.find((c) => c.check === 'credential' && c.status === 'failing');
  const base = stillFailing?.summary.replace(/ \(not tried again before [^)]*\)$/, '');
  return base ? { ok: false, summary: `${base} (not tried again before ${until})` } : { skipped: `Not signing in again before ${until}.` };
}
