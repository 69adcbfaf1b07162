import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RecordPlan } from '../../src/core/record-plan.js';
import type { WrittenRecord } from '../../src/servicenow/plan-writer.js';
import type { AccessRequest, Connection, HealthRecord, PendingSetup } from '../../src/store/spoke-store.js';
import { connectionListBlocks } from '../../src/slack/blocks/connection-list.js';
import { doctorReportBlocks } from '../../src/slack/blocks/doctor-report.js';
import { reminderMessage, stateChangeMessage, statusBlocks } from '../../src/slack/blocks/health-blocks.js';
import { planMessageBlocks, planModal } from '../../src/slack/blocks/plan-blocks.js';
import { checkingSiteModal, writingModal } from '../../src/slack/blocks/progress-views.js';
import { removeModal } from '../../src/slack/blocks/remove-modal.js';
import { adminBlockedMessage, notAnnouncedLine, requesterBlockedMessage } from '../../src/slack/blocks/request-announce.js';
import { denyModal, reannounceMessage, requestCard, requestReceivedMessage } from '../../src/slack/blocks/request-card.js';
import { requestModal } from '../../src/slack/blocks/request-modal.js';
import { rotateModal } from '../../src/slack/blocks/rotate-modal.js';
import { cannotPostMessage, channelConnectedMessage, connectedMessage, consentTimeoutMessage, recordsWrittenMessage, threadRootMessage, writeFailedMessage } from '../../src/slack/blocks/setup-messages.js';
import { setupModal } from '../../src/slack/blocks/setup-modal.js';
import { escapeMrkdwn, mrkdwnLink, textSections } from '../../src/slack/blocks/text-sections.js';
import { homeView } from '../../src/slack/home/home-view.js';
import { fuzzOptions, hostileText } from './support/hostile.js';
import { limitProblems, mrkdwnOf, rawMarkup } from './support/slack-output.js';

/**
 * Every Block Kit builder, fed values that are typed text or what ServiceNow and Atlassian
 * answered: whatever they hold, no builder lets them out as markup or past Slack's limits. Pure
 * functions, so this runs many more inputs than the end-to-end properties.
 */
const CI_RUNS = 150;
const str = hostileText;
// Names come from the setup form (80 characters at most) or /spoke adopt (150 at most).
const name = hostileText.map((t) => t.slice(0, 150)).filter((t) => t !== '');
const userId = fc.constantFrom('UADMIN01', 'WENTERPRISE1', '<!channel>', 'U<@UFUZZ01>');
const channelId = fc.constantFrom('C0REPORTS', 'G0PRIVATE', '<!here>', 'C<#CFUZZ01>');

const connection: fc.Arbitrary<Connection> = fc.record({
  name,
  spoke: fc.constantFrom('jira', 'jsm', 'confluence'),
  method: fc.constantFrom('oauth_3lo', 'api_token', 'service_account'),
  siteOrigin: str,
  cloudId: str,
  channel: channelId,
  scopes: fc.array(str, { maxLength: 3 }),
  email: str,
  tokenExpiresOn: str,
  alias: fc.record({ name: str, childOf: str }),
  createdBy: userId,
  createdAt: fc.constant('2026-01-01T00:00:00.000Z'),
  state: fc.constantFrom('awaiting_consent', 'connected', 'removed'),
  records: fc.constant({}),
}) as fc.Arbitrary<Connection>;

const health: fc.Arbitrary<HealthRecord> = fc.record({
  state: fc.constantFrom('ok', 'warning', 'failing'),
  checks: fc.array(fc.record({ check: fc.constantFrom('records', 'scopes', 'site', 'refresh_token', 'credential'), status: fc.constantFrom('ok', 'warning', 'failing', 'skipped'), summary: str, fix: fc.constantFrom('reconsent', 'rotate', 'check_now', 'setup') }), { maxLength: 4 }),
  expiries: fc.array(fc.record({ kind: fc.constantFrom('api_token', 'refresh_idle', 'refresh_cap'), at: str }), { maxLength: 2 }),
  checkedAt: fc.constant('2026-01-01T00:00:00.000Z'),
}) as unknown as fc.Arbitrary<HealthRecord>;

