import type { CheckResult, CheckStatus } from './check-result.js';

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
