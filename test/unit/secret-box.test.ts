import { describe, expect, it } from 'vitest';
import { SecretBox } from '../../src/store/secret-box.js';

describe('SecretBox', () => {
  const box = new SecretBox(Buffer.alloc(32, 1));

  it('round-trips, with a fresh IV each time and no clear text in the sealed form', () => {
    const a = box.seal('client-secret-value', 'setup-1');
    const b = box.seal('client-secret-value', 'setup-1');
    expect(a.iv).not.toBe(b.iv);
    expect(JSON.stringify(a)).not.toContain('client-secret-value');
    expect(box.open(a, 'setup-1')).toBe('client-secret-value');
  });

  it('will not open a secret moved onto another record, or with another key', () => {
    const sealed = box.seal('s', 'setup-1');
    expect(() => box.open(sealed, 'setup-2')).toThrow();
    expect(() => new SecretBox(Buffer.alloc(32, 2)).open(sealed, 'setup-1')).toThrow();
  });
});
