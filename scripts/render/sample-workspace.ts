/**
 * One made-up workspace and ServiceNow instance, shaped like the store's own records
 * (src/store/schema.ts), for drawing the surfaces: a few connections in every state the Home tab
 * and the alerts show, their last health checks, setups in progress and access requests. Every
 * date hangs off one fixed moment, so the pictures come out the same on every run.
 */
import { createHash } from 'node:crypto';
import { evaluateHealth, type HealthFacts } from '../../src/core/health.js';
import { planRecords } from '../../src/core/plan-for-method.js';
import type { RecordPlan } from '../../src/core/record-plan.js';
import type { SetupRequest } from '../../src/core/setup-request.js';
import { SPOKES } from '../../src/core/spoke-catalogue.js';
import type { WrittenRecord } from '../../src/servicenow/plan-writer.js';
import type { AccessRequest, Connection, HealthRecord, PendingSetup } from '../../src/store/schema.js';
import type { Directory } from './block-kit-html.js';

export const NOW = new Date('2026-11-17T10:42:00.000Z');
const DAY = 86_400_000;
/** An ISO time `days` from NOW (negative: before). */
export const at = (days: number, hours = 0) => new Date(NOW.getTime() + days * DAY + hours * 3_600_000).toISOString();
export const dateOnly = (days: number) => at(days).slice(0, 10);

export const INSTANCE_URL = 'https://acme.service-now.com';
export const SITE = 'https://acme.atlassian.net';
export const SITE_EU = 'https://acme-eu.atlassian.net';
export const CLOUD_ID = '4f8c2a1e-9b3d-4c7a-8e21-6d0f5b9a3c47';
export const CLOUD_ID_EU = 'a71e0c93-25d4-4b8f-9c6a-e3f1d2b7c058';
export const SITE_SANDBOX = 'https://acme-sandbox.atlassian.net';
export const CLOUD_ID_SANDBOX = '0d5b7e21-c4a8-4f36-b19e-82c6f0a3d9e5';
export const ATLASSIAN = { authUrl: 'https://auth.atlassian.com', apiUrl: 'https://api.atlassian.com' };

export const USERS = { ada: 'U04ADA1ADM', grace: 'U05GRACE7H', linus: 'U06LINUS2T', margaret: 'U07MARG9HM' } as const;
export const CHANNELS = { alerts: 'C08SPOKEAL', approvals: 'C09APPROVE', jira: 'C0AJIRAADM', dm: 'D0BADADMIN' } as const;

/** The names the client would show for those ids. */
export const DIRECTORY: Directory = {
  users: { [USERS.ada]: 'Ada Lovelace', [USERS.grace]: 'Grace Hopper', [USERS.linus]: 'Linus Torvalds', [USERS.margaret]: 'Margaret Hamilton' },
  channels: { [CHANNELS.alerts]: 'spoke-alerts', [CHANNELS.approvals]: 'spoke-approvals', [CHANNELS.jira]: 'jira-admins' },
};

/** A sys_id as ServiceNow makes them (32 hex digits), the same for the same seed on every run. */
const sysId = (seed: number) => createHash('sha256').update(`spokebot sample ${seed}`).digest('hex').slice(0, 32);

const records = (seed: number): Record<string, string> => ({
  entity: sysId(seed + 1),
  profile: sysId(seed + 2),
  credential: sysId(seed + 3),
  alias: sysId(seed + 4),
  connection: sysId(seed + 5),
});

export const CONFLUENCE: Connection = {
  name: 'Confluence Cloud acme',
  spoke: 'confluence',
  method: 'oauth_3lo',
  siteOrigin: SITE,
  cloudId: CLOUD_ID,
  channel: CHANNELS.alerts,
  scopes: [...SPOKES.confluence.defaultScopes],
  clientId: 'Qm9vGx2LrT8aWc4ZpE1nYs7KdU3hVb6f',
  alias: { name: 'Confluence Cloud' },
  createdBy: USERS.ada,
  createdAt: at(-120),
  state: 'connected',
  connectedAt: at(-120),
  records: records(10),
};

export const JIRA_TOKEN: Connection = {
  name: 'Jira Cloud acme',
  spoke: 'jira',
  method: 'api_token',
  siteOrigin: SITE,
  cloudId: CLOUD_ID,
  channel: CHANNELS.jira,
  scopes: [],
  email: 'integration@acme.com',
  tokenExpiresOn: dateOnly(7),
  scopedToken: false,
  alias: { name: 'Jira' },
  createdBy: USERS.ada,
  createdAt: at(-358),
  state: 'connected',
  connectedAt: at(-358),
  records: records(20),
};

export const JIRA_SERVICE: Connection = {
  name: 'Jira acme automation',
  spoke: 'jira',
  method: 'service_account',
  siteOrigin: SITE,
  cloudId: CLOUD_ID,
  channel: CHANNELS.jira,
  scopes: [...SPOKES.jira.serviceAccountScopes],
  clientId: 'svc-7Hq2Lm9XcV4bN8rT',
  alias: { name: 'Jira acme automation', childOf: 'Jira' },
  createdBy: USERS.grace,
  createdAt: at(-45),
  state: 'connected',
  connectedAt: at(-45),
  records: records(30),
};

