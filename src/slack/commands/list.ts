import { connectionListBlocks } from '../blocks/connection-list.js';
import { takePageOption } from '../blocks/text-sections.js';
import { SLASH_COMMAND } from '../surface.js';
import type { Subcommand } from './subcommand.js';

/**
 * `/spoke list [--page N]`: everyone may see the connections; answered in the ack (no lookup
 * needed). A long list comes in pages, each naming the command for the next.
 */
export const list: Subcommand = async ({ ack }, words, deps) => {
  const { page } = takePageOption(words);
  if (page === undefined) {
    await ack({ response_type: 'ephemeral', text: `Usage: \`${SLASH_COMMAND} list [--page N]\`` });
    return;
  }
  const connections = deps.store.listConnections();
  const shown = connectionListBlocks(connections, (name) => deps.store.getHealth(name), page);
  const text = `${connections.length} connection(s)${shown.pages > 1 ? ` (page ${page} of ${shown.pages})` : ''}`;
  await ack({ response_type: 'ephemeral', text, blocks: shown.blocks });
};
