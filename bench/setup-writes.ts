import { planOAuthRecords } from '../src/core/oauth-plan.js';
import { planDepth } from '../src/core/record-plan.js';
import { SPOKES } from '../src/core/spoke-catalogue.js';
import { createLogger } from '../src/logger.js';
import { PlanWriter } from '../src/servicenow/plan-writer.js';
import { ServiceNowTableClient } from '../src/servicenow/table-client.js';
import { startServiceNowStandIn } from '../test/standins/servicenow.js';
import { ms, summarise } from './stats.js';

const LATENCY_MS = 50;
const RUNS = 5;

/** Writing the Confluence plan with 50 ms added to every ServiceNow answer, against depth × 50 ms. */
export async function benchSetupWrites(): Promise<void> {
  const fresh: number[] = [];
  const again: number[] = [];
  let freshRequests = 0;
  let againRequests = 0;
  let depth = 0;
  for (let run = 0; run < RUNS; run++) {
    const sn = await startServiceNowStandIn({ username: 'bench', password: 'bench' });
    try {
      sn.faults.setLatency(LATENCY_MS);
      const client = new ServiceNowTableClient({ instanceUrl: sn.url, auth: { username: 'bench', password: 'bench' }, logger: createLogger('silent') });
      const writer = new PlanWriter(client);
      const plan = planOAuthRecords(
        { spoke: 'confluence', method: 'oauth_3lo', connectionName: `Confluence bench ${run}`, siteOrigin: 'https://acme.atlassian.net', clientId: 'id', secret: 'secret', scopes: [...SPOKES.confluence.defaultScopes], channel: 'C1' },
        '11111111-2222-3333-4444-555555555555',
        { authUrl: 'https://auth.atlassian.com', apiUrl: 'https://api.atlassian.com' },
      );
      depth = planDepth(plan);
      let started = performance.now();
      await writer.write(plan, { secret: 'secret' });
      fresh.push(performance.now() - started);
      freshRequests = sn.requests.length;
      started = performance.now();
      await writer.write(plan, { secret: 'secret' });
      again.push(performance.now() - started);
      againRequests = sn.requests.length - freshRequests;
    } finally {
      await sn.close();
    }
  }
  const floor = depth * LATENCY_MS;
  const a = summarise(fresh);
  const b = summarise(again);
  console.log(`\nSetup writes, Confluence 3LO (${SPOKES.confluence.defaultScopes.length} scopes), ${LATENCY_MS} ms added to every ServiceNow answer, ${RUNS} runs`);
  console.log(`  floor: dependency depth ${depth} × ${LATENCY_MS} ms = ${floor} ms`);
  console.log(`  first write   p50 ${ms(a.p50)}   max ${ms(a.max)}   ratio to floor ${(a.p50 / floor).toFixed(2)}   ServiceNow requests ${freshRequests}`);
  console.log(`  same again    p50 ${ms(b.p50)}   max ${ms(b.max)}   ratio to floor ${(b.p50 / floor).toFixed(2)}   ServiceNow requests ${againRequests} (all found, none created)`);
}
