// Test-only helper (imported by *.test.ts, never by the library).
import { expect } from 'vitest';

/**
 * Runs `fn`, asserts it throws an instance of `errorClass` whose fields include `fields`, and
 * returns the error for further checks.
 */
export function expectError<T extends Error>(
  fn: () => unknown,
  errorClass: abstract new (...args: never[]) => T,
  fields: Partial<Record<keyof T, unknown>> = {},
): T {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(errorClass);
  expect(thrown).toMatchObject(fields);
  return thrown as T;
}
