/** The gateway's configuration: where it listens and how hard it pushes back. */
import type { ConsortiumKey } from "../core/index.js";

/** graphql-armor limits for one operation. */
export interface QueryLimits {
  maxDepth: number;
  maxCost: number;
  maxAliases: number;
  maxTokens: number;
  maxDirectives: number;
}

export interface GatewayConfig {
  /** Interface to listen on (default 127.0.0.1). */
  host: string;
  /** Port (default 4000; 0 picks a free one). */
  port: number;
  /** Production: no GraphiQL, no introspection. */
  production: boolean;
  /** /readyz answers 503 while the indexer is further behind the ledger head than this. */
  maxLagSeconds: number;
  /** Requests per minute per member (anonymous callers: per IP), as a token bucket. */
  rateLimit: { perMinute: number };
  /** Largest accepted request body. */
  maxBodyBytes: number;
  /** The consortium's pseudonymisation key: without it, lookups by USCC are refused. */
  consortiumKey?: ConsortiumKey;
  /**
   * The fast path for POST /graphql with a known document (fastPath.ts; default true). Off: every
   * request goes through express and yoga (same answers, more CPU).
   */
  fastPath?: boolean;
  /** Query limits (defaults in DEFAULT_QUERY_LIMITS). */
  limits?: Partial<QueryLimits>;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = {
  maxDepth: 8,
  maxCost: 5000,
  maxAliases: 15,
  maxTokens: 1000,
  maxDirectives: 20,
};

export const DEFAULT_GATEWAY_CONFIG: GatewayConfig = {
  host: "127.0.0.1",
  port: 4000,
  production: true,
  maxLagSeconds: 60,
  rateLimit: { perMinute: 600 },
  maxBodyBytes: 64 * 1024,
};
