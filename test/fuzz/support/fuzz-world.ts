/**
 * One bot and its stand-ins for a whole property (a world per run would be slow), and what is
 * checked after every run: Slack was answered in time, nothing typed reached Slack as markup or
 * past Slack's limits, no ServiceNow query changed shape, nothing went to a host off the
 * allowlist, no secret reached the logs, and the bot still answers.
 */
import dc from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { expect } from 'vitest';
import type { AtlassianSite } from '../../standins/atlassian.js';
import { parseEncodedQuery } from '../../standins/servicenow-query.js';
import type { BotResponse } from '../../standins/slack-driver.js';
import { ACK_DEADLINE_MS, runCommand } from '../../support/setup-steps.js';
import { BOT_TOKEN, CLIENT_SECRET, SERVICENOW_PASSWORD, SIGNING_SECRET, startWorld, type World, type WorldOptions } from '../../support/world.js';
import { limitProblems, mrkdwnOf, rawMarkup } from './slack-output.js';

/** Every HTTP request this process starts (undici, fetch, node:http), by origin. */
const outbound: string[] = [];
dc.subscribe('undici:request:create', (message) => {
  outbound.push(String((message as { request: { origin: string } }).request.origin));
});
dc.subscribe('http.client.request.start', (message) => {
  const request = (message as { request: ClientRequest }).request;
  outbound.push(`${request.protocol}//${String(request.getHeader('host') ?? request.host)}`);
});

export interface Mark {
  slack: number;
  serviceNow: number;
  logs: number;
  outbound: number;
}

export interface RunEvidence {
  /** The bot's HTTP answers to what the run sent (acks: status, time, body). */
  acks: BotResponse[];
  /** Secrets typed in this run: none may show up in logs or in Slack. */
  secrets?: string[];
}

export interface FuzzWorld {
  world: World;
  /** Extra Atlassian sites created for the property; their origins are allowed too. */
  addSite(site: AtlassianSite): void;
  mark(): Mark;
  /** Waits for the work the run started, then checks everything it caused. Throws with every problem found. */
  check(mark: Mark, evidence: RunEvidence): Promise<void>;
  close(): Promise<void>;
}

const FIXED_SECRETS = [CLIENT_SECRET, SERVICENOW_PASSWORD, Buffer.from(`spokebot.integration:${SERVICENOW_PASSWORD}`).toString('base64'), SIGNING_SECRET, BOT_TOKEN];

/** A value ServiceNow would run or split on: control characters (line breaks), or `javascript:`. */
const UNSAFE_QUERY_VALUE = /[\u0000-\u001f]|^\s*javascript:/i;

/** Log lines that mean a listener or a task died instead of answering (pino level 50+ is error). */
function crashed(line: string): string | undefined {
  try {
    const entry = JSON.parse(line) as { level?: number; msg?: string };
    if ((entry.level ?? 0) >= 50) return `${entry.msg}: ${line.slice(0, 600)}`;
  } catch {
    return `a log line that is not JSON: ${line.slice(0, 200)}`;
  }
  return undefined;
}

export async function startFuzzWorld(options: WorldOptions = {}): Promise<FuzzWorld> {
  const world = await startWorld({
    ...options,
    // A 3LO setup confirmed in a run watches for consent; a short watch keeps the runs short.
    env: { SPOKE_CONSENT_TIMEOUT: '1s', ...options.env },
  });
  const sites = [world.site];
  const allowed = () => new Set([world.slack.url, world.serviceNow.url, world.atlassian.authUrl, world.atlassian.apiUrl, world.botUrl, ...sites.map((s) => s.url)].map((u) => new URL(u).origin));

  const mark = (): Mark => ({ slack: world.slack.calls.length, serviceNow: world.serviceNow.requests.length, logs: world.logs.length, outbound: outbound.length });

  async function check(since: Mark, evidence: RunEvidence): Promise<void> {
    const problems: string[] = [];
    // The work after the ack must end: a hung task would hold Slack's answer forever.
    const idle = await Promise.race([world.bot.tasks.idle().then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), 20_000))]);
    if (!idle) problems.push('background work still running 20 s after the run');

    for (const ack of evidence.acks) {
      if (ack.status !== 200) problems.push(`the bot answered ${ack.status}: ${ack.text.slice(0, 300)}`);
      if (ack.elapsedMs >= ACK_DEADLINE_MS) problems.push(`the bot took ${Math.round(ack.elapsedMs)} ms to ack`);
      if (ack.json && typeof ack.json === 'object') {
        const body = ack.json as Record<string, unknown>;
        problems.push(...rawMarkup(mrkdwnOf(body)).map((p) => `ack: ${p}`), ...limitProblems(body, 'ack'));
      }
    }

    for (const call of world.slack.calls.slice(since.slack)) {
      problems.push(...rawMarkup(mrkdwnOf(call.args)).map((p) => `${call.method}: ${p}`), ...limitProblems(call.args, call.method));
      const error = call.response.ok === false ? String(call.response.error) : '';
      if (/^invalid_|_too_long$|^too_many/.test(error)) problems.push(`${call.method} refused by Slack: ${error} ${JSON.stringify(call.response.response_metadata ?? '')}`);
    }

    for (const request of world.serviceNow.requests.slice(since.serviceNow)) {
      const query = request.query.sysparm_query;
      if (query === undefined || request.table === undefined) continue;
      const table = request.table;
      const parsed = parseEncodedQuery(query, (path) => world.serviceNow.schema.isKnownPath(table, path));
      // A term ServiceNow does not understand is dropped, and the query matches more rows.
      if (parsed.ignored.length > 0) problems.push(`ServiceNow query on ${table} has terms it would drop: ${JSON.stringify(parsed.ignored)} in ${JSON.stringify(query)}`);
      for (const filter of parsed.filters) {
        const values = filter.op === 'IN' || filter.op === 'NOT IN' ? filter.value.split(',') : [filter.value];
        if (values.some((v) => UNSAFE_QUERY_VALUE.test(v))) problems.push(`ServiceNow query on ${table} carries an unsafe value: ${JSON.stringify(query)}`);
      }
    }

    const ok = allowed();
    for (const origin of outbound.slice(since.outbound)) if (!ok.has(origin)) problems.push(`a request went to ${origin}, which is not on the allowlist`);

    const logs = world.logs.slice(since.logs);
    const secrets = [...FIXED_SECRETS, ...(evidence.secrets ?? []).filter((s) => s.length >= 12)];
    for (const line of logs) {
      const death = crashed(line);
      if (death) problems.push(`logged: ${death}`);
      for (const secret of secrets) if (line.includes(secret)) problems.push(`a secret reached the logs: ${line.slice(0, 200)}`);
    }
    const slackText = JSON.stringify(world.slack.calls.slice(since.slack).map((c) => c.args));
    for (const secret of secrets) if (slackText.includes(secret)) problems.push('a secret reached Slack');

    // Still serving: the next request is answered, in time.
    const next = await runCommand(world, 'help');
    if (next.status !== 200) problems.push(`after the run the bot answers ${next.status}`);

    expect(problems, problems.join('\n')).toEqual([]);
  }

  return {
    world,
    addSite: (site) => void sites.push(site),
    mark,
    check,
    close: () => world.close(),
  };
}
