/**
 * Every surface an admin meets, built by the product's own Block Kit builders from the sample
 * workspace: what `npm run render` draws and what test/e2e/surfaces.test.ts holds to Slack's limits.
 * Nothing here writes Block Kit by hand, so a change to a builder shows in the pictures.
 */
import type { KnownBlock } from '@slack/types';
import { consentLink, oauthCallbackUrl } from '../../src/core/consent-link.js';
import { formatDuration } from '../../src/core/duration.js';
import { dueReminders } from '../../src/core/reminders.js';
import type { AuthMethod, SpokeId } from '../../src/core/spoke-catalogue.js';
import { SPOKES } from '../../src/core/spoke-catalogue.js';
import { connectionListBlocks } from '../../src/slack/blocks/connection-list.js';
import { reminderMessage, stateChangeMessage, statusBlocks } from '../../src/slack/blocks/health-blocks.js';
import { planMessageBlocks, planModal, type PlanSummary } from '../../src/slack/blocks/plan-blocks.js';
import { checkingSiteModal } from '../../src/slack/blocks/progress-views.js';
import { removeModal } from '../../src/slack/blocks/remove-modal.js';
import { denyModal, requestCard, requestReceivedMessage } from '../../src/slack/blocks/request-card.js';
import { requestModal } from '../../src/slack/blocks/request-modal.js';
import { rotateModal } from '../../src/slack/blocks/rotate-modal.js';
import { channelConnectedMessage, connectedMessage, consentMessage, consentTimeoutMessage, writeFailedMessage } from '../../src/slack/blocks/setup-messages.js';
import { setupModal } from '../../src/slack/blocks/setup-modal.js';
import { homeView } from '../../src/slack/home/home-view.js';
import type { Json, RenderInput } from './block-kit-html.js';
import {
  CHANNELS,
  CLOUD_ID,
  CLOUD_ID_SANDBOX,
  CONFLUENCE,
  CONFLUENCE_PLAN,
  CONNECTIONS,
  HEALTH,
  INSTANCE_URL,
  JIRA_EU,
  JIRA_SERVICE,
  JIRA_TOKEN,
  JIRA_TOKEN_PLAN,
  JIRA_TOKEN_REQUEST,
  NOW,
  OPEN_REQUESTS,
  PENDING_SETUPS,
  REQUESTS,
  SITE,
  STORE_VIEW,
  dateOnly,
  writtenFor,
} from './sample-workspace.js';

export interface Surface {
  /** The picture's file name, without `.png`. */
  id: string;
  /** What it is, as the README and the tests name it. */
  title: string;
  input: RenderInput;
}

const CALLBACK_URL = oauthCallbackUrl(INSTANCE_URL);
const DM_THREAD = 'spokebot · direct message, in the setup thread';
const DM = 'spokebot · direct message';
const channel = (id: string) => `# ${id === CHANNELS.alerts ? 'spoke-alerts' : id === CHANNELS.approvals ? 'spoke-approvals' : 'jira-admins'}`;

// The builders return @slack/types views; the renderer reads them as the JSON Slack receives.
const json = <T>(value: T) => value as unknown as Json;
const modal = (id: string, title: string, view: object): Surface => ({ id, title, input: { kind: 'modal', view: json(view) } });
const message = (id: string, title: string, where: string, built: { text: string; blocks: KnownBlock[] }): Surface => ({
  id,
  title,
  input: { kind: 'message', text: built.text, blocks: built.blocks.map(json), where },
});

const METHOD_SLUG: Record<AuthMethod, string> = { oauth_3lo: '3lo', api_token: 'api-token', service_account: 'service-account' };

/** The setup modal as `/spoke setup <spoke>` opens it, for every method the spoke offers. */
function setupModals(): Surface[] {
  const spokes: SpokeId[] = ['jira', 'jsm', 'confluence'];
  return spokes.flatMap((spoke) =>
    SPOKES[spoke].methods.map((method) =>
      modal(`setup-${spoke}-${METHOD_SLUG[method]}`, `Setup modal: ${SPOKES[spoke].label}, ${method.replace(/_/g, ' ')}`, setupModal({ spoke, method, callbackUrl: CALLBACK_URL, defaultTokenExpiry: dateOnly(365) })),
    ),
  );
}

const CONFLUENCE_SUMMARY: PlanSummary = {
  setupId: 'st_4c19e2',
  connectionName: CONFLUENCE.name,
  spokeLabel: SPOKES.confluence.label,
  siteOrigin: SITE,
  cloudId: CLOUD_ID,
  instanceUrl: INSTANCE_URL,
};

const SANDBOX_SUMMARY: PlanSummary = {
  setupId: 'st_b21e04',
  connectionName: JIRA_TOKEN_REQUEST.connectionName,
  spokeLabel: SPOKES.jira.label,
  siteOrigin: JIRA_TOKEN_REQUEST.siteOrigin,
  cloudId: CLOUD_ID_SANDBOX,
  instanceUrl: INSTANCE_URL,
};

