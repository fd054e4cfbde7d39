const ZERO_CROSSINGS = 16;

function blackman(u: number): number {
  // u in [-1, 1]
  return 0.42 + 0.5 * Math.cos(Math.PI * u) + 0.08 * Math.cos(2 * Math.PI * u);
}

/**
 * Band-limited resampling by direct windowed-sinc interpolation (Blackman window, 16 zero
 * crossings, cutoff at 95% of the lower Nyquist frequency). Slow next to a polyphase resampler,
 * but exact for any ratio and plenty fast for loading files and fixtures.
 */
export function resample(
  samples: ArrayLike<number>,
  fromRate: number,
  toRate: number,
): Float32Array {
  if (fromRate === toRate) {
    return Float32Array.from(samples);
  }
  const ratio = toRate / fromRate;
  const cutoff = Math.min(1, ratio) * 0.95;
  const halfWidth = Math.ceil(ZERO_CROSSINGS / cutoff);
  const outLength = Math.floor((samples.length * toRate) / fromRate);
  const out = new Float32Array(outLength);
  for (let n = 0; n < outLength; n += 1) {
    const t = n / ratio;
    const center = Math.floor(t);
    let acc = 0;
    const lo = Math.max(0, center - halfWidth + 1);
    const hi = Math.min(samples.length - 1, center + halfWidth);
    for (let k = lo; k <= hi; k += 1) {
      const x = t - k;
      const u = x / halfWidth;
      if (u <= -1 || u >= 1) {
        continue;
      }
      const arg = Math.PI * cutoff * x;
      const sinc = x === 0 ? 1 : Math.sin(arg) / arg;
      acc += (samples[k] ?? 0) * cutoff * sinc * blackman(u);
    }
    out[n] = acc;
  }
  return out;
}
