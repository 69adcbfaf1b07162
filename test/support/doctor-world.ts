import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/config.js';
import type { CheckArea, CheckResult } from '../../src/doctor/check-result.js';
import { runDoctor, type DoctorOutcome } from '../../src/doctor/doctor.js';
import { startAtlassianStandIn, type AtlassianStandIn } from '../standins/atlassian.js';
import { startServiceNowStandIn, type ServiceNowStandIn } from '../standins/servicenow.js';
import { startSlackStandIn, type SlackStandIn } from '../standins/slack-api.js';
import { APPROVAL_CHANNEL, BOT_TOKEN, SERVICENOW_PASSWORD, SIGNING_SECRET } from './world.js';

export const APP_TOKEN = 'xapp-1-A0001-test-app-token';
export const SERVICENOW_USER = 'spokebot.integration';
export const ENCRYPTION_KEY = Buffer.alloc(32, 42).toString('base64');

/**
 * The deployment `spokebot doctor` checks, without the bot: Slack, ServiceNow and Atlassian
 * stand-ins and a store folder. `env()` is the environment a healthy deployment would have;
 * each test changes what it is about and runs the doctor in-process or as the CLI.
 */
export interface DoctorWorld {
  slack: SlackStandIn;
  serviceNow: ServiceNowStandIn;
  atlassian: AtlassianStandIn;
  dataDir: string;
  env(overrides?: Record<string, string | undefined>): Record<string, string>;
  config(overrides?: Record<string, string | undefined>): Config;
  doctor(overrides?: Record<string, string | undefined>): Promise<DoctorOutcome>;
  close(): Promise<void>;
}

export async function startDoctorWorld(): Promise<DoctorWorld> {
  const [slack, serviceNow, atlassian] = await Promise.all([
    startSlackStandIn({
      botToken: BOT_TOKEN,
      appToken: APP_TOKEN,
      channels: [{ id: APPROVAL_CHANNEL, name: 'spoke-approvals', is_member: true }],
    }),
    startServiceNowStandIn({ username: SERVICENOW_USER, password: SERVICENOW_PASSWORD }),
    startAtlassianStandIn(),
  ]);
  const dataDir = await mkdtemp(join(tmpdir(), 'spokebot-doctor-'));
  const env = (overrides: Record<string, string | undefined> = {}): Record<string, string> => {
    const all: Record<string, string | undefined> = {
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.apiUrl,
      SERVICENOW_INSTANCE_URL: serviceNow.url,
      SERVICENOW_USERNAME: SERVICENOW_USER,
      SERVICENOW_PASSWORD,
      SERVICENOW_TIMEOUT: '2s',
      ATLASSIAN_AUTH_URL: atlassian.authUrl,
      ATLASSIAN_API_URL: atlassian.apiUrl,
      ATLASSIAN_SITE_ALLOWLIST: 'http://127.0.0.1:*',
      SPOKE_ENCRYPTION_KEY: ENCRYPTION_KEY,
      SPOKE_DB_PATH: join(dataDir, 'spokebot.json'),
      SPOKE_APPROVAL_CHANNEL: APPROVAL_CHANNEL,
      LOG_LEVEL: 'silent',
      ...overrides,
    };
    // An override of undefined removes the variable, as an unset one.
    return Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined));
  };
  const config = (overrides: Record<string, string | undefined> = {}) => loadConfig(env(overrides));
  return {
    slack,
    serviceNow,
    atlassian,
    dataDir,
    env,
    config,
    doctor: (overrides = {}) => runDoctor(config(overrides), { tuning: { slackRetries: 0, serviceNowMaxRetries: 1, serviceNowRetryDelayMs: 20, timeoutMs: 2000 } }),
    async close() {
      await Promise.all([slack.close(), serviceNow.close(), atlassian.close()]);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export const inArea = (outcome: DoctorOutcome, area: CheckArea): CheckResult[] => outcome.results.filter((r) => r.area === area);
export const failures = (outcome: DoctorOutcome): CheckResult[] => outcome.results.filter((r) => r.status === 'fail');
/** The line of one check, by area and name. */
export const line = (outcome: DoctorOutcome, area: CheckArea, name: string): CheckResult | undefined => outcome.results.find((r) => r.area === area && r.name === name);