export function buildSurfaces(): Surface[] {
  const health = (name: string) => HEALTH[name]!;
  const reminder = dueReminders(JIRA_TOKEN.name, health(JIRA_TOKEN.name).expiries, [30, 14, 7, 3, 1], new Set(), NOW).send[0];
  if (!reminder) throw new Error('the sample API token should be due a reminder');
  const link = consentLink(INSTANCE_URL, CONFLUENCE.records.credential!, CONFLUENCE.records.profile!);
  const consentTimeout = formatDuration(15 * 60_000);

  return [
    ...setupModals(),
    modal(
      'setup-jira-api-token-refused',
      'Setup modal sent back: Atlassian refused the API token',
      setupModal({
        spoke: 'jira',
        method: 'api_token',
        callbackUrl: CALLBACK_URL,
        defaultTokenExpiry: dateOnly(365),
        setupId: 'st_b21e04',
        values: { connectionName: JIRA_TOKEN_REQUEST.connectionName, site: JIRA_TOKEN_REQUEST.siteOrigin, email: JIRA_TOKEN_REQUEST.email!, tokenExpiry: JIRA_TOKEN_REQUEST.tokenExpiresOn!, channel: CHANNELS.jira },
        fieldProblems: { apiToken: 'Atlassian refused this token for integration@acme.com (401). Check it was copied whole and belongs to that account; a scoped token needs "This is a scoped API token" ticked.' },
      }),
    ),
    modal('checking-site', 'While the site is checked', checkingSiteModal(SITE)),
    modal('plan', 'The plan: every ServiceNow record before anything is written', planModal(CONFLUENCE_SUMMARY, CONFLUENCE_PLAN)),
    message('plan-in-dm', 'The plan in the DM, with a warning (the modal was closed)', DM, { text: 'The plan', blocks: planMessageBlocks(SANDBOX_SUMMARY, JIRA_TOKEN_PLAN) }),
    message(
      'write-failed',
      'A write ServiceNow refused, with Retry',
      DM_THREAD,
      writeFailedMessage(
        CONFLUENCE_SUMMARY.setupId,
        'ServiceNow answered 403 on oauth_2_0_credentials: "Operation against file \'oauth_2_0_credentials\' was aborted by Business Rule".',
        'Give the integration user the oauth_admin role (or admin), then press Retry.',
        writtenFor(CONFLUENCE_PLAN, 5),
      ),
    ),
    message('consent', 'One click left: the consent link', DM_THREAD, consentMessage(CONFLUENCE_SUMMARY.setupId, link, consentTimeout)),
    message('consent-timeout', 'No refresh token in time', DM_THREAD, consentTimeoutMessage(CONFLUENCE_SUMMARY.setupId, CALLBACK_URL, consentTimeout)),
    message('connected', 'Connected (the admin’s thread)', DM_THREAD, connectedMessage(CONFLUENCE.name, SITE, 'oauth_3lo')),
    message('connected-channel', 'Connected (the report channel)', channel(CONFLUENCE.channel), channelConnectedMessage(CONFLUENCE.name, SPOKES.confluence.label, SITE, CONFLUENCE.createdBy)),
    message('alert-failing', 'Health alert: a connection is failing', channel(JIRA_SERVICE.channel), stateChangeMessage(JIRA_SERVICE, health(JIRA_SERVICE.name), 'failing')),
    message('alert-scope-drift', 'Health alert: scope drift', channel(JIRA_EU.channel), stateChangeMessage(JIRA_EU, health(JIRA_EU.name), 'warning')),
    message('reminder', 'Reminder before an API token expires', channel(JIRA_TOKEN.channel), reminderMessage(JIRA_TOKEN, reminder)),
    message('status', '/spoke status', channel(JIRA_SERVICE.channel), { text: 'status', blocks: statusBlocks(JIRA_SERVICE, health(JIRA_SERVICE.name)) }),
    message('list', '/spoke list', channel(CHANNELS.alerts), { text: 'list', blocks: connectionListBlocks(CONNECTIONS, (name) => HEALTH[name]).blocks }),
    message('request-card', 'Access request card in the approvers’ channel', channel(CHANNELS.approvals), requestCard(REQUESTS.newConnection)),
    message('request-card-decided', 'Access request card once decided', channel(CHANNELS.approvals), requestCard(REQUESTS.scopesApproved)),
    message('request-received', 'The requester’s receipt', DM, requestReceivedMessage(REQUESTS.newConnection)),
    modal('request-modal', '/spoke request', requestModal('new_connection', CONNECTIONS)),
    modal('deny-modal', 'Deny a request', denyModal(REQUESTS.newConnection, REQUESTS.newConnection.card)),
    modal('rotate-modal', '/spoke rotate (API token)', rotateModal({ connection: JIRA_TOKEN, defaultTokenExpiry: dateOnly(365) })),
    modal('remove-modal', '/spoke remove', removeModal(JIRA_SERVICE)),
    { id: 'home-admin', title: 'App Home for an admin: connections, setups in progress, requests', input: { kind: 'home', view: json(homeView(STORE_VIEW, PENDING_SETUPS, true, OPEN_REQUESTS)) } },
  ];
}
