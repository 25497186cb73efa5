const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/**
 * Lets timers and signal handlers run during a long computation: once `intervalMs` have passed
 * since the last yield, {@link pause} hands back a promise that resolves after a timer (so that
 * pending signals are handled first), and nothing otherwise, so a hot loop pays one clock read
 * per check. Check between units of work small enough that a Ctrl-C is seen within a fraction of a
 * second.
 */
export class EventLoopYielder {
  private last = now();
  constructor(
    private readonly signal: AbortSignal | undefined,
    private readonly intervalMs = 50,
  ) {}

  /** A promise to await when `intervalMs` have passed since the last yield; undefined otherwise. */
  pause(): Promise<void> | undefined {
    const t = now();
    if (t - this.last < this.intervalMs) return undefined;
    this.last = t;
    return new Promise((resolve) => setTimeout(resolve, 0));
  }

  /** True once the signal is aborted; first yields to the event loop when {@link pause} says so. */
  async stopRequested(): Promise<boolean> {
    const pause = this.pause();
    if (pause) await pause;
    return this.signal?.aborted === true;
  }
}
