import { createHash } from 'node:crypto';
import { auditEventSchema, type AuditEvent } from './schema.js';

/**
 * The audit log's hash chain. Every entry the bot writes carries `seq` (1, 2, 3… along the chain)
 * and `prev`, the SHA-256 (hex) of the exact bytes, newline excluded, of the readable line before
 * it, or GENESIS when there is none. Editing, deleting, inserting or reordering entries then breaks
 * the link of the entry after them, and `seq` tells a deletion (a gap) from an edit.
 *
 * Lines that do not parse are skipped by the links: a crash can tear the line being appended, and
 * the bot, which cannot vouch for half an entry, ends it with a newline at its next start and notes
 * it in the log (TORN_WRITE, naming its line). Any other unreadable line is reported.
 *
 * Lines written before the chain existed have no `prev`: the chain starts at the first line that
 * has one. Its limits: nothing is keyed, so someone who rewrites every line from an edit on goes
 * unseen unless the newest entry's hash was kept elsewhere (`spokebot audit verify` prints it), and
 * removing the newest entries leaves nothing after them to notice.
 */
export const GENESIS = '0'.repeat(64);

/** The action of the entry the bot appends when it finds the log's last line torn by a crash. */
export const TORN_WRITE = 'audit.torn_write';

const HASH = /^[0-9a-f]{64}$/;

export function lineHash(line: Uint8Array | string): string {
  return createHash('sha256').update(line).digest('hex');
}

/** Complete lines (without their newline) and what follows the last newline (a torn write, or nothing). */
export function splitLines(bytes: Buffer): { lines: Buffer[]; tail: Buffer } {
  const lines: Buffer[] = [];
  let start = 0;
  for (let end = bytes.indexOf(0x0a, start); end >= 0; end = bytes.indexOf(0x0a, start)) {
    lines.push(bytes.subarray(start, end));
    start = end + 1;
  }
  return { lines, tail: bytes.subarray(start) };
}

export type ParsedLine =
  | { kind: 'chained'; event: AuditEvent; seq: number; prev: string }
  | { kind: 'legacy'; event: AuditEvent }
  | { kind: 'unreadable' };

/** One line as the log holds it; the event comes without the chain fields (the schema strips them). */
export function parseLine(line: Buffer | string): ParsedLine {
  let raw: unknown;
  try {
    raw = JSON.parse(typeof line === 'string' ? line : line.toString('utf8'));
  } catch {
    return { kind: 'unreadable' };
  }
  const parsed = auditEventSchema.safeParse(raw);
  if (!parsed.success) return { kind: 'unreadable' };
  const { seq, prev } = raw as { seq?: unknown; prev?: unknown };
  if (typeof prev === 'string' && HASH.test(prev) && typeof seq === 'number' && Number.isInteger(seq) && seq > 0) {
    return { kind: 'chained', event: parsed.data, seq, prev };
  }
  return { kind: 'legacy', event: parsed.data };
}

/** The line the bot writes for `event`: the chain fields last, so a torn line rarely carries them. */
export function chainedLine(event: AuditEvent, seq: number, prev: string): string {
  return JSON.stringify({ ...event, seq, prev });
}

/** The line numbers a TORN_WRITE entry names (kept as strings: audit details hold strings, not number lists). */
export function tornLinesNoted(event: AuditEvent): number[] {
  if (event.action !== TORN_WRITE) return [];
  const lines = event.detail?.lines;
  return Array.isArray(lines) ? lines.map(Number).filter((n) => Number.isInteger(n) && n > 0) : [];
}

export interface ChainBreak {
  /** 1-based line number of the first line whose place in the chain does not hold. */
  line: number;
  kind: 'edited' | 'deleted' | 'inserted' | 'reordered';
  /** What is wrong, in a sentence naming lines. */
  detail: string;
}

export interface ChainReport {
  /** Complete lines in the file. */
  lines: number;
  /** Entries whose link was checked and holds. */
  chained: number;
  /** 1-based line where the chain starts; undefined when no line has `prev` yet. */
  chainStart?: number;
  /** Entries without `prev` before the chain starts (written before this version). */
  legacy: number;
  /** Lines before the chain that do not parse and that the bot never noted: nothing can vouch for them. */
  unreadableBeforeChain: number[];
  /** Torn writes the bot found at a start and noted in the log. */
  tornNoted: number[];
  /** The last lines, torn by a crash the bot has not started since (it notes them at its next start). */
  tornAtEnd: number[];
  /** The newest entry on the chain: its line and the hash the next one will carry. */
  head?: { line: number; hash: string };
  broken?: ChainBreak;
}

