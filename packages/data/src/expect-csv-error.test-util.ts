// Test helper (not exported): runs `fn` and checks it throws a CsvParseError at an exact place.
import { expect } from 'vitest';
import { CsvParseError } from './errors.js';

/** Where the error must point and (a piece of) what its message must say. */
export interface ExpectedCsvError {
  file: string;
  line: number;
  column?: number | undefined;
  message: RegExp;
}

function check(error: unknown, expected: ExpectedCsvError): CsvParseError {
  expect(error).toBeInstanceOf(CsvParseError);
  const csvError = error as CsvParseError;
  expect({ file: csvError.file, line: csvError.line, column: csvError.column }).toEqual({
    file: expected.file,
    line: expected.line,
    column: expected.column,
  });
  expect(csvError.message).toMatch(expected.message);
  expect(csvError.code).toBe('CSV_PARSE');
  return csvError;
}

/** Asserts that `fn` throws a {@link CsvParseError} with these fields. */
export function expectCsvError(fn: () => unknown, expected: ExpectedCsvError): CsvParseError {
  try {
    fn();
  } catch (error) {
    return check(error, expected);
  }
  throw new Error('expected a CsvParseError, but nothing was thrown');
}

/** Asserts that the promise rejects with a {@link CsvParseError} with these fields. */
export async function expectCsvErrorAsync(
  promise: Promise<unknown>,
  expected: ExpectedCsvError,
): Promise<CsvParseError> {
  try {
    await promise;
  } catch (error) {
    return check(error, expected);
  }
  throw new Error('expected a CsvParseError, but the promise resolved');
}
