import type { KnownBlock } from '@slack/types';
import type { CheckArea, CheckResult, CheckStatus } from '../../doctor/check-result.js';
import { reportSummary } from '../../doctor/report.js';
import { escapeMrkdwn, textSections } from './text-sections.js';

const ICON: Record<CheckStatus, string> = { ok: ':white_check_mark:', warn: ':warning:', fail: ':x:' };

/**
 * `/spoke doctor`'s answer: a summary, then each area's lines (status, name, detail, fix), every
 * line whole. Sections split between lines; the command posts as many messages as Slack's 50
 * blocks need.
 */
export function doctorReportBlocks(results: readonly CheckResult[]): KnownBlock[] {
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: `*spokebot doctor*: ${escapeMrkdwn(reportSummary(results))}` } }];
  const areas: CheckArea[] = [...new Set(results.map((r) => r.area))];
  for (const area of areas) {
    const lines = results
      .filter((r) => r.area === area)
      .map((r) => `${ICON[r.status]} *${escapeMrkdwn(r.name)}*: ${escapeMrkdwn(r.detail)}${r.fix ? `\n      _fix:_ ${escapeMrkdwn(r.fix)}` : ''}`);
    blocks.push(...textSections([`*${area}*`, ...lines]));
  }
  return blocks;
}
