import { describe, expect, it } from 'vitest';
import { allowlistChecks } from '../../src/doctor/atlassian-checks.js';
import { fail, ok, warn, type CheckResult } from '../../src/doctor/check-result.js';
import { reportSummary, reportTable } from '../../src/doctor/report.js';
import { doctorReportBlocks as reportBlocks } from '../../src/slack/blocks/doctor-report.js';
import { escapeMrkdwn, messageParts } from '../../src/slack/blocks/text-sections.js';

const sample: CheckResult[] = [
  ok('Slack', 'bot token', 'auth.test: spokebot (U0BOT) in Acme (T0001)'),
  warn('Slack', 'approval channel', 'SPOKE_APPROVAL_CHANNEL is unset', 'set SPOKE_APPROVAL_CHANNEL'),
  fail('Store', 'encryption key', 'this key did not seal this store', 'set SPOKE_ENCRYPTION_KEY to the key that sealed it'),
];

describe('the terminal table', () => {
  it('has a header and one row per check with ok / WARN / FAIL', () => {
    const table = reportTable(sample);
    expect(table.split('\n')[0]).toMatch(/^AREA\s+CHECK\s+STATUS\s+DETAIL\s+FIX$/);
    expect(table).toMatch(/^Slack\s+bot token\s+ok\s+auth\.test/m);
    expect(table).toMatch(/^Slack\s+approval channel\s+WARN\s+SPOKE_APPROVAL_CHANNEL is unset\s+set SPOKE_APPROVAL_CHANNEL$/m);
    expect(table).toMatch(/^Store\s+encryption key\s+FAIL\s/m);
  });

  it('wraps a long detail within its column instead of running on', () => {
    const long = 'word '.repeat(40).trim();
    const table = reportTable([fail('Atlassian', 'API URL', long, 'fix it')]);
    const rows = table.split('\n').slice(2);
    expect(rows.length).toBeGreaterThan(1);
    expect(Math.max(...rows.map((r) => r.length))).toBeLessThan(170);
    expect(rows.join(' ').match(/word/g)).toHaveLength(40);
  });

  it('sums up', () => {
    expect(reportSummary(sample)).toBe('3 checks: 1 ok, 1 warning, 1 failing');
  });
});

describe('the Slack report', () => {
  it('escapes &, < and > so a detail cannot become a link or a mention', () => {
    expect(escapeMrkdwn('<!channel> & <https://x|y>')).toBe('&lt;!channel&gt; &amp; &lt;https://x|y&gt;');
    const text = JSON.stringify(reportBlocks([fail('Slack', 'x', 'a <@U1> b', 'c & d')]));
    expect(text).not.toContain('<@U1>');
    expect(text).toContain('c &amp; d');
  });

  it('groups lines by area, one section each after the summary', () => {
    const blocks = reportBlocks(sample);
    expect(blocks).toHaveLength(3);
    const texts = blocks.map((b) => (b as { text: { text: string } }).text.text);
    expect(texts[0]).toContain('1 failing');
    expect(texts[1]).toMatch(/^\*Slack\*\n:white_check_mark: \*bot token\*/);
    expect(texts[1]).toContain(':warning: *approval channel*');
    expect(texts[2]).toMatch(/^\*Store\*\n:x: \*encryption key\*: this key did not seal this store\n\s+_fix:_ /);
  });

  it('keeps every line whole, within 3000 characters a section and 50 blocks a message, however many lines', () => {
    const many = Array.from({ length: 400 }, (_, i) => fail('ServiceNow', `table t_${i}`, 'x'.repeat(300), 'y'.repeat(300)));
    const parts = messageParts({ text: 'report', blocks: reportBlocks(many) });
    expect(parts.length).toBeGreaterThan(1);
    const texts = parts.flatMap((part) => {
      expect(part.blocks.length).toBeLessThanOrEqual(50);
      return part.blocks.map((block) => (block as { text?: { text: string } }).text?.text ?? '');
    });
    for (const text of texts) expect(text.length).toBeLessThanOrEqual(3000);
    for (let i = 0; i < 400; i++) expect(texts.join('\n')).toContain(`*table t_${i}*: ${'x'.repeat(300)}\n      _fix:_ ${'y'.repeat(300)}`);
  });
});

describe('the site allowlist check', () => {
  it('accepts the default and loopback patterns', () => {
    expect(allowlistChecks(['https://*.atlassian.net'], true)).toEqual([expect.objectContaining({ status: 'ok' })]);
    expect(allowlistChecks(['http://127.0.0.1:*'], false)).toEqual([expect.objectContaining({ status: 'ok' })]);
  });

  it('fails entries that can match no site', () => {
    for (const entry of ['acme.atlassian.net', 'https://acme.atlassian.net/wiki', 'ftp://acme.atlassian.net', 'https://acme.atlassian.net:99999', 'https://user@acme.atlassian.net']) {
      expect(allowlistChecks([entry], false), entry).toEqual([expect.objectContaining({ status: 'fail' })]);
    }
  });

  it('fails an empty list (every site refused)', () => {
    expect(allowlistChecks([], true)).toEqual([expect.objectContaining({ status: 'fail' })]);
  });

  it('warns, next to a real instance, about plain http and hosts outside atlassian.net', () => {
    const results = allowlistChecks(['http://*.atlassian.net', 'https://jira.acme.com'], true);
    expect(results.map((r) => [r.status, r.detail])).toEqual([
      ['warn', expect.stringContaining('plain http')],
      ['warn', expect.stringContaining('outside atlassian.net')],
    ]);
    expect(allowlistChecks(['http://*.atlassian.net', 'https://jira.acme.com'], false)).toEqual([expect.objectContaining({ status: 'ok' })]);
  });
});
