import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION } from '../../src/slack/ids.js';
import { CONFLUENCE_GROUPS_TABLE } from '../standins/servicenow-tables.js';
import type { SlackCall } from '../standins/slack-api.js';
import {
  LANE_ADMINS,
  REQUESTERS,
  auditRows,
  click,
  duplicateRows,
  escapeRegExp,
  inLanes,
  requestGroups,
  setUpConnection,
  startReplicaWorld,
  storedDocs,
  until,
  type ReplicaWorld,
  type SetupSpec,
} from '../support/replicas.js';
import { ADMIN, OTHER_ADMIN, REPORT_CHANNEL } from '../support/world.js';

/**
 * Three spokebot processes on one PostgreSQL database, every Slack request to whichever replica is
 * next (round robin), as behind a load balancer. The README promises, with N replicas as with one:
 * no ServiceNow record written twice, a request decided once however many approvers click on
 * however many replicas, a reminder once per threshold, an alert once per state change, and each
 * connection checked once per interval. The test counts each of these where it cannot be faked:
 * ServiceNow's rows and request log, Slack's calls, and the audit log in the database.
 *
 * Scale: 30 setups (3LO for Confluence, Jira and JSM with consent, API tokens for Jira and JSM,
 * Jira service accounts), 100 Confluence group requests each approved by two approvers at the same
 * moment on two replicas, then 31 days, one at a time, on the clock every replica reads.
 */

const REPLICAS = 3;
/** SPOKE_CHECK_INTERVAL: short, so a day of the month passes in about a second of real time. */
const INTERVAL_MS = 2000;
const DAY = 86_400_000;
const MONTH_DAYS = 31;
const REQUESTS = 100;
const THRESHOLDS = [30, 14, 7, 3, 1];
const WARN_DAYS = 14;
/** How late ServiceNow's stamp on a request may trail the clock move that the request preceded. */
const STAMP_SLACK_MS = 100;

/** API tokens: days from the start of the test to the end of the token's last valid day. */
const TOKENS: Array<{ spoke: 'jira' | 'jsm'; days: number }> = [
  { spoke: 'jira', days: 2 },
  { spoke: 'jira', days: 9 },
  { spoke: 'jira', days: 18 },
  { spoke: 'jira', days: 26 },
  { spoke: 'jira', days: 35 },
  { spoke: 'jira', days: 40 },
  { spoke: 'jira', days: 52 },
  { spoke: 'jira', days: 200 },
  { spoke: 'jsm', days: 4 },
  { spoke: 'jsm', days: 12 },
  { spoke: 'jsm', days: 22 },
  { spoke: 'jsm', days: 120 },
];

let w: ReplicaWorld;
const specs: SetupSpec[] = [];
const tokenDays = new Map<string, number>();
const timings: Record<string, number> = {};
/** Where ServiceNow's request log stood when the month began. */
let monthStart = { requests: 0, calls: 0, at: 0 };

beforeAll(async () => {
  const started = performance.now();
  w = await startReplicaWorld({ replicas: REPLICAS, extraSites: 2, env: { SPOKE_CHECK_INTERVAL: `${INTERVAL_MS}ms`, LOG_LEVEL: 'info' } });
  timings.start = performance.now() - started;
  const [a, b, c] = w.sites as [typeof w.site, typeof w.site, typeof w.site];
  const day = (n: number) => new Date(w.clock.nowMs() + n * DAY).toISOString().slice(0, 10);
  for (let i = 1; i <= 8; i++) specs.push({ name: `Confluence ${String(i).padStart(2, '0')}`, spoke: 'confluence', method: 'oauth_3lo', site: [a, b, c][i % 3]! });
  for (let i = 1; i <= 4; i++) specs.push({ name: `Jira 3LO ${i}`, spoke: 'jira', method: 'oauth_3lo', site: [a, b, c][i % 3]! });
  for (let i = 1; i <= 3; i++) specs.push({ name: `JSM 3LO ${i}`, spoke: 'jsm', method: 'oauth_3lo', site: [a, b, c][i % 3]! });
  for (let i = 1; i <= 3; i++) specs.push({ name: `Jira robot ${i}`, spoke: 'jira', method: 'service_account', site: [a, b, c][i % 3]! });
  TOKENS.forEach((t, i) => {
    const email = `token${i + 1}@acme.test`;
    const token = `ATATT3xFfGF0-replica-token-${String(i + 1).padStart(4, '0')}`;
    w.atlassian.addApiToken({ email, token });
    const name = `${t.spoke === 'jira' ? 'Jira' : 'JSM'} token ${t.days}d`;
    tokenDays.set(name, t.days);
    specs.push({ name, spoke: t.spoke, method: 'api_token', site: [a, b, c][i % 3]!, email, token, expiresOn: day(t.days) });
  });
}, 90_000);