const details = fc.oneof(
  fc.record({ kind: fc.constant('new_connection' as const), spoke: fc.constantFrom('jira' as const, 'confluence' as const), site: str, team: str }),
  fc.record({ kind: fc.constant('confluence_group' as const), connection: name, groups: fc.array(str, { maxLength: 3 }) }),
  fc.record({ kind: fc.constant('more_scopes' as const), connection: name, scopes: fc.array(str, { maxLength: 3 }) }),
);

const request: fc.Arbitrary<AccessRequest> = fc.record({
  id: fc.nat(),
  requester: userId,
  details,
  reason: str,
  state: fc.constantFrom('open', 'approved', 'denied', 'withdrawn', 'expired'),
  createdAt: fc.constant('2026-01-01T00:00:00.000Z'),
  lastAnnouncedAt: fc.constant('2026-01-01T00:00:00.000Z'),
  reannounced: fc.nat(3),
  decidedBy: userId,
  decidedAt: str,
  denyReason: str,
  outcome: fc.oneof(str, str.map((t) => `setup offered to <@UADMIN01>: ${t}`)),
  announce: fc.record({ attempts: fc.nat(), nextAttemptAt: fc.constant('2026-01-01T00:00:00.000Z'), lastError: fc.oneof(str, fc.constantFrom('not_in_channel', 'ratelimited')), channel: channelId }),
}) as unknown as fc.Arbitrary<AccessRequest>;

const written: fc.Arbitrary<WrittenRecord[]> = fc.array(fc.record({ key: str, table: str, label: str, sysId: str, outcome: fc.constantFrom('created', 'updated', 'unchanged', 'found') }), { maxLength: 4 }) as fc.Arbitrary<WrittenRecord[]>;

const plan: fc.Arbitrary<RecordPlan> = fc.record({
  records: fc.array(fc.record({ key: str, table: str, label: str, action: fc.constantFrom('upsert', 'find', 'alias'), match: fc.dictionary(str, str, { maxKeys: 2 }), fields: fc.dictionary(str, fc.oneof(str, fc.constant({ secret: 'client_secret' })), { maxKeys: 3 }) }), { maxLength: 3 }),
  warnings: fc.array(str, { maxLength: 2 }),
}) as unknown as fc.Arbitrary<RecordPlan>;

const setup: fc.Arbitrary<PendingSetup> = fc.record({ id: fc.uuid(), connectionName: name, spoke: fc.constantFrom('jira', 'confluence'), userId, status: fc.constantFrom('checking', 'planned', 'writing') }) as unknown as fc.Arbitrary<PendingSetup>;

type Out = { text?: string; blocks?: unknown[] } | { type: string; blocks: unknown[] } | unknown[];

/** Markup and limit problems in whatever a builder returned (a message, a view, or blocks). */
function problemsOf(label: string, out: Out): string[] {
  const args = Array.isArray(out) ? { blocks: out } : 'type' in out && (out.type === 'modal' || out.type === 'home') ? { view: out } : out;
  return [...rawMarkup(mrkdwnOf(args as Record<string, unknown>)).map((p) => `${label}: ${p}`), ...limitProblems(args as Record<string, unknown>, label)];
}

