import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Agent } from 'undici';
import { AtlassianClient } from '../src/atlassian/atlassian-client.js';
import { TenantInfoClient } from '../src/atlassian/tenant-info.js';
import { SPOKES } from '../src/core/spoke-catalogue.js';
import { HealthMonitor } from '../src/health/health-monitor.js';
import { HealthProbe } from '../src/health/health-probe.js';
import { createLogger } from '../src/logger.js';
import { ServiceNowTableClient } from '../src/servicenow/table-client.js';
import { CredentialVerifier } from '../src/setup/credential-verifier.js';
import { SpokeStore } from '../src/store/spoke-store.js';

const CONNECTIONS = 1000;
const SITES = 50;
const LATENCY_MS = 50;
const CHECKS_AT_ONCE = 16;

interface Seeded {
  serviceNowUrl: string;
  authUrl: string;
  apiUrl: string;
  connections: Array<{ name: string; siteOrigin: string; cloudId: string; records: Record<string, string> }>;
}

/** A sweep of 1,000 connected 3LO connections against stand-ins (in their own process) that answer in 50 ms. */
export async function benchHealthSweep(): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/standins-process.ts', String(CONNECTIONS), String(SITES), String(LATENCY_MS)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const nextLine = async <T>() => JSON.parse(String((await lines.next()).value)) as T;
  const dir = await mkdtemp(join(tmpdir(), 'spokebot-bench-'));
  try {
    const seeded = await nextLine<Seeded>();
    const store = await SpokeStore.open(join(dir, 'db.json'), Buffer.alloc(32, 5));
    for (const c of seeded.connections) {
      await store.saveConnection({
        ...c,
        spoke: 'confluence',
        method: 'oauth_3lo',
        channel: 'C1',
        scopes: [...SPOKES.confluence.defaultScopes],
        createdBy: 'U1',
        createdAt: new Date().toISOString(),
        connectedAt: new Date().toISOString(),
        state: 'connected',
      });
    }
    const logger = createLogger('silent');
    // Enough sockets for every request the checks have in flight: the pool is not what is measured.
    const dispatcher = new Agent({ connections: CHECKS_AT_ONCE * 8 });
    const serviceNow = new ServiceNowTableClient({ instanceUrl: seeded.serviceNowUrl, auth: { username: 'bench', password: 'bench' }, logger, dispatcher });
    const probe = new HealthProbe({
      store,
      serviceNow,
      tenantInfo: new TenantInfoClient({ allowlist: ['http://127.0.0.1:*'], logger }),
      verifier: new CredentialVerifier(new AtlassianClient({ authUrl: seeded.authUrl, logger }), seeded.apiUrl),
      apiUrl: seeded.apiUrl,
      now: () => new Date(),
      authBackoffMs: 6 * 3_600_000,
    });
    let alerts = 0;
    const monitor = new HealthMonitor({
      store,
      probe,
      notifier: { stateChanged: async () => (alerts++, { delivered: true }), reminder: async () => ({ delivered: true }), statesChanged: async () => undefined },
      logger,
      now: () => new Date(),
      intervalMs: 3_600_000,
      reminderDays: [30, 14, 7, 3, 1],
      concurrency: CHECKS_AT_ONCE,
      perSite: 4,
    });
    child.stdin.write('stats\n');
    const before = await nextLine<{ requests: number }>();
    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
    const started = performance.now();
    const checked = await monitor.sweep();
    const wall = performance.now() - started;
    clearInterval(sampler);
    child.stdin.write('stats\n');
    const after = await nextLine<{ requests: number; rss: number }>();
    const calls = after.requests - before.requests;
    const perConnection = calls / checked;
    // All of a check's requests go out together, so up to CHECKS_AT_ONCE × perConnection are in flight.
    const inFlight = CHECKS_AT_ONCE * perConnection;
    const ideal = (calls * LATENCY_MS) / inFlight;
    const ok = store.listConnections().filter((c) => store.getHealth(c.name)?.state === 'ok').length;
    console.log(`\nHealth sweep, ${checked} connections on ${SITES} sites, ${LATENCY_MS} ms added to every ServiceNow and Atlassian answer, ${CHECKS_AT_ONCE} checks at once (4 per site); stand-ins in their own process`);
    console.log(`  wall ${(wall / 1000).toFixed(2)} s   ideal (calls × ${LATENCY_MS} ms / ${inFlight} in flight) ${(ideal / 1000).toFixed(2)} s   ratio ${(wall / ideal).toFixed(2)}`);
    console.log(`  requests ${calls} (${perConnection.toFixed(1)} per connection)   bot peak RSS ${(peakRss / 1024 / 1024).toFixed(0)} MiB   states ok ${ok}/${checked}   alerts ${alerts}`);
    await dispatcher.close();
    await store.close();
  } finally {
    child.stdin.write('exit\n');
    await new Promise((resolve) => child.once('exit', resolve));
    await rm(dir, { recursive: true, force: true });
  }
}
