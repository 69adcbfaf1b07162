import { connectionListBlocks } from '../blocks/connection-list.js';
import type { Subcommand } from './subcommand.js';

/** `/spoke list`: everyone may see the connections; answered in the ack (no lookup needed). */
export const list: Subcommand = async ({ ack }, _words, deps) => {
  const connections = deps.store.listConnections();
  await ack({ response_type: 'ephemeral', text: `${connections.length} connection(s)`, blocks: connectionListBlocks(connections, (name) => deps.store.getHealth(name)) });
};
