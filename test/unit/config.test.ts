import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { ConfigError, envSchema, loadConfig } from '../../src/config.js';

const key = Buffer.alloc(32, 7).toString('base64');
const minimal = {
  SLACK_BOT_TOKEN: 'xoxb-1',
  SLACK_SIGNING_SECRET: 'secret',
  SERVICENOW_INSTANCE_URL: 'https://acme.service-now.com/',
  SERVICENOW_USERNAME: 'integration',
  SERVICENOW_PASSWORD: 'pw',
  SPOKE_ENCRYPTION_KEY: key,
};

describe('loadConfig', () => {
  it('lists every missing variable at once, each with a hint', () => {
    let error: unknown;
    try {
      loadConfig({});
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/SLACK_BOT_TOKEN: required: the Bot User OAuth Token/);
    expect(problems).toMatch(/SERVICENOW_INSTANCE_URL: required: your instance/);
    expect(problems).toMatch(/SLACK_SIGNING_SECRET: required in HTTP mode/);
    expect(problems).toMatch(/SERVICENOW_USERNAME: set SERVICENOW_USERNAME and SERVICENOW_PASSWORD/);
    expect(problems).toMatch(/SPOKE_ENCRYPTION_KEY: required: 32 random bytes/);
    expect((error as ConfigError).problems.length).toBeGreaterThanOrEqual(5);
  });

  it('applies the documented defaults', () => {
    const config = loadConfig(minimal);
    expect(config.SLACK_API_URL).toBe('https://slack.com/api/');
    expect(config.PORT).toBe(3000);
    expect(config.ATLASSIAN_AUTH_URL).toBe('https://auth.atlassian.com');
    expect(config.ATLASSIAN_API_URL).toBe('https://api.atlassian.com');
    expect(config.ATLASSIAN_SITE_ALLOWLIST).toEqual(['https://*.atlassian.net']);
    expect(config.SPOKE_CHECK_INTERVAL).toBe(3_600_000);
    expect(config.SPOKE_CONSENT_TIMEOUT).toBe(900_000);
    expect(config.SPOKE_REMINDER_DAYS).toEqual([30, 14, 7, 3, 1]);
    expect(config.SERVICENOW_INSTANCE_URL).toBe('https://acme.service-now.com');
  });

  it('refuses a key that is not 32 bytes and a bad duration, together', () => {
    expect(() => loadConfig({ ...minimal, SPOKE_ENCRYPTION_KEY: 'c2hvcnQ=', SPOKE_CONSENT_TIMEOUT: 'soon' })).toThrowError(
      /SPOKE_ENCRYPTION_KEY: decodes to 5 bytes[\s\S]*SPOKE_CONSENT_TIMEOUT: a duration/,
    );
  });

  it('needs a signing secret in HTTP mode but not in Socket Mode', () => {
    const { SLACK_SIGNING_SECRET: _unused, ...withoutSecret } = minimal;
    expect(() => loadConfig(withoutSecret)).toThrowError(/SLACK_SIGNING_SECRET: required in HTTP mode/);
    expect(loadConfig({ ...withoutSecret, SLACK_APP_TOKEN: 'xapp-1' }).SLACK_APP_TOKEN).toBe('xapp-1');
  });

  it('reads admins as user and group IDs', () => {
    expect(loadConfig({ ...minimal, SPOKE_ADMINS: 'U123, S456' }).SPOKE_ADMINS).toEqual(['U123', 'S456']);
    expect(() => loadConfig({ ...minimal, SPOKE_ADMINS: 'alice' })).toThrowError(/SPOKE_ADMINS/);
  });

  it('refuses plain http to ServiceNow off the machine, but allows it on loopback', () => {
    expect(() => loadConfig({ ...minimal, SERVICENOW_INSTANCE_URL: 'http://acme.service-now.com' })).toThrowError(/SERVICENOW_INSTANCE_URL: must be https:\/\//);
    expect(loadConfig({ ...minimal, SERVICENOW_INSTANCE_URL: 'http://127.0.0.1:8080' }).SERVICENOW_INSTANCE_URL).toBe('http://127.0.0.1:8080');
    expect(loadConfig({ ...minimal, SERVICENOW_INSTANCE_URL: 'http://localhost:8080/' }).SERVICENOW_INSTANCE_URL).toBe('http://localhost:8080');
  });

  it('says what is wrong with a value that is set, instead of calling it required', () => {
    const problems = problemsOf({ ...minimal, SERVICENOW_INSTANCE_URL: 'acme.service-now.com', PORT: 'abc' });
    expect(problems).toContain('PORT: must be a port number (0 to 65535), e.g. 3000');
    expect(problems).toContain('SERVICENOW_INSTANCE_URL: not an http(s) URL: give the instance as https://acme.service-now.com');
    expect(problems.join('\n')).not.toMatch(/required/);
  });

  it('refuses an allowlist entry without a scheme, with the fix', () => {
    expect(problemsOf({ ...minimal, ATLASSIAN_SITE_ALLOWLIST: 'https://*.atlassian.net, acme.atlassian.net' }).join('\n')).toMatch(/ATLASSIAN_SITE_ALLOWLIST: "acme.atlassian.net" is not scheme:\/\/host\[:port\].*did you mean https:\/\/acme.atlassian.net/);
  });

  it('blames the missing half of a username and password', () => {
    const { SERVICENOW_PASSWORD: _p, ...noPassword } = minimal;
    expect(problemsOf(noPassword)).toEqual(['SERVICENOW_PASSWORD: required with SERVICENOW_USERNAME (the integration user\'s password)']);
    const { SERVICENOW_USERNAME: _u, ...noUser } = minimal;
    expect(problemsOf(noUser)).toEqual(['SERVICENOW_USERNAME: required with SERVICENOW_PASSWORD (the integration user\'s name)']);
  });
});

describe('.env.example', () => {
  it('lists every variable the bot reads', () => {
    const example = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
    const listed = new Set([...example.matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]));
    expect(Object.keys(envSchema.shape).filter((name) => !listed.has(name))).toEqual([]);
  });
});

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}