interface Line {
  hash: string;
  parsed: ParsedLine;
}

/** Checks every link of the chain in `bytes` (a whole audit log) and names the first that fails. */
export function verifyChain(bytes: Buffer): ChainReport {
  const split = splitLines(bytes);
  const raw = [...split.lines];
  // A last line that lost only its newline is whole; anything else after the last newline is torn.
  const tailWhole = split.tail.length > 0 && parseLine(split.tail).kind !== 'unreadable';
  if (tailWhole) raw.push(split.tail);
  const lines: Line[] = raw.map((line) => ({ hash: lineHash(line), parsed: parseLine(line) }));
  const report: ChainReport = { lines: split.lines.length, chained: 0, legacy: 0, unreadableBeforeChain: [], tornNoted: [], tornAtEnd: [] };

  const noted = new Set(lines.flatMap((l) => (l.parsed.kind === 'unreadable' ? [] : tornLinesNoted(l.parsed.event))));
  const lastReadable = lines.findLastIndex((l) => l.parsed.kind !== 'unreadable');
  const start = lines.findIndex((l) => l.parsed.kind === 'chained');
  if (start >= 0) report.chainStart = start + 1;

  let previous = -1; // the nearest readable line before the one being looked at
  for (let i = 0; i < lines.length; i++) {
    const { parsed, hash } = lines[i]!;
    const n = i + 1;
    if (parsed.kind === 'unreadable') {
      if (noted.has(n)) report.tornNoted.push(n);
      else if (i > lastReadable) report.tornAtEnd.push(n);
      else if (start < 0 || i < start) report.unreadableBeforeChain.push(n);
      else {
        // Inside the chain and unexplained: was it an entry (the next one was written after something else) or put there?
        const next = lines.findIndex((l, m) => m > i && l.parsed.kind === 'chained');
        const nextPrev = next >= 0 ? (lines[next]!.parsed as { prev: string }).prev : undefined;
        const expected = previous >= 0 ? lines[previous]!.hash : GENESIS;
        report.broken =
          nextPrev !== undefined && nextPrev !== expected && !lines.some((l, m) => m > i && l.hash === nextPrev)
            ? { line: n, kind: 'edited', detail: `line ${n} was an entry and was changed: it no longer parses, and line ${next + 1} was written after a line that is not there any more` }
            : { line: n, kind: 'inserted', detail: `line ${n} was put there: it does not parse, the bot never noted it as a torn write, and the entries around it are intact` };
        return report;
      }
      continue;
    }
    if (parsed.kind === 'legacy') {
      if (start < 0 || i < start) report.legacy++;
      else if (!lines.slice(i + 1).some((l) => l.parsed.kind === 'chained')) {
        // Nothing after it checks it (an entry after it would have to name it as its predecessor).
        report.broken = { line: n, kind: 'inserted', detail: `line ${n} has no hash although the chain started at line ${start + 1}: it was added by hand, or by an older version of the bot` };
        return report;
      }
      previous = i;
      continue;
    }
    const expected = previous >= 0 ? lines[previous]!.hash : GENESIS;
    if (parsed.prev !== expected) {
      report.broken = classify(lines, i, previous, start);
      return report;
    }
    report.chained++;
    previous = i;
    report.head = { line: n, hash };
  }
  if (split.tail.length > 0 && !tailWhole) report.tornAtEnd.push(split.lines.length + 1);
  return report;
}

const entries = (n: number) => `${n} ${n === 1 ? 'entry' : 'entries'}`;
const span = (from: number, to: number) => (from === to ? `line ${from} was` : `lines ${from}–${to} were`);

/**
 * Line i (0-based) is on the chain but was not written after `previous`, the readable line now
 * before it. Which change explains that, as far as the hashes and seq can tell.
 */
