/** `npm run bench`: prints the figures the issues ask for. Loopback only, bounded, stops by itself. */
import { benchAckLatency } from './ack-latency.js';
import { benchAuditAppend } from './audit-append.js';
import { benchAuditStart } from './audit-start.js';
import { benchHealthSweep } from './health-sweep.js';
import { benchSetupWrites } from './setup-writes.js';

async function main(): Promise<void> {
  console.log(`spokebot bench · node ${process.version} · ${new Date().toISOString()}`);
  await benchAckLatency();
  await benchSetupWrites();
  await benchHealthSweep();
  await benchAuditAppend();
  await benchAuditStart();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
