import type { Button, HomeView, KnownBlock } from '@slack/types';
import { apiTokenExpiry, nextExpiry } from '../../core/health.js';
import { AUTH_METHOD_LABELS, SPOKE_IDS, SPOKES, type SpokeId } from '../../core/spoke-catalogue.js';
import { CANCELLABLE_STATUSES } from '../../setup/setup-service.js';
import type { AccessRequest, PendingSetup, SpokeStore } from '../../store/spoke-store.js';
import { confirmDialog } from '../blocks/confirm.js';
import { describeDetails, withdrawButton } from '../blocks/request-card.js';
import { notAnnouncedLine } from '../blocks/request-announce.js';
import { STATE_EMOJI, expiryText } from '../blocks/health-blocks.js';
import { BLOCK_LIMITS, escapeMrkdwn, fitLists, mentionChannel, mentionUser, textContexts, textSections, type BlockList } from '../blocks/text-sections.js';
import { ACTION } from '../ids.js';
import { SLASH_COMMAND } from '../surface.js';

const button = (text: string, actionId: string, value: string): Button => ({ type: 'button', action_id: actionId, text: { type: 'plain_text', text }, value });
/** Short names on the Set up buttons, so the three fit one row beside Request access. */
const SET_UP_NAMES: Record<SpokeId, string> = { jira: 'Jira', jsm: 'JSM', confluence: 'Confluence' };
const note = (text: string): KnownBlock => ({ type: 'context', elements: [{ type: 'mrkdwn', text }] });

/**
 * App Home: a card per connection (state, last check, next expiry) with check now, rotate and
 * re-consent; admins also see Set up buttons and setups in progress (Resume and Cancel on their
 * own), and a requester a Withdraw on each of their open requests. Drawn from the same stored health as
 * `/spoke list` and `/spoke status`. Slack takes 100 blocks: when the lists need more, each
 * shows what fits and says how many more there are and which command lists them.
 */
export function homeView(
  store: Pick<SpokeStore, 'listConnections' | 'getHealth'> & Partial<Pick<SpokeStore, 'reportRefusal'>>,
  pending: readonly PendingSetup[],
  isAdmin: boolean,
  requests: readonly AccessRequest[] = [],
  viewer?: string,
): HomeView {
  const setUp = isAdmin ? SPOKE_IDS.map((spoke) => button(`Set up ${SET_UP_NAMES[spoke]}`, ACTION.openSetup, spoke)) : [];
  const fixed: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: 'Atlassian connections' } },
    { type: 'actions', elements: [...setUp, button('Request access', ACTION.openRequestModal, 'home')] },
  ];
  const connections = store.listConnections().filter((c) => c.state !== 'removed');
  if (connections.length === 0) {
    fixed.push({ type: 'section', text: { type: 'mrkdwn', text: `No connections yet. An admin can start one with \`${SLASH_COMMAND} setup jira|jsm|confluence\`.` } });
  }
  const cards: KnownBlock[][] = connections.map((c) => {
    const health = store.getHealth(c.name);
    const state = c.state === 'awaiting_consent' ? ':hourglass: waiting for consent' : health ? `${STATE_EMOJI[health.state]} ${health.state}` : ':grey_question: not checked yet';
    const checked = health ? `last check ${health.checkedAt.slice(0, 16).replace('T', ' ')} UTC` : 'never checked';
    const expiry = expiryText(health ? nextExpiry(health.expiries) : apiTokenExpiry(c));
    const buttons = [button('Check now', ACTION.checkNow, c.name)];
    // A channel that refused the bot hears nothing: said here, and in the DM of each notice it refused.
    const refusal = store.reportRefusal?.(c.name);
    const refused = refusal?.channel === c.channel ? ` (:warning: refused: ${escapeMrkdwn(refusal.error)})` : '';
    if (isAdmin) buttons.push(c.method === 'oauth_3lo' ? button('Re-consent', ACTION.fixReconsent, c.name) : button('Rotate', ACTION.fixRotate, c.name));
    return [
      ...textSections([`*${escapeMrkdwn(c.name)}* · ${SPOKES[c.spoke].label} · ${AUTH_METHOD_LABELS[c.method]}`, `${escapeMrkdwn(c.siteOrigin)} · ${state}`, `${checked} · ${expiry} · reports to ${mentionChannel(c.channel)}${refused}`]),
      { type: 'actions', elements: buttons },
    ];
  });
  const lists: BlockList[] = [
    { head: [], items: cards, more: (hidden) => note(`…and ${hidden} more connection${hidden === 1 ? '' : 's'}: \`${SLASH_COMMAND} list\` lists them all.`) },
    {
      head: [{ type: 'divider' }, { type: 'header', text: { type: 'plain_text', text: 'Setups in progress' } }],
      items: isAdmin ? pending.map((s) => [...textContexts([`*${escapeMrkdwn(s.connectionName)}* (${SPOKES[s.spoke].label}) by ${mentionUser(s.userId)}: ${s.status.replace(/_/g, ' ')}`]), ...setupButtons(s, viewer)]) : [],
      // No command lists setups: each one's DM thread is where its admin follows it.
      more: (hidden) => note(`…and ${hidden} more setup${hidden === 1 ? '' : 's'} in progress, each in its admin's DM thread with spokebot.`),
    },
    {
      head: [{ type: 'divider' }, { type: 'header', text: { type: 'plain_text', text: 'Requests' } }],
      // describeDetails escapes what the requester typed.
      items: requests.map((r) => [
        ...textContexts([`#${r.id} from ${mentionUser(r.requester)}: ${describeDetails(r.details)} · ${notAnnouncedLine(r) ?? r.state}`]),
        // Only the requester withdraws (and only while open): the same button, dialog and action as in their DM.
        ...(r.state === 'open' && r.requester === viewer ? [{ type: 'actions', elements: [withdrawButton(r)] } as KnownBlock] : []),
      ]),
      more: (hidden) => note(`…and ${hidden} more request${hidden === 1 ? '' : 's'}: \`${SLASH_COMMAND} requests\` lists them all.`),
    },
  ];
  return { type: 'home', blocks: fitLists(fixed, lists, BLOCK_LIMITS.home) };
}

/**
 * Resume and Cancel, on the viewer's own setups only: another admin's setup is theirs to go on
 * with. Cancel is offered while it can end the setup (SetupService.cancel), and asks first.
 */
function setupButtons(setup: PendingSetup, viewer: string | undefined): KnownBlock[] {
  if (setup.userId !== viewer) return [];
  const elements: Button[] = [button('Resume', ACTION.resumeSetup, setup.id)];
  if (CANCELLABLE_STATUSES.includes(setup.status)) {
    elements.push({
      ...button('Cancel', ACTION.cancelSetup, setup.id),
      confirm: confirmDialog({
        title: 'Cancel this setup?',
        text: `Cancel the setup of ${setup.connectionName}? spokebot wipes its secret; to connect it later, start again.`,
        confirm: 'Cancel setup',
        deny: 'Keep it',
        danger: true,
      }),
    });
  }
  return [{ type: 'actions', elements }];
}
