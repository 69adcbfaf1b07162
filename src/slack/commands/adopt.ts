import { checkSite } from '../../core/site.js';
import { SpokeError } from '../../errors.js';
import { SLASH_COMMAND } from '../surface.js';
import { requireAdmin, type Subcommand } from './subcommand.js';

/**
 * `/spoke adopt <site> <connection name>`: keep watch over a connection made in ServiceNow by
 * hand. Its reports go to the channel the command was typed in.
 */
export const adopt: Subcommand = async (args, words, deps) => {
  const [site = '', ...nameWords] = words;
  const name = nameWords.join(' ').trim();
  if (!site || !name) {
    await args.ack({ response_type: 'ephemeral', text: `Usage: \`${SLASH_COMMAND} adopt <site> <connection name>\`, e.g. \`${SLASH_COMMAND} adopt acme Jira (legal)\`` });
    return;
  }
  const checked = checkSite(site, deps.siteAllowlist);
  if (!checked.ok) {
    await args.ack({ response_type: 'ephemeral', text: checked.message });
    return;
  }
  await args.ack();
  if (!(await requireAdmin(args, deps, 'adopt'))) return;
  deps.tasks.run('connection.adopt', async () => {
    try {
      const result = await deps.adoption.adopt(name, checked.origin, args.command.channel_id, args.command.user_id);
      const text = result.ok
        ? `:eyes: spokebot now keeps watch over *${name}* (${result.connection.spoke}, ${result.connection.method}); this channel hears about its health.`
        : `:x: ${result.problem}`;
      await args.respond({ response_type: 'ephemeral', text });
    } catch (error) {
      if (!(error instanceof SpokeError)) throw error;
      await args.respond({ response_type: 'ephemeral', text: `:x: ${error.message}. ${error.hint}` });
    }
  });
};
