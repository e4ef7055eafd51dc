/**
 * A token bucket per caller: `perMinute` requests of burst, refilled continuously. A caller over its
 * budget gets 429 RATE_LIMITED with Retry-After.
 *
 * - `by: "caller"` (after useAuth, which put the principal into the request state): per member,
 *   anonymous callers per IP address.
 * - `by: "ip"` (before useAuth): per IP address whoever signs in, so that a flood of bad tokens is
 *   refused before any signature is checked.
 */
import type { Plugin } from "graphql-yoga";

import type { GatewayContext, ServerContext } from "../context.js";
import { GatewayErrorCode } from "../errors.js";
import type { GatewayMetrics } from "../metrics.js";
import type { RequestStates } from "../requestState.js";
import type { Principal } from "../types.js";
import type { ErrorResponseInit } from "./errorResponse.js";
import { errorResponse } from "./errorResponse.js";

/** The answer to a request over a limiter's budget (counted). Both paths use it. */
export function rateLimitRefusal(
  limiter: RateLimiter,
  retryAfter: number,
  metrics: GatewayMetrics,
): ErrorResponseInit {
  metrics.errors.inc({ code: GatewayErrorCode.RATE_LIMITED });
  return {
    status: 429,
    code: GatewayErrorCode.RATE_LIMITED,
    message: limiter.message,
    headers: { "retry-after": String(retryAfter) },
  };
}

export interface RateLimiterOptions {
  perMinute: number;
  /** Milliseconds (default performance.now). */
  clock?: () => number;
  /** Buckets kept; the least recently used go first (default 100,000). */
  maxBuckets?: number;
}

/** Token buckets by key; shared by the yoga plugin and the gateway's fast path (fastPath.ts). */
export interface RateLimiter {
  readonly perMinute: number;
  /** Takes one token from `key`'s bucket: 0 when granted, else the seconds to wait (Retry-After). */
  take(key: string): number;
  /** The refusal's message. */
  readonly message: string;
}

interface Bucket {
  tokens: number;
  at: number;
}

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { perMinute } = options;
  if (!Number.isFinite(perMinute) || perMinute <= 0) {
    throw new RangeError("rateLimit.perMinute must be a positive number");
  }
  const clock = options.clock ?? (() => performance.now());
  const maxBuckets = options.maxBuckets ?? 100_000;
  const perMs = perMinute / 60_000;
  const buckets = new Map<string, Bucket>();

  function take(key: string): number {
    const now = clock();
    const previous = buckets.get(key);
    const bucket: Bucket =
      previous === undefined
        ? { tokens: perMinute, at: now }
        : { tokens: Math.min(perMinute, previous.tokens + (now - previous.at) * perMs), at: now };
    buckets.delete(key);
    if (buckets.size >= maxBuckets) {
      const oldest = buckets.keys().next();
      if (oldest.done !== true) buckets.delete(oldest.value);
    }
    buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - bucket.tokens) / perMs / 1000);
  }

  return { perMinute, take, message: `rate limit of ${perMinute} requests per minute exceeded` };
}

export interface UseRateLimitOptions extends RateLimiterOptions {
  by: "caller" | "ip";
  states: RequestStates;
  metrics: GatewayMetrics;
  /** The buckets (default: new ones from perMinute, clock, maxBuckets). */
  limiter?: RateLimiter;
}

/** The bucket key of a request: per IP before auth, per member (anonymous: per IP) after. */
export function rateLimitKey(by: "caller" | "ip", ip: string, principal: Principal | null): string {
  return by === "ip" || principal === null ? `ip:${ip}` : `member:${principal.memberId}`;
}

export function useRateLimit(
  options: UseRateLimitOptions,
): Plugin<GatewayContext & Record<string, unknown>, ServerContext> {
  const { by, states, metrics } = options;
  const limiter = options.limiter ?? createRateLimiter(options);

  return {
    onRequest(payload) {
      const { request, fetchAPI } = payload;
      const state =
        by === "ip"
          ? states.of(request, payload.serverContext.req.ip ?? "unknown")
          : states.get(request);
      if (state === undefined) return;
      const retryAfter = limiter.take(rateLimitKey(by, state.ip, state.principal));
      if (retryAfter > 0) {
        payload.endResponse(
          errorResponse(fetchAPI.Response, rateLimitRefusal(limiter, retryAfter, metrics)),
        );
      }
    },
  };
}
