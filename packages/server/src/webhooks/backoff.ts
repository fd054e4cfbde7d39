/** The delay before retry `attempt` (1 after the first failure), in milliseconds. */
export type Backoff = (attempt: number) => number;

export interface ExponentialBackoffOptions {
  /** Delay after the first failure. Default: 1 s. */
  initialMs?: number;
  /** Growth per failure. Default: 2. */
  factor?: number;
  /** Upper bound of a single delay. Default: 10 min. */
  maxMs?: number;
  /**
   * Fraction of each delay that is randomised (0 to 1), so receivers coming back up are not hit
   * by every queued room at the same instant. Default: 0.2.
   */
  jitter?: number;
  random?: () => number;
}

/** 1 s, 2 s, 4 s, … up to 10 min by default, each shortened by up to 20 % at random. */
export function exponentialBackoff(options: ExponentialBackoffOptions = {}): Backoff {
  const initialMs = options.initialMs ?? 1000;
  const factor = options.factor ?? 2;
  const maxMs = options.maxMs ?? 10 * 60 * 1000;
  const jitter = Math.min(Math.max(options.jitter ?? 0.2, 0), 1);
  const random = options.random ?? Math.random;
  return (attempt) => {
    const exponent = Math.max(attempt, 1) - 1;
    const base = Math.min(initialMs * factor ** exponent, maxMs);
    return Math.round(base * (1 - jitter * random()));
  };
}
