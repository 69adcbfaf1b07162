import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { storeChecks } from '../../src/doctor/store-check.js';
import { describeChain, lineHash, verifyChain, type ChainReport } from '../../src/store/audit-chain.js';
import { AuditLog } from '../../src/store/audit-log.js';

/** Six entries written by the bot itself; each case below changes a copy of its lines. */
let clean: string[];
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spokebot-chain-'));
  const path = join(dir, 'audit.jsonl');
  const log = await AuditLog.open(path);
  for (let i = 1; i <= 6; i++) {
    await log.append({ at: new Date(Date.UTC(2026, 10, i)).toISOString(), actor: 'U0ADMIN', action: `step.${i}`, outcome: 'ok', connection: 'Confluence acme', detail: { n: i } });
  }
  await log.close();
  clean = (await readFile(path, 'utf8')).split('\n').slice(0, -1);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const verify = (lines: string[], ending = '\n'): ChainReport => verifyChain(Buffer.from(lines.join('\n') + ending));
const said = (report: ChainReport) => describeChain(report).join('\n');

describe('verifyChain', () => {
  it('proves a log the bot wrote, and names its newest entry’s hash', () => {
    const report = verify(clean);
    expect(report).toMatchObject({ lines: 6, chained: 6, chainStart: 1, legacy: 0, head: { line: 6, hash: lineHash(clean[5]!) } });
    expect(report.broken).toBeUndefined();
    expect(said(report)).toMatch(/^chain intact: 6 entries from line 1/);
    expect(said(report)).toContain(`newest entry: line 6, sha256 ${lineHash(clean[5]!)}`);
  });

  it('an edited entry: names its line as edited', () => {
    const lines = [...clean];
    lines[2] = lines[2]!.replace('U0ADMIN', 'U0OTHER');
    expect(verify(lines).broken).toMatchObject({ line: 3, kind: 'edited' });
    expect(said(verify(lines))).toMatch(/^BROKEN at line 3 \(edited\): line 3 was edited/);
  });

  it('a deleted entry: names where it was and how many went', () => {
    const lines = clean.filter((_, i) => i !== 2);
    expect(verify(lines).broken).toMatchObject({ line: 3, kind: 'deleted', detail: expect.stringContaining('1 entry deleted between lines 2 and 3') });
    const two = clean.filter((_, i) => i !== 2 && i !== 3);
    expect(verify(two).broken).toMatchObject({ line: 3, kind: 'deleted', detail: expect.stringContaining('2 entries deleted') });
  });

  it('the first entries deleted: the log no longer starts at entry 1', () => {
    expect(verify(clean.slice(2)).broken).toMatchObject({ line: 1, kind: 'deleted', detail: expect.stringContaining('2 entries before it were deleted') });
  });

  it('an inserted entry: a forged one with the right prev, one without a hash, and a copy of an existing one', () => {
    const forged = JSON.stringify({ ...JSON.parse(clean[1]!), action: 'forged', seq: 3, prev: lineHash(clean[1]!) });
    expect(verify([...clean.slice(0, 2), forged, ...clean.slice(2)]).broken).toMatchObject({ line: 3, kind: 'inserted' });

    const wrongPrev = JSON.stringify({ ...JSON.parse(clean[1]!), action: 'forged', prev: 'f'.repeat(64) });
    expect(verify([...clean.slice(0, 2), wrongPrev, ...clean.slice(2)]).broken).toMatchObject({ line: 3, kind: 'inserted' });

    const plain = JSON.stringify({ at: '2026-11-02T12:00:00.000Z', actor: 'U0ADMIN', action: 'forged', outcome: 'ok' });
    expect(verify([...clean.slice(0, 2), plain, ...clean.slice(2)]).broken).toMatchObject({ line: 3, kind: 'inserted' });
    expect(verify([...clean, plain]).broken).toMatchObject({ line: 7, kind: 'inserted' });

    expect(verify([...clean.slice(0, 4), clean[1]!, ...clean.slice(4)]).broken).toMatchObject({ line: 5, kind: 'inserted', detail: expect.stringContaining('copy of line 2') });
  });

  it('two entries swapped: reordered', () => {
    const lines = [...clean];
    [lines[2], lines[3]] = [lines[3]!, lines[2]!];
    expect(verify(lines).broken).toMatchObject({ line: 3, kind: 'reordered' });
    expect(said(verify(lines))).toMatch(/^BROKEN at line 3 \(reordered\)/);
  });

  it('an entry replaced by garbage is an edit; garbage put between entries is an insertion', () => {
    const garbled = [...clean];
    garbled[2] = 'x'.repeat(40);
    expect(verify(garbled).broken).toMatchObject({ line: 3, kind: 'edited' });
    expect(verify([...clean.slice(0, 2), 'not json', ...clean.slice(2)]).broken).toMatchObject({ line: 3, kind: 'inserted' });
  });

  it('a truncated last line is a torn write, not tampering', () => {
    const lines = [...clean];
    const cut = lines.pop()!;
    const report = verify([...lines, cut.slice(0, 25)], '');
    expect(report.broken).toBeUndefined();
    expect(report).toMatchObject({ chained: 5, tornAtEnd: [6] });
    expect(said(report)).toContain('torn: the last line (6) was cut off by a crash mid-append, not tampering');
    // The bot ended it with a newline at its start but has not written since: still torn.
    expect(verify([...lines, cut.slice(0, 25)]).tornAtEnd).toEqual([6]);
    // NUL bytes where a power loss left the file longer than its data.
    expect(verify([...lines, '\0'.repeat(64)], '').tornAtEnd).toEqual([6]);
  });

  it('a last line that lost only its newline is whole and checked', () => {
    expect(verify(clean, '')).toMatchObject({ chained: 6, tornAtEnd: [] });
  });

  it('entries from before the chain are counted as legacy, and the chain is checked from its first entry', () => {
    const legacy = [1, 2, 3].map((i) => JSON.stringify({ at: `2026-10-0${i}T00:00:00.000Z`, actor: 'U0ADMIN', action: 'old', outcome: 'ok' }));
    const first = JSON.stringify({ ...JSON.parse(clean[0]!), seq: 1, prev: lineHash(legacy[2]!) });
    const report = verify([...legacy, first]);
    expect(report).toMatchObject({ legacy: 3, chainStart: 4, chained: 1 });
    expect(report.broken).toBeUndefined();
    expect(said(report)).toContain('3 entries before line 4 were written before the chain existed (no hash): counted, not checked');
    expect(said(verifyChain(Buffer.from(`${legacy.join('\n')}\n`)))).toMatch(/^no entry carries a hash yet: 3 entries/);
    // The chain's first entry vouches for the legacy line before it.
    expect(verify([legacy[0]!, legacy[1]!, first]).broken).toMatchObject({ line: 2, kind: 'edited' });
  });
});

