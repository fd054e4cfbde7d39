/** Called once per 20 ms tick, in tick order. */
export type TickListener = (tick: number, dueAt: number) => void;

export const FRAME_MS = 20;

/**
 * One pacing clock shared by every call in the process. A single timer re-arms itself at the
 * absolute time of the next tick (no drift), and when the event loop was held up it runs every
 * missed tick in order, so no frame is skipped — it is only late, and callers can see by how much
 * (`performance.now() - dueAt`). Thousands of calls cost one timer, not one each.
 */
export class MediaClock {
  readonly periodMs: number;
  private readonly listeners = new Set<TickListener>();
  private timer: NodeJS.Timeout | undefined;
  private origin = 0;
  private nextTick = 0;
  private running = false;
  private closed = false;
  private onListenerError: ((error: unknown) => void) | undefined;

  constructor(options: { periodMs?: number; onListenerError?: (error: unknown) => void } = {}) {
    this.periodMs = options.periodMs ?? FRAME_MS;
    this.onListenerError = options.onListenerError;
  }

  /** The tick that is due now or next. */
  get currentTick(): number {
    return this.nextTick;
  }

  /** When tick `tick` is due, on the `performance.now()` time line. */
  dueAt(tick: number): number {
    return this.origin + tick * this.periodMs;
  }

  /** The tick in progress at time `now` (`performance.now()`). */
  tickAt(now: number): number {
    return Math.floor((now - this.origin) / this.periodMs);
  }

  /** Subscribes; the clock runs while it has listeners. Returns the unsubscribe function. */
  subscribe(listener: TickListener): () => void {
    if (this.closed) {
      throw new Error('MediaClock is closed');
    }
    this.listeners.add(listener);
    if (!this.running) {
      this.start();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) {
        this.stop();
      }
    };
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  close(): void {
    if (this.closed) {
      return;
    }
    this.closed = true;
    this.listeners.clear();
    this.stop();
  }

  private start(): void {
    this.running = true;
    this.origin = performance.now();
    this.nextTick = 0;
    this.arm();
  }

  private stop(): void {
    this.running = false;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private arm(): void {
    const wait = Math.max(0, this.dueAt(this.nextTick) - performance.now());
    this.timer = setTimeout(this.run, wait);
  }

  private readonly run = (): void => {
    this.timer = undefined;
    if (!this.running) {
      return;
    }
    const now = performance.now();
    while (this.running && this.dueAt(this.nextTick) <= now) {
      const tick = this.nextTick;
      this.nextTick += 1;
      const due = this.dueAt(tick);
      for (const listener of this.listeners) {
        try {
          listener(tick, due);
        } catch (error) {
          this.reportError(error);
        }
      }
    }
    if (this.running) {
      this.arm();
    }
  };

  private reportError(error: unknown): void {
    if (this.onListenerError !== undefined) {
      try {
        this.onListenerError(error);
        return;
      } catch {
        // fall through to the warning
      }
    }
    process.emitWarning(`a MediaClock listener threw: ${error instanceof Error ? error.message : String(error)}`, {
      code: 'PALAVER_PHONE_SIM_CLOCK',
    });
  }
}
