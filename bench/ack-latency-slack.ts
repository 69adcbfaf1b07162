/**
 * Slack's side of the ack bench, in a process of its own: the client that sends the signed
 * slash commands and times each until its answer is read, and the Web API stand-in the bot calls
 * after acking (views.open, users.info), with idle ServiceNow and Atlassian stand-ins for the
 * bot's config. Neither Slack's client nor its servers are on the bot's CPU. In one process with
 * the apps, a burst's timings also waited for that process to get round to reading the answers
 * and to answer the bot's views.open calls, so the bot was charged for the stand-in's work.
 *
 * JSON lines. Prints `{"apiUrl", "serviceNowUrl", "authUrl", "atlassianApiUrl"}` once, then
 * answers each line on stdin:
 *   {"burst": {"url", "text", "concurrency"}} → {"elapsedMs": [...], "failed": n}
 *   {"calls": "<method>"}                     → {"count": n, "outcomes": {"ok": n, "<error>": n}}
 *   {"modals": true}                          → {"ms": [...]}: for each command sent since the last
 *                                                such question whose trigger views.open has used, the
 *                                                time from sending it to that call arriving here
 *   "exit"                                    → closes everything and exits.
 */
import { createInterface } from 'node:readline';
import { startAtlassianStandIn } from '../test/standins/atlassian.js';
import { startServiceNowStandIn } from '../test/standins/servicenow.js';
import { startSlackStandIn } from '../test/standins/slack-api.js';
import { sendSlashCommand } from '../test/standins/slack-driver.js';
import { ADMIN, BOT_TOKEN, REPORT_CHANNEL, SERVICENOW_PASSWORD, SIGNING_SECRET } from '../test/support/world.js';

/** As in the bot's config (ack-latency.ts); nothing in this bench reaches ServiceNow. */
const SERVICENOW_USER = 'spokebot.integration';

const slack = await startSlackStandIn({
  botToken: BOT_TOKEN,
  users: [{ id: ADMIN, name: 'ada', is_admin: false }],
  channels: [{ id: REPORT_CHANNEL, name: 'it-integrations', is_member: true }],
});
const serviceNow = await startServiceNowStandIn({ username: SERVICENOW_USER, password: SERVICENOW_PASSWORD });
const atlassian = await startAtlassianStandIn();
process.stdout.write(`${JSON.stringify({ apiUrl: slack.apiUrl, serviceNowUrl: serviceNow.url, authUrl: atlassian.authUrl, atlassianApiUrl: atlassian.apiUrl })}\n`);

/** When each command was sent, by its trigger_id: the person's wait for the modal starts there. */
const sentAt = new Map<string, number>();

async function burst(url: string, text: string, concurrency: number): Promise<{ elapsedMs: number[]; failed: number }> {
  const results = await Promise.all(
    Array.from({ length: concurrency }, () => {
      const triggerId = slack.issueTriggerId();
      sentAt.set(triggerId, Date.now());
      return sendSlashCommand(url, SIGNING_SECRET, { text, userId: ADMIN, triggerId, channelId: REPORT_CHANNEL, responseUrl: slack.newResponseUrl() });
    }),
  );
  return { elapsedMs: results.map((r) => r.elapsedMs), failed: results.filter((r) => r.status !== 200).length };
}

function calls(method: string): { count: number; outcomes: Record<string, number> } {
  const outcomes: Record<string, number> = {};
  const matching = slack.calls.filter((c) => c.method === method);
  for (const call of matching) {
    const key = call.response.ok === true ? 'ok' : String(call.response.error);
    outcomes[key] = (outcomes[key] ?? 0) + 1;
  }
  return { count: matching.length, outcomes };
}

function modals(): { ms: number[] } {
  const ms: number[] = [];
  for (const call of slack.calls) {
    const trigger = (call.args as { trigger_id?: string }).trigger_id;
    const sent = call.method === 'views.open' && trigger !== undefined ? sentAt.get(trigger) : undefined;
    if (sent !== undefined) ms.push(call.at - sent);
  }
  sentAt.clear();
  return { ms };
}

for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'exit') break;
  const request = JSON.parse(line) as { burst?: { url: string; text: string; concurrency: number }; calls?: string; modals?: true };
  const answer = request.burst ? await burst(request.burst.url, request.burst.text, request.burst.concurrency) : request.modals ? modals() : calls(request.calls ?? '');
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}
await Promise.all([slack.close(), serviceNow.close(), atlassian.close()]);
process.exit(0);
