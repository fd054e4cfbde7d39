/** Called once per 20 ms frame, in frame order; `dueAt` is on the `performance.now()` time line. */
export type TickListener = (tick: number, dueAt: number) => void;

export const FRAME_MS = 20;

export interface MediaClockOptions {
  /** Frame period, ms (default 20). */
  periodMs?: number;
  /**
   * Phases per period (default 4): listeners are spread over them, so 500 calls send in four
   * groups 5 ms apart instead of one burst — as independent phones would.
   */
  slots?: number;
  onListenerError?: (error: unknown) => void;
}

/**
 * One pacing clock shared by every call in the process. A single timer re-arms itself at the
 * absolute time of the next phase (no drift), and when the event loop was held up it runs every
 * missed tick in order, so no frame is skipped — it is only late, and listeners can see by how
 * much (`performance.now() - dueAt`). Thousands of calls cost one timer, not one each.
 */
export class MediaClock {
  readonly periodMs: number;
  readonly slots: number;
  private readonly slotListeners: Array<Set<TickListener>>;
  private readonly slotOf = new Map<TickListener, number>();
  private timer: NodeJS.Timeout | undefined;
  private origin = 0;
  private nextTick = 0;
  private nextSlot = 0;
  private running = false;
  private closed = false;
  private readonly onListenerError: ((error: unknown) => void) | undefined;

  constructor(options: MediaClockOptions = {}) {
    this.periodMs = options.periodMs ?? FRAME_MS;
    this.slots = Math.max(1, Math.floor(options.slots ?? 4));
    this.slotListeners = Array.from({ length: this.slots }, () => new Set<TickListener>());
    this.onListenerError = options.onListenerError;
  }

  /** The frame tick that is in progress or next. */
  get currentTick(): number {
    return this.nextTick;
  }

  /** When frame `tick` of phase `slot` is due. */
  dueAt(tick: number, slot = 0): number {
    return this.origin + tick * this.periodMs + (slot * this.periodMs) / this.slots;
  }

  /** The frame tick at time `now` (`performance.now()`). */
  tickAt(now: number): number {
    return Math.floor((now - this.origin) / this.periodMs);
  }

  get listenerCount(): number {
    return this.slotOf.size;
  }

  /** Subscribes (to the least busy phase); the clock runs while it has listeners. */
  subscribe(listener: TickListener): () => void {
    if (this.closed) {
      throw new Error('MediaClock is closed');
    }
    let slot = 0;
    for (let s = 1; s < this.slots; s += 1) {
      if ((this.slotListeners[s]?.size ?? 0) < (this.slotListeners[slot]?.size ?? 0)) {
        slot = s;
      }
    }
    this.slotListeners[slot]?.add(listener);
    this.slotOf.set(listener, slot);
    if (!this.running) {
      this.start();
    }
    return () => {
      const at = this.slotOf.get(listener);
      if (at === undefined) {
        return;
      }
      this.slotOf.delete(listener);
      this.slotListeners[at]?.delete(listener);
      if (this.slotOf.size === 0) {
        this.stop();
      }
    };
  }

  /** Idempotent. */
  close(): void {
    if (this.closed) {
      return;
    }
    this.closed = true;
    for (const set of this.slotListeners) {
      set.clear();
    }
    this.slotOf.clear();
    this.stop();
  }

  private start(): void {
    this.running = true;
    this.origin = performance.now();
    this.nextTick = 0;
    this.nextSlot = 0;
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
    const wait = Math.max(0, this.dueAt(this.nextTick, this.nextSlot) - performance.now());
    this.timer = setTimeout(this.run, wait);
  }

  private readonly run = (): void => {
    this.timer = undefined;
    const now = performance.now();
    while (this.running && this.dueAt(this.nextTick, this.nextSlot) <= now) {
      const tick = this.nextTick;
      const slot = this.nextSlot;
      const due = this.dueAt(tick, slot);
      this.nextSlot += 1;
      if (this.nextSlot === this.slots) {
        this.nextSlot = 0;
        this.nextTick += 1;
      }
      for (const listener of this.slotListeners[slot] ?? []) {
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
    process.emitWarning(
      `a MediaClock listener threw: ${error instanceof Error ? error.message : String(error)}`,
      { code: 'PALAVER_PHONE_SIM_CLOCK' },
    );
  }
}
