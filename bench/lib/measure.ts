/** Small measuring helpers for the benchmarks: percentiles, an RSS sampler, a stopwatch. */

/** The p-th percentile (0…100) of `values`, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export const round1 = (x: number): number => Math.round(x * 10) / 10;

export const mb = (bytes: number): number => round1(bytes / 1024 / 1024);

export interface RssSampler {
  /** Takes a sample now (also called every `everyMs`). */
  sample(): void;
  /** The largest sample since the last reset, in bytes. */
  peak(): number;
  reset(): void;
  stop(): void;
}

/** Samples `process.memoryUsage.rss()` every `everyMs` (and whenever `sample` is called). */
export function rssSampler(everyMs = 25): RssSampler {
  let peak = 0;
  const sample = (): void => {
    const rss = process.memoryUsage.rss();
    if (rss > peak) peak = rss;
  };
  const timer = setInterval(sample, everyMs);
  timer.unref();
  sample();
  return {
    sample,
    peak: () => peak,
    reset() {
      peak = 0;
      sample();
    },
    stop() {
      clearInterval(timer);
    },
  };
}
