import type { HomeView, KnownBlock } from '@slack/types';
import { SPOKES } from '../../core/spoke-catalogue.js';
import type { Connection, PendingSetup } from '../../store/spoke-store.js';
import { SLASH_COMMAND } from '../surface.js';

const STATE_LABEL: Record<Connection['state'], string> = {
  awaiting_consent: ':hourglass: waiting for consent',
  connected: ':white_check_mark: connected',
  removed: ':no_entry: removed (deactivated in ServiceNow)',
};

/** App Home: every connection, and for admins the setups still in progress. At most 100 blocks. */
export function homeView(connections: readonly Connection[], pending: readonly PendingSetup[], isAdmin: boolean): HomeView {
  const blocks: KnownBlock[] = [{ type: 'header', text: { type: 'plain_text', text: 'Atlassian connections' } }];
  if (connections.length === 0) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `No connections yet. An admin can start one with \`${SLASH_COMMAND} setup confluence\`.` } });
  }
  for (const c of connections.slice(0, 40)) {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: `*${c.name}* · ${SPOKES[c.spoke].label} · ${c.siteOrigin}\n${STATE_LABEL[c.state]} · reports to <#${c.channel}>` },
    });
  }
  if (isAdmin && pending.length > 0) {
    blocks.push({ type: 'divider' }, { type: 'header', text: { type: 'plain_text', text: 'Setups in progress' } });
    for (const s of pending.slice(0, 40)) {
      blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `*${s.connectionName}* (${SPOKES[s.spoke].label}) by <@${s.userId}>: ${s.status.replace(/_/g, ' ')}` }] });
    }
  }
  return { type: 'home', blocks };
}
