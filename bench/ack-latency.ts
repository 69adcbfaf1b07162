import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type SpokeBot } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { oauthCallbackUrl } from '../src/core/consent-link.js';
import { defaultTokenExpiry } from '../src/core/setup-request.js';
import { helpText } from '../src/slack/blocks/help.js';
import { setupModal } from '../src/slack/blocks/setup-modal.js';
import { ADMIN, BOT_TOKEN, OTHER_ADMIN, REPORT_CHANNEL, SERVICENOW_PASSWORD, SIGNING_SECRET } from '../test/support/world.js';
import { startJsonLinesChild } from './json-lines-child.js';
import { ms, summarise } from './stats.js';

const CONCURRENCY = 200;
/**
 * Bursts per side per command. Each of spokebot's bursts is paired with the bare app's next to
 * it (the pair's order alternating), and the figures are medians over the pairs: on a shared
 * machine one burst can land on a busy moment, and a p99 pooled over every burst would be that
 * burst's alone.
 */
const PAIRS = Number(process.env.ACK_BENCH_PAIRS ?? 15);

/**
 * What is measured, and against which floor. The bare app does what spokebot must do for the
 * command, and nothing else: for `help` it answers the help text in its ack (the bytes of the
 * answer are the command's, not overhead); for `setup confluence` it acks empty and then opens
 * the same setup modal with views.open, as any Bolt app that opens a modal does (the Web API
 * call after each ack shares the CPU with the acks still coming in). Both are also measured
 * against an empty ack and nothing after it, the floor the first figures used.
 */
const MEASURES = [
  { text: 'help', floor: 'same answer' },
  { text: 'help', floor: 'empty ack' },
  { text: 'setup confluence', floor: 'same modal' },
  { text: 'setup confluence', floor: 'empty ack' },
] as const;
type Floor = (typeof MEASURES)[number]['floor'];

/**
 * A Bolt app with one listener for the command: the floor. Built like spokebot's App in the way
 * that costs per request: Bolt's default `tokenVerificationEnabled: true` calls auth.test once,
 * here in the constructor (spokebot does it in `app.init()`), and every request reuses that
 * answer. With verification off Bolt would call auth.test on every request, which is no floor;
 * the bench checks that neither app calls it during the bursts.
 */
async function startBareBolt(slackApiUrl: string, serviceNowUrl: string, floor: Floor): Promise<{ url: string; stop(): Promise<void> }> {
  const receiver = new HTTPReceiver({ signingSecret: SIGNING_SECRET, endpoints: '/slack/events', processBeforeResponse: false, logLevel: LogLevel.ERROR });
  const app = new App({ token: BOT_TOKEN, receiver, logLevel: LogLevel.ERROR, clientOptions: { slackApiUrl, retryConfig: { retries: 0 } } });
  const help = { response_type: 'ephemeral' as const, text: helpText() };
  const modal = setupModal({ spoke: 'confluence', values: { channel: REPORT_CHANNEL }, callbackUrl: oauthCallbackUrl(serviceNowUrl), defaultTokenExpiry: defaultTokenExpiry(new Date()) });
  app.command('/spoke', async ({ ack, command, client }) => {
    await (floor === 'same answer' && command.text === 'help' ? ack(help) : ack());
    if (floor === 'same modal') await client.views.open({ trigger_id: command.trigger_id, view: modal });
  });
  const server = (await app.start(0)) as unknown as { address(): AddressInfo };
  return { url: `http://127.0.0.1:${server.address().port}/slack/events`, stop: async () => void (await app.stop()) };
}