function classify(lines: readonly Line[], i: number, previous: number, start: number): ChainBreak {
  const line = lines[i]!;
  const parsed = line.parsed as Extract<ParsedLine, { kind: 'chained' }>;
  const n = i + 1;
  const readableAt = (hash: string, from = 0) => lines.findIndex((l, m) => m >= from && l.parsed.kind !== 'unreadable' && l.hash === hash);

  const copyOf = readableAt(line.hash);
  if (copyOf >= 0 && copyOf < i) return { line: n, kind: 'inserted', detail: `line ${n} is a copy of line ${copyOf + 1}: it was inserted` };

  const after = readableAt(parsed.prev);
  if (after > i) return { line: n, kind: 'reordered', detail: `line ${n} was written after the entry now at line ${after + 1}: entries were reordered` };
  if (after >= 0 && after < previous) {
    return { line: after + 2, kind: 'inserted', detail: `line ${n} was written right after line ${after + 1}, so ${span(after + 2, i)} inserted` };
  }
  // A later entry written right after `previous`: everything from here up to it was put in.
  if (previous >= 0) {
    const resumes = lines.findIndex((l, m) => m > i && l.parsed.kind === 'chained' && l.parsed.prev === lines[previous]!.hash);
    if (resumes > i) return { line: n, kind: 'inserted', detail: `line ${resumes + 1} was written right after line ${previous + 1}, so ${span(n, resumes)} inserted` };
  }

  // What it was written after is gone, or changed: seq tells a deletion from an edit.
  if (previous < 0) {
    return parsed.seq > 1
      ? { line: n, kind: 'deleted', detail: `the log now starts at entry ${parsed.seq} of its chain: the ${entries(parsed.seq - 1)} before it were deleted` }
      : { line: n, kind: 'deleted', detail: `line ${n} was written after a line that is not there any more: lines before it were deleted` };
  }
  const before = lines[previous]!.parsed;
  const p = previous + 1;
  if (before.kind === 'chained') {
    if (parsed.seq === before.seq + 1) return { line: p, kind: 'edited', detail: `line ${p} was edited: line ${n}, the entry after it, was written after a different line ${p}` };
    if (parsed.seq > before.seq + 1) {
      return { line: n, kind: 'deleted', detail: `${entries(parsed.seq - before.seq - 1)} deleted between lines ${p} and ${n} (entry ${before.seq} of the chain is followed by entry ${parsed.seq})` };
    }
    return { line: n, kind: 'reordered', detail: `line ${n} is entry ${parsed.seq} of the chain but follows entry ${before.seq}: entries were reordered or replaced` };
  }
  // `previous` is an entry from before the chain, which has no seq of its own.
  if (i === start && parsed.seq > 1) {
    return { line: n, kind: 'deleted', detail: `the chain starts at line ${n} with entry ${parsed.seq}: the ${entries(parsed.seq - 1)} before it were deleted` };
  }
  return { line: p, kind: 'edited', detail: `line ${n} was written after a different line than line ${p}: line ${p} was edited, or lines between them were deleted` };
}

const count = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en')} ${n === 1 ? one : many}`;

/** Line numbers in a sentence, the first few of a long list. */
function lineList(lines: readonly number[]): string {
  const shown = lines.slice(0, 5).join(', ');
  return lines.length > 5 ? `${shown} and ${lines.length - 5} more` : shown;
}

/** The report as lines for a terminal: what holds, what is only noted, and the break if there is one. */
export function describeChain(report: ChainReport): string[] {
  const out: string[] = [];
  if (report.broken) {
    out.push(`BROKEN at line ${report.broken.line} (${report.broken.kind}): ${report.broken.detail}`);
    if (report.chained > 0) out.push(`the ${count(report.chained, 'entry', 'entries')} on the chain before it hold`);
  } else if (report.chainStart === undefined) {
    out.push(`no entry carries a hash yet: ${count(report.legacy, 'entry', 'entries')} from before the chain, nothing to prove; the chain starts with the next entry the bot writes`);
  } else {
    out.push(`chain intact: ${count(report.chained, 'entry', 'entries')} from line ${report.chainStart}, each written after the one before it`);
  }
  if (report.legacy > 0 && report.chainStart !== undefined) out.push(`${count(report.legacy, 'entry', 'entries')} before line ${report.chainStart} were written before the chain existed (no hash): counted, not checked`);
  if (report.unreadableBeforeChain.length > 0) {
    out.push(`${count(report.unreadableBeforeChain.length, 'line')} before the chain do not parse (${lineList(report.unreadableBeforeChain)}): torn by a crash under an older version, or changed; nothing can tell which`);
  }
  if (report.tornNoted.length > 0) out.push(`${count(report.tornNoted.length, 'line')} torn by a crash and noted by the bot at its next start (${lineList(report.tornNoted)}): what a crash mid-append leaves, not entries`);
  if (report.tornAtEnd.length > 0) out.push(`torn: the last line${report.tornAtEnd.length > 1 ? 's' : ''} (${lineList(report.tornAtEnd)}) ${report.tornAtEnd.length > 1 ? 'were' : 'was'} cut off by a crash mid-append, not tampering; the bot notes ${report.tornAtEnd.length > 1 ? 'them' : 'it'} at its next start`);
  if (report.head && !report.broken) out.push(`newest entry: line ${report.head.line}, sha256 ${report.head.hash}; keep it elsewhere and pass it to a later verify as --noted, to show no entries were removed from the end`);
  return out;
}
