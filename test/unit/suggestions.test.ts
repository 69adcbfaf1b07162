import { describe, expect, it } from 'vitest';
import { closestMatch, editDistance } from '../../src/core/suggest.js';
import { SUBCOMMAND_NAMES, suggestSubcommand, unknownCommandText } from '../../src/slack/commands/spoke-command.js';

describe('editDistance', () => {
  it('counts insertions, deletions and substitutions', () => {
    expect(editDistance('', '')).toBe(0);
    expect(editDistance('list', 'list')).toBe(0);
    expect(editDistance('', 'list')).toBe(4);
    expect(editDistance('lst', 'list')).toBe(1);
    expect(editDistance('lists', 'list')).toBe(1);
    expect(editDistance('lisp', 'list')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('counts two neighbours swapped as one edit', () => {
    expect(editDistance('stauts', 'status')).toBe(1);
    expect(editDistance('hlep', 'help')).toBe(1);
    expect(editDistance('ab', 'ba')).toBe(1);
  });

  it('is symmetric', () => {
    for (const [a, b] of [['frobnicate', 'remove'], ['requets', 'requests'], ['audti', 'audit']] as const) expect(editDistance(a, b)).toBe(editDistance(b, a));
  });
});

describe('closestMatch', () => {
  it('finds the nearest candidate within reach, the earlier one on a tie', () => {
    expect(closestMatch('cat', ['dog', 'cut', 'cot'], () => 1)).toBe('cut');
    expect(closestMatch('cat', ['dog', 'mouse'], () => 1)).toBeUndefined();
    expect(closestMatch('cart', ['car', 'cart'], () => 1)).toBe('cart');
  });
});

describe('a mistyped /spoke subcommand', () => {
  it('suggests the subcommand a typo was meant to be', () => {
    const typos: Record<string, string> = { stauts: 'status', lst: 'list', setpu: 'setup', rmove: 'remove', rotat: 'rotate', adpot: 'adopt', reqest: 'request', requestss: 'requests', audti: 'audit', doctr: 'doctor', hlep: 'help', STAUTS: 'status' };
    for (const [typed, meant] of Object.entries(typos)) expect(suggestSubcommand(typed), typed).toBe(meant);
  });

  it('suggests nothing for a word that is no near miss', () => {
    for (const typed of ['frobnicate', 'constructor', '__proto__', 's', 'xyz', 'x'.repeat(500)]) expect(suggestSubcommand(typed), typed).toBeUndefined();
  });

  it('names the word, suggests the closest command with what followed it, then shows help', () => {
    const text = unknownCommandText('stauts', []);
    expect(text.split('\n')[0]).toBe('`stauts` is not a /spoke command; did you mean `/spoke status`?');
    expect(text).toContain('/spoke setup jira|jsm|confluence');
    expect(unknownCommandText('stauts', ['Confluence', 'acme']).split('\n')[0]).toBe('`stauts` is not a /spoke command; did you mean `/spoke status Confluence acme`?');
    expect(unknownCommandText('frobnicate', []).split('\n')[0]).toBe('`frobnicate` is not a /spoke command.');
  });

  it('shows the typed word as text: escaped, no backtick to end the code span, clipped', () => {
    const line = unknownCommandText('<!channel>`x', ['<@U1>']).split('\n')[0]!;
    expect(line).not.toContain('<!channel>');
    expect(line.match(/`/g)).toHaveLength(2);
    expect(unknownCommandText('y'.repeat(200), []).split('\n')[0]!.length).toBeLessThan(100);
  });

  it('knows every subcommand the command answers, help last', () => {
    expect(SUBCOMMAND_NAMES).toEqual(['setup', 'list', 'status', 'rotate', 'remove', 'adopt', 'request', 'requests', 'audit', 'doctor', 'help']);
  });
});
