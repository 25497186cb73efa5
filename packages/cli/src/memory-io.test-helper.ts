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

/** Runs the CLI in memory in `cwd`: `await cf(['train', …])` → `{code, out, err}`. */
export function cliRunner(
  cwd: () => string,
): (argv: string[]) => Promise<{ code: number; out: string; err: string }> {
  return async (argv) => {
    const { run } = await import('./run.js');
    const io = memoryIO(cwd());
    const code = await run(argv, io);
    return { code, out: io.out(), err: io.err() };
  };
}