export const JIRA_EU: Connection = {
  name: 'Jira Cloud acme-eu',
  spoke: 'jira',
  method: 'oauth_3lo',
  siteOrigin: SITE_EU,
  cloudId: CLOUD_ID_EU,
  channel: CHANNELS.jira,
  scopes: [...SPOKES.jira.defaultScopes],
  clientId: 'Zx81PqLm0RtYv3Nc5Wb7Ha2Js9Kd4Fe6',
  alias: { name: 'Jira Cloud acme-eu', childOf: 'Jira' },
  createdBy: USERS.ada,
  createdAt: at(-30),
  state: 'connected',
  connectedAt: at(-30),
  records: records(40),
};

export const JSM: Connection = {
  name: 'JSM helpdesk',
  spoke: 'jsm',
  method: 'oauth_3lo',
  siteOrigin: SITE,
  cloudId: CLOUD_ID,
  channel: CHANNELS.alerts,
  scopes: [...SPOKES.jsm.defaultScopes],
  clientId: 'Jh4Nc8Vb2Xm6Lq0Tr5Wp9Ks3Yd7Fg1Ae',
  alias: { name: 'Jira_SM' },
  createdBy: USERS.ada,
  createdAt: at(0, -1),
  state: 'awaiting_consent',
  records: records(50),
};

export const CONNECTIONS: readonly Connection[] = [CONFLUENCE, JIRA_TOKEN, JIRA_SERVICE, JIRA_EU, JSM];

const ALL_PRESENT = (c: Connection) => ({ missing: [], inactive: [], urlExpected: c.siteOrigin, urlActual: c.siteOrigin });

/** What the health checks found, through the product's own rules (evaluateHealth). */
function checked(facts: HealthFacts, checkedHoursAgo: number): HealthRecord {
  const report = evaluateHealth(facts, NOW, { warnDays: 14 });
  return { ...report, checkedAt: at(0, -checkedHoursAgo), nextCheckAt: at(0, 1 - checkedHoursAgo) };
}

export const HEALTH: Record<string, HealthRecord> = {
  [CONFLUENCE.name]: checked(
    {
      method: 'oauth_3lo',
      records: ALL_PRESENT(CONFLUENCE),
      scopes: { expected: CONFLUENCE.scopes, actual: CONFLUENCE.scopes },
      site: { expectedCloudId: CLOUD_ID, cloudId: CLOUD_ID },
      refreshToken: { present: true, lastRefreshed: at(-2), consentedAt: at(-120) },
    },
    0.5,
  ),
  // Kept as the store holds it: the token signs in, and its typed expiry is a week away.
  [JIRA_TOKEN.name]: {
    state: 'warning',
    checks: [
      { check: 'records', status: 'ok', summary: 'Alias, connection, credential and registry are there and active.' },
      { check: 'scopes', status: 'skipped', summary: 'No OAuth scopes for this method.' },
      { check: 'site', status: 'ok', summary: 'The site answers with the same Cloud ID.' },
      { check: 'refresh_token', status: 'skipped', summary: 'No refresh token for this method.' },
      { check: 'credential', status: 'warning', summary: `Signs in, but the API token expires in 7 days (${JIRA_TOKEN.tokenExpiresOn}).`, fix: 'rotate' },
    ],
    // Earlier in the day than NOW, so "in 7 days" whether days are counted by the clock or the calendar.
    expiries: [{ kind: 'api_token', at: `${JIRA_TOKEN.tokenExpiresOn}T09:00:00.000Z` }],
    checkedAt: at(0, -0.3),
    nextCheckAt: at(0, 0.7),
  },
  [JIRA_SERVICE.name]: checked(
    {
      method: 'service_account',
      records: ALL_PRESENT(JIRA_SERVICE),
      scopes: { expected: JIRA_SERVICE.scopes, actual: JIRA_SERVICE.scopes },
      site: { expectedCloudId: CLOUD_ID, cloudId: CLOUD_ID },
      credential: { ok: false, summary: 'Atlassian refused the client credentials (401 invalid_client): the secret was revoked or rotated in admin.atlassian.com.' },
    },
    0.1,
  ),
  [JIRA_EU.name]: checked(
    {
      method: 'oauth_3lo',
      records: ALL_PRESENT(JIRA_EU),
      scopes: { expected: JIRA_EU.scopes, actual: JIRA_EU.scopes.filter((s) => !s.includes('sprint')) },
      site: { expectedCloudId: CLOUD_ID_EU, cloudId: CLOUD_ID_EU },
      refreshToken: { present: true, lastRefreshed: at(-1), consentedAt: at(-30) },
    },
    0.8,
  ),
};

/** The store's two lookups App Home reads, over the sample connections. */
export const STORE_VIEW = {
  listConnections: () => [...CONNECTIONS],
  getHealth: (name: string) => HEALTH[name],
};

