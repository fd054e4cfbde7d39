export interface TalkDetectorOptions {
  /** Frames averaged (20 ms each). Default 25 (half a second). */
  windowFrames?: number;
  /** Average level (dBFS) at or above which the caller talks. Default −45. */
  startDbfs?: number;
  /** Average level below which the caller has stopped. Default −55 (hysteresis). */
  stopDbfs?: number;
}

/** Quieter than this counts as this, so digital silence does not weigh infinitely. */
const FLOOR_DBFS = -100;

/**
 * Decides from the caller's per-frame level whether the caller is talking, the way Janus does it
 * for WebRTC legs (a moving average of the level over a window, compared with a threshold), since
 * Janus computes nothing for plain-RTP legs. `push` returns the new state when it changed.
 */
export class TalkDetector {
  readonly #levels: Float64Array;
  readonly #start: number;
  readonly #stop: number;
  #index = 0;
  #sum: number;
  #talking = false;

  constructor(options: TalkDetectorOptions = {}) {
    const window = options.windowFrames ?? 25;
    this.#levels = new Float64Array(window).fill(FLOOR_DBFS);
    this.#sum = FLOOR_DBFS * window;
    this.#start = options.startDbfs ?? -45;
    this.#stop = options.stopDbfs ?? -55;
  }

  get talking(): boolean {
    return this.#talking;
  }

  /** One frame's level in dBFS; returns `true`/`false` when talking started/stopped. */
  push(levelDbfs: number): boolean | undefined {
    const level = Number.isFinite(levelDbfs) ? Math.max(FLOOR_DBFS, levelDbfs) : FLOOR_DBFS;
    this.#sum += level - this.#levels[this.#index]!;
    this.#levels[this.#index] = level;
    this.#index = (this.#index + 1) % this.#levels.length;
    const average = this.#sum / this.#levels.length;
    if (!this.#talking && average >= this.#start) {
      this.#talking = true;
      return true;
    }
    if (this.#talking && average < this.#stop) {
      this.#talking = false;
      return false;
    }
    return undefined;
  }
}
