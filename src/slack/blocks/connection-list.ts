import type { KnownBlock } from '@slack/types';
import { AUTH_METHOD_LABELS, SPOKES, SPOKE_IDS } from '../../core/spoke-catalogue.js';
import { nextExpiry } from '../../core/health.js';
import type { Connection, HealthRecord } from '../../store/spoke-store.js';
import { STATE_EMOJI, expiryText } from './health-blocks.js';
import { SLASH_COMMAND } from '../surface.js';

type HealthOf = (name: string) => HealthRecord | undefined;

/** The state a person cares about: health once checked, else where the connection stands. */
function stateText(c: Connection, health: HealthRecord | undefined): string {
  if (c.state === 'removed') return ':no_entry: deactivated';
  if (c.state === 'awaiting_consent') return ':hourglass: waiting for consent';
  return health ? `${STATE_EMOJI[health.state]} ${health.state}` : ':white_check_mark: connected, not checked yet';
}

function line(c: Connection, healthOf: HealthOf): string {
  const health = healthOf(c.name);
  const expiry = health ? nextExpiry(health.expiries) : c.tokenExpiresOn ? { kind: 'api_token' as const, at: c.tokenExpiresOn } : undefined;
  const expiryPart = expiry ? ` · ${expiryText(expiry).replace('API token expires', 'token expires')}` : '';
  return `*${c.name}* · ${AUTH_METHOD_LABELS[c.method]} · ${c.siteOrigin} · ${stateText(c, health)}${expiryPart}`;
}

/**
 * `/spoke list`: connections per spoke, under the alias they hang on: the shipped alias first,
 * then each child alias with its connection (the structure ServiceNow's Connections page shows).
 */
export function connectionListBlocks(connections: readonly Connection[], healthOf: HealthOf = () => undefined): KnownBlock[] {
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
      ...onShipped.map((c) => `• ${line(c, healthOf)}`),
      ...onChildren.map((c) => `  ↳ child alias \`${c.alias!.name}\`: ${line(c, healthOf)}`),
    ];
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: lines.join('\n').slice(0, 3000) } });
  }
  return blocks.slice(0, 50);
}
