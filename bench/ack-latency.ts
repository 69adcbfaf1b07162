import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import type { AddressInfo } from 'node:net';
import { sendSlashCommand } from '../test/standins/slack-driver.js';
import { ADMIN, BOT_TOKEN, REPORT_CHANNEL, SIGNING_SECRET, startWorld, type World } from '../test/support/world.js';
import { ms, summarise } from './stats.js';

const CONCURRENCY = 200;
/** Bursts per side, per command, per repeat; the sides take turns going first. */
const ROUNDS = 3;
/** Whole measurements; the figures printed are their medians, so one disturbed repeat cannot decide them. */
const REPEATS = Number(process.env.ACK_BENCH_REPEATS ?? 5);
/** The command texts measured: one answered in the ack itself, one that opens a modal after it. */
const COMMANDS = ['help', 'setup confluence'] as const;

/**
 * A Bolt app with nothing but an ack for the same command: the floor we compare against. Built
 * like spokebot's own App in the one way that costs per request: Bolt's default
 * `tokenVerificationEnabled: true` calls auth.test once, here in the constructor (spokebot does
 * it in `app.init()`), and every request reuses that answer. With verification off Bolt would
 * call auth.test on every request, which is no floor; the bench checks that neither app does.
 */
async function startBareBolt(slackApiUrl: string): Promise<{ url: string; stop(): Promise<void> }> {
  const receiver = new HTTPReceiver({ signingSecret: SIGNING_SECRET, endpoints: '/slack/events', processBeforeResponse: false, logLevel: LogLevel.ERROR });
  const app = new App({ token: BOT_TOKEN, receiver, logLevel: LogLevel.ERROR, clientOptions: { slackApiUrl, retryConfig: { retries: 0 } } });
  app.command('/spoke', async ({ ack }) => {
    await ack();
  });
  const server = (await app.start(0)) as unknown as { address(): AddressInfo };
  return { url: `http://127.0.0.1:${server.address().port}/slack/events`, stop: async () => void (await app.stop()) };
}

async function burst(url: string, world: World, text: string): Promise<number[]> {
  const results = await Promise.all(
    Array.from({ length: CONCURRENCY }, () =>
      sendSlashCommand(url, SIGNING_SECRET, { text, userId: ADMIN, triggerId: world.slack.issueTriggerId(), channelId: REPORT_CHANNEL, responseUrl: world.slack.newResponseUrl() }),
    ),
  );
  const failed = results.filter((r) => r.status !== 200);
  if (failed.length) throw new Error(`${failed.length} of ${CONCURRENCY} \`/spoke ${text}\` were not acked with 200`);
  return results.map((r) => r.elapsedMs);
}

const countCalls = (world: World, method: string) => world.slack.calls.filter((c) => c.method === method).length;

/**
 * The bot's work after its acks (admin check, views.open and the stand-in answering it) shares
 * this process with the other side's next burst: it must be over before that burst starts, or the
 * floor would be measured under the bot's load.
 */
async function settle(world: World, viewsOpenExpected: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (countCalls(world, 'views.open') < viewsOpenExpected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  await world.bot.tasks.idle();
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

interface Repeat {
  ours: { p50: number; p99: number };
  floor: { p50: number; p99: number };
}

/** `/spoke help` and `/spoke setup confluence` ×200 at once, spokebot against a bare Bolt app, taking turns burst by burst. */
export async function benchAckLatency(): Promise<void> {
  const world = await startWorld({ logLevel: 'warn' });
  const bare = await startBareBolt(world.slack.apiUrl);
  let viewsOpenExpected = 0;
  const ours = async (text: string) => {
    const samples = await burst(world.eventsUrl, world, text);
    if (text.startsWith('setup')) viewsOpenExpected += CONCURRENCY;
    await settle(world, viewsOpenExpected);
    return samples;
  };
  const floor = (text: string) => burst(bare.url, world, text);
  try {
    // Warm-up, not counted: JIT, keep-alive sockets, the admin and zone caches.
    for (const text of COMMANDS) {
      await ours(text);
      await floor(text);
    }
    const authTestsBefore = countCalls(world, 'auth.test');
    const callsBefore = world.slack.calls.length;
    const repeats = new Map<string, Repeat[]>(COMMANDS.map((text) => [text, []]));
    for (let repeat = 0; repeat < REPEATS; repeat++) {
      for (const text of COMMANDS) {
        const a: number[] = [];
        const b: number[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          if ((repeat + round) % 2 === 0) {
            a.push(...(await ours(text)));
            b.push(...(await floor(text)));
          } else {
            b.push(...(await floor(text)));
            a.push(...(await ours(text)));
          }
        }
        repeats.get(text)!.push({ ours: summarise(a), floor: summarise(b) });
      }
    }
    const authTests = countCalls(world, 'auth.test') - authTestsBefore;
    if (authTests !== 0) throw new Error(`auth.test was called ${authTests} times during the bursts: an app is verifying its token per request`);

    const outcomes: Record<string, number> = {};
    for (const call of world.slack.calls.slice(callsBefore).filter((c) => c.method === 'views.open')) {
      const key = call.response.ok ? 'ok' : String(call.response.error);
      outcomes[key] = (outcomes[key] ?? 0) + 1;
    }
    console.log(`\nSlash-command ack latency, ${CONCURRENCY} concurrent commands, ${ROUNDS} bursts per side × ${REPEATS} repeats; medians over the repeats`);
    console.log('  (the bare Bolt app only acks; both verified their token once at start: no auth.test during the bursts)');
    for (const text of COMMANDS) {
      const runs = repeats.get(text)!;
      const m = (pick: (r: Repeat) => number) => median(runs.map(pick));
      const ratios = runs.map((r) => (r.ours.p99 / r.floor.p99).toFixed(2)).join(' ');
      console.log(`  /spoke ${text}`);
      console.log(`    spokebot   p50 ${ms(m((r) => r.ours.p50))}   p99 ${ms(m((r) => r.ours.p99))}`);
      console.log(`    bare Bolt  p50 ${ms(m((r) => r.floor.p50))}   p99 ${ms(m((r) => r.floor.p99))}`);
      console.log(`    ratio      p50 ${m((r) => r.ours.p50 / r.floor.p50).toFixed(2)}   p99 ${m((r) => r.ours.p99 / r.floor.p99).toFixed(2)}   (p99 ratio per repeat: ${ratios})`);
    }
    console.log(`  views.open after the measured setup acks: ${JSON.stringify(outcomes)}`);
  } finally {
    await bare.stop();
    await world.close();
  }
}
