import { reportSummary } from '../../doctor/report.js';
import { doctorReportBlocks } from '../blocks/doctor-report.js';
import { messageParts } from '../blocks/text-sections.js';
import { requireAdmin, type Subcommand } from './subcommand.js';

/**
 * `/spoke doctor`: the deployment checks `spokebot doctor` runs (Slack, ServiceNow, Atlassian,
 * store), for admins, answered privately. They take seconds, so they run after the ack.
 */
export const doctor: Subcommand = async (args, _words, deps) => {
  await args.ack();
  // Admins only: the report names configuration (channels, URLs, the store path) and its gaps.
  if (!(await requireAdmin(args, deps, 'doctor', 'check the deployment behind'))) return;
  await args.respond({ response_type: 'ephemeral', text: 'Running checks…' });
  deps.tasks.run('doctor.run', async () => {
    const outcome = await deps.doctor();
    const report = { text: `spokebot doctor: ${reportSummary(outcome.results)}`, blocks: doctorReportBlocks(outcome.results) };
    for (const part of messageParts(report)) await args.respond({ response_type: 'ephemeral', ...part });
  });
};
