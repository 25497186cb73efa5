const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/**
 * Lets timers and signal handlers run during a long computation: {@link stopRequested} yields to
 * the event loop (through a timer, so that pending signals are handled first) once `intervalMs`
 * have passed since the last yield, and says whether `signal` has been aborted. Call it between
 * units of work small enough that a Ctrl-C is seen within a fraction of a second.
 */
export class EventLoopYielder {
  private last = now();
  constructor(
    private readonly signal: AbortSignal | undefined,
    private readonly intervalMs = 50,
  ) {}

  /** True once the signal is aborted; first yields to the event loop when `intervalMs` have passed. */
  async stopRequested(): Promise<boolean> {
    if (now() - this.last > this.intervalMs) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      this.last = now();
    }
    return this.signal?.aborted === true;
  }
}
