import { describe, expect, it } from 'vitest';
import type { RecordPlan } from '../../src/core/record-plan.js';
import type { AccessRequest } from '../../src/store/spoke-store.js';
import { CONFIRM_LIMITS, confirmDialog, namesWithin } from '../../src/slack/blocks/confirm.js';
import { planMessageBlocks, scopeChangeConfirm } from '../../src/slack/blocks/plan-blocks.js';
import { approveConfirm, requestCard, requestReceivedMessage } from '../../src/slack/blocks/request-card.js';
import { writeFailedMessage } from '../../src/slack/blocks/setup-messages.js';
import { ACTION } from '../../src/slack/ids.js';

type Button = { type: string; action_id?: string; confirm?: { title: { text: string }; text: { text: string }; confirm: { text: string }; deny: { text: string }; style?: string } };
const buttons = (blocks: unknown[]) => (blocks as Array<{ elements?: Button[] }>).flatMap((b) => b.elements ?? []).filter((e) => e.type === 'button');
const button = (blocks: unknown[], actionId: string) => buttons(blocks).find((b) => b.action_id === actionId)!;

const request = (details: AccessRequest['details']): AccessRequest =>
  ({ id: 7, requester: 'UMEMBER1', details, reason: 'because', state: 'open', createdAt: '2026-01-01T00:00:00.000Z', lastAnnouncedAt: '2026-01-01T00:00:00.000Z', reannounced: 0 }) as AccessRequest;

describe('confirmDialog', () => {
  it('is plain text throughout, with the deny word given or a default, danger only when asked', () => {
    expect(confirmDialog({ title: 'T', text: 'What happens?', confirm: 'Do it' })).toEqual({
      title: { type: 'plain_text', text: 'T' },
      text: { type: 'plain_text', text: 'What happens?' },
      confirm: { type: 'plain_text', text: 'Do it' },
      deny: { type: 'plain_text', text: 'Not now' },
    });
    expect(confirmDialog({ title: 'T', text: 'x', confirm: 'Withdraw', deny: 'Keep it', danger: true })).toMatchObject({ deny: { text: 'Keep it' }, style: 'danger' });
  });

  it('clips every part to Slack limits', () => {
    const long = 'x'.repeat(1000);
    const dialog = confirmDialog({ title: long, text: long, confirm: long, deny: long });
    expect(dialog.title!.text).toHaveLength(CONFIRM_LIMITS.title);
    expect(dialog.text.text).toHaveLength(CONFIRM_LIMITS.text);
    expect(dialog.confirm!.text).toHaveLength(CONFIRM_LIMITS.button);
    expect(dialog.deny!.text).toHaveLength(CONFIRM_LIMITS.button);
    expect(dialog.text.text.endsWith('…')).toBe(true);
  });
});

describe('namesWithin', () => {
  it('lists the names that fit and counts the rest', () => {
    expect(namesWithin(['a', 'b'], 100)).toBe('a, b');
    expect(namesWithin(['alpha', 'beta', 'gamma', 'delta'], 24)).toBe('alpha, beta and 2 more');
    expect(namesWithin(['x'.repeat(50), 'b'], 20)).toBe(`${'x'.repeat(8)}… and 1 more`);
  });
});

