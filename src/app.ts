import type { AddressInfo } from 'node:net';
import { App, LogLevel, SocketModeReceiver, type Receiver } from '@slack/bolt';
import type { Dispatcher } from 'undici';
import { BackgroundTasks } from './background-tasks.js';
import type { Config } from './config.js';
import { AtlassianClient } from './atlassian/atlassian-client.js';
import { runDoctor } from './doctor/doctor.js';
import { TenantInfoClient } from './atlassian/tenant-info.js';
import { HealthMonitor } from './health/health-monitor.js';
import { HealthProbe } from './health/health-probe.js';
import { AdoptionService } from './setup/adoption-service.js';
import { RequestService } from './requests/request-service.js';
import { RequestSweep } from './slack/flows/request-sweep.js';
import { ConnectionService } from './setup/connection-service.js';
import { SlackHealthNotifier } from './slack/health-notifier.js';
import { HomeRedraws, type HomeRedrawOptions } from './slack/home/home-redraws.js';
import { CredentialVerifier } from './setup/credential-verifier.js';
import { SignInLimiter } from './setup/sign-in-limiter.js';
import type { Logger } from './logger.js';
import { PlanWriter, type PlanWriterOptions } from './servicenow/plan-writer.js';
import { serviceNowClientFromConfig } from './servicenow/client-from-config.js';
import { SetupService } from './setup/setup-service.js';
import type { SpokeStore } from './store/spoke-store.js';
import { openStore } from './store/open-store.js';
import { WorkLeases, leaseTimings } from './setup/work-leases.js';
import { AdminDirectory } from './slack/admin-directory.js';
import { boltLogger } from './slack/bolt-logger.js';
import { DmThreads } from './slack/dm-threads.js';
import { RedeliveryGuard, envelopeIdOf, guardRedeliveries, requestSignatureOf, type SharedDeliveries } from './slack/redelivery-guard.js';
import { ListenerRoutes } from './slack/listener-routes.js';
import { guardedHttpReceiver } from './slack/request-guard.js';
import { ackListenerFailures, answerListenerFailures } from './slack/listener-failures.js';
import type { SlackDeps } from './slack/deps.js';
import * as actions from './slack/actions/index.js';
import * as commands from './slack/commands/index.js';
import * as events from './slack/events/index.js';
import * as views from './slack/views/index.js';
import { RestartRecovery } from './slack/flows/restart-recovery.js';
import { SetupSweep } from './slack/flows/setup-sweep.js';
import { UserZones } from './slack/user-zones.js';

export interface AppDeps {
  config: Config;
  logger: Logger;
  now?: () => Date;
  /** Tuning for tests and the demo: quicker retries, shorter consent polling. */
  tuning?: {
    slackRetries?: number;
    serviceNowRetryDelayMs?: number;
    serviceNowMaxRetries?: number;
    consentFirstPollMs?: number;
    writer?: PlanWriterOptions;
    dispatcher?: Dispatcher;
    /** Socket Mode: how soon a missing pong drops the socket; also the wait before each reconnect (Bolt's default 5 s). */
    socketPingTimeoutMs?: number;
    /** App Home redraws: publishes at once, the rate they keep to, whose Home. */
    homeRedraws?: HomeRedrawOptions;
  };
}

export interface SpokeBot {
  app: App;
  /** Re-announces undecided requests and expires old ones (a timer runs it; tests call it). */
  sweepRequests(): Promise<void>;
  /** Expires setups idle past SPOKE_SETUP_IDLE or past SPOKE_SETUP_TTL and tells their admins (a timer runs it; tests call it). */
  sweepSetups(): Promise<void>;
  monitor: HealthMonitor;
  store: SpokeStore;
  tasks: BackgroundTasks;
  /** Starts listening (HTTP) or connecting (Socket Mode); resolves with the HTTP URL when there is one. */
  start(port?: number): Promise<{ url?: string }>;
  stop(): Promise<void>;
}

