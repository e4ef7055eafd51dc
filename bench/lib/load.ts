/**
 * autocannon runs against a POST endpoint, summarised: throughput, latency percentiles, and
 * everything that went wrong (connection errors, timeouts, non-2xx answers, answers whose body is
 * not the expected one).
 *
 * - `runLoad`: one autocannon instance (closed loop; with `overallRate`, autocannon's own limiter).
 * - `runPacedLoad`: an offered load at a steady rate. autocannon's `overallRate` alone is not one:
 *   each connection sends its share of the second back to back as soon as its one-second ticker
 *   fires, and the tickers of one instance fire together, so 100 connections at 1,000 req/s get
 *   the whole second's requests in one burst at its start (100 in flight at once). Here each
 *   connection is its own autocannon instance (`overallRate` = its share), and the instances start
 *   `1000 / connections` ms apart: each few milliseconds one connection sends its share of the
 *   second, one request after another, so requests arrive spread evenly over the second.
 */
import autocannon from "autocannon";

export interface LoadOptions {
  url: string;
  body: string;
  headers: Record<string, string>;
  /** Every answer must be exactly this body (counted in `mismatches` otherwise). */
  expectBody?: string;
  connections: number;
  durationSeconds: number;
  /** Offered load across all connections (open-loop-ish, with coordinated-omission correction). */
  overallRate?: number;
  /** Called every second with the requests answered in that second. */
  onTick?: () => void;
}

export interface LoadSummary {
  reqPerSec: number;
  total: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  mismatches: number;
}

export async function runLoad(options: LoadOptions): Promise<LoadSummary> {
  const instance = autocannon({
    url: options.url,
    method: "POST",
    body: options.body,
    headers: options.headers,
    connections: options.connections,
    duration: options.durationSeconds,
    pipelining: 1,
    timeout: 10,
    ...(options.expectBody === undefined ? {} : { expectBody: options.expectBody }),
    ...(options.overallRate === undefined ? {} : { overallRate: options.overallRate }),
  });
  const tick = setInterval(() => options.onTick?.(), 1000);
  try {
    const result = await instance;
    return {
      reqPerSec: Math.round(result.requests.average),
      total: result.requests.total,
      latencyMs: {
        p50: result.latency.p50,
        p90: result.latency.p90,
        p99: result.latency.p99,
        max: result.latency.max,
        mean: Math.round(result.latency.average * 100) / 100,
      },
      errors: result.errors,
      timeouts: result.timeouts,
      non2xx: result.non2xx,
      mismatches: result.mismatches,
    };
  } finally {
    clearInterval(tick);
  }
}

type Result = autocannon.Result & { totalCompletedRequests?: number };

/** autocannon.aggregateResult (missing from @types/autocannon). */
const aggregateResult = (
  autocannon as unknown as {
    aggregateResult: (results: Result[], options: { url: string }) => Result;
  }
).aggregateResult;

export interface PacedLoadOptions extends Omit<LoadOptions, "overallRate"> {
  /** Requests per second offered (a multiple of `connections`). */
  rate: number;
}

/** An offered load of `rate` req/s over `connections`, spread evenly over each second (above). */
export async function runPacedLoad(options: PacedLoadOptions): Promise<LoadSummary> {
  const { connections } = options;
  const perConnection = Math.max(1, Math.round(options.rate / connections));
  const tick = setInterval(() => options.onTick?.(), 1000);
  try {
    const runs = Array.from({ length: connections }, async (_, i) => {
      await new Promise((resolve) => setTimeout(resolve, (i * 1000) / connections));
      return autocannon({
        url: options.url,
        method: "POST",
        body: options.body,
        headers: options.headers,
        connections: 1,
        overallRate: perConnection,
        // latency from each request's send: autocannon's correction assumes 1 ms between the
        // requests of a connection (Math.ceil(1 / rate) with a rate per second)
        ignoreCoordinatedOmission: true,
        duration: options.durationSeconds,
        pipelining: 1,
        timeout: 10,
        skipAggregateResult: true,
        ...(options.expectBody === undefined ? {} : { expectBody: options.expectBody }),
      });
    });
    const results = (await Promise.all(runs)) as Result[];
    const all = aggregateResult(results, { url: options.url });
    const completed = results.reduce((n, r) => n + (r.totalCompletedRequests ?? 0), 0);
    return {
      reqPerSec: Math.round(completed / options.durationSeconds),
      total: completed,
      latencyMs: {
        p50: all.latency.p50,
        p90: all.latency.p90,
        p99: all.latency.p99,
        max: all.latency.max,
        mean: Math.round(all.latency.average * 100) / 100,
      },
      errors: all.errors,
      timeouts: all.timeouts,
      non2xx: all.non2xx,
      mismatches: all.mismatches,
    };
  } finally {
    clearInterval(tick);
  }
}

/** Everything that is not a correct answer. */
export function failures(s: LoadSummary): number {
  return s.errors + s.timeouts + s.non2xx + s.mismatches;
}
