/** A user or item id as it appears in the user's data: a number or a string. */
export type RawId = number | string;

const CANONICAL_INTEGER = /^(0|-?[1-9]\d*)$/; // "-0" is not canonical: it would collide with 0

/**
 * Turns a text field into a {@link RawId}: a canonical integer that is a safe JS integer
 * ("42", "-7", "2147483648") becomes a number, anything else ("007", "u1", "1.5") stays a string.
 * Loaders and the CLI use the same rule, so `--user 42` finds user 42 of a CSV file.
 */
export function parseRawId(text: string): RawId {
  if (CANONICAL_INTEGER.test(text)) {
    const value = Number(text);
    if (Number.isSafeInteger(value)) return value;
  }
  return text;
}
