/** Limits of one connection's frames. */
export interface FrameRateOptions {
  /** Frames per second allowed on average. */
  perSecond: number;
  /** Frames allowed in a burst (connecting sends many trickle candidates at once). */
  burst: number;
}

/** A token bucket: each frame takes a token, tokens come back at `perSecond`. */
export class FrameRateLimiter {
  readonly #perMs: number;
  readonly #burst: number;
  readonly #now: () => number;
  #tokens: number;
  #last: number;

  constructor(options: FrameRateOptions, now: () => number = Date.now) {
    this.#perMs = options.perSecond / 1000;
    this.#burst = options.burst;
    this.#now = now;
    this.#tokens = options.burst;
    this.#last = now();
  }

  /** Takes a token; false when the connection is over its limit. */
  take(): boolean {
    const now = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#last) * this.#perMs);
    this.#last = now;
    if (this.#tokens < 1) {
      return false;
    }
    this.#tokens -= 1;
    return true;
  }
}
