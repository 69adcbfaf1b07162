import { planOAuthRecords } from '../src/core/oauth-plan.js';
import { planDepth, type RecordPlan } from '../src/core/record-plan.js';
import { SERVICENOW_TABLES, SPOKES } from '../src/core/spoke-catalogue.js';
import { createLogger } from '../src/logger.js';
import { PlanWriter } from '../src/servicenow/plan-writer.js';
import { decideAlias } from '../src/servicenow/shipped-alias.js';
import { ServiceNowTableClient } from '../src/servicenow/table-client.js';
import { startJsonLinesChild, type JsonLinesChild } from './json-lines-child.js';
import { ms, summarise } from './stats.js';

const LATENCY_MS = 50;
const RUNS = 7;

/** What one write cost: wall time, HTTP requests, and the lookups carried inside Batch API calls. */
interface WriteCost {
  ms: number;
  requests: number;
  batchItems: number;
  writes: number;
}

/**
 * Writing the Confluence plan with 50 ms added to every ServiceNow answer, against depth × 50 ms.
 * The client is built as the bot builds it (the bot's tables read from the dictionary together)
 * and has drawn the plan first, as a setup does before the admin confirms: so the dictionary is
 * read before the write, and its cost is shown on a line of its own. ServiceNow runs in a
 * process of its own (setup-writes-servicenow.ts), as a real instance is not on the bot's CPU.
 */
export async function benchSetupWrites(): Promise<void> {
  const serviceNow = startJsonLinesChild('bench/setup-writes-servicenow.ts');
  try {
    await measureAll(serviceNow);
  } finally {
    await serviceNow.close();
  }
}

async function measureAll(sn: JsonLinesChild): Promise<void> {
  const batched: Measured = { fresh: [], again: [], depth: 0, planRequests: 0, inARow: [] };
  const oneByOne: Measured = { fresh: [], again: [], depth: 0, planRequests: 0, inARow: [] };
  // One discarded pair warms the code paths; then the two ways take turns, so neither gets
  // the colder process or the quieter minute.
  await measureOnce(sn, true, 0, { fresh: [], again: [], depth: 0, planRequests: 0, inARow: [] });
  await measureOnce(sn, false, 0, { fresh: [], again: [], depth: 0, planRequests: 0, inARow: [] });
  for (let run = 1; run <= RUNS; run++) {
    await measureOnce(sn, true, run, batched);
    await measureOnce(sn, false, run, oneByOne);
  }
  const floor = batched.depth * LATENCY_MS;
  console.log(`\nSetup writes, Confluence 3LO (${SPOKES.confluence.defaultScopes.length} scopes), ${LATENCY_MS} ms added to every ServiceNow answer, ${RUNS} runs, medians`);
  console.log(`  floor: dependency depth ${batched.depth} × ${LATENCY_MS} ms = ${floor} ms`);
  const inARow = summarise([...batched.inARow, ...oneByOne.inARow]).p50;
  console.log(`  the round trips a first write cannot avoid (the lookup round, then the ${batched.depth} levels), sent one after another by the same client with nothing else: p50 ${ms(inARow)} (${(inARow / floor).toFixed(2)} × the floor)`);
  console.log(`  before the write (drawing the plan, cold client): ${batched.planRequests} requests, dictionary reads included`);
  for (const [label, result] of [
    ['lookups in one Batch API call', batched],
    ['Batch API refused, lookups concurrent', oneByOne],
  ] as const) {
    console.log(`  ${label}:`);
    line('first write', result.fresh, floor);
    line('same again ', result.again, floor);
  }
}

function line(label: string, costs: WriteCost[], floor: number): void {
  const time = summarise(costs.map((c) => c.ms));
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  console.log(
    `    ${label}  p50 ${ms(time.p50)}   max ${ms(time.max)}   ratio to floor ${(time.p50 / floor).toFixed(2)}   ServiceNow requests ${median(costs.map((c) => c.requests))}` +
      ` (${median(costs.map((c) => c.batchItems))} lookups inside batches, ${median(costs.map((c) => c.writes))} writes)`,
  );
}

interface Measured {
  fresh: WriteCost[];
  again: WriteCost[];
  depth: number;
  planRequests: number;
  /** The same client sending one lookup, then depth more, each after the last answer: what the round trips alone cost here. */
  inARow: number[];
}

/** On a fresh instance: draw the plan (as a setup does before Confirm), write it, write it again. */
async function measureOnce(sn: JsonLinesChild, batchLookups: boolean, run: number, into: Measured): Promise<void> {
  const { url } = (await sn.ask({ fresh: { latencyMs: LATENCY_MS } })) as { url: string };
  {
    const client = new ServiceNowTableClient({ instanceUrl: url, auth: { username: 'bench', password: 'bench' }, logger: createLogger('silent'), knownTables: SERVICENOW_TABLES, batchLookups });
    const writer = new PlanWriter(client);
    const name = `Confluence bench ${run}`;
    const plan = planOAuthRecords(
      { spoke: 'confluence', method: 'oauth_3lo', connectionName: name, siteOrigin: 'https://acme.atlassian.net', clientId: 'id', secret: 'secret', scopes: [...SPOKES.confluence.defaultScopes], channel: 'C1' },
      '11111111-2222-3333-4444-555555555555',
      { authUrl: 'https://auth.atlassian.com', apiUrl: 'https://api.atlassian.com' },
    );
    into.depth = planDepth(plan);
    await decideAlias(client, SPOKES.confluence, name);
    into.planRequests = ((await sn.ask({ mark: true })) as { at: number }).at;
    into.fresh.push(await timedWrite(sn, writer, plan));
    into.again.push(await timedWrite(sn, writer, plan));
    const started = performance.now();
    for (let hop = 0; hop <= into.depth; hop++) await client.findRecords('sys_alias', { name: `hop ${hop}` });
    into.inARow.push(performance.now() - started);
  }
}

async function timedWrite(sn: JsonLinesChild, writer: PlanWriter, plan: RecordPlan): Promise<WriteCost> {
  const { at } = (await sn.ask({ mark: true })) as { at: number };
  const started = performance.now();
  await writer.write(plan, { secret: 'secret' });
  const elapsed = performance.now() - started;
  const sent = (await sn.ask({ since: at })) as Omit<WriteCost, 'ms'>;
  return { ms: elapsed, ...sent };
}
