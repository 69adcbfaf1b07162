import type { ConfirmationDialog, KnownBlock, ModalView } from '@slack/types';
import { EXTRA_SCOPES_WARNING } from '../../core/oauth-plan.js';
import { describeValue, type FieldValue, type PlannedRecord, type RecordPlan } from '../../core/record-plan.js';
import { ACTION, CALLBACK } from '../ids.js';
import { SLASH_COMMAND } from '../surface.js';
import { confirmDialog } from './confirm.js';
import { escapeMrkdwn, textContexts, textSections } from './text-sections.js';

export interface PlanSummary {
  setupId: string;
  connectionName: string;
  spokeLabel: string;
  siteOrigin: string;
  cloudId: string;
  instanceUrl: string;
}

const ACTION_WORD = { upsert: 'create or update', find: 'find', alias: 'use' } as const;

/**
 * ServiceNow's own names for the tables a plan writes, as its forms and menus show them, so an
 * admin can find each record by the name they see in ServiceNow. In the order the plan shows them.
 */
const RECORD_KINDS: readonly { tables: readonly string[]; name: string }[] = [
  { tables: ['oauth_entity'], name: 'Application Registry' },
  { tables: ['oauth_entity_scope', 'oauth_entity_profile_scope'], name: 'OAuth Entity Scopes + Profile Scopes' },
  { tables: ['oauth_entity_profile'], name: 'OAuth Entity Profile' },
  { tables: ['oauth_2_0_credentials'], name: 'OAuth 2.0 Credential' },
  { tables: ['basic_auth_credentials'], name: 'Basic Auth Credential' },
  { tables: ['sys_alias'], name: 'Connection & Credential Alias' },
  { tables: ['http_connection'], name: 'HTTP(s) Connection' },
];

/** The ServiceNow name of a table, for the plan and the "written" links; the table itself when it has none here. */
export function recordKindName(table: string): string {
  return RECORD_KINDS.find((kind) => kind.tables.includes(table))?.name ?? table;
}

const SCOPE_TABLES = new Set(['oauth_entity_scope', 'oauth_entity_profile_scope']);

/** What the alias step will do, as ServiceNow answered when the plan was drawn (RecordPlan.alias). */
function aliasLine(record: PlannedRecord, plan: RecordPlan): string {
  const e = escapeMrkdwn;
  const preview = plan.alias;
  if (!preview) return `${e(record.label)}: decided when writing`;
  if (!preview.child) return `uses the shipped alias *${e(preview.shipped)}*`;
  const { name, servedBy, exists } = preview.child;
  const why = servedBy.length > 0 ? `the shipped one already serves ${servedBy.map((n) => `"${e(n)}"`).join(', ')}` : 'made by an earlier run';
  return `${exists ? 'the' : 'a'} child alias "${e(name)}" under *${e(preview.shipped)}* (${why})`;
}

/** One record's own fields, secrets as ••••, references by the record they point to. */
function fieldsOf(record: PlannedRecord, plan: RecordPlan): string {
  const e = escapeMrkdwn;
  // A reference names the kind of record it points to, as the entries above call it.
  const shown = (value: FieldValue) => {
    const target = typeof value === 'object' && 'ref' in value ? plan.records.find((r) => r.key === value.ref) : undefined;
    return target ? `→ ${recordKindName(target.table)}` : describeValue(value, plan);
  };
  return Object.entries(record.fields)
    .map(([column, value]) => `${e(column)} \`${e(shown(value))}\``)
    .join(' · ');
}

function recordLine(record: PlannedRecord, plan: RecordPlan): string {
  const e = escapeMrkdwn;
  if (record.action === 'alias') return aliasLine(record, plan);
  if (record.action === 'find') return 'found, ServiceNow makes it with the Application Registry';
  const fields = fieldsOf(record, plan);
  return `${ACTION_WORD[record.action]} "${e(record.label)}"${fields ? `: ${fields}` : ''}`;
}

/**
 * The plan as an admin reads it in ServiceNow's words: one entry per kind of record, under the
 * name ServiceNow gives it, every field but secrets (••••). The scope records, two per scope,
 * are one line of scopes, with the least-privilege warning beside them when there is one.
 */
