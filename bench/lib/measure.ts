/** Small measuring helpers for the benchmarks: percentiles, an RSS sampler, a stopwatch. */
import { readdirSync, readFileSync } from "node:fs";

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

/** Milliseconds per clock tick of /proc's CPU times (USER_HZ is 100 on Linux). */
const TICK_MS = 1000 / 100;

/**
 * CPU milliseconds (user + system) of every thread of a process, summed by thread name: the main
 * thread as "main", V8's helpers ("V8Worker": GC, compilation), libuv's pool ("libuv-worker":
 * LevelDB reads and writes, file I/O). Linux only (/proc); undefined elsewhere or when the process
 * is gone.
 */
export function threadCpuMs(pid: number = process.pid): Record<string, number> | undefined {
  const root = `/proc/${pid}/task`;
  let tasks: string[];
  try {
    tasks = readdirSync(root);
  } catch {
    return undefined;
  }
  const out: Record<string, number> = {};
  for (const task of tasks) {
    let stat: string;
    try {
      stat = readFileSync(`${root}/${task}/stat`, "utf8");
    } catch {
      continue; // the thread ended meanwhile
    }
    const close = stat.lastIndexOf(")");
    const fields = stat.slice(close + 2).split(" ");
    const name = task === String(pid) ? "main" : stat.slice(stat.indexOf("(") + 1, close);
    out[name] = (out[name] ?? 0) + (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  }
  return out;
}

/** CPU milliseconds (user + system) of a whole process, ended threads included; undefined when unknown. */
export function processCpuMs(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

/** `after` − `before`, by name (names new in `after` count from 0). */
export function cpuDelta(
  before: Record<string, number>,
  after: Record<string, number>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, ms] of Object.entries(after)) out[name] = ms - (before[name] ?? 0);
  return out;
}
