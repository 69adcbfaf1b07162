import { z } from 'zod';
import { SPOKE_IDS } from '../core/spoke-catalogue.js';
import { sealedSchema } from './secret-box.js';

/** The store file is a boundary too: it is parsed on load, so a hand-edited file fails loudly. */
export const writtenRecordSchema = z.object({
  key: z.string(),
  table: z.string(),
  label: z.string(),
  sysId: z.string(),
  outcome: z.enum(['created', 'updated', 'unchanged', 'found']),
});

export const SETUP_STATUSES = [
  'checking_site', // modal submitted, Cloud ID being discovered
  'site_failed', // tenant_info gave no Cloud ID; the admin can edit and resubmit
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
  userId: z.string(),
  connectionName: z.string(),
  siteOrigin: z.string(),
  clientId: z.string(),
  scopes: z.array(z.string()),
  channel: z.string(),
  status: z.enum(SETUP_STATUSES),
  cloudId: z.string().optional(),
  /** The client secret, sealed; removed as soon as ServiceNow holds it or the setup ends. */
  sealedSecret: sealedSchema.optional(),
  viewId: z.string().optional(),
  thread: z.object({ channel: z.string(), ts: z.string() }).optional(),
  written: z.array(writtenRecordSchema).default([]),
  failure: z.object({ code: z.string(), message: z.string(), hint: z.string() }).optional(),
  consent: z.object({ credentialSysId: z.string(), profileSysId: z.string(), startedAt: z.string(), link: z.string() }).optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  expiresAt: z.string(),
});
export type PendingSetup = z.infer<typeof pendingSetupSchema>;

export const connectionSchema = z.object({
  name: z.string(),
  spoke: z.enum(SPOKE_IDS),
  method: z.enum(['oauth_3lo']),
  siteOrigin: z.string(),
  cloudId: z.string(),
  channel: z.string(),
  scopes: z.array(z.string()),
  createdBy: z.string(),
  createdAt: z.string(),
  state: z.enum(['awaiting_consent', 'connected']),
  connectedAt: z.string().optional(),
  records: z.record(z.string(), z.string()),
});
export type Connection = z.infer<typeof connectionSchema>;

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

export const storeDataSchema = z.object({
  version: z.literal(1),
  setups: z.array(pendingSetupSchema),
  connections: z.array(connectionSchema),
  audit: z.array(auditEventSchema),
});
export type StoreData = z.infer<typeof storeDataSchema>;
