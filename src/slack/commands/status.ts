import type { KnownBlock } from '@slack/types';
import { statusBlocks } from '../blocks/health-blocks.js';
import { messageParts, quoteTyped } from '../blocks/text-sections.js';
import { SLASH_COMMAND } from '../surface.js';
import type { Subcommand } from './subcommand.js';
import { LIVE_CHECK_REUSE_MS } from '../../health/health-monitor.js';

/**
 * `/spoke status [name]`: the checks' results, after the ack. Anyone may ask, but only an admin
 * makes the bot check again now (a live check signs in to Atlassian with the stored credential,
 * and sign-ins are budgeted per account): for others the last result answers, and a connection
 * never checked is checked once.
 */
export const status: Subcommand = async ({ ack, respond, command }, words, deps) => {
  const name = words.join(' ').trim();
  const connections = deps.store.listConnections().filter((c) => c.state === 'connected' && (!name || c.name === name));
  if (name && connections.length === 0) {
    await ack({ response_type: 'ephemeral', text: `No connected connection named ${quoteTyped(name)}. \`${SLASH_COMMAND} list\` shows them.` });
    return;
  }
  if (connections.length === 0) {
    await ack({ response_type: 'ephemeral', text: 'No connected connections to check yet.' });
    return;
  }
  await ack({ response_type: 'ephemeral', text: `Checking ${connections.length} connection(s)…` });
  deps.tasks.run('health.status', async () => {
    const reuseWithinMs = (await deps.admins.isAdmin(command.user_id)) ? LIVE_CHECK_REUSE_MS : Number.POSITIVE_INFINITY;
    const records = await Promise.all(connections.map((c) => deps.monitor.check(c, { reuseWithinMs })));
    const blocks: KnownBlock[] = connections.flatMap((c, i) => [...statusBlocks(c, records[i]!), { type: 'divider' as const }]);
    // Every connection's result, in as many ephemeral answers as Slack's 50 blocks need.
    for (const part of messageParts({ text: `Health of ${connections.length} connection(s)`, blocks })) await respond({ response_type: 'ephemeral', ...part });
  });
};
