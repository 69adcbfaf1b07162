import { checkSite } from '../../core/site.js';
import { SpokeError } from '../../errors.js';
import { OPTION_VALUE_LIMIT, escapeMrkdwn } from '../blocks/text-sections.js';
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
  // The name is chosen later from menus and buttons whose values Slack caps at 150 characters.
  if (name.length > OPTION_VALUE_LIMIT) {
    await args.ack({ response_type: 'ephemeral', text: `That name has ${name.length} characters; spokebot can keep watch over connections named in at most ${OPTION_VALUE_LIMIT}. Rename it in ServiceNow first.` });
    return;
  }
  const checked = checkSite(site, deps.siteAllowlist);
  if (!checked.ok) {
    await args.ack({ response_type: 'ephemeral', text: escapeMrkdwn(checked.message) });
    return;
  }
  await args.ack();
  if (!(await requireAdmin(args, deps, 'adopt'))) return;
  deps.tasks.run('connection.adopt', async () => {
    try {
      const result = await deps.adoption.adopt(name, checked.origin, args.command.channel_id, args.command.user_id);
      const text = result.ok
        ? `:eyes: spokebot now keeps watch over *${escapeMrkdwn(name)}* (${result.connection.spoke}, ${result.connection.method}); this channel hears about its health.`
        : `:x: ${escapeMrkdwn(result.problem)}`;
      await args.respond({ response_type: 'ephemeral', text });
    } catch (error) {
      if (!(error instanceof SpokeError)) throw error;
      await args.respond({ response_type: 'ephemeral', text: `:x: ${escapeMrkdwn(`${error.message}. ${error.hint}`)}` });
    }
  });
};
