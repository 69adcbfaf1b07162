import type { KnownBlock } from '@slack/types';
import { AUTH_METHOD_LABELS, SPOKES, SPOKE_IDS } from '../../core/spoke-catalogue.js';
import type { Connection } from '../../store/spoke-store.js';
import { SLASH_COMMAND } from '../surface.js';

const STATE: Record<Connection['state'], string> = {
  awaiting_consent: ':hourglass: waiting for consent',
  connected: ':white_check_mark: connected',
  removed: ':no_entry: deactivated',
};

function line(c: Connection): string {
  const expiry = c.tokenExpiresOn ? ` · token expires ${c.tokenExpiresOn}` : '';
  return `*${c.name}* · ${AUTH_METHOD_LABELS[c.method]} · ${c.siteOrigin} · ${STATE[c.state]}${expiry}`;
}

/**
 * `/spoke list`: connections per spoke, under the alias they hang on: the shipped alias first,
 * then each child alias with its connection (the structure ServiceNow's Connections page shows).
 */
export function connectionListBlocks(connections: readonly Connection[]): KnownBlock[] {
  if (connections.length === 0) {
    return [{ type: 'section', text: { type: 'mrkdwn', text: `No connections yet. An admin can start one with \`${SLASH_COMMAND} setup jira|jsm|confluence\`.` } }];
  }
  const blocks: KnownBlock[] = [];
  for (const spokeId of SPOKE_IDS) {
    const mine = connections.filter((c) => c.spoke === spokeId);
    if (mine.length === 0) continue;
    const spoke = SPOKES[spokeId];
    const onShipped = mine.filter((c) => !c.alias?.childOf);
    const onChildren = mine.filter((c) => c.alias?.childOf);
    const lines = [
      `*${spoke.label}* · alias \`${spoke.aliasName}\``,
      ...onShipped.map((c) => `• ${line(c)}`),
      ...onChildren.map((c) => `  ↳ child alias \`${c.alias!.name}\`: ${line(c)}`),
    ];
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: lines.join('\n').slice(0, 3000) } });
  }
  return blocks.slice(0, 50);
}
