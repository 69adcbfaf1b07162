import type { Button, HomeView, KnownBlock } from '@slack/types';
import { nextExpiry } from '../../core/health.js';
import { AUTH_METHOD_LABELS, SPOKES } from '../../core/spoke-catalogue.js';
import type { AccessRequest, PendingSetup, SpokeStore } from '../../store/spoke-store.js';
import { describeDetails } from '../blocks/request-card.js';
import { STATE_EMOJI, expiryText } from '../blocks/health-blocks.js';
import { ACTION } from '../ids.js';
import { SLASH_COMMAND } from '../surface.js';

const button = (text: string, actionId: string, value: string): Button => ({ type: 'button', action_id: actionId, text: { type: 'plain_text', text }, value });

/**
 * App Home: a card per connection (state, last check, next expiry) with check now, rotate and
 * re-consent; admins also see setups in progress. Drawn from the same stored health as
 * `/spoke list` and `/spoke status`. At most 100 blocks.
 */
export function homeView(store: Pick<SpokeStore, 'listConnections' | 'getHealth'>, pending: readonly PendingSetup[], isAdmin: boolean, requests: readonly AccessRequest[] = []): HomeView {
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: 'Atlassian connections' } },
    { type: 'actions', elements: [button('Request access', ACTION.openRequestModal, 'home')] },
  ];
  const connections = store.listConnections().filter((c) => c.state !== 'removed');
  if (connections.length === 0) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `No connections yet. An admin can start one with \`${SLASH_COMMAND} setup jira|jsm|confluence\`.` } });
  }
  for (const c of connections.slice(0, 25)) {
    const health = store.getHealth(c.name);
    const state = c.state === 'awaiting_consent' ? ':hourglass: waiting for consent' : health ? `${STATE_EMOJI[health.state]} ${health.state}` : ':grey_question: not checked yet';
    const checked = health ? `last check ${health.checkedAt.slice(0, 16).replace('T', ' ')} UTC` : 'never checked';
    const expiry = expiryText(health ? nextExpiry(health.expiries) : c.tokenExpiresOn ? { kind: 'api_token', at: c.tokenExpiresOn } : undefined);
    const buttons = [button('Check now', ACTION.checkNow, c.name)];
    if (isAdmin) buttons.push(c.method === 'oauth_3lo' ? button('Re-consent', ACTION.fixReconsent, c.name) : button('Rotate', ACTION.fixRotate, c.name));
    blocks.push(
      { type: 'section', text: { type: 'mrkdwn', text: `*${c.name}* · ${SPOKES[c.spoke].label} · ${AUTH_METHOD_LABELS[c.method]}\n${c.siteOrigin} · ${state}\n${checked} · ${expiry} · reports to <#${c.channel}>` } },
      { type: 'actions', elements: buttons },
    );
  }
  if (isAdmin && pending.length > 0) {
    blocks.push({ type: 'divider' }, { type: 'header', text: { type: 'plain_text', text: 'Setups in progress' } });
    for (const s of pending.slice(0, 20)) {
      blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `*${s.connectionName}* (${SPOKES[s.spoke].label}) by <@${s.userId}>: ${s.status.replace(/_/g, ' ')}` }] });
    }
  }
  if (requests.length > 0) {
    blocks.push({ type: 'divider' }, { type: 'header', text: { type: 'plain_text', text: 'Requests' } });
    for (const r of requests.slice(0, 15)) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `#${r.id} from <@${r.requester}>: ${describeDetails(r.details)} · ${r.state}` }] });
  }
  return { type: 'home', blocks: blocks.slice(0, 100) };
}
