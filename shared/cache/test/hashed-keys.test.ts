import { describe, expect, it } from 'vitest';
import { hashedKey, hashedKeyPart, normaliseText } from '../src/hashed-keys';

describe('hashed keys for user input', () => {
  it('normalises case, spacing, punctuation and Unicode compatibility forms', () => {
    expect(normaliseText('  Red   SHOES! ')).toBe('red shoes');
    expect(normaliseText('ＲＥＤ\tshoes')).toBe('red shoes'); // full-width letters (NFKC)
    expect(normaliseText('Crème brûlée')).toBe('crème brûlée');
    expect(normaliseText('shoes red red', { unordered: true })).toBe(normaliseText('Red shoes', { unordered: true }));
    expect(normaliseText('shoes red')).not.toBe(normaliseText('red shoes'));
  });

  it('bounds the normalised text', () => {
    expect(normaliseText('a '.repeat(1000), { maxLength: 10 })).toHaveLength(10);
  });

  it('never puts the text into the key, whatever it contains', () => {
    for (const text of ['red shoes', '{evil}:tag', 'x'.repeat(10_000), '', 'ключ']) {
      const key = hashedKey('search', text, 'results');
      expect(key).toMatch(/^search:\{[A-Za-z0-9_-]{22}\}:results$/);
      if (text.length > 0) expect(key).not.toContain(text);
    }
  });

  it('is stable, distinct per text, and changes with the salt', () => {
    expect(hashedKeyPart('red shoes')).toBe(hashedKeyPart('red shoes'));
    expect(hashedKeyPart('red shoes')).not.toBe(hashedKeyPart('red shoe'));
    expect(hashedKeyPart('red shoes', 'v2')).not.toBe(hashedKeyPart('red shoes', 'v1'));
  });
});
