import type { KnownBlock } from '@slack/types';
import type { CheckArea, CheckResult, CheckStatus } from './check-result.js';

const STATUS_TEXT: Record<CheckStatus, string> = { ok: 'ok', warn: 'WARN', fail: 'FAIL' };

/** Column widths beyond which a cell wraps onto more lines, so a row stays readable in 160 columns. */
const WIDTH = { area: 10, check: 24, status: 6, detail: 58, fix: 58 };

/** Breaks text at spaces into lines of at most `width` (a longer word gets a line of its own). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line || lines.length === 0) lines.push(line);
  return lines;
}

/** The terminal table: area, check, status (ok / WARN / FAIL), detail and fix, long cells wrapped. */
export function reportTable(results: readonly CheckResult[]): string {
  const header = { area: 'AREA', check: 'CHECK', status: 'STATUS', detail: 'DETAIL', fix: 'FIX' };
  const widths = {
    area: Math.min(WIDTH.area, Math.max(header.area.length, ...results.map((r) => r.area.length))),
    check: Math.min(WIDTH.check, Math.max(header.check.length, ...results.map((r) => r.name.length))),
    status: WIDTH.status,
    detail: Math.min(WIDTH.detail, Math.max(header.detail.length, ...results.map((r) => r.detail.length))),
  };
  const row = (cells: { area: string; check: string; status: string; detail: string; fix: string }): string[] => {
    const columns = [wrap(cells.area, widths.area), wrap(cells.check, widths.check), [cells.status], wrap(cells.detail, widths.detail), wrap(cells.fix, WIDTH.fix)];
    const height = Math.max(...columns.map((c) => c.length));
    const out: string[] = [];
    for (let i = 0; i < height; i++) {
      const [area, check, status, detail, fix] = columns.map((c) => c[i] ?? '');
      out.push([area!.padEnd(widths.area), check!.padEnd(widths.check), status!.padEnd(widths.status), detail!.padEnd(widths.detail), fix].join('  ').trimEnd());
    }
    return out;
  };
  const lines = row(header);
  lines.push('-'.repeat(lines[0]!.length));
  for (const r of results) lines.push(...row({ area: r.area, check: r.name, status: STATUS_TEXT[r.status], detail: r.detail, fix: r.fix ?? '' }));
  return lines.join('\n');
}

/** One line: how many checks passed, warned and failed. */
export function reportSummary(results: readonly CheckResult[]): string {
  const count = (status: CheckStatus) => results.filter((r) => r.status === status).length;
  const failing = count('fail');
  const warnings = count('warn');
  return `${results.length} checks: ${count('ok')} ok, ${warnings} warning${warnings === 1 ? '' : 's'}, ${failing} failing`;
}

/** Slack shows `&`, `<` and `>` as markup in mrkdwn unless escaped. */
export function escapeMrkdwn(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

const ICON: Record<CheckStatus, string> = { ok: ':white_check_mark:', warn: ':warning:', fail: ':x:' };

/** A section's text may be at most 3000 characters; areas with more lines get more sections. */
const SECTION_LIMIT = 3000;
const MAX_BLOCKS = 50;

/** Cut before escaping (an entity cut in half would show), short enough that a line always fits a section. */
const clip = (text: string): string => (text.length > 800 ? `${text.slice(0, 799)}…` : text);

/**
 * The same report for Slack: a summary, then one section per area (more if an area's lines do
 * not fit one), each line its check's status, name, detail and fix. Never more than 50 blocks.
 */
export function reportBlocks(results: readonly CheckResult[]): KnownBlock[] {
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: `*spokebot doctor*: ${escapeMrkdwn(reportSummary(results))}` } }];
  const areas: CheckArea[] = [...new Set(results.map((r) => r.area))];
  for (const area of areas) {
    const lines = results
      .filter((r) => r.area === area)
      .map((r) => `${ICON[r.status]} *${escapeMrkdwn(clip(r.name))}*: ${escapeMrkdwn(clip(r.detail))}${r.fix ? `\n      _fix:_ ${escapeMrkdwn(clip(r.fix))}` : ''}`);
    let text = `*${area}*`;
    for (const line of lines) {
      if (text.length + 1 + line.length > SECTION_LIMIT) {
        blocks.push({ type: 'section', text: { type: 'mrkdwn', text } });
        text = `*${area}* (continued)`;
      }
      text += `\n${line}`;
    }
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text } });
  }
  if (blocks.length <= MAX_BLOCKS) return blocks;
  return [...blocks.slice(0, MAX_BLOCKS - 1), { type: 'context', elements: [{ type: 'mrkdwn', text: 'More lines than Slack shows at once: run `spokebot doctor` for the whole report.' }] }];
}
