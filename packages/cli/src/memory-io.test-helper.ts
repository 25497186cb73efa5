// Test-only helper (imported by *.test.ts, never by the CLI).
import type { CliIO } from './cli-io.js';

/** An in-memory {@link CliIO} that records what the CLI writes. */
export function memoryIO(cwd: string): CliIO & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (t: string) => void (out += t) },
    stderr: { write: (t: string) => void (err += t) },
    env: {},
    cwd,
    out: () => out,
    err: () => err,
  };
}
