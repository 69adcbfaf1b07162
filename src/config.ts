import { z } from 'zod';
import { parseDuration } from './core/duration.js';
import { allowlistEntryProblem, isLoopbackHost } from './core/site.js';

/**
 * The one place that reads the environment (README, "Running it for real", lists every variable). `loadConfig` lists every bad or
 * missing variable at once, each with a hint, so a deploy is fixed in one round.
 */
const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const ms = parseDuration(text);
      if (ms === undefined || ms <= 0) {
        ctx.addIssue({ code: 'custom', message: 'a duration such as 30s, 15m, 6h or 2d' });
        return z.NEVER;
      }
      return ms;
    });

const httpUrl = z.url({ protocol: /^https?$/, error: 'an http(s) URL' });

/** Comma- or space-separated list; empty entries dropped. */
const list = z
  .string()
  .default('')
  .transform((text) => text.split(/[\s,]+/).filter(Boolean));

const slackIds = (prefixes: RegExp) =>
  list.refine((ids) => ids.every((id) => prefixes.test(id)), {
    error: 'Slack user IDs (U…/W…) or user group IDs (S…), comma-separated',
  });

const encryptionKey = z
  .string({ error: 'required: 32 random bytes, base64 (openssl rand -base64 32)' })
  .transform((text, ctx) => {
    const key = Buffer.from(text, 'base64');
    if (key.length !== 32) {
      ctx.addIssue({ code: 'custom', message: `decodes to ${key.length} bytes, needs 32 (openssl rand -base64 32)` });
      return z.NEVER;
    }
    return key;
  });

const optionalSecret = z
  .string()
  .optional()
  .transform((v) => (v === '' ? undefined : v));

export const envSchema = z
  .object({
    SLACK_BOT_TOKEN: z.string({ error: 'required: the Bot User OAuth Token (xoxb-…) from OAuth & Permissions' }).startsWith('xoxb-', 'a bot token starts with xoxb-'),
    SLACK_SIGNING_SECRET: optionalSecret,
    SLACK_APP_TOKEN: optionalSecret.refine((v) => v === undefined || v.startsWith('xapp-'), 'an app-level token starts with xapp-'),
    SLACK_API_URL: httpUrl.default('https://slack.com/api/'),
    PORT: z
      .string()
      .default('3000')
      .refine((text) => /^\d{1,5}$/.test(text.trim()) && Number(text) <= 65_535, 'must be a port number (0 to 65535), e.g. 3000')
      .transform(Number),
    SERVICENOW_INSTANCE_URL: z
      .url({
        protocol: /^https?$/,
        error: (issue) => (issue.input === undefined ? 'required: your instance, e.g. https://acme.service-now.com' : 'not an http(s) URL: give the instance as https://acme.service-now.com'),
      })
      // The integration user's password travels with every request: never in clear off the machine.
      // (an unparsable value was reported by .url() already: zod runs every check)
      .refine((u) => !URL.canParse(u) || new URL(u).protocol === 'https:' || isLoopbackHost(new URL(u).hostname), 'must be https:// (the integration user\'s credentials would travel in clear); plain http is only allowed on localhost')
      .transform((u) => u.replace(/\/+$/, '')),
    SERVICENOW_USERNAME: optionalSecret,
    SERVICENOW_PASSWORD: optionalSecret,
    SERVICENOW_TOKEN: optionalSecret,
    SERVICENOW_TIMEOUT: duration('10s'),
    ATLASSIAN_AUTH_URL: httpUrl.default('https://auth.atlassian.com').transform((u) => u.replace(/\/+$/, '')),
    ATLASSIAN_API_URL: httpUrl.default('https://api.atlassian.com').transform((u) => u.replace(/\/+$/, '')),
    ATLASSIAN_SITE_ALLOWLIST: list
      .default(['https://*.atlassian.net'])
      .superRefine((entries, ctx) => {
        for (const entry of entries) {
          const problem = allowlistEntryProblem(entry);
          if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `${problem}; entries are scheme://host[:port], e.g. https://*.atlassian.net` });
        }
      }),
    SPOKE_ENCRYPTION_KEY: encryptionKey,
    SPOKE_DB_PATH: z.string().min(1).default('./.data/spokebot.json'),
    /** A shared store for several replicas (postgres://user:password@host:5432/db); unset, the lowdb file at SPOKE_DB_PATH. */
    SPOKE_DATABASE_URL: z
      .string()
      .trim()
      .optional()
      .transform((u) => (u ? u : undefined))
      .refine((u) => u === undefined || /^postgres(ql)?:\/\/[^\s]+$/.test(u), 'a PostgreSQL URL, postgres://user:password@host:5432/database'),
    SPOKE_ADMINS: slackIds(/^[UWS][A-Z0-9]+$/),
    SPOKE_APPROVERS: slackIds(/^[UWS][A-Z0-9]+$/),
    SPOKE_ALERT_CHANNEL: z.string().regex(/^[CG][A-Z0-9]+$/, 'a channel ID (C…)').optional(),
    SPOKE_APPROVAL_CHANNEL: z.string().regex(/^[CG][A-Z0-9]+$/, 'a channel ID (C…)').optional(),
    SPOKE_CHECK_INTERVAL: duration('1h'),
    SPOKE_REMINDER_DAYS: z
      .string()
      .default('30,14,7,3,1')
      .transform((text) => text.split(',').map((d) => Number(d.trim())))
      .refine((days) => days.every((d) => Number.isInteger(d) && d > 0), 'whole days, comma-separated, e.g. 30,14,7,3,1'),
    SPOKE_CONSENT_TIMEOUT: duration('15m'),
    /** After Atlassian refuses a held credential, the next live sign-in waits this long (lockouts). */
    SPOKE_AUTH_BACKOFF: duration('6h'),
    /** Undecided requests are re-announced this often, this many times, then expire. */
    SPOKE_REQUEST_REANNOUNCE: duration('24h'),
    SPOKE_REQUEST_REANNOUNCE_TIMES: z.coerce.number().int().min(0).max(10).default(3),
    SPOKE_SETUP_TTL: duration('24h'),
    /** A setup waiting on the admin this long since it last moved is expired and its secret wiped; SPOKE_SETUP_TTL stays the hard cap. */
    SPOKE_SETUP_IDLE: duration('30m'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  });

