import { describe, expect, it } from 'vitest';
import { parseRawId } from './raw-id.js';

describe('parseRawId', () => {
  it('turns canonical safe integers into numbers, 2**31 and negatives included', () => {
    expect(parseRawId('42')).toBe(42);
    expect(parseRawId('0')).toBe(0);
    expect(parseRawId('-7')).toBe(-7);
    expect(parseRawId('2147483648')).toBe(2 ** 31);
    expect(parseRawId('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('keeps anything else as a string, unsafe integers included', () => {
    for (const text of ['007', 'u1', '1.5', '', ' 1', '1e3', '-0', '+1', '9007199254740993']) {
      expect(parseRawId(text)).toBe(text);
    }
  });
});