export function planBlocks(summary: PlanSummary, plan: RecordPlan): KnownBlock[] {
  // Typed values (name, client ID, scopes) and what ServiceNow and Atlassian answered (Cloud ID,
  // existing URLs in the warnings, alias names) are shown as text.
  const e = escapeMrkdwn;
  const blocks: KnownBlock[] = textSections([
    `*${e(summary.connectionName)}*: ${e(summary.spokeLabel)} at ${e(summary.siteOrigin)}`,
    `Cloud ID \`${e(summary.cloudId)}\` · ServiceNow ${e(summary.instanceUrl)}`,
    'spokebot will write these records, in this order:',
  ]);
  const scopeWarnings = plan.warnings.filter((w) => w.startsWith(EXTRA_SCOPES_WARNING));
  const hasScopes = plan.records.some((r) => SCOPE_TABLES.has(r.table));
  // A scope warning with no scope line to stand beside stays with the other warnings.
  const general = hasScopes ? plan.warnings.filter((w) => !scopeWarnings.includes(w)) : plan.warnings;
  for (const warning of general) blocks.push(...textContexts([`:warning: ${e(warning)}`]));
  const known = new Set(RECORD_KINDS.flatMap((kind) => kind.tables));
  const kinds = [...RECORD_KINDS, ...[...new Set(plan.records.map((r) => r.table))].filter((t) => !known.has(t)).map((t) => ({ tables: [t], name: t }))];
  for (const kind of kinds) {
    const records = plan.records.filter((r) => kind.tables.includes(r.table));
    if (records.length === 0) continue;
    const head = `*${e(kind.name)}* (${kind.tables.map((t) => `\`${e(t)}\``).join(', ')})`;
    if (kind.tables.some((t) => SCOPE_TABLES.has(t))) {
      const scopes = [...new Set(records.filter((r) => r.table === 'oauth_entity_scope').map((r) => r.label))];
      const profileScopes = records.filter((r) => r.table === 'oauth_entity_profile_scope').length;
      const count = scopes.length || profileScopes;
      // What is confirmed must be seen whole: a long scope list takes more sections, never a cut.
      blocks.push(...textSections([`${head}\n${count} scope${count === 1 ? '' : 's'}: ${scopes.map(e).join(', ')}${profileScopes > 0 ? ', each added to the default profile' : ''}`]));
      for (const warning of scopeWarnings) blocks.push(...textContexts([`:warning: ${e(warning)}`]));
      continue;
    }
    blocks.push(...textSections([`${head}\n${records.map((r) => recordLine(r, plan)).join('\n')}`]));
  }
  return blocks;
}

export function planModal(summary: PlanSummary, plan: RecordPlan): ModalView {
  return {
    type: 'modal',
    callback_id: CALLBACK.planModal,
    title: { type: 'plain_text', text: 'Review the plan' },
    submit: { type: 'plain_text', text: 'Confirm' },
    close: { type: 'plain_text', text: 'Cancel' },
    notify_on_close: true,
    private_metadata: summary.setupId,
    blocks: [
      ...planBlocks(summary, plan),
      // Slack's modals have no way back after an update, and pushing the plan over the form would
      // leave the typed secret in Slack's form: the form is drawn again from the setup instead.
      {
        type: 'actions',
        elements: [{ type: 'button', action_id: ACTION.editSetupForm, text: { type: 'plain_text', text: 'Edit the form' }, value: summary.setupId }],
      },
    ],
  };
}

/** The same plan as a DM, for an admin who closed the modal while the site was being checked. */
export function planMessageBlocks(summary: PlanSummary, plan: RecordPlan): KnownBlock[] {
  return [
    ...planBlocks(summary, plan),
    {
      type: 'actions',
      elements: [
        { type: 'button', action_id: ACTION.confirmPlan, style: 'primary', text: { type: 'plain_text', text: 'Confirm' }, value: summary.setupId, confirm: writePlanConfirm(summary, plan) },
        { type: 'button', action_id: ACTION.cancelPlan, text: { type: 'plain_text', text: 'Cancel' }, value: summary.setupId, confirm: cancelPlanConfirm(summary) },
      ],
    },
  ];
}

/** Records a plan creates or updates (the rest are only looked up). */
const writes = (plan: RecordPlan) => plan.records.filter((r) => r.action === 'upsert').length;

/**
 * Confirm on a plan in a DM writes at once, so Slack asks first. (The plan modal's own Confirm
 * is its submit button, which Slack does not ask about; the modal is the question.)
 */
function writePlanConfirm(summary: PlanSummary, plan: RecordPlan): ConfirmationDialog {
  const n = writes(plan);
  return confirmDialog({
    title: `Write ${summary.connectionName} to ServiceNow?`,
    text: `Create or update ${n} record${n === 1 ? '' : 's'} in ServiceNow (${summary.instanceUrl}) for ${summary.connectionName}, ${summary.spokeLabel} at ${summary.siteOrigin}? Records already there are reused, not duplicated; then you get the consent link.`,
    confirm: 'Write the records',
    deny: 'Not yet',
  });
}

/** Cancel ends the setup for good and wipes the secret typed for it. */
function cancelPlanConfirm(summary: PlanSummary): ConfirmationDialog {
  return confirmDialog({
    title: 'Cancel this setup?',
    text: `Cancel the setup of ${summary.connectionName}? Nothing is written to ServiceNow, the secret you entered is wiped, and this plan can no longer be confirmed: to connect later, start again with ${SLASH_COMMAND} setup.`,
    confirm: 'Cancel the setup',
    deny: 'Keep it',
    danger: true,
  });
}

/** "Confirm and re-consent" on an approved scope request: it writes the scope records, then sends a consent link. */
export function scopeChangeConfirm(summary: PlanSummary, plan: RecordPlan): ConfirmationDialog {
  const n = writes(plan);
  return confirmDialog({
    title: `Add scopes to ${summary.connectionName}?`,
    text: `Write ${n} scope record${n === 1 ? '' : 's'} into ServiceNow (${summary.instanceUrl}) for ${summary.connectionName}, then send you a fresh consent link? The new scopes work only once someone consents with it.`,
    confirm: 'Write and re-consent',
    deny: 'Not yet',
  });
}
