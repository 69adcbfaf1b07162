import type { KnownBlock, ModalView } from '@slack/types';
import { describeValue, type RecordPlan } from '../../core/record-plan.js';
import { ACTION, CALLBACK } from '../ids.js';
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
        { type: 'button', action_id: ACTION.confirmPlan, style: 'primary', text: { type: 'plain_text', text: 'Confirm' }, value: summary.setupId },
        { type: 'button', action_id: ACTION.cancelPlan, text: { type: 'plain_text', text: 'Cancel' }, value: summary.setupId },
      ],
    },
  ];
}