describe('every Block Kit builder, with typed and answered values', () => {
  it('shows them as text and within Slack limits', () => {
    const input = fc.record({ connections: fc.array(connection, { minLength: 1, maxLength: 3 }), health, request, requests: fc.array(request, { maxLength: 2 }), written, plan, setup, text: str, other: str, userId, channelId });
    fc.assert(
      fc.property(input, (v) => {
        const c = v.connections[0]!;
        const healthOf = () => v.health;
        const outputs: Array<[string, Out]> = [
          ['connection list', connectionListBlocks(v.connections, healthOf).blocks],
          ['state change', stateChangeMessage(c, v.health, 'failing')],
          ['recovered', stateChangeMessage(c, v.health, 'recovered')],
          ['reminder', reminderMessage(c, { key: 'k', expiry: { kind: 'api_token', at: v.text }, threshold: 7, daysLeft: 7 })],
          ['status', statusBlocks(c, v.health)],
          ['card', requestCard(v.request)],
          ['receipt', requestReceivedMessage(v.request)],
          ['reannounce', reannounceMessage(v.request)],
          ['deny modal', denyModal(v.request, { channel: 'C0APPROVE', ts: '1.2' })],
          ['requester blocked', requesterBlockedMessage(v.request, v.text, v.channelId)],
          ['admins blocked', adminBlockedMessage(v.request, v.text, v.channelId)],
          ['not announced', [...textSections([notAnnouncedLine(v.request) ?? ''])]],
          ['plan modal', planModal({ setupId: 's', connectionName: c.name, spokeLabel: 'Jira Cloud', siteOrigin: v.text, cloudId: v.other, instanceUrl: v.other }, v.plan)],
          ['plan message', planMessageBlocks({ setupId: 's', connectionName: c.name, spokeLabel: 'Jira Cloud', siteOrigin: v.text, cloudId: v.other, instanceUrl: v.other }, v.plan)],
          ['checking', checkingSiteModal(v.text, true)],
          ['writing', writingModal(c.name)],
          ['remove', removeModal(c)],
          ['rotate', rotateModal({ connection: { ...c, method: 'api_token' }, defaultTokenExpiry: '2027-01-01', problem: { field: 'apiToken', message: v.text } })],
          ['setup form', setupModal({ spoke: 'jira', method: 'api_token', callbackUrl: v.other, defaultTokenExpiry: '2027-01-01', values: { connectionName: v.text, site: v.other, email: v.text, tokenExpiry: '2027-01-01' }, problem: v.text, fieldProblems: { apiToken: v.other } })],
          ['request form', requestModal('confluence_group', v.connections.map((x) => ({ ...x, spoke: 'confluence' as const })))],
          ['records written', recordsWrittenMessage(v.written)],
          ['write failed', writeFailedMessage('s', v.text, v.other, v.written)],
          ['thread root', threadRootMessage(c.name, 'Jira Cloud', v.other)],
          ['connected', connectedMessage(c.name, v.text, 'oauth_3lo')],
          ['channel connected', channelConnectedMessage(c.name, 'Jira Cloud', v.text, v.userId)],
          ['consent timeout', consentTimeoutMessage(undefined, v.other, '15 minutes', `Run \`/spoke rotate ${escapeMrkdwn(c.name)}\` to try again.`)],
          ['cannot post', cannotPostMessage(v.channelId, v.text)],
          ['home', homeView({ listConnections: () => v.connections, getHealth: healthOf }, [v.setup], true, v.requests)],
          ['doctor', doctorReportBlocks([{ area: 'ServiceNow', name: v.text, status: 'fail', detail: v.other, fix: v.text }])],
          ['a link the bot builds', [...textSections([`see ${mrkdwnLink('https://acme.service-now.com/nav_to.do?uri=x&y=1', v.other)}`])]],
        ];
        const problems = outputs.flatMap(([label, out]) => problemsOf(label, out));
        // Whatever its URL and label, a link is one `<url|label>` (or plain text): nothing breaks out of it.
        const link = mrkdwnLink(`https://acme.service-now.com/x?q=${v.text}`, v.other);
        if (link.startsWith('<') && !/^<https?:\/\/[^<>|\s]*\|[^<>]*>$/.test(link)) problems.push(`a link broke out: ${link.slice(0, 200)}`);
        expect(problems, problems.join('\n')).toEqual([]);
      }),
      fuzzOptions(CI_RUNS),
    );
  });

  it('keeps the markup the bot writes: its mentions and links', () => {
    expect(mrkdwnLink('https://acme.service-now.com/nav_to.do?uri=a&b', 'R&D <Jira>|x')).toBe('<https://acme.service-now.com/nav_to.do?uri=a&amp;b|R&amp;D &lt;Jira&gt;|x>');
    expect(mrkdwnLink('javascript:alert(1)', '<!here>')).toBe('&lt;!here&gt;');
    const card = requestCard({ id: 1, requester: 'UMEMBER1', details: { kind: 'new_connection', spoke: 'jira', site: 'https://acme.atlassian.net', team: '<!channel>' }, reason: 'because', state: 'denied', createdAt: '', lastAnnouncedAt: '', reannounced: 0, decidedBy: 'UADMIN01', outcome: 'setup offered to <@UADMIN01>' });
    const text = JSON.stringify(card.blocks);
    expect(text).toContain('<@UMEMBER1>');
    expect(text).toContain('setup offered to <@UADMIN01>');
    expect(text).toContain('&lt;!channel&gt;');
  });
});
