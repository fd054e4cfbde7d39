/**
 * A fixed-resolution histogram of millisecond values (0.1 ms buckets up to `maxMs`, then one
 * overflow bucket), so a load run can record every frame's timing without keeping the samples.
 */
export class Histogram {
  private readonly buckets: Uint32Array;
  private readonly resolutionMs: number;
  private overflowMax = 0;
  count = 0;
  sum = 0;
  max = 0;

  constructor(maxMs = 2000, resolutionMs = 0.1) {
    this.resolutionMs = resolutionMs;
    this.buckets = new Uint32Array(Math.ceil(maxMs / resolutionMs) + 1);
  }

  record(valueMs: number): void {
    const v = valueMs > 0 ? valueMs : 0;
    const index = Math.floor(v / this.resolutionMs);
    if (index >= this.buckets.length - 1) {
      this.buckets[this.buckets.length - 1]! += 1;
      this.overflowMax = Math.max(this.overflowMax, v);
    } else {
      this.buckets[index]! += 1;
    }
    this.count += 1;
    this.sum += v;
    if (v > this.max) {
      this.max = v;
    }
  }

  get mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  /** The value below which `p` percent of the records fall (upper edge of its bucket). */
  percentile(p: number): number {
    if (this.count === 0) {
      return 0;
    }
    const rank = Math.ceil((p / 100) * this.count);
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i += 1) {
      seen += this.buckets[i] ?? 0;
      if (seen >= rank) {
        return i === this.buckets.length - 1
          ? this.overflowMax
          : Math.min(this.max, (i + 1) * this.resolutionMs);
      }
    }
    return this.max;
  }
}

export interface Percentiles {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

/** Percentiles of a list of values (nearest rank). */
export function percentiles(values: readonly number[]): Percentiles {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  const at = (p: number): number =>
    sorted.length === 0
      ? 0
      : (sorted[
          Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
        ] ?? 0);
  return {
    count: sorted.length,
    mean: sorted.length === 0 ? 0 : sorted.reduce((s, v) => s + v, 0) / sorted.length,
    p50: at(50),
    p90: at(90),
    p95: at(95),
    p99: at(99),
    max: sorted.length === 0 ? 0 : (sorted[sorted.length - 1] ?? 0),
  };
}

export function histogramPercentiles(h: Histogram): Percentiles {
  return {
    count: h.count,
    mean: h.mean,
    p50: h.percentile(50),
    p90: h.percentile(90),
    p95: h.percentile(95),
    p99: h.percentile(99),
    max: h.max,
  };
}
