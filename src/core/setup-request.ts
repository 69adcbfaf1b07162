import { z } from 'zod';
import { addDays, dateInZone, dayNumber } from './calendar.js';
import { checkSite } from './site.js';
import { hasOfflineAccess, parseScopes, unknownScopesProblem } from './scopes.js';
import { API_TOKEN_MAX_DAYS, AUTH_METHODS, OFFLINE_ACCESS, SPOKES, type AuthMethod, type SpokeId } from './spoke-catalogue.js';

/**
 * What an admin asks for in the setup modal, validated field by field. The field names are the
 * keys the Slack view maps onto its blocks, so each problem lands under the input that caused it.
 */
export const SETUP_FIELDS = ['method', 'connectionName', 'site', 'clientId', 'clientSecret', 'email', 'apiToken', 'tokenExpiry', 'tokenScoped', 'scopes', 'channel'] as const;
export type SetupField = (typeof SETUP_FIELDS)[number];

/** The fields each sign-in method shows, in order. */
export const METHOD_FIELDS: Readonly<Record<AuthMethod, readonly SetupField[]>> = {
  oauth_3lo: ['connectionName', 'site', 'clientId', 'clientSecret', 'scopes', 'channel'],
  api_token: ['connectionName', 'site', 'email', 'apiToken', 'tokenExpiry', 'tokenScoped', 'channel'],
  service_account: ['connectionName', 'site', 'clientId', 'clientSecret', 'scopes', 'channel'],
};

/** ServiceNow record names are also our lookup keys, so they must be safe in an encoded query. */
const CONNECTION_NAME = /^[A-Za-z0-9][A-Za-z0-9 _.()-]{1,79}$/;

export interface SetupRequestInput {
  method: string;
  connectionName: string;
  site: string;
  clientId: string;
  clientSecret: string;
  email: string;
  apiToken: string;
  /** YYYY-MM-DD as Slack's datepicker gives it. */
  tokenExpiry: string;
  tokenScoped: boolean;
  scopes: string;
  channel: string;
}

export interface SetupRequest {
  spoke: SpokeId;
  method: AuthMethod;
  connectionName: string;
  siteOrigin: string;
  channel: string;
  /** OAuth methods: the app's client ID and scopes; empty for API tokens. */
  clientId: string;
  scopes: string[];
  /**
   * API tokens: whose token it is, its last day (YYYY-MM-DD) and the zone of the admin who typed
   * it (the day ends at midnight there), and whether it is scoped.
   */
  email?: string;
  tokenExpiresOn?: string;
  tokenExpiryZone?: string;
  scopedToken?: boolean;
  /** The client secret or API token; '' on a resubmission that keeps the one held. */
  secret: string;
}

export type FieldErrors = Partial<Record<SetupField, string>>;

export interface ParseOptions {
  allowlist: readonly string[];
  /** A resubmitted form whose setup still holds the secret may leave it empty. */
  secretHeld?: boolean;
  /** Now, for the token expiry rules: today is today in `zone`. */
  today: Date;
  /** The admin's time zone (Slack's tz); UTC when Slack did not say. */
  zone?: string;
}

const required = (message: string, optional: boolean) => (optional ? z.string().trim() : z.string().trim().min(1, message));

/**
 * The typed date is a day in the admin's calendar, as Atlassian showed it to them: counted from
 * their today, so Atlassian's own 365th day is accepted wherever they are.
 */
export function tokenExpiryProblem(isoDate: string, today: Date, zone = 'UTC'): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(isoDate) || Number.isNaN(Date.parse(isoDate))) return 'Pick the date the token expires (Atlassian shows it next to the token).';
  const days = dayNumber(isoDate) - dayNumber(dateInZone(today, zone));
  if (days < 0) return 'This date has passed: the token has expired. Create a new one at id.atlassian.com.';
  if (days > API_TOKEN_MAX_DAYS) return `Atlassian API tokens last at most ${API_TOKEN_MAX_DAYS} days; check the expiry date.`;
  return undefined;
}

const EMAIL = z.email();
const EMAIL_EXAMPLE = 'e.g. ada@acme.com';

/**
 * What is wrong with a typed email, in words that say what to change (plain text: a modal field
 * error). The address signs in to Atlassian with the token, so it has to be one.
 */
export function emailProblem(email: string): string | undefined {
  if (email === '') return `Enter the email of the Atlassian account that owns the token (${EMAIL_EXAMPLE}).`;
  if (EMAIL.safeParse(email).success) return undefined;
  // Backticks mark where the typed value starts and ends; a long one is clipped.
  const shown = `\`${(email.length > 60 ? `${email.slice(0, 59)}…` : email).replaceAll('`', "'")}\``;
  const parts = email.split('@');
  const [name = '', domain = ''] = parts;
  let why: string;
  if (parts.length !== 2) why = `it needs one @ and a domain, ${EMAIL_EXAMPLE}`;
  else if (/\s/.test(email)) why = `it has a space in it (an address has none), ${EMAIL_EXAMPLE}`;
  else if (name === '') why = `it needs a name before the @, ${EMAIL_EXAMPLE}`;
  else if (!/^[^.]+(\.[^.]+)+$/.test(domain)) why = 'after the @ it needs a whole domain, such as acme.com';
  else why = `it has characters an address cannot have, ${EMAIL_EXAMPLE}`;
  return `${shown} is not an email address: ${why}`;
}

