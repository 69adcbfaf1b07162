import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

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
});