/**
 * The composition root: builds every client, the store and the Slack app from config, without
 * listening. main.ts starts it; tests and the demo build it against local stand-ins.
 */
export async function createApp({ config, logger, now = () => new Date(), tuning = {} }: AppDeps): Promise<SpokeBot> {
  const store = await openStore(config, now, logger);
  const tasks = new BackgroundTasks(logger);
  const { leaseMs, takeoverEveryMs } = leaseTimings(config.SPOKE_CHECK_INTERVAL);
  const work = new WorkLeases(store, logger.child({ component: 'work' }), leaseMs);
  const serviceNow = serviceNowClientFromConfig(config, logger, tuning);
  const tenantInfo = new TenantInfoClient({ allowlist: config.ATLASSIAN_SITE_ALLOWLIST, logger: logger.child({ component: 'atlassian' }) });
  const atlassian = new AtlassianClient({ authUrl: config.ATLASSIAN_AUTH_URL, logger: logger.child({ component: 'atlassian' }) });
  const verifier = new CredentialVerifier(atlassian, config.ATLASSIAN_API_URL);
  // One budget of live sign-ins per Atlassian account, whichever of setup, rotation or health asks.
  const signIns = new SignInLimiter({ now, backoffMs: config.SPOKE_AUTH_BACKOFF });
  const setup = new SetupService({
    store,
    serviceNow,
    // Replicas decide a spoke's shipped alias one at a time: the lock is a lease in the shared store.
    writer: new PlanWriter(serviceNow, { ...tuning.writer, ...(store.shared ? { sharedLock: (key: string) => work.lock(key) } : {}) }),
    tenantInfo,
    verifier,
    signIns,
    now,
    config: {
      instanceUrl: config.SERVICENOW_INSTANCE_URL,
      authUrl: config.ATLASSIAN_AUTH_URL,
      apiUrl: config.ATLASSIAN_API_URL,
      setupTtlMs: config.SPOKE_SETUP_TTL,
      setupIdleMs: config.SPOKE_SETUP_IDLE,
      consentTimeoutMs: config.SPOKE_CONSENT_TIMEOUT,
      ...(tuning.consentFirstPollMs ? { consentFirstPollMs: tuning.consentFirstPollMs } : {}),
    },
  });

  const connections = new ConnectionService({
    store,
    serviceNow,
    verifier,
    signIns,
    work,
    instanceUrl: config.SERVICENOW_INSTANCE_URL,
    apiUrl: config.ATLASSIAN_API_URL,
    consentTimeoutMs: config.SPOKE_CONSENT_TIMEOUT,
    now,
  });

  const probe = new HealthProbe({ store, serviceNow, tenantInfo, verifier, signIns, apiUrl: config.ATLASSIAN_API_URL, now, authBackoffMs: config.SPOKE_AUTH_BACKOFF });

  const socketMode = Boolean(config.SLACK_APP_TOKEN);
  const receiver: Receiver = socketMode
    ? new SocketModeReceiver({
        appToken: config.SLACK_APP_TOKEN!,
        logger: boltLogger(logger),
        // Socket Mode has no events URL, but /healthz still needs a port to answer on.
        customRoutes: [healthRoute()],
        // The socket URL comes from apps.connections.open on the same Web API as every other call.
        installerOptions: { port: config.PORT, clientOptions: { slackApiUrl: config.SLACK_API_URL } },
        // The redelivery guard needs the envelope id, which Bolt does not pass on by itself.
        customPropertiesExtractor: envelopeIdOf,
        processEventErrorHandler: ackListenerFailures(logger.child({ component: 'slack' })),
        ...(tuning.socketPingTimeoutMs !== undefined ? { clientPingTimeout: tuning.socketPingTimeoutMs } : {}),
      })
    : // Signatures are checked, and a signed body Bolt cannot handle is answered 400, before Bolt reads it.
      guardedHttpReceiver(
        {
          signingSecret: config.SLACK_SIGNING_SECRET!,
          endpoints: [SLACK_EVENTS_PATH],
          customRoutes: [healthRoute()],
          logger: boltLogger(logger),
          // Ack first, then work: the HTTP answer goes out the moment a listener calls ack().
          processBeforeResponse: false,
          // The redelivery guard knows a replayed request by its timestamp and signature.
          customPropertiesExtractor: requestSignatureOf,
          processEventErrorHandler: answerListenerFailures(logger.child({ component: 'slack' })),
        },
        logger.child({ component: 'slack' }),
      );
  const app = new App({
    token: config.SLACK_BOT_TOKEN,
    // Slack delivers at least once; a redelivered envelope or event must not run a listener twice.
    receiver: guardRedeliveries(receiver, new RedeliveryGuard({ logger: logger.child({ component: 'slack' }), ...(store.shared ? { shared: sharedDeliveries(store) } : {}) })),
    logger: boltLogger(logger),
    logLevel: LogLevel.INFO,
    deferInitialization: true,
    // No listener reads Bolt's conversation context. Left on, its middleware looks every request's
    // channel up in a MemoryStore that is always empty and builds a rejected Error for the miss:
    // a stack trace per request, the costliest thing Bolt did on an ack (bench/ack-latency.ts).
    convoStore: false,
    clientOptions: {
      slackApiUrl: config.SLACK_API_URL,
      ...(tuning.slackRetries !== undefined ? { retryConfig: { retries: tuning.slackRetries } } : {}),
    },
  });

  const admins = new AdminDirectory(app.client, config.SPOKE_ADMINS);
  const approvers = new AdminDirectory(app.client, config.SPOKE_APPROVERS);
  const homes = new HomeRedraws({ store, admins, approvers, logger: logger.child({ component: 'home' }), now }, app.client, tuning.homeRedraws);
  const monitor = new HealthMonitor({
    store,
    probe,
    notifier: new SlackHealthNotifier(app.client, store, homes, logger.child({ component: 'health' }), now),
    logger: logger.child({ component: 'health' }),
    now,
    intervalMs: config.SPOKE_CHECK_INTERVAL,
    reminderDays: config.SPOKE_REMINDER_DAYS,
  });
  const deps: SlackDeps = {
    logger,
    store,
    setup,
    connections,
    monitor,
    adoption: new AdoptionService({ store, serviceNow, tenantInfo, now }),
    requests: new RequestService({
      store,
      serviceNow,
      writer: new PlanWriter(serviceNow, tuning.writer),
      approvers,
      now,
      reannounceEveryMs: config.SPOKE_REQUEST_REANNOUNCE,
      reannounceTimes: config.SPOKE_REQUEST_REANNOUNCE_TIMES,
    }),
    approvers,
    approvalChannel: config.SPOKE_APPROVAL_CHANNEL,
    admins,
    tasks,
    work,
    threads: new DmThreads(store, logger.child({ component: 'slack' })),
    instanceUrl: config.SERVICENOW_INSTANCE_URL,
    siteAllowlist: config.ATLASSIAN_SITE_ALLOWLIST,
    consentTimeoutMs: config.SPOKE_CONSENT_TIMEOUT,
    zones: new UserZones(app.client, logger.child({ component: 'slack' })),
    now,
    // Its own clients, not the bot's: the checks must see what a fresh start would see.
    doctor: () =>
      runDoctor(config, {
        logger: logger.child({ component: 'doctor' }),
        tuning: {
          ...(tuning.slackRetries !== undefined ? { slackRetries: tuning.slackRetries } : {}),
          ...(tuning.serviceNowMaxRetries !== undefined ? { serviceNowMaxRetries: tuning.serviceNowMaxRetries } : {}),
          ...(tuning.serviceNowRetryDelayMs !== undefined ? { serviceNowRetryDelayMs: tuning.serviceNowRetryDelayMs } : {}),
          ...(tuning.dispatcher ? { dispatcher: tuning.dispatcher } : {}),
        },
      }),
  };
  // Every listener through one Bolt middleware that finds it by name or id (listener-routes.ts says why).
  const routes = new ListenerRoutes(app);
  commands.register(routes.app, deps);
  views.register(routes.app, deps);
  actions.register(routes.app, deps);
  events.register(routes.app, deps);
  routes.mount();
  // Rethrown so that the receiver's processEventErrorHandler (slack/listener-failures.ts) logs
  // it once and decides Slack's answer: a 200 or an acked envelope, never a 500 or a redelivery.
  app.error(async (error) => {
    throw error;
  });

  let sweeper: NodeJS.Timeout | undefined;
  let requestSweeper: NodeJS.Timeout | undefined;
  let takeover: NodeJS.Timeout | undefined;
  return {
    app,
    store,
    tasks,
    async start(port = config.PORT) {
      await app.init();
      // Every setup and rotation the last run left on its way is resumed or reported (expired
      // ones first), before Slack traffic arrives that could move them.
      const recovery = new RestartRecovery(deps, app.client, leaseMs);
      await recovery.run();
      // Cards a crash left unposted go out now, not a sweep interval later.
      tasks.run('request.announce', () => new RequestSweep(deps, app.client).announceOwed());
      sweeper = setInterval(() => tasks.run('setup.expire', () => new SetupSweep(deps, app.client).run()), 60_000);
      sweeper.unref();
      // Replicas: work a dead replica leaves (a setup's writes, a consent watch) is taken over.
      if (store.shared) {
        takeover = setInterval(() => tasks.run('work.takeover', () => recovery.takeOverOrphans()), takeoverEveryMs);
        takeover.unref();
      }
      // Due times live in the store; the tick only asks what is due, so a restart loses nothing.
      monitor.start(Math.min(config.SPOKE_CHECK_INTERVAL, 60_000));
      requestSweeper = setInterval(() => tasks.run('request.reannounce', () => new RequestSweep(deps, app.client).run()), Math.min(config.SPOKE_REQUEST_REANNOUNCE, 60_000));
      requestSweeper.unref();
      if (socketMode) {
        await app.start();
        return {};
      }
      const server = (await app.start(port)) as unknown as { address(): AddressInfo | string | null };
      const address = server.address();
      const actualPort = typeof address === 'object' && address ? address.port : port;
      return { url: `http://127.0.0.1:${actualPort}` };
    },
    monitor,
    sweepRequests: () => new RequestSweep(deps, app.client).run(),
    sweepSetups: () => new SetupSweep(deps, app.client).run(),
    async stop() {
      if (sweeper) clearInterval(sweeper);
      if (requestSweeper) clearInterval(requestSweeper);
      if (takeover) clearInterval(takeover);
      await monitor.stop();
      await homes.stop();
      await tasks.stop();
      await app.stop();
      await store.close();
    },
  };
}

/** Deliveries claimed as leases in the shared store: the first replica to claim one runs it. */
function sharedDeliveries(store: SpokeStore): SharedDeliveries {
  return {
    async claim(keys, rememberMs) {
      const claimed = await Promise.all(keys.map((key) => store.acquireLease(`delivery:${key}`, rememberMs)));
      return claimed.every(Boolean);
    },
    async release(keys) {
      await Promise.all(keys.map((key) => store.releaseLease(`delivery:${key}`)));
    },
  };
}

/** Where Slack sends commands, interactions and events over HTTP (manifest.yml's request URLs). */
const SLACK_EVENTS_PATH = '/slack/events';

function healthRoute() {
  return {
    path: '/healthz',
    method: ['GET'],
    handler: (_req: unknown, res: { writeHead(status: number, headers: Record<string, string>): void; end(body: string): void }) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true }));
    },
  };
}
