import { z } from 'zod';
import { REQUEST_STATES, requestDetailsSchema } from '../core/access-request.js';
import { CHECKS, CHECK_STATUSES, EXPIRY_KINDS, FIX_ACTIONS, HEALTH_STATES } from '../core/health.js';
import { AUTH_METHODS, SPOKE_IDS } from '../core/spoke-catalogue.js';
import { sealedSchema } from './secret-box.js';

/** The store file is a boundary too: it is parsed on load, so a hand-edited file fails loudly. */
export const writtenRecordSchema = z.object({
  key: z.string(),
  table: z.string(),
  label: z.string(),
  sysId: z.string(),
  outcome: z.enum(['created', 'updated', 'unchanged', 'found']),
  /** For a child alias: the shipped alias it hangs under. */
  childOf: z.string().optional(),
});

/**
 * What ServiceNow held for a credential when a consent link was handed out (see
 * servicenow/consent-watcher.ts): only what changes after it can be the admin's consent.
 */
export const tokenBaselineSchema = z.object({
  /** Refresh-token rows, `sys_id@sys_updated_on`. */
  rows: z.array(z.string()),
  scopes: z.array(z.string()).optional(),
  access: z.object({ changedAt: z.string(), expires: z.string() }).optional(),
  rowsKept: z.boolean().optional(),
});

export const SETUP_STATUSES = [
  'checking_site', // modal submitted, Cloud ID being discovered
  'site_failed', // tenant_info gave no Cloud ID; the admin can edit and resubmit
  'credential_failed', // Atlassian refused the API token or service account; edit and resubmit
  'planned', // plan shown, waiting for Confirm
  'writing', // records being written
  'write_failed', // stopped; Retry resumes
  'awaiting_consent', // records written, consent link posted, watching oauth_credential
  'consent_timeout', // no refresh token in time; Try again restarts the watch
  'connected',
  'cancelled',
  'expired',
] as const;
export type SetupStatus = (typeof SETUP_STATUSES)[number];

/** A setup in one of these is over: nothing more runs for it and it holds no secret. */
export const TERMINAL_STATUSES: readonly SetupStatus[] = ['connected', 'cancelled', 'expired'];

export const pendingSetupSchema = z.object({
  id: z.string(),
  spoke: z.enum(SPOKE_IDS),
  method: z.enum(AUTH_METHODS).default('oauth_3lo'),
  userId: z.string(),
  connectionName: z.string(),
  email: z.string().optional(),
  tokenExpiresOn: z.string().optional(),
  /** The zone of the admin who typed tokenExpiresOn (Slack's tz): the day ends at midnight there. */
  tokenExpiryZone: z.string().optional(),
  scopedToken: z.boolean().optional(),
  siteOrigin: z.string(),
  clientId: z.string(),
  scopes: z.array(z.string()),
  channel: z.string(),
  status: z.enum(SETUP_STATUSES),
  cloudId: z.string().optional(),
  /** The client secret or API token, sealed; removed as soon as the setup no longer needs it. */
  sealedSecret: sealedSchema.optional(),
  viewId: z.string().optional(),
  thread: z.object({ channel: z.string(), ts: z.string() }).optional(),
  written: z.array(writtenRecordSchema).default([]),
  failure: z.object({ code: z.string(), message: z.string(), hint: z.string() }).optional(),
  consent: z
    .object({
      credentialSysId: z.string(),
      profileSysId: z.string(),
      startedAt: z.string(),
      link: z.string(),
      /** When the link reached the admin's DM: a restart before that posts it, since nobody has it. */
      linkPostedAt: z.string().optional(),
      /** The token rows there when the link was handed out; missing in setups stored before it was kept. */
      baseline: tokenBaselineSchema.optional(),
    })
    .optional(),
  /**
   * The takeover warnings the admin was shown with the plan. Confirm looks again and refuses
   * (with the plan drawn again) if ServiceNow now has one the admin has not seen.
   */
  shownWarnings: z.array(z.string()).optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  expiresAt: z.string(),
});
export type PendingSetup = z.infer<typeof pendingSetupSchema>;

