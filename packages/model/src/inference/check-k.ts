import { InvalidArgumentError } from '@cf/data';

/** `k` if it is a non-negative integer; throws {@link InvalidArgumentError} otherwise. */
export function checkK(k: number): number {
  if (!(Number.isInteger(k) && k >= 0))
    throw new InvalidArgumentError('k', `must be a non-negative integer, got ${k}`);
  return k;
}