describe('the buttons that act at once ask first', () => {
  it('Approve says what approving does, per kind of request', () => {
    const group = approveConfirm(request({ kind: 'confluence_group', connection: 'Confluence acme', groups: ['support-agents', 'docs-editors'] }));
    expect(group.title!.text).toBe('Approve request #7?');
    expect(group.text.text).toBe("Approve and write 2 groups into ServiceNow's Confluence Groups table for Confluence acme? Groups: support-agents, docs-editors.");
    expect(group.style).toBeUndefined();
    const one = approveConfirm(request({ kind: 'confluence_group', connection: 'Confluence acme', groups: ['support-agents'] }));
    expect(one.text.text).toMatch(/^Approve and write 1 group into/);
    const scopes = approveConfirm(request({ kind: 'more_scopes', connection: 'Confluence acme', scopes: ['write:page:confluence'] }));
    expect(scopes.text.text).toMatch(/^Approve 1 more scope on Confluence acme\? Nothing is written yet: you get the plan of scope records to confirm, then a fresh consent link\. Scopes: write:page:confluence\.$/);
    const fresh = approveConfirm(request({ kind: 'new_connection', spoke: 'jira', site: 'https://acme.atlassian.net', team: 'Support' }));
    expect(fresh.text.text).toMatch(/^Approve a new Jira Cloud connection at https:\/\/acme\.atlassian\.net for Support\? Nothing is written yet/);
  });

  it('a long group list keeps the count and ends in "and N more", within 300 characters', () => {
    const groups = Array.from({ length: 30 }, (_, i) => `confluence-group-number-${i}`);
    const dialog = approveConfirm(request({ kind: 'confluence_group', connection: 'C'.repeat(80), groups }));
    expect(dialog.text.text.length).toBeLessThanOrEqual(300);
    expect(dialog.text.text).toContain('write 30 groups');
    expect(dialog.text.text).toMatch(/and \d+ more\.$/);
  });

  it('the card puts the dialog on Approve, none on Deny (it opens a form)', () => {
    const blocks = requestCard(request({ kind: 'confluence_group', connection: 'Confluence acme', groups: ['g'] })).blocks;
    expect(button(blocks, ACTION.approveRequest).confirm).toBeDefined();
    expect(button(blocks, ACTION.denyRequest).confirm).toBeUndefined();
  });

  it('Withdraw is marked destructive', () => {
    const withdraw = button(requestReceivedMessage(request({ kind: 'new_connection', spoke: 'jira', site: 'https://acme.atlassian.net', team: 'Support' })).blocks, ACTION.withdrawRequest);
    expect(withdraw.confirm).toMatchObject({ title: { text: 'Withdraw request #7?' }, confirm: { text: 'Withdraw' }, deny: { text: 'Keep it' }, style: 'danger' });
  });

  const plan: RecordPlan = {
    warnings: [],
    records: [
      { key: 'entity', table: 'oauth_entity', label: 'Confluence acme', action: 'upsert', match: {}, fields: {} },
      { key: 'alias', table: 'sys_alias', label: 'Confluence Cloud', action: 'alias', match: {}, fields: {} },
      { key: 'scope', table: 'oauth_entity_scope', label: 'read:me', action: 'upsert', match: {}, fields: {} },
    ],
  };
  const summary = { setupId: 's1', connectionName: 'Confluence acme', spokeLabel: 'Confluence Cloud', siteOrigin: 'https://acme.atlassian.net', cloudId: 'c', instanceUrl: 'https://acme.service-now.com' };

  it('Confirm on a plan in a DM counts the records it writes; Cancel is destructive', () => {
    const blocks = planMessageBlocks(summary, plan);
    expect(button(blocks, ACTION.confirmPlan).confirm!.text.text).toMatch(/^Create or update 2 records in ServiceNow \(https:\/\/acme\.service-now\.com\) for Confluence acme, Confluence Cloud at https:\/\/acme\.atlassian\.net\?/);
    expect(button(blocks, ACTION.cancelPlan).confirm).toMatchObject({ confirm: { text: 'Cancel the setup' }, style: 'danger' });
  });

  it('Confirm on a scope change says it writes and sends a consent link', () => {
    expect(scopeChangeConfirm(summary, plan).text.text).toMatch(/^Write 2 scope records into ServiceNow \(https:\/\/acme\.service-now\.com\) for Confluence acme, then send you a fresh consent link\?/);
  });

  it('Retry says what is already there and kept', () => {
    const written = [{ key: 'entity', table: 'oauth_entity', label: 'Confluence acme', sysId: 'abc', outcome: 'created' as const }];
    expect(button(writeFailedMessage('s1', 'ACL', 'ask', written).blocks, ACTION.retrySetup).confirm!.text.text).toContain('The 1 already there are found and kept');
    expect(button(writeFailedMessage('s1', 'ACL', 'ask', []).blocks, ACTION.retrySetup).confirm!.text.text).toContain('None was written yet.');
  });
});