export const connectionSchema = z.object({
  name: z.string(),
  spoke: z.enum(SPOKE_IDS),
  method: z.enum(AUTH_METHODS),
  siteOrigin: z.string(),
  cloudId: z.string(),
  channel: z.string(),
  scopes: z.array(z.string()),
  clientId: z.string().optional(),
  email: z.string().optional(),
  /** The API token's last day as the admin typed it, in their zone; it dies at tokenExpiresAt. */
  tokenExpiresOn: z.string().optional(),
  tokenExpiresAt: z.string().optional(),
  tokenExpiryZone: z.string().optional(),
  scopedToken: z.boolean().optional(),
  /**
   * API token or service-account secret, sealed, kept for health checks: nothing rotates those.
   * Never a 3LO token (ServiceNow owns those, see docs/servicenow-records.md, "Consent").
   */
  sealedCredential: sealedSchema.optional(),
  /**
   * Counts changes of the credential (rotation, consent, the connection set up again); never
   * derived from the secret. A check keeps its result only if this has not moved while it ran.
   */
  credentialVersion: z.number().int().optional(),
  /** The alias the connection hangs on: the shipped one, or a child of it. */
  alias: z.object({ name: z.string(), childOf: z.string().optional() }).optional(),
  createdBy: z.string(),
  createdAt: z.string(),
  state: z.enum(['awaiting_consent', 'connected', 'removed']),
  connectedAt: z.string().optional(),
  /**
   * The last consent spokebot saw land (never set by adoption): when ServiceNow wrote it and the
   * refresh-token row it made or changed. The 365-day clock starts here (consent-watcher.ts).
   */
  watchedConsent: z.object({ at: z.string(), row: z.string(), change: z.enum(['new_row', 'changed_row']) }).optional(),
  removedAt: z.string().optional(),
  records: z.record(z.string(), z.string()),
});
export type Connection = z.infer<typeof connectionSchema>;

export const ROTATION_KINDS = ['secret', 'reconsent'] as const;
export const ROTATION_STEPS = ['verifying', 'writing', 'watching'] as const;

/**
 * A rotation in flight, kept in the store so a restart finds it: a new API token or secret being
 * verified or written (reported after a restart: ServiceNow may hold either credential), or a
 * re-consent being watched (watched on after a restart). Never holds the secret itself.
 */
export const rotationSchema = z.object({
  id: z.string(),
  kind: z.enum(ROTATION_KINDS),
  connection: z.string(),
  userId: z.string(),
  step: z.enum(ROTATION_STEPS),
  startedAt: z.string(),
  updatedAt: z.string(),
  /** A re-consent: the DM thread with the link, when the link was handed over, and the token rows there before it. */
  thread: z.object({ channel: z.string(), ts: z.string() }).optional(),
  since: z.string().optional(),
  /** Kept by re-consents stored before tokenBaseline: the refresh-token rows only. */
  baseline: z.array(z.string()).optional(),
  tokenBaseline: tokenBaselineSchema.optional(),
});
export type Rotation = z.infer<typeof rotationSchema>;

export const auditEventSchema = z.object({
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  connection: z.string().optional(),
  setupId: z.string().optional(),
  outcome: z.enum(['ok', 'failed', 'refused']),
  detail: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.array(z.string())])).optional(),
});
export type AuditEvent = z.infer<typeof auditEventSchema>;