describe('spokebot doctor’s audit log row', () => {
  const row = async (text: string | undefined) => {
    const path = join(dir, `doctor-${Math.random().toString(36).slice(2)}.json`);
    if (text !== undefined) await writeFile(`${path}.audit.jsonl`, text);
    const config = loadConfig({
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_SIGNING_SECRET: 'secret',
      SERVICENOW_INSTANCE_URL: 'https://acme.service-now.com',
      SERVICENOW_USERNAME: 'u',
      SERVICENOW_PASSWORD: 'p',
      SPOKE_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
      SPOKE_DB_PATH: path,
    });
    return (await storeChecks({ config })).find((r) => r.name === 'audit log')!;
  };

  it('ok when the chain holds or there is no log yet, warn on a torn last line, fail on a break', async () => {
    expect(await row(undefined)).toMatchObject({ status: 'ok', detail: expect.stringContaining('no audit log') });
    expect(await row(`${clean.join('\n')}\n`)).toMatchObject({ status: 'ok', detail: expect.stringContaining('chain intact: 6 entries') });
    expect(await row(`${clean.join('\n')}\n{"at":"2026`)).toMatchObject({ status: 'warn', detail: expect.stringContaining('torn: the last line (7)') });
    const edited = [...clean];
    edited[3] = edited[3]!.replace('step.4', 'step.9');
    expect(await row(`${edited.join('\n')}\n`)).toMatchObject({ status: 'fail', detail: expect.stringContaining('BROKEN at line 4 (edited)') });
  });
});
