import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import type { AddressInfo } from 'node:net';
import { sendSlashCommand } from '../test/standins/slack-driver.js';
import { ADMIN, BOT_TOKEN, REPORT_CHANNEL, SIGNING_SECRET, startWorld, type World } from '../test/support/world.js';
import { ms, summarise } from './stats.js';

const CONCURRENCY = 200;
const ROUNDS = 5;

/** A Bolt app with nothing but an ack for the same command: the floor we compare against. */
async function startBareBolt(slackApiUrl: string): Promise<{ url: string; stop(): Promise<void> }> {
  const receiver = new HTTPReceiver({ signingSecret: SIGNING_SECRET, endpoints: '/slack/events', processBeforeResponse: false, logLevel: LogLevel.ERROR });
  const app = new App({ token: BOT_TOKEN, receiver, logLevel: LogLevel.ERROR, clientOptions: { slackApiUrl, retryConfig: { retries: 0 } } });
  app.command('/spoke', async ({ ack }) => {
    await ack();
  });
  const server = (await app.start(0)) as unknown as { address(): AddressInfo };
  return { url: `http://127.0.0.1:${server.address().port}/slack/events`, stop: async () => void (await app.stop()) };
}

async function burst(url: string, world: World): Promise<number[]> {
  const results = await Promise.all(
    Array.from({ length: CONCURRENCY }, () =>
      sendSlashCommand(url, SIGNING_SECRET, { text: 'setup confluence', userId: ADMIN, triggerId: world.slack.issueTriggerId(), channelId: REPORT_CHANNEL, responseUrl: world.slack.newResponseUrl() }),
    ),
  );
  const failed = results.filter((r) => r.status !== 200);
  if (failed.length) throw new Error(`${failed.length} commands were not acked with 200`);
  return results.map((r) => r.elapsedMs);
}

/** `/spoke setup confluence` ×200 at once, spokebot against a bare Bolt app, alternating rounds. */
export async function benchAckLatency(): Promise<void> {
  const world = await startWorld({ logLevel: 'warn' });
  const bare = await startBareBolt(world.slack.apiUrl);
  try {
    await burst(world.eventsUrl, world); // warm-up: JIT, keep-alive sockets
    await burst(bare.url, world);
    await world.bot.tasks.idle();
    const ours: number[] = [];
    const floor: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      ours.push(...(await burst(world.eventsUrl, world)));
      await world.bot.tasks.idle();
      floor.push(...(await burst(bare.url, world)));
    }
    const a = summarise(ours);
    const b = summarise(floor);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const outcomes: Record<string, number> = {};
    for (const call of world.slack.calls.filter((c) => c.method === 'views.open')) {
      const key = call.response.ok ? 'ok' : String(call.response.error);
      outcomes[key] = (outcomes[key] ?? 0) + 1;
    }
    console.log(`\nSlash-command ack latency, ${CONCURRENCY} concurrent commands × ${ROUNDS} rounds (${a.n} samples each)`);
    console.log(`  spokebot  /spoke setup confluence   p50 ${ms(a.p50)}   p99 ${ms(a.p99)}   max ${ms(a.max)}`);
    console.log(`  bare Bolt (ack only)               p50 ${ms(b.p50)}   p99 ${ms(b.p99)}   max ${ms(b.max)}`);
    console.log(`  ratio spokebot / bare              p50 ${(a.p50 / b.p50).toFixed(2)}   p99 ${(a.p99 / b.p99).toFixed(2)}`);
    console.log(`  views.open after the acks (${(ROUNDS + 1) * CONCURRENCY} commands): ${JSON.stringify(outcomes)}`);
  } finally {
    await bare.stop();
    await world.close();
  }
}
