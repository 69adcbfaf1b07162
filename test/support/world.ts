import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type AppDeps, type SpokeBot } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { SPOKES } from '../../src/core/spoke-catalogue.js';
import { createLogger } from '../../src/logger.js';
import { startAtlassianStandIn, type AtlassianSite, type AtlassianStandIn } from '../standins/atlassian.js';
import { startServiceNowStandIn, type ServiceNowStandIn } from '../standins/servicenow.js';
import { startSlackStandIn, type SlackStandIn } from '../standins/slack-api.js';
import { sendEvent, sendInteraction, sendSlashCommand, type BotResponse, type SlashCommand } from '../standins/slack-driver.js';
import { startSlackSocketStandIn, type SlackSocketStandIn } from '../standins/slack-socket.js';
import type { Json } from '../standins/slack-views.js';
import { freshDatabase } from './postgres.js';

/** A date `days` from today (YYYY-MM-DD): tests must not depend on the day they run. */
export function daysFromNow(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

export const ADMIN = 'UADMIN01';
export const OTHER_ADMIN = 'UADMIN02';
export const MEMBER = 'UMEMBER1';
export const REPORT_CHANNEL = 'C0REPORTS';
export const APPROVAL_CHANNEL = 'C0APPROVE';
export const BOT_TOKEN = 'xoxb-test-bot-token';
export const SIGNING_SECRET = 'test-signing-secret-0123456789';
export const APP_TOKEN = 'xapp-1-A0001-test-app-token';
/** Distinctive values, so a sweep of logs, Slack calls and files can prove they never leak. */
export const CLIENT_ID = 'spokebot-client-id-7f3a';
export const CLIENT_SECRET = 'S3CRET-atlassian-client-secret-9c1e77';
export const SERVICENOW_PASSWORD = 'sn-integration-pw-4d2b';

/** The bot's clock: real time plus an offset a test can move forward (days pass in a line). */
export class TestClock {
  offsetMs = 0;
  now = (): Date => new Date(Date.now() + this.offsetMs);
  advance(ms: number): void {
    this.offsetMs += ms;
  }
  advanceDays(days: number): void {
    this.advance(days * 86_400_000);
  }
}

/** How a test hands Slack's traffic to the bot: signed HTTP posts, or envelopes on the socket. */
export interface SlackTransport {
  command(cmd: SlashCommand): Promise<BotResponse>;
  interaction(payload: Json): Promise<BotResponse>;
  event(body: Json): Promise<BotResponse>;
}

export interface World {
  clock: TestClock;
  slack: SlackStandIn;
  /** The Socket Mode stand-in, in a world started with `socketMode: true`. */
  socket?: SlackSocketStandIn;
  /** Commands, interactions and events, over whichever transport this world's bot uses. */
  deliver: SlackTransport;
  serviceNow: ServiceNowStandIn;
  atlassian: AtlassianStandIn;
  site: AtlassianSite;
  bot: SpokeBot;
  config: Config;
  botUrl: string;
  eventsUrl: string;
  logs: string[];
  dataDir: string;
  /** Stops the bot only (the stand-ins and store stay), runs `whileDown`, starts it again. */
  restartBot(whileDown?: () => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

export interface WorldOptions {
  env?: Record<string, string>;
  /** Scopes enabled on the Atlassian developer-console app (default: the Confluence defaults). */
  appScopes?: string[];
  logLevel?: string;
  keepData?: boolean;
  /** The bot on Socket Mode (SLACK_APP_TOKEN, no signing secret); /healthz on a free PORT. */
  socketMode?: boolean;
  /**
   * ServiceNow stamps its rows (sys_created_on, token expiry) on the bot's clock, so a test that
   * moves the clock moves ServiceNow's too, as time passes for both on a real instance.
   */
  serviceNowOnBotClock?: boolean;
  /** Tuning over the world's own (quick retries, short polls). */
  tuning?: AppDeps['tuning'];
  /**
   * The bot's store: the lowdb file, or a fresh PostgreSQL database (SPOKE_DATABASE_URL). Default:
   * SPOKE_TEST_STORE from the environment, so any e2e file can be run on either, else lowdb.
   */
  store?: 'lowdb' | 'postgres';
}

/**
 * Everything a setup touches, on 127.0.0.1: the Slack Web API, ServiceNow and Atlassian
 * stand-ins, and the bot itself built from config exactly as main.ts builds it.
 */
export async function startWorld(options: WorldOptions = {}): Promise<World> {
  const socketMode = options.socketMode === true;
  const slack = await startSlackStandIn({
    botToken: BOT_TOKEN,
    ...(socketMode ? { appToken: APP_TOKEN } : {}),
    users: [
      { id: ADMIN, name: 'ada', is_admin: false },
      { id: OTHER_ADMIN, name: 'grace', is_admin: false },
      { id: MEMBER, name: 'bob', is_admin: false },
    ],
    channels: [
      { id: APPROVAL_CHANNEL, name: 'spoke-approvals', is_member: true },
      { id: REPORT_CHANNEL, name: 'it-integrations', is_member: true },
    ],
  });
  const atlassian = await startAtlassianStandIn();
  const site = await atlassian.createSite();
  const clock = new TestClock();
  const serviceNow = await startServiceNowStandIn({ username: 'spokebot.integration', password: SERVICENOW_PASSWORD, ...(options.serviceNowOnBotClock ? { now: clock.now } : {}) });
  atlassian.registerApp({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    callbackUrl: `${serviceNow.url}/oauth_redirect.do`,
    scopes: options.appScopes ?? [...new Set(Object.values(SPOKES).flatMap((spoke) => [...spoke.defaultScopes, ...spoke.serviceAccountScopes]))],
    name: 'ServiceNow integration',
  });
  const socket = socketMode ? await startSlackSocketStandIn(slack) : undefined;
  // In Socket Mode Bolt serves /healthz on PORT itself and does not say which port it got.
  const healthPort = socketMode ? await freePort() : undefined;
  const dataDir = await mkdtemp(join(tmpdir(), 'spokebot-'));
  const database = (options.store ?? process.env.SPOKE_TEST_STORE) === 'postgres' ? await freshDatabase() : undefined;
  const config = loadConfig({
    ...(database ? { SPOKE_DATABASE_URL: database.url } : {}),
    SLACK_BOT_TOKEN: BOT_TOKEN,
    ...(socketMode ? { SLACK_APP_TOKEN: APP_TOKEN, PORT: String(healthPort) } : { SLACK_SIGNING_SECRET: SIGNING_SECRET }),
    SLACK_API_URL: slack.apiUrl,
    SERVICENOW_INSTANCE_URL: serviceNow.url,
    SERVICENOW_USERNAME: 'spokebot.integration',
    SERVICENOW_PASSWORD,
    SERVICENOW_TIMEOUT: '2s',
    ATLASSIAN_AUTH_URL: atlassian.authUrl,
    ATLASSIAN_API_URL: atlassian.apiUrl,
    ATLASSIAN_SITE_ALLOWLIST: 'http://127.0.0.1:*',
    SPOKE_ENCRYPTION_KEY: Buffer.alloc(32, 42).toString('base64'),
    SPOKE_DB_PATH: join(dataDir, 'spokebot.json'),
    SPOKE_ADMINS: `${ADMIN},${OTHER_ADMIN}`,
    SPOKE_APPROVERS: `${ADMIN},${OTHER_ADMIN}`,
    SPOKE_APPROVAL_CHANNEL: APPROVAL_CHANNEL,
    SPOKE_CONSENT_TIMEOUT: '20s',
    LOG_LEVEL: options.logLevel ?? 'debug',
    ...options.env,
  });
  const logs: string[] = [];
  const build = async () => {
    const logger = createLogger(config.LOG_LEVEL, { write: (line: string) => void logs.push(line) });
    const bot = await createApp({
      config,
      logger,
      now: clock.now,
      tuning: { slackRetries: 0, serviceNowRetryDelayMs: 20, consentFirstPollMs: 100, writer: { profileLookupDelayMs: 20 }, ...(socketMode ? { socketPingTimeoutMs: 1000 } : {}), ...options.tuning },
    });
    const { url } = await bot.start(0);
    return { bot, url: url ?? `http://127.0.0.1:${healthPort}` };
  };
  const eventsUrl = (): string => {
    if (socketMode) throw new Error('a Socket Mode bot has no events URL: send through world.deliver or world.socket');
    return `${current.url}/slack/events`;
  };
  const deliver: SlackTransport = socket
    ? { command: (cmd) => socket.command(cmd), interaction: (payload) => socket.interaction(payload), event: (body) => socket.event(body) }
    : {
        command: (cmd) => sendSlashCommand(eventsUrl(), SIGNING_SECRET, cmd),
        interaction: (payload) => sendInteraction(eventsUrl(), SIGNING_SECRET, payload),
        event: (body) => sendEvent(eventsUrl(), SIGNING_SECRET, body),
      };
  let current = await build();
  const world: World = {
    clock,
    slack,
    ...(socket ? { socket } : {}),
    deliver,
    serviceNow,
    atlassian,
    site,
    config,
    logs,
    dataDir,
    get bot() {
      return current.bot;
    },
    get botUrl() {
      return current.url;
    },
    get eventsUrl() {
      return eventsUrl();
    },
    async restartBot(whileDown) {
      await current.bot.stop();
      await whileDown?.();
      current = await build();
    },
    async close() {
      await current.bot.stop();
      await Promise.all([slack.close(), serviceNow.close(), atlassian.close(), socket?.close()]);
      await database?.drop();
      if (!options.keepData) await rm(dataDir, { recursive: true, force: true });
    },
  };
  return world;
}

/** A port nothing listens on now, for a server that will not tell which port it got. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}
