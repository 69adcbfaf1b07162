/**
 * The setup-writes bench's ServiceNow, in a process of its own: a real instance's work is not
 * on the bot's CPU, so the write is timed without the stand-in's parsing, querying and
 * answering (with it in the bot's process, that work sat on the critical path of every hop).
 *
 * JSON lines. Answers each line on stdin:
 *   {"fresh": {"latencyMs": n}}  → {"url"}: a new, empty instance (the last one is closed)
 *   {"mark": true}               → {"at": n}: how many requests the instance has had so far
 *   {"since": n}                 → {"requests", "batchItems", "writes"}: what came after mark n
 *   "exit"                       → closes the instance and exits.
 */
import { createInterface } from 'node:readline';
import { startServiceNowStandIn, type ServiceNowStandIn } from '../test/standins/servicenow.js';

let sn: ServiceNowStandIn | undefined;

async function fresh(latencyMs: number): Promise<{ url: string }> {
  await sn?.close();
  sn = await startServiceNowStandIn({ username: 'bench', password: 'bench' });
  sn.faults.setLatency(latencyMs);
  return { url: sn.url };
}

function since(from: number): { requests: number; batchItems: number; writes: number } {
  const sent = sn!.requests.slice(from);
  return {
    requests: sent.filter((r) => r.inBatch === undefined).length,
    batchItems: sent.filter((r) => r.inBatch !== undefined).length,
    writes: sent.filter((r) => r.inBatch === undefined && r.path.startsWith('/api/now/table/') && r.method !== 'GET').length,
  };
}

for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'exit') break;
  const request = JSON.parse(line) as { fresh?: { latencyMs: number }; mark?: true; since?: number };
  const answer = request.fresh ? await fresh(request.fresh.latencyMs) : request.mark ? { at: sn!.requests.length } : since(request.since ?? 0);
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}
await sn?.close();
process.exit(0);
