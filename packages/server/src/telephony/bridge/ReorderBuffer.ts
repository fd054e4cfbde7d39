export interface ReorderStats {
  /** Frames that came after a later one had already been played. */
  late: number;
  /** Frames seen twice. */
  duplicates: number;
  /** Frames dropped because the buffer was over its depth, or a loud backlog over its limit. */
  overflow: number;
  /** Frames of a standing backlog dropped while the audio was quiet (inaudible). */
  quietTrims: number;
  /** Frames never received: the gaps that playout skipped. */
  missing: number;
}

/** Ticks a standing backlog may last before a frame of it is dropped: while loud, while quiet. */
const BACKLOG_TICKS = 50;
const QUIET_BACKLOG_TICKS = 5;
/** Frames waiting that are normal phase jitter between the sender's clock and ours. */
const JITTER_FRAMES = 2;

/**
 * Puts frames numbered by a counter (Telnyx's `chunk`, an RTP sequence number) back in order
 * within a small window, for a consumer that takes one frame per 20 ms tick.
 *
 * `take()` hands out the next frame in order. When that one has not come but later ones have, it
 * waits up to `window` ticks for it, then skips the gap. More than `depth` frames waiting means
 * the sender got far ahead: the oldest are dropped at once. A backlog of more than two frames
 * that stays (the burst after a sender's stall, clock drift) is worked off while the audio is
 * quiet, where a dropped frame is not heard: a frame a tick once it has stood for 100 ms. While
 * the audio is loud, only a backlog over `loudBacklog` frames that stood for a second is, a frame
 * a second. (A sender's stall leaves a backlog as long as the stall; further stalls do not add
 * to it, so holding it while someone talks costs delay, not more and more delay.)
 * Hand-written because it runs for every frame of every call.
 */
export class ReorderBuffer<T> {
  readonly stats: ReorderStats = {
    late: 0,
    duplicates: 0,
    overflow: 0,
    quietTrims: 0,
    missing: 0,
  };
  readonly #frames = new Map<number, T>();
  readonly #window: number;
  readonly #depth: number;
  readonly #modulo: number | undefined;
  readonly #loudBacklog: number;
  #next: number | undefined;
  #waited = 0;
  #backlogTicks = 0;

  /**
   * @param window ticks to wait for a missing frame before skipping it
   * @param depth most frames held
   * @param modulo counter wrap (65536 for RTP sequence numbers); undefined: counters never wrap
   * @param loudBacklog frames that may wait as a standing backlog while the audio is loud
   */
  constructor(window = 2, depth = 4, modulo?: number, loudBacklog = depth) {
    this.#window = window;
    this.#depth = depth;
    this.#modulo = modulo;
    this.#loudBacklog = loudBacklog;
  }

  get size(): number {
    return this.#frames.size;
  }

  /** Forgets the frames held and the position (counters stay): a fresh start. */
  clear(): void {
    this.#frames.clear();
    this.#next = undefined;
    this.#waited = 0;
    this.#backlogTicks = 0;
  }

  /** Adds a frame; returns false when it is too late or a duplicate. */
  put(counter: number, frame: T): boolean {
    if (this.#next !== undefined && this.#distance(this.#next, counter) < 0) {
      this.stats.late += 1;
      return false;
    }
    if (this.#frames.has(counter)) {
      this.stats.duplicates += 1;
      return false;
    }
    this.#frames.set(counter, frame);
    this.#next ??= counter;
    while (this.#frames.size > this.#depth) {
      const oldest = this.#oldest();
      if (oldest === undefined) {
        break;
      }
      this.#frames.delete(oldest);
      this.stats.overflow += 1;
      this.#advancePast(oldest);
    }
    return true;
  }

  /**
   * The next frame in order, or undefined (nothing yet, or waiting for a late one). `quiet`: the
   * audio is quiet now (a frame dropped to cut a backlog would not be heard).
   */
  take(quiet = true): T | undefined {
    // More than two frames waiting tick after tick is delay nobody needs: skip one when it is
    // not heard, or when the backlog is long.
    const waiting = this.#frames.size;
    this.#backlogTicks = waiting > JITTER_FRAMES ? this.#backlogTicks + 1 : 0;
    if (
      this.#next !== undefined &&
      (quiet
        ? this.#backlogTicks > QUIET_BACKLOG_TICKS
        : this.#backlogTicks > BACKLOG_TICKS && waiting > this.#loudBacklog)
    ) {
      if (!quiet) {
        // Loud: one frame a second. Quiet: one a tick, down to the jitter.
        this.#backlogTicks = 0;
      }
      if (this.#frames.delete(this.#next)) {
        if (quiet) {
          this.stats.quietTrims += 1;
        } else {
          this.stats.overflow += 1;
        }
        this.#next = this.#step(this.#next, 1);
      }
    }
    return this.#takeNext();
  }

  #takeNext(): T | undefined {
    if (this.#next === undefined || this.#frames.size === 0) {
      return undefined;
    }
    const frame = this.#frames.get(this.#next);
    if (frame !== undefined) {
      this.#frames.delete(this.#next);
      this.#next = this.#step(this.#next, 1);
      this.#waited = 0;
      return frame;
    }
    // A gap: wait a little for the missing frame, then play on from the oldest one here.
    this.#waited += 1;
    if (this.#waited <= this.#window) {
      return undefined;
    }
    const oldest = this.#oldest();
    if (oldest === undefined) {
      return undefined;
    }
    this.stats.missing += Math.max(0, this.#distance(this.#next, oldest));
    this.#next = oldest;
    return this.#takeNext();
  }

  #oldest(): number | undefined {
    let oldest: number | undefined;
    for (const counter of this.#frames.keys()) {
      if (oldest === undefined || this.#distance(oldest, counter) < 0) {
        oldest = counter;
      }
    }
    return oldest;
  }

  #advancePast(counter: number): void {
    if (this.#next !== undefined && this.#distance(this.#next, counter) >= 0) {
      this.stats.missing += this.#distance(this.#next, counter);
      this.#next = this.#step(counter, 1);
      this.#waited = 0;
    }
  }

  /** b − a, in the counter's arithmetic. */
  #distance(a: number, b: number): number {
    if (this.#modulo === undefined) {
      return b - a;
    }
    const m = this.#modulo;
    const d = (((b - a) % m) + m) % m;
    return d >= m / 2 ? d - m : d;
  }

  #step(counter: number, by: number): number {
    return this.#modulo === undefined ? counter + by : (counter + by) % this.#modulo;
  }
}
