/** The gateway's Prometheus metrics, registered in the registry the caller passes in. */
import type { Registry } from "prom-client";
import { Counter, Gauge, Histogram } from "prom-client";

export interface GatewayMetrics {
  requests: Counter<"operation" | "status">;
  duration: Histogram<"operation">;
  errors: Counter<"code">;
  /** GraphQL requests answered by the fast path (fastPath.ts); the rest went through yoga. */
  fastPath: Counter;
  lag: Gauge;
  /** A bounded label for an operation name chosen by the client. */
  operationLabel(name: string | null | undefined): string;
}

export interface GatewayMetricsOptions {
  registry: Registry;
  /** Reads the indexer's lag (seconds) when /metrics is scraped. */
  lagSeconds: () => Promise<number>;
  /** Distinct operation names kept as labels; later ones count as "other" (default 200). */
  maxOperations?: number;
}

const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export function createGatewayMetrics(options: GatewayMetricsOptions): GatewayMetrics {
  const registers = [options.registry];
  const seen = new Set<string>();
  const maxOperations = options.maxOperations ?? 200;
  const { lagSeconds } = options;
  return {
    requests: new Counter({
      name: "credtrail_gateway_requests_total",
      help: "GraphQL requests by operation name and HTTP status",
      labelNames: ["operation", "status"] as const,
      registers,
    }),
    duration: new Histogram({
      name: "credtrail_gateway_request_duration_seconds",
      help: "GraphQL request latency by operation name",
      labelNames: ["operation"] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    errors: new Counter({
      name: "credtrail_gateway_errors_total",
      help: "Errors returned to callers, by extensions.code",
      labelNames: ["code"] as const,
      registers,
    }),
    fastPath: new Counter({
      name: "credtrail_gateway_fast_path_requests_total",
      help: "GraphQL requests answered by the fast path (known document, JSON POST)",
      registers,
    }),
    lag: new Gauge({
      name: "credtrail_indexer_lag_seconds",
      help: "Seconds the indexed block is behind the ledger head",
      registers,
      async collect() {
        this.set(await lagSeconds());
      },
    }),
    operationLabel(name) {
      if (name === null || name === undefined || name === "") return "anonymous";
      if (!OPERATION_NAME.test(name)) return "other";
      if (seen.has(name)) return name;
      if (seen.size >= maxOperations) return "other";
      seen.add(name);
      return name;
    },
  };
}
