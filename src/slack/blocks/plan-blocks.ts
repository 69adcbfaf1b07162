import type { ConfirmationDialog, KnownBlock, ModalView } from '@slack/types';
import { describeValue, type RecordPlan } from '../../core/record-plan.js';
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

/** The plan as a person reads it: one section per table, every field, secrets as ••••. */
export function planBlocks(summary: PlanSummary, plan: RecordPlan): KnownBlock[] {
  // Typed values (name, client ID, scopes) and what ServiceNow and Atlassian answered (Cloud ID,
  // existing URLs in the warnings) are shown as text.
  const e = escapeMrkdwn;
  const blocks: KnownBlock[] = textSections([
    `*${e(summary.connectionName)}*: ${e(summary.spokeLabel)} at ${e(summary.siteOrigin)}`,
    `Cloud ID \`${e(summary.cloudId)}\` · ServiceNow ${e(summary.instanceUrl)}`,
    'spokebot will write these records, in this order:',
  ]);
  for (const warning of plan.warnings) blocks.push(...textContexts([`:warning: ${e(warning)}`]));
  const tables = [...new Set(plan.records.map((r) => r.table))];
  for (const table of tables) {
    const lines = plan.records
      .filter((r) => r.table === table)
      .map((record) => {
        const fields = Object.entries({ ...record.match, ...record.fields })
          .map(([column, value]) => `${e(column)}=${e(describeValue(value, plan))}`)
          .join(', ');
        return `• ${ACTION_WORD[record.action]} *${e(record.label)}*${fields ? `\n    ${fields}` : ''}`;
      });
    // What is confirmed must be seen whole: a long scope list takes more sections, never a cut.
    blocks.push(...textSections([`\`${e(table)}\``, ...lines]));
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
    blocks: planBlocks(summary, plan),
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
