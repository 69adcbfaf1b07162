import type { KnownBlock } from '@slack/types';
import { AUTH_METHOD_LABELS, SPOKES, SPOKE_IDS } from '../../core/spoke-catalogue.js';
import { apiTokenExpiry, nextExpiry } from '../../core/health.js';
import type { Connection, HealthRecord } from '../../store/spoke-store.js';
import { STATE_EMOJI, expiryText } from './health-blocks.js';
import { SLASH_COMMAND } from '../surface.js';
import { BLOCK_LIMITS, escapeMrkdwn, pageFooter, paginate, sectionsOf, textSections } from './text-sections.js';

type HealthOf = (name: string) => HealthRecord | undefined;

/** The state a person cares about: health once checked, else where the connection stands. */
function stateText(c: Connection, health: HealthRecord | undefined): string {
  if (c.state === 'removed') return ':no_entry: deactivated';
  if (c.state === 'awaiting_consent') return ':hourglass: waiting for consent';
  return health ? `${STATE_EMOJI[health.state]} ${health.state}` : ':white_check_mark: connected, not checked yet';
}

function line(c: Connection, healthOf: HealthOf): string {
  const health = healthOf(c.name);
  const expiry = health ? nextExpiry(health.expiries) : apiTokenExpiry(c);
  const expiryPart = expiry ? ` · ${expiryText(expiry).replace('API token expires', 'token expires')}` : '';
  return `*${escapeMrkdwn(c.name)}* · ${AUTH_METHOD_LABELS[c.method]} · ${escapeMrkdwn(c.siteOrigin)} · ${stateText(c, health)}${expiryPart}`;
}

/** Connections a page of `/spoke list` shows; more pages beyond (`--page N`). */
export const LIST_PAGE_SIZE = 40;

export interface ListPage {
  blocks: KnownBlock[];
  page: number;
  pages: number;
}

/** The order `/spoke list` shows: by spoke, those on the shipped alias first, then child aliases. */
function inListOrder(connections: readonly Connection[]): Connection[] {
  return SPOKE_IDS.flatMap((spokeId) => {
    const mine = connections.filter((c) => c.spoke === spokeId);
    return [...mine.filter((c) => !c.alias?.childOf), ...mine.filter((c) => c.alias?.childOf)];
  });
}

// Alias names are ServiceNow's (an adopted connection's may have been typed by anyone there).
const entry = (c: Connection, healthOf: HealthOf) => (c.alias?.childOf ? `  ↳ child alias \`${escapeMrkdwn(c.alias.name)}\`: ${line(c, healthOf)}` : `• ${line(c, healthOf)}`);

/**
 * `/spoke list`: connections per spoke, under the alias they hang on: the shipped alias first,
 * then each child alias with its connection (the structure ServiceNow's Connections page shows).
 * Long lists come in pages; each page says how many there are and how to see the next.
 */
export function connectionListBlocks(connections: readonly Connection[], healthOf: HealthOf = () => undefined, page = 1): ListPage {
  if (connections.length === 0) {
    return { page: 1, pages: 1, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `No connections yet. An admin can start one with \`${SLASH_COMMAND} setup jira|jsm|confluence\`.` } }] };
  }
  const ordered = inListOrder(connections).map((c) => ({ c, text: entry(c, healthOf) }));
  // Room for the footer and one spoke heading per spoke on the page; lines pack into sections,
  // so a page never takes more sections than its lines take alone.
  const pages = paginate(ordered, { perPage: LIST_PAGE_SIZE, maxBlocks: BLOCK_LIMITS.message - 1 - SPOKE_IDS.length, blocksOf: (e) => sectionsOf(e.text) });
  const shown = pages[page - 1];
  if (!shown) {
    return { page, pages: pages.length, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `There is no page ${page}: ${connections.length} connection(s) fill ${pages.length} page(s). \`${SLASH_COMMAND} list\` shows the first.` } }] };
  }
  const before = new Set(pages.slice(0, page - 1).flat().map((e) => e.c.spoke));
  const blocks: KnownBlock[] = [];
  for (const spokeId of SPOKE_IDS) {
    const mine = shown.filter((e) => e.c.spoke === spokeId);
    if (mine.length === 0) continue;
    const spoke = SPOKES[spokeId];
    const heading = `*${spoke.label}* · alias \`${spoke.aliasName}\`${before.has(spokeId) ? ' (continued)' : ''}`;
    blocks.push(...textSections([heading, ...mine.map((e) => e.text)]));
  }
  const shownThrough = pages.slice(0, page).reduce((n, p) => n + p.length, 0);
  const footer = pageFooter({ page, pages: pages.length, total: connections.length, shownThrough, noun: 'connections', nextCommand: (next) => `${SLASH_COMMAND} list --page ${next}` });
  if (footer) blocks.push(footer);
  return { page, pages: pages.length, blocks };
}