/** spokebot as main.ts builds it, on a fresh lowdb store, logging at the production default (info) into a counter. */
async function startBot(urls: { apiUrl: string; serviceNowUrl: string; authUrl: string; atlassianApiUrl: string }, dataDir: string) {
  const config = loadConfig({
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: urls.apiUrl,
    SERVICENOW_INSTANCE_URL: urls.serviceNowUrl,
    SERVICENOW_USERNAME: 'spokebot.integration',
    SERVICENOW_PASSWORD,
    ATLASSIAN_AUTH_URL: urls.authUrl,
    ATLASSIAN_API_URL: urls.atlassianApiUrl,
    ATLASSIAN_SITE_ALLOWLIST: 'http://127.0.0.1:*',
    SPOKE_ENCRYPTION_KEY: Buffer.alloc(32, 42).toString('base64'),
    SPOKE_DB_PATH: join(dataDir, 'spokebot.json'),
    SPOKE_ADMINS: `${ADMIN},${OTHER_ADMIN}`,
    LOG_LEVEL: 'info',
  });
  const logLines = { count: 0 };
  const logger = createLogger(config.LOG_LEVEL, { write: () => void logLines.count++ });
  const bot: SpokeBot = await createApp({ config, logger, tuning: { slackRetries: 0 } });
  const { url } = await bot.start(0);
  return { bot, eventsUrl: `${url}/slack/events`, logLines };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

interface Pair {
  ours: { p50: number; p99: number };
  floor: { p50: number; p99: number };
  /** CPU this process spent per command during the burst (the apps are all it runs; Slack is the other process). */
  cpuMs: { ours: number; floor: number };
  /** From sending the command to Slack receiving its views.open, when both opened a modal. */
  modal?: { ours: { p50: number; p99: number }; floor: { p50: number; p99: number } };
}

/**
 * `/spoke help` and `/spoke setup confluence` ×200 at once, spokebot against a bare Bolt app,
 * taking turns burst by burst. spokebot and the bare apps share this process (only one of them
 * is sent anything at a time); Slack, sending the commands and answering views.open, is another.
 */
export async function benchAckLatency(): Promise<void> {
  const slack = startJsonLinesChild('bench/ack-latency-slack.ts');
  const dataDir = await mkdtemp(join(tmpdir(), 'spokebot-ack-bench-'));
  let stopBot: (() => Promise<void>) | undefined;
  const bares: Array<{ stop(): Promise<void> }> = [];
  try {
    const urls = (await slack.read()) as { apiUrl: string; serviceNowUrl: string; authUrl: string; atlassianApiUrl: string };
    const { bot, eventsUrl, logLines } = await startBot(urls, dataDir);
    stopBot = () => bot.stop();
    const floors = new Map<Floor, string>();
    for (const floor of ['same answer', 'same modal', 'empty ack'] as const) {
      const bare = await startBareBolt(urls.apiUrl, urls.serviceNowUrl, floor);
      bares.push(bare);
      floors.set(floor, bare.url);
    }
    const calls = async (method: string) => (await slack.ask({ calls: method })) as { count: number; outcomes: Record<string, number> };
    const burst = async (url: string, text: string) => {
      const { elapsedMs, failed } = (await slack.ask({ burst: { url, text, concurrency: CONCURRENCY } })) as { elapsedMs: number[]; failed: number };
      if (failed > 0) throw new Error(`${failed} of ${CONCURRENCY} \`/spoke ${text}\` were not acked with 200`);
      return elapsedMs;
    };
    // The bot's work after its acks (views.open) must be over before the floor's burst starts,
    // or the floor would be measured under the bot's load.
    let viewsOpenExpected = 0;
    const settle = async () => {
      const deadline = Date.now() + 30_000;
      while ((await calls('views.open')).count < viewsOpenExpected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    };
    /** A burst's samples, and the CPU per command until its work after the acks (views.open) was done. */
    const timed = async (run: () => Promise<number[]>) => {
      const before = process.cpuUsage();
      const samples = await run();
      const cpu = process.cpuUsage(before);
      return { samples, cpuMs: (cpu.user + cpu.system) / 1000 / CONCURRENCY };
    };
    const ours = (text: string) =>
      timed(async () => {
        const samples = await burst(eventsUrl, text);
        if (text.startsWith('setup')) viewsOpenExpected += CONCURRENCY;
        await settle();
        await bot.tasks.idle();
        return samples;
      });
    const bare = (floor: Floor, text: string) =>
      timed(async () => {
        const samples = await burst(floors.get(floor)!, text);
        if (floor === 'same modal') viewsOpenExpected += CONCURRENCY;
        await settle();
        return samples;
      });

    // Warm-up, not counted: JIT, keep-alive sockets, the zone cache.
    for (const { text, floor } of MEASURES) {
      await ours(text);
      await bare(floor, text);
    }
    const authTestsBefore = (await calls('auth.test')).count;
    const viewsOpenBefore = (await calls('views.open')).outcomes;
    const logLinesBefore = logLines.count;
    const pairs = MEASURES.map(() => [] as Pair[]);
    const modalMs = async () => ((await slack.ask({ modals: true })) as { ms: number[] }).ms;
    await modalMs();
    for (let pair = 0; pair < PAIRS; pair++) {
      for (const [i, { text, floor }] of MEASURES.entries()) {
        let a: { samples: number[]; cpuMs: number };
        let b: { samples: number[]; cpuMs: number };
        let aModal: number[];
        let bModal: number[];
        if (pair % 2 === 0) {
          a = await ours(text);
          aModal = await modalMs();
          b = await bare(floor, text);
          bModal = await modalMs();
        } else {
          b = await bare(floor, text);
          bModal = await modalMs();
          a = await ours(text);
          aModal = await modalMs();
        }
        const modal = aModal.length > 0 && bModal.length > 0 ? { modal: { ours: summarise(aModal), floor: summarise(bModal) } } : {};
        pairs[i]!.push({ ours: summarise(a.samples), floor: summarise(b.samples), cpuMs: { ours: a.cpuMs, floor: b.cpuMs }, ...modal });
      }
    }
    const authTests = (await calls('auth.test')).count - authTestsBefore;
    if (authTests !== 0) throw new Error(`auth.test was called ${authTests} times during the bursts: an app is verifying its token per request`);
    const viewsOpen = (await calls('views.open')).outcomes;
    const outcomes = Object.fromEntries(Object.entries(viewsOpen).flatMap(([key, n]) => (n > (viewsOpenBefore[key] ?? 0) ? [[key, n - (viewsOpenBefore[key] ?? 0)]] : [])));

    console.log(`\nSlash-command ack latency, ${CONCURRENCY} concurrent commands, ${PAIRS} bursts per side taking turns, medians over the bursts; load ${loadavg()[0]!.toFixed(1)}`);
    console.log('  spokebot (log level info) and the bare Bolt apps in one process, Slack (client and Web API stand-in) in another;');
    console.log('  both verified their token once at start: no auth.test during the bursts');
    for (const [i, { text, floor }] of MEASURES.entries()) {
      const runs = pairs[i]!;
      const m = (pick: (r: Pair) => number) => median(runs.map(pick));
      const floorIs = { 'same answer': 'answering with the same help text', 'same modal': 'acking empty, then opening the same modal', 'empty ack': 'acking empty, nothing after' }[floor];
      console.log(`  /spoke ${text}, floor: bare Bolt app ${floorIs}`);
      console.log(`    spokebot   p50 ${ms(m((r) => r.ours.p50))}   p99 ${ms(m((r) => r.ours.p99))}`);
      console.log(`    bare Bolt  p50 ${ms(m((r) => r.floor.p50))}   p99 ${ms(m((r) => r.floor.p99))}`);
      console.log(`    ratio      p50 ${m((r) => r.ours.p50 / r.floor.p50).toFixed(2)}   p99 ${m((r) => r.ours.p99 / r.floor.p99).toFixed(2)}   (p99 ratio per pair: ${runs.map((r) => (r.ours.p99 / r.floor.p99).toFixed(2)).join(' ')})`);
      console.log(`    CPU per command (the burst and the work after its acks): spokebot ${m((r) => r.cpuMs.ours).toFixed(3)} ms, bare Bolt ${m((r) => r.cpuMs.floor).toFixed(3)} ms, ratio ${m((r) => r.cpuMs.ours / r.cpuMs.floor).toFixed(2)}`);
      if (runs.every((r) => r.modal)) {
        const mm = (pick: (r: NonNullable<Pair['modal']>) => number) => median(runs.map((r) => pick(r.modal!)));
        console.log(`    until the modal's views.open reached Slack: spokebot p50 ${ms(mm((r) => r.ours.p50))} p99 ${ms(mm((r) => r.ours.p99))}, bare Bolt p50 ${ms(mm((r) => r.floor.p50))} p99 ${ms(mm((r) => r.floor.p99))}`);
      }
    }
    console.log(`  views.open after the measured setup acks (spokebot's and the bare app's): ${JSON.stringify(outcomes)}; bot log lines during the bursts: ${logLines.count - logLinesBefore}`);
  } finally {
    for (const bare of bares) await bare.stop();
    await stopBot?.();
    await slack.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}