function schemaFor(method: AuthMethod, options: ParseOptions) {
  const held = options.secretHeld ?? false;
  const common = {
    // Empty means "name it after the spoke and site" (see parseSetupRequest).
    connectionName: z
      .string()
      .trim()
      .refine((name) => name === '' || CONNECTION_NAME.test(name), 'Use 2 to 80 letters, digits, spaces or - _ . ( ), starting with a letter or digit.'),
    site: z.string().transform((text, ctx) => {
      const result = checkSite(text, options.allowlist);
      if (!result.ok) {
        ctx.addIssue({ code: 'custom', message: result.message });
        return z.NEVER;
      }
      return result.origin;
    }),
    channel: z.string().regex(/^[CGD][A-Z0-9]+$/, 'Choose the channel that should hear about this connection.'),
  };
  const scopes = (needOffline: boolean) =>
    z
      .string()
      .transform((text) => parseScopes(text))
      .superRefine((list, ctx) => {
        // Malformed or merely unknown, a scope is refused here with its likely spelling: Atlassian
        // would refuse it only at consent, without saying which one.
        const unknown = unknownScopesProblem(list);
        if (unknown) ctx.addIssue({ code: 'custom', message: unknown });
        else if (list.length === 0) ctx.addIssue({ code: 'custom', message: 'List the scopes the app should get.' });
        else if (needOffline && !hasOfflineAccess(list)) ctx.addIssue({ code: 'custom', message: `Add ${OFFLINE_ACCESS}: without it Atlassian issues no refresh token and the connection dies within the hour.` });
      });
  if (method === 'api_token') {
    return z.object({
      ...common,
      email: z
        .string()
        .trim()
        .superRefine((email, ctx) => {
          const problem = emailProblem(email);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        }),
      apiToken: required('Paste the API token (id.atlassian.com → Security → API tokens).', held),
      tokenExpiry: z.string().superRefine((date, ctx) => {
        const problem = tokenExpiryProblem(date, options.today, options.zone);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }),
      tokenScoped: z.boolean(),
    });
  }
  return z.object({
    ...common,
    clientId: required(method === 'service_account' ? "Paste the service account's OAuth client ID (admin.atlassian.com → Directory → Service accounts)." : 'Paste the Client ID from your app in the Atlassian developer console (Settings → Authentication details).', false),
    clientSecret: required('Paste the Secret from the same page.', held),
    scopes: scopes(method === 'oauth_3lo'),
  });
}

export type ParsedSetup = { ok: true; request: SetupRequest } | { ok: false; errors: FieldErrors };

export function parseSetupRequest(spoke: SpokeId, input: SetupRequestInput, options: ParseOptions): ParsedSetup {
  const method = (AUTH_METHODS as readonly string[]).includes(input.method) ? (input.method as AuthMethod) : undefined;
  if (!method || !SPOKES[spoke].methods.includes(method)) {
    return { ok: false, errors: { method: `Choose how ServiceNow signs in to ${SPOKES[spoke].label}.` } };
  }
  const parsed = schemaFor(method, options).safeParse(input);
  if (!parsed.success) {
    const errors: FieldErrors = {};
    for (const issue of parsed.error.issues) errors[issue.path[0] as SetupField] ??= issue.message;
    return { ok: false, errors };
  }
  const data = parsed.data as Record<string, unknown> & { site: string; connectionName: string; channel: string };
  const request: SetupRequest = {
    spoke,
    method,
    connectionName: data.connectionName || defaultConnectionName(SPOKES[spoke].label, data.site),
    siteOrigin: data.site,
    channel: data.channel,
    clientId: typeof data.clientId === 'string' ? data.clientId : '',
    scopes: Array.isArray(data.scopes) ? (data.scopes as string[]) : [],
    secret: String(method === 'api_token' ? data.apiToken : data.clientSecret),
    ...(method === 'api_token' ? { email: String(data.email), tokenExpiresOn: String(data.tokenExpiry), tokenExpiryZone: options.zone ?? 'UTC', scopedToken: Boolean(data.tokenScoped) } : {}),
  };
  return { ok: true, request };
}

/** `Confluence Cloud acme` for https://acme.atlassian.net: distinct per site, never the alias's own name. */
export function defaultConnectionName(spokeLabel: string, siteOrigin: string): string {
  const url = new URL(siteOrigin);
  const site = url.hostname.endsWith('.atlassian.net') ? url.hostname.split('.')[0]! : url.host.replace(/:/g, '-');
  return `${spokeLabel} ${site}`.slice(0, 80);
}

/**
 * The default expiry Atlassian proposes for a new token: a year from today. Without the admin's
 * zone, today is taken where it began last (UTC-12), so the proposal is never past their 365th day.
 */
export function defaultTokenExpiry(today: Date, zone = 'Etc/GMT+12'): string {
  return addDays(dateInZone(today, zone), API_TOKEN_MAX_DAYS);
}