export type Config = z.output<typeof envSchema>;

/**
 * Rules that span variables. Checked on the raw environment, beside the schema, so they are
 * reported together with every other problem rather than only once the rest is fixed.
 */
function crossVariableProblems(env: Record<string, string | undefined>): string[] {
  const set = (name: string) => Boolean(env[name]?.trim());
  const problems: string[] = [];
  if (!set('SLACK_APP_TOKEN') && !set('SLACK_SIGNING_SECRET')) {
    problems.push('SLACK_SIGNING_SECRET: required in HTTP mode (Basic Information → Signing Secret); or set SLACK_APP_TOKEN for Socket Mode');
  }
  if (set('SERVICENOW_USERNAME') && !set('SERVICENOW_PASSWORD') && !set('SERVICENOW_TOKEN')) {
    problems.push('SERVICENOW_PASSWORD: required with SERVICENOW_USERNAME (the integration user\'s password)');
  } else if (set('SERVICENOW_PASSWORD') && !set('SERVICENOW_USERNAME') && !set('SERVICENOW_TOKEN')) {
    problems.push('SERVICENOW_USERNAME: required with SERVICENOW_PASSWORD (the integration user\'s name)');
  } else if (!(set('SERVICENOW_USERNAME') && set('SERVICENOW_PASSWORD')) && !set('SERVICENOW_TOKEN')) {
    problems.push('SERVICENOW_USERNAME: set SERVICENOW_USERNAME and SERVICENOW_PASSWORD (a user with the admin role), or SERVICENOW_TOKEN');
  }
  return problems;
}

export class ConfigError extends Error {
  readonly code = 'config_invalid';
  constructor(readonly problems: string[]) {
    super(`spokebot cannot start; fix these environment variables:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  const crossed = crossVariableProblems(env);
  if (parsed.success && crossed.length === 0) return parsed.data;
  const issues = parsed.success ? [] : parsed.error.issues;
  const problems = issues.map((issue) => {
    const name = issue.path.join('.') || 'environment';
    // zod's own "expected string, received undefined" reads poorly for a missing variable.
    const message = issue.code === 'invalid_type' && env[name] === undefined && !issue.message.startsWith('required') ? 'required' : issue.message;
    return `${name}: ${message}`;
  });
  throw new ConfigError([...problems, ...crossed]);
}
