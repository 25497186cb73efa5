/** A stream the CLI writes text to. */
export interface OutputStream {
  /** Writes `text` as it is (no newline added). */
  write(text: string): unknown;
  /** Whether it is a terminal (progress bars only then). */
  isTTY?: boolean;
  /** The terminal's width, when it is one. */
  columns?: number;
}

/** Where the CLI reads its environment and writes its output; tests pass their own. */
export interface CliIO {
  /** Where results go (`process.stdout` in the binary). */
  stdout: OutputStream;
  /** Where progress, warnings and errors go (`process.stderr` in the binary). */
  stderr: OutputStream;
  env: Record<string, string | undefined>;
  cwd: string;
  /** The command line's arguments (set by `run`), recorded in an output folder's lock. */
  argv?: readonly string[];
  /** Aborted on Ctrl-C (SIGINT): training stops after the current batch. */
  signal?: AbortSignal;
}

/** The real process's streams and environment. */
export function processIO(signal?: AbortSignal): CliIO {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    ...(signal ? { signal } : {}),
  };
}

/** Exit codes: 0 success, 1 the run failed, 2 bad usage (unknown option, bad value), 130 interrupted. */
export const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const;

/** A usage mistake (bad option value): exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