export const accessRequestSchema = z.object({
  id: z.number().int(),
  requester: z.string(),
  details: requestDetailsSchema,
  reason: z.string(),
  state: z.enum(REQUEST_STATES),
  createdAt: z.string(),
  /** The card in the approvers' channel, and when it was last put in front of them. */
  card: z.object({ channel: z.string(), ts: z.string() }).optional(),
  lastAnnouncedAt: z.string(),
  reannounced: z.number().int().default(0),
  decidedBy: z.string().optional(),
  decidedAt: z.string().optional(),
  denyReason: z.string().optional(),
  /** What approving did: records written, a setup offered, a plan awaiting confirmation. */
  outcome: z.string().optional(),
  /**
   * The work an approval set going (the groups written, the scope plan sent, the scopes written
   * after Confirm) failed: which step, and whether a Retry is running, by which run of the bot (a
   * retry left by another run died with its process and may be pressed again). Gone once it worked.
   */
  followUp: z
    .object({
      step: z.enum(['approval', 'scopes']),
      state: z.enum(['failed', 'retrying']),
      problem: z.string(),
      run: z.string().optional(),
    })
    .optional(),
  /**
   * The outbox: the card (then the requester's receipt) still owed. Saved with the request, so
   * a crash before the card went out leaves it here for the next run to post. Gone once both are out.
   */
  announce: z
    .object({
      attempts: z.number().int().default(0),
      nextAttemptAt: z.string(),
      /** A try in flight, by one run of the bot; a claim left by another run died with its process. */
      claim: z.object({ run: z.string(), at: z.string() }).optional(),
      /** A try was cut off after it may have reached Slack: look for its card before posting again. */
      inDoubt: z.boolean().optional(),
      /** Why the last try failed (Slack's error code, an HTTP status, the network), and where it went. */
      lastError: z.string().optional(),
      channel: z.string().optional(),
      /** When the requester (and the admins) heard that a person must unblock the card. */
      toldAt: z.string().optional(),
    })
    .optional(),
});
export type AccessRequest = z.infer<typeof accessRequestSchema>;

const checkSchema = z.object({
  check: z.enum(CHECKS),
  status: z.enum(CHECK_STATUSES),
  summary: z.string(),
  fix: z.enum(FIX_ACTIONS).optional(),
});

/** What the last check of a connection found, when the next is due, and what the channel was told. */
export const healthRecordSchema = z.object({
  state: z.enum(HEALTH_STATES),
  checks: z.array(checkSchema),
  expiries: z.array(z.object({ kind: z.enum(EXPIRY_KINDS), at: z.string(), on: z.string().optional(), zone: z.string().optional(), note: z.string().optional() })),
  checkedAt: z.string(),
  nextCheckAt: z.string(),
  alertedState: z.enum(HEALTH_STATES).optional(),
  alertedAt: z.string().optional(),
  /** Last time Atlassian refused the held credential: live sign-ins wait hours after it. */
  authFailedAt: z.string().optional(),
});
export type HealthRecord = z.infer<typeof healthRecordSchema>;

export const storeDataSchema = z.object({
  version: z.literal(1),
  setups: z.array(pendingSetupSchema),
  connections: z.array(connectionSchema),
  /** Kept for files written before the audit log moved to its own append-only file. */
  audit: z.array(auditEventSchema).default([]),
  health: z.record(z.string(), healthRecordSchema).default({}),
  /** Reminder keys already handled (sent, or overtaken by a later threshold). */
  reminders: z.array(z.string()).default([]),
  requests: z.array(accessRequestSchema).default([]),
  rotations: z.array(rotationSchema).default([]),
  /**
   * Who had opened App Home before the bot kept when: with no time they count as past the redraw
   * window, and the next prune drops them (opening Home again records them in homeOpens).
   */
  homeViewers: z.array(z.string()).default([]),
  /** When each user last opened App Home (user id → ISO time): a state change redraws the Home of recent ones. */
  homeOpens: z.record(z.string(), z.string()).default({}),
  /** Health notices (alerts, reminders) that reached nobody, by notice key: tried again later, a bounded number of times. */
  undeliveredNotices: z
    .record(
      z.string(),
      z.object({
        tries: z.number().int(),
        nextAt: z.string(),
        lastError: z.string(),
        /** An alert's kind, to send it again while the state it told of holds. */
        alert: z.enum(['failing', 'warning', 'recovered']).optional(),
      }),
    )
    .default({}),
  /** A connection's report channel that refused the bot's last post there (by connection name), until a post there works. */
  reportRefusals: z.record(z.string(), z.object({ channel: z.string(), error: z.string(), at: z.string() })).default({}),
  /**
   * A known text sealed under the store's key, so a wrong key is refused at start rather than
   * when a secret is first needed. Absent in files written before it existed (see store-key.ts).
   */
  keyCheck: sealedSchema.optional(),
});
export type StoreData = z.infer<typeof storeDataSchema>;
