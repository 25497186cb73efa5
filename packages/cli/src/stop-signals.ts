/** The signals `cf` stops on, and the exit code each gives when the run stops because of it. */
export const STOP_SIGNALS = { SIGINT: 130, SIGTERM: 143 } as const;

/** A signal `cf` stops on. */
export type StopSignal = keyof typeof STOP_SIGNALS;

/** The parts of `process` that {@link handleStopSignals} uses (a test passes an EventEmitter). */
export interface SignalTarget {
  /** Adds `listener` for `event` (as `process.on` does). */
  on(event: StopSignal, listener: () => void): unknown;
  /** Removes a listener added with {@link SignalTarget.on} (as `process.removeListener` does). */
  removeListener(event: StopSignal, listener: () => void): unknown;
}

/**
 * Ctrl-C (SIGINT) or SIGTERM once: writes a notice and aborts `controller` with the signal's name
 * as reason, so the run stops at its next check (after the current batch, Gibbs sweep or save).
 * Then both listeners are removed, which gives the signals back their default action: a second
 * Ctrl-C or SIGTERM ends the process at once, even in the middle of a long synchronous step that no
 * JavaScript handler could interrupt. Returns the signal received first, or undefined.
 */
export function handleStopSignals(
  target: SignalTarget,
  controller: AbortController,
  write: (text: string) => void,
): () => StopSignal | undefined {
  let received: StopSignal | undefined;
  const listeners = new Map<StopSignal, () => void>();
  for (const signal of Object.keys(STOP_SIGNALS) as StopSignal[]) {
    const listener = (): void => {
      received = signal;
      for (const [s, l] of listeners) target.removeListener(s, l);
      write(
        `\n${signal === 'SIGINT' ? 'interrupt' : 'SIGTERM'}: stopping at the next safe point (Ctrl-C again to quit now)\n`,
      );
      controller.abort(signal);
    };
    listeners.set(signal, listener);
    target.on(signal, listener);
  }
  return () => received;
}
