export interface MediaTickerOptions {
  /** Default 20 ms, one G.711/Opus frame. */
  periodMs?: number;
  /** Ticks run back to back after a stall (event loop busy) before the clock gives up and skips. */
  maxCatchUp?: number;
  now?: () => number;
}

/**
 * One 20 ms clock for every call of the bridge. It runs on deadlines (not `setInterval`, which
 * drifts), catches up a few ticks after a stall so pacing stays on time, and stops itself when
 * nobody listens. Each tick calls every listener, then `afterTick` (which flushes the batched
 * transcoding work).
 *
 * Ticks run in the event loop's check phase (`setImmediate` from the timer), after that turn's
 * I/O: when the loop was held up, the frames that came in meanwhile are read before the ticks
 * that catch up take them, instead of those ticks finding nothing and the frames then waiting as
 * a backlog.
 */
export class MediaTicker {
  readonly #periodMs: number;
  readonly #maxCatchUp: number;
  readonly #now: () => number;
  readonly #listeners = new Set<() => void>();
  readonly #afterTick: () => void;
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;
  #deadline = 0;
  #ticks = 0;
  #skipped = 0;

  constructor(afterTick: () => void, options: MediaTickerOptions = {}) {
    this.#afterTick = afterTick;
    this.#periodMs = options.periodMs ?? 20;
    this.#maxCatchUp = options.maxCatchUp ?? 50;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Ticks run so far, and ticks skipped after stalls longer than the catch-up allows. */
  get stats(): { ticks: number; skipped: number } {
    return { ticks: this.#ticks, skipped: this.#skipped };
  }

  add(listener: () => void): void {
    this.#listeners.add(listener);
    if (this.#timer === undefined && this.#immediate === undefined) {
      this.#deadline = this.#now() + this.#periodMs;
      this.#schedule();
    }
  }

  delete(listener: () => void): void {
    this.#listeners.delete(listener);
    if (this.#listeners.size === 0) {
      this.#cancel();
    }
  }

  stop(): void {
    this.#listeners.clear();
    this.#cancel();
  }

  #cancel(): void {
    clearTimeout(this.#timer);
    clearImmediate(this.#immediate);
    this.#timer = undefined;
    this.#immediate = undefined;
  }

  #schedule(): void {
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.#immediate = setImmediate(() => {
          this.#immediate = undefined;
          this.#run();
        });
      },
      Math.max(0, this.#deadline - this.#now()),
    );
  }

  #run(): void {
    let due = Math.floor((this.#now() - this.#deadline) / this.#periodMs) + 1;
    if (due > this.#maxCatchUp) {
      this.#skipped += due - this.#maxCatchUp;
      this.#deadline += (due - this.#maxCatchUp) * this.#periodMs;
      due = this.#maxCatchUp;
    }
    for (let i = 0; i < due && this.#listeners.size > 0; i += 1) {
      this.#ticks += 1;
      for (const listener of this.#listeners) {
        listener();
      }
      this.#afterTick();
      this.#deadline += this.#periodMs;
    }
    if (this.#listeners.size > 0) {
      this.#schedule();
    }
  }
}
