import { z } from 'zod';
import { checkSite } from './site.js';
import { hasOfflineAccess, malformedScopes, parseScopes } from './scopes.js';
import { OFFLINE_ACCESS, SPOKES, type SpokeId } from './spoke-catalogue.js';

/**
 * What an admin asks for in the setup modal, validated field by field. The field names are the
 * keys the Slack view maps onto its blocks, so each problem lands under the input that caused it.
 */
export const SETUP_FIELDS = ['connectionName', 'site', 'clientId', 'clientSecret', 'scopes', 'channel'] as const;
export type SetupField = (typeof SETUP_FIELDS)[number];

/** ServiceNow record names are also our lookup keys, so they must be safe in an encoded query. */
const CONNECTION_NAME = /^[A-Za-z0-9][A-Za-z0-9 _.()-]{1,79}$/;

export interface SetupRequestInput {
  connectionName: string;
  site: string;
  clientId: string;
  clientSecret: string;
  scopes: string;
  channel: string;
}

export interface SetupRequest {
  spoke: SpokeId;
  connectionName: string;
  siteOrigin: string;
  clientId: string;
  clientSecret: string;
  scopes: string[];
  channel: string;
}

export type FieldErrors = Partial<Record<SetupField, string>>;

export function setupRequestSchema(allowlist: readonly string[], secretHeld = false) {
  return z.object({
    // Empty means "name it after the spoke and site" (see parseSetupRequest).
    connectionName: z
      .string()
      .trim()
      .refine((name) => name === '' || CONNECTION_NAME.test(name), 'Use 2 to 80 letters, digits, spaces or - _ . ( ), starting with a letter or digit.'),
    site: z
      .string()
      .transform((text, ctx) => {
        const result = checkSite(text, allowlist);
        if (!result.ok) {
          ctx.addIssue({ code: 'custom', message: result.message });
          return z.NEVER;
        }
        return result.origin;
      }),
    clientId: z.string().trim().min(1, 'Paste the Client ID from your app in the Atlassian developer console (Settings → Authentication details).'),
    clientSecret: secretHeld ? z.string().trim() : z.string().trim().min(1, 'Paste the Secret from the same Authentication details page.'),
    scopes: z
      .string()
      .transform((text) => parseScopes(text))
      .superRefine((scopes, ctx) => {
        const malformed = malformedScopes(scopes);
        if (malformed.length > 0) {
          ctx.addIssue({ code: 'custom', message: `Not a scope: ${malformed.join(', ')}. Scopes look like read:jira-work.` });
        } else if (!hasOfflineAccess(scopes)) {
          ctx.addIssue({ code: 'custom', message: `Add ${OFFLINE_ACCESS}: without it Atlassian issues no refresh token and the connection dies within the hour.` });
        }
      }),
    channel: z.string().regex(/^[CGD][A-Z0-9]+$/, 'Choose the channel that should hear about this connection.'),
  });
}

export type ParsedSetup = { ok: true; request: SetupRequest } | { ok: false; errors: FieldErrors };

/** `secretHeld`: a resubmitted form whose setup still holds the secret may leave it empty. */
export function parseSetupRequest(spoke: SpokeId, input: SetupRequestInput, allowlist: readonly string[], secretHeld = false): ParsedSetup {
  const parsed = setupRequestSchema(allowlist, secretHeld).safeParse(input);
  if (parsed.success) {
    const { site, connectionName, ...rest } = parsed.data;
    const name = connectionName || defaultConnectionName(SPOKES[spoke].label, site);
    return { ok: true, request: { spoke, siteOrigin: site, connectionName: name, ...rest } };
  }
  const errors: FieldErrors = {};
  for (const issue of parsed.error.issues) {
    const field = issue.path[0] as SetupField;
    errors[field] ??= issue.message;
  }
  return { ok: false, errors };
}

/** `Confluence Cloud acme` for https://acme.atlassian.net: distinct per site, never the alias's own name. */
export function defaultConnectionName(spokeLabel: string, siteOrigin: string): string {
  const url = new URL(siteOrigin);
  const site = url.hostname.endsWith('.atlassian.net') ? url.hostname.split('.')[0]! : url.host.replace(/:/g, '-');
  return `${spokeLabel} ${site}`.slice(0, 80);
}