afterAll(async () => {
  await w?.close();
  console.info(`replicas: ${JSON.stringify(Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, `${(v / 1000).toFixed(1)} s`])))}`);
});

async function connectedNames(): Promise<string[]> {
  const { rows } = await w.sql.query<{ name: string }>("SELECT name FROM connections WHERE state = 'connected' ORDER BY name");
  return rows.map((r) => r.name);
}

const channelPosts = (pattern: RegExp, since = 0): SlackCall[] =>
  w.slack.calls.slice(since).filter((c) => c.method === 'chat.postMessage' && c.args.channel === REPORT_CHANNEL && pattern.test(String(c.args.text ?? '')));
const dmPosts = (pattern: RegExp, since = 0): SlackCall[] =>
  w.slack.calls.slice(since).filter((c) => c.method === 'chat.postMessage' && String(c.args.channel).startsWith('D') && pattern.test(String(c.args.text ?? '')));

describe('three replicas on one PostgreSQL, Slack requests round robin', () => {
  it('30 setups at once, six admins side by side: every connection connected, no ServiceNow record written twice', async () => {
    const started = performance.now();
    const admins = [ADMIN, OTHER_ADMIN, ...LANE_ADMINS];
    await inLanes(specs, admins.length, (spec, lane) => setUpConnection(w, spec, admins[lane]!));
    timings.setups = performance.now() - started;

    const connections = await storedDocs<{ name: string; state: string }>(w, 'connections');
    expect(connections.map((c) => c.name).sort()).toEqual(specs.map((s) => s.name).sort());
    expect(connections.filter((c) => c.state !== 'connected')).toEqual([]);
    expect(duplicateRows(w.serviceNow)).toEqual([]);
    for (const spec of specs) expect(w.serviceNow.rows('http_connection').filter((r) => r.name === spec.name), spec.name).toHaveLength(1);
    // Each setup announced once in the channel, and told its admin "connected" once.
    for (const spec of specs) {
      expect(channelPosts(new RegExp(`^${escapeRegExp(spec.name)} \\(.*\\) is connected`)), spec.name).toHaveLength(1);
      expect(dmPosts(new RegExp(`^${escapeRegExp(spec.name)} is connected`)), spec.name).toHaveLength(1);
    }
    // The requests really were spread: each replica took a share.
    for (let i = 0; i < REPLICAS; i++) expect(w.deliveries.filter((d) => d === i).length).toBeGreaterThan(30);
  }, 120_000);

  it('100 requests, each approved by two approvers at the same moment on two replicas: decided once, written once', async () => {
    const started = performance.now();
    // On the Confluence connections the setups made (all eight, unless the test before failed).
    const confluence = (await connectedNames()).filter((n) => n.startsWith('Confluence'));
    expect(confluence.length).toBeGreaterThan(0);
    const group = (i: number) => `grp-r${String(i).padStart(3, '0')}-support`;
    const since = w.slack.calls.length;
    const numbers = await inLanes(
      Array.from({ length: REQUESTS }, (_, i) => i),
      10,
      async (i) => {
        const card = await requestGroups(w, REQUESTERS[i % REQUESTERS.length]!, confluence[i % confluence.length]!, group(i), 'Support needs these groups synced.');
        const number = Number(/Request #(\d+)/.exec(String(card.args.text))![1]);
        // Two approvers, two replicas, one moment.
        const first = i % REPLICAS;
        await Promise.all([click(w, card, ACTION.approveRequest, ADMIN, w.deliverTo(first)), click(w, card, ACTION.approveRequest, OTHER_ADMIN, w.deliverTo((first + 1) % REPLICAS))]);
        return number;
      },
    );
    expect(new Set(numbers).size).toBe(REQUESTS);
    await until(w, 'every group written to ServiceNow', () => w.serviceNow.rows(CONFLUENCE_GROUPS_TABLE).length >= REQUESTS || undefined, 30_000);
    await until(w, 'every request approved in the store', async () => (await storedDocs<{ state: string }>(w, 'requests')).filter((r) => r.state === 'approved').length === REQUESTS || undefined, 15_000);
    // Whatever a second decision would do, give it time to show.
    await new Promise((r) => setTimeout(r, 1500));
    timings.requests = performance.now() - started;

    const rows = w.serviceNow.rows(CONFLUENCE_GROUPS_TABLE);
    const perGroup = new Map<string, number>();
    for (const row of rows) perGroup.set(String(row.group_name), (perGroup.get(String(row.group_name)) ?? 0) + 1);
    expect([...perGroup].filter(([, n]) => n !== 1)).toEqual([]);
    expect(perGroup.size).toBe(REQUESTS);

    const audit = await auditRows(w, ['request.approved', 'request.denied', 'servicenow.write']);
    const decisions = new Map<string, number>();
    const writes = new Map<string, string[]>();
    for (const row of audit) {
      const request = row.event.detail?.request as string | undefined;
      if (request === undefined) continue;
      if (row.action === 'servicenow.write') writes.set(request, [...(writes.get(request) ?? []), String(row.event.detail?.outcome)]);
      else decisions.set(request, (decisions.get(request) ?? 0) + 1);
    }
    for (const n of numbers) {
      expect(decisions.get(String(n)), `decisions of request #${n}`).toBe(1);
      expect(writes.get(String(n)), `ServiceNow writes for request #${n}`).toEqual(['created']);
    }
    // The click that lost was told so, once per request.
    expect(w.slack.calls.slice(since).filter((c) => c.method === 'response_url' && /already approved/.test(String(c.args.text ?? '')))).toHaveLength(REQUESTS);
    expect(duplicateRows(w.serviceNow)).toEqual([]);
  }, 120_000);

  it('a month, one day at a time on every replica: each reminder once per threshold, each alert once per state change, each connection checked once per interval', async () => {
    const started = performance.now();
    monthStart = { requests: w.serviceNow.requests.length, calls: w.slack.calls.length, at: w.clock.nowMs() };
    // Every connection the setups made (all thirty, unless the first test failed: then the month
    // still runs, on those there are).
    const names = await connectedNames();
    expect(names.length).toBeGreaterThan(0);
    const claimers = new Set<string>();
    const checkedSince = async (at: number) => {
      const claims = await w.sql.query<{ by: string }>('SELECT DISTINCT claimed_by AS by FROM check_schedule WHERE claimed_by IS NOT NULL');
      for (const row of claims.rows) claimers.add(row.by);
      const health = await w.sql.query<{ name: string; checked: string }>("SELECT name, doc->>'checkedAt' AS checked FROM health");
      const checked = new Map(health.rows.map((r) => [r.name, Date.parse(r.checked)]));
      const behind = names.filter((n) => !((checked.get(n) ?? 0) >= at));
      return behind.length === 0 ? true : undefined;
    };
    // Day 0 first: every connection checked after the last setup landed, so each token's first
    // reminder is decided on the day the expectations below count from.
    await until(w, 'every connection checked on day 0', () => checkedSince(monthStart.at), 20_000, 100);
    for (let day = 1; day <= MONTH_DAYS; day++) {
      await w.advanceDays(1);
      const dayStart = w.clock.nowMs();
      // Every connection checked on its new day before the next one comes.
      await until(w, `every connection checked on day ${day}`, () => checkedSince(dayStart), 20_000, 100);
    }
    // A last round or two of checks: alerts confirm a state on the check after the one that saw it.
    const end = w.clock.nowMs();
    await until(w, 'two more rounds of checks', () => checkedSince(end + 2 * INTERVAL_MS + 1), 20_000, 100);
    await new Promise((r) => setTimeout(r, INTERVAL_MS));
    timings.month = performance.now() - started;

    // Reminders: once per (connection, threshold), never twice, in the audit log and in Slack.
    const reminderAudit = await auditRows(w, ['reminder.sent']);
    const sent = new Map<string, number[]>();
    for (const row of reminderAudit) sent.set(String(row.connection), [...(sent.get(String(row.connection)) ?? []), Number(row.event.detail?.threshold)]);
    const problems: string[] = [];
    for (const [name, days] of [...tokenDays].filter(([n]) => names.includes(n))) {
      const got = [...(sent.get(name) ?? [])].sort((x, y) => y - x);
      const want = expectedReminders(days);
      if (JSON.stringify(got) !== JSON.stringify(want)) problems.push(`${name}: reminders at thresholds ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
      const posted = channelPosts(new RegExp(`^${escapeRegExp(name)}: API token expires`)).length;
      if (posted !== got.length) problems.push(`${name}: ${posted} reminders in the channel for ${got.length} sent`);
      const told = dmPosts(new RegExp(`^${escapeRegExp(name)}: API token expires`)).length;
      if (told !== got.length) problems.push(`${name}: ${told} reminders in DMs for ${got.length} sent`);
    }
    for (const name of sent.keys()) if (!tokenDays.has(name)) problems.push(`${name}: reminders ${JSON.stringify(sent.get(name))} for a connection with nothing expiring this month`);

    // Alerts: the states each connection went through, each told once, in the audit and the channel.
    const alertAudit = await auditRows(w, ['health.alert']);
    for (const name of names) {
      const states = alertAudit.filter((r) => r.connection === name).map((r) => String(r.event.detail?.state));
      const want = tokenDays.has(name) ? expectedAlerts(tokenDays.get(name)!) : [];
      if (JSON.stringify(states) !== JSON.stringify(want)) problems.push(`${name}: alerts ${JSON.stringify(states)}, expected ${JSON.stringify(want)}`);
      const posted = channelPosts(new RegExp(`^${escapeRegExp(name)} (is (ok|warning|failing)|has recovered)\\.$`)).length;
      if (posted !== states.length) problems.push(`${name}: ${posted} alerts in the channel for ${states.length} audited`);
    }

    // Checks: the health probe reads each connection's HTTP(s) Connection row by sys_id once per
    // check, alone (`sys_id=…`) or in its sweep chunk's batch (`sys_idIN…,…`). No two reads of one
    // connection closer than the interval (checked twice), and at least one every day (the wait
    // above). Counted over the month only: while the setups were landing, a connection that changed
    // under its check was rightly read again (the read-ahead no longer matched it, or its result
    // was dropped and the check still due was made again).
    const sysIds = new Map(w.serviceNow.rows('http_connection').map((r) => [String(r.sys_id), String(r.name)]));
    const reads = new Map<string, number[]>();
    for (const r of w.serviceNow.requests.slice(monthStart.requests)) {
      if (r.method !== 'GET' || r.table !== 'http_connection') continue;
      const ids = /(?:^|\^)sys_id(?:=|IN)([0-9a-f]{32}(?:,[0-9a-f]{32})*)/.exec(r.query.sysparm_query ?? '')?.[1]?.split(',') ?? [];
      for (const id of ids) {
        const name = sysIds.get(id);
        if (name) reads.set(name, [...(reads.get(name) ?? []), r.at]);
      }
    }
    // A day passes in one jump, which no real clock does: a claim a replica took just before it
    // has run out just after, and another replica rightly takes the check. A read the first
    // replica sent before its own clock moved (ServiceNow stamps it on the moved clock, inside
    // the move) is the one case of two reads that leases allow here; the sweep reads nothing on a
    // claim that ran out once its clock has moved. Stamps can trail the move by a few ms.
    const whileTheClockMoved = (at: number) => w.clockMoves.some((m) => at >= m.from && at <= m.to + STAMP_SLACK_MS);
    let checks = 0;
    let takenOverAtAJump = 0;
    for (const name of names) {
      const at = (reads.get(name) ?? []).sort((x, y) => x - y);
      checks += at.length;
      const pairs = at.slice(1).flatMap((t, i) => (t - at[i]! < INTERVAL_MS - 5 ? [[at[i]!, t] as const] : []));
      const close = pairs.filter(([first]) => !whileTheClockMoved(first)).map(([first, then]) => `${new Date(first).toISOString()} and ${then - first} ms later`);
      takenOverAtAJump += pairs.length - close.length;
      if (close.length > 0) problems.push(`${name}: checked twice within one interval (${close.length}×), e.g. ${close.slice(0, 3).join('; ')}`);
      const inMonth = at.filter((t) => t >= monthStart.at).length;
      if (inMonth < MONTH_DAYS) problems.push(`${name}: ${inMonth} checks in a month of ${MONTH_DAYS} days`);
    }
    // The sweep's work spread over the replicas: claims by more than one of them were seen.
    if (claimers.size < 2) problems.push(`due checks claimed by ${claimers.size} replica(s) only: ${JSON.stringify([...claimers])}`);
    console.info(`replicas: ${checks} checks of ${names.length} connections, ${reminderAudit.length} reminders, ${alertAudit.length} alerts, claims by ${claimers.size} replicas, ${takenOverAtAJump} checks read again by the replica that took them over at a jump of the clock`);
    // What the replicas logged about each connection with a problem: a failure in CI explains itself.
    const troubled = [...new Set(problems.map((p) => p.slice(0, p.indexOf(':'))))];
    expect(problems, troubled.map((name) => w.linesAbout(name)).join('\n')).toEqual([]);
  }, 180_000);
});

/**
 * The thresholds a token `days` from the start gets a reminder at, over a month of daily checks:
 * of those already passed at its first check, only the closest (the others are overtaken); then
 * each one the month reaches, until it has expired. Highest first.
 */
function expectedReminders(days: number): number[] {
  const passed = THRESHOLDS.filter((t) => days <= t);
  const first = passed.length > 0 ? [Math.min(...passed)] : [];
  const later = THRESHOLDS.filter((t) => t < days && days - t <= MONTH_DAYS);
  return [...later, ...first].sort((x, y) => y - x);
}

/** The states a token `days` from the start goes through over the month, after ok: warning within 14 days, failing once past its last day. */
function expectedAlerts(days: number): string[] {
  const states: string[] = [];
  if (days - MONTH_DAYS <= WARN_DAYS) states.push('warning');
  // Failing from the day after its last, and told at the check after the one that saw it.
  if (days + 1 < MONTH_DAYS) states.push('failing');
  return states;
}