/** The Confluence setup as the admin submitted it, and the records the product plans for it. */
export const CONFLUENCE_REQUEST: SetupRequest = {
  spoke: 'confluence',
  method: 'oauth_3lo',
  connectionName: CONFLUENCE.name,
  siteOrigin: SITE,
  channel: CHANNELS.alerts,
  clientId: CONFLUENCE.clientId!,
  scopes: [...SPOKES.confluence.defaultScopes],
  secret: '',
};
export const CONFLUENCE_PLAN: RecordPlan = planRecords(CONFLUENCE_REQUEST, CLOUD_ID, ATLASSIAN);

export const JIRA_TOKEN_REQUEST: SetupRequest = {
  spoke: 'jira',
  method: 'api_token',
  connectionName: 'Jira acme sandbox',
  siteOrigin: SITE_SANDBOX,
  channel: CHANNELS.jira,
  clientId: '',
  scopes: [],
  email: 'integration@acme.com',
  tokenExpiresOn: dateOnly(300),
  scopedToken: false,
  secret: '',
};
export const JIRA_TOKEN_PLAN: RecordPlan = {
  ...planRecords(JIRA_TOKEN_REQUEST, CLOUD_ID_SANDBOX, ATLASSIAN),
  // The kind of note the setup service adds when the name is already taken in ServiceNow.
  warnings: [`The connection "Jira acme sandbox" already points at https://acme-old.atlassian.net; Confirm will point it at ${SITE_SANDBOX}.`],
};

/** The records a finished write reports: each planned record, as ServiceNow answered it. */
export function writtenFor(plan: RecordPlan, upTo = plan.records.length): WrittenRecord[] {
  return plan.records.slice(0, upTo).map((record, i) => ({
    key: record.key,
    table: record.table,
    label: record.label,
    sysId: sysId(100 + i),
    outcome: record.action === 'find' || record.action === 'alias' ? 'found' : 'created',
  }));
}

const setup = (overrides: Partial<PendingSetup> & Pick<PendingSetup, 'id' | 'spoke' | 'connectionName' | 'status'>): PendingSetup => ({
  method: 'oauth_3lo',
  userId: USERS.ada,
  siteOrigin: SITE,
  clientId: 'Jh4Nc8Vb2Xm6Lq0Tr5Wp9Ks3Yd7Fg1Ae',
  scopes: [],
  channel: CHANNELS.alerts,
  written: [],
  createdAt: at(0, -1),
  updatedAt: at(0, -0.5),
  expiresAt: at(1, -1),
  ...overrides,
});

export const PENDING_SETUPS: readonly PendingSetup[] = [
  setup({ id: 'st_7f3a9c', spoke: 'jsm', connectionName: JSM.name, status: 'awaiting_consent', cloudId: CLOUD_ID }),
  setup({ id: 'st_b21e04', spoke: 'jira', connectionName: JIRA_TOKEN_REQUEST.connectionName, status: 'planned', userId: USERS.grace, siteOrigin: SITE_SANDBOX, cloudId: CLOUD_ID_SANDBOX, method: 'api_token' }),
];

const request = (overrides: Partial<AccessRequest> & Pick<AccessRequest, 'id' | 'requester' | 'details' | 'reason' | 'state'>): AccessRequest => ({
  createdAt: at(0, -3),
  lastAnnouncedAt: at(0, -3),
  reannounced: 0,
  card: { channel: CHANNELS.approvals, ts: '1794998520.001200' },
  ...overrides,
});

export const REQUESTS = {
  newConnection: request({
    id: 14,
    requester: USERS.linus,
    details: { kind: 'new_connection', spoke: 'confluence', site: 'https://wiki-acme.atlassian.net', team: 'Support & Success <EMEA>' },
    reason: 'Our support agents want the runbooks on our wiki linked from ServiceNow incidents.\nRead and search are enough; nobody needs to write pages from ServiceNow.',
    state: 'open',
  }),
  groupBlocked: request({
    id: 15,
    requester: USERS.grace,
    details: { kind: 'confluence_group', connection: CONFLUENCE.name, groups: ['confluence-users', 'incident-responders'] },
    reason: 'Incident responders need to see the postmortem space.',
    state: 'open',
    card: undefined,
    announce: { attempts: 3, nextAttemptAt: at(0, 0.25), lastError: 'not_in_channel', channel: CHANNELS.approvals, toldAt: at(0, -2) },
  }),
  scopesApproved: request({
    id: 12,
    requester: USERS.linus,
    details: { kind: 'more_scopes', connection: JIRA_EU.name, scopes: ['write:sprint:jira-software', 'read:board-scope:jira-software'] },
    reason: 'The release train moves sprints from ServiceNow change records.',
    state: 'approved',
    createdAt: at(-2),
    decidedBy: USERS.margaret,
    decidedAt: at(-1, -4),
    outcome: `scopes confirmed by <@${USERS.margaret}>`,
  }),
} satisfies Record<string, AccessRequest>;

/** What App Home lists for an approver: the open requests, newest first (as homeRequests does). */
export const OPEN_REQUESTS: readonly AccessRequest[] = [REQUESTS.groupBlocked, REQUESTS.newConnection];
