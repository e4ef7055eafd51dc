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

/** CPU seconds (user + system) in a /proc/<pid>/stat or /proc/<pid>/task/<tid>/stat line (USER_HZ = 100). */
function statCpuSeconds(stat: string): number {
  // the fields after the command's closing parenthesis: state is field 3, utime 14, stime 15
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU time (user + system) a process has used, ended threads included, in seconds. */
export function cpuSeconds(pid: number): number {
  return statCpuSeconds(readFileSync(`/proc/${pid}/stat`, "utf8"));
}

/**
 * CPU seconds (user + system) of every thread of a process, summed by thread name: the main
 * thread as "main", V8's helpers ("V8Worker": GC, compilation), libuv's pool ("libuv-worker":
 * LevelDB reads and writes, file I/O). Linux only (/proc); undefined elsewhere or when the process
 * is gone.
 */
export function threadCpuSeconds(pid: number = process.pid): Record<string, number> | undefined {
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
    const name =
      task === String(pid) ? "main" : stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    out[name] = (out[name] ?? 0) + statCpuSeconds(stat);
  }
  return out;
}

/** `after` − `before`, by name (names new in `after` count from 0). */
export function cpuDelta(
  before: Record<string, number>,
  after: Record<string, number>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, seconds] of Object.entries(after)) out[name] = seconds - (before[name] ?? 0);
  return out;
}
