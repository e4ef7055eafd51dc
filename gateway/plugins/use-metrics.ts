/**
 * Prometheus metrics: requests and latency by operation, errors by `extensions.code`. Requests the
 * earlier plugins refused (401, 429) count too; those plugins count their own error codes.
 */
import type { DocumentNode, ExecutionResult } from "graphql";
import { getOperationAST } from "graphql";
import type { Plugin } from "graphql-yoga";
import { isAsyncIterable } from "graphql-yoga";

import type { GatewayMetrics } from "../metrics.js";
import type { RequestStates } from "../requestState.js";
import { errorCodes } from "./use-error-masking.js";

export interface UseMetricsOptions {
  metrics: GatewayMetrics;
  states: RequestStates;
}

export function useMetrics({ metrics, states }: UseMetricsOptions): Plugin {
  return {
    onParams({ params, request }) {
      states.of(request).operation = metrics.operationLabel(params.operationName);
    },
    onExecute({ args }) {
      const request = (args.contextValue as { request?: Request }).request;
      if (request === undefined) return;
      const given = args.operationName as string | null | undefined;
      const name = given ?? getOperationAST(args.document as DocumentNode)?.name?.value;
      states.of(request).operation = metrics.operationLabel(name);
    },
    onResultProcess({ result }) {
      if (isAsyncIterable(result)) return;
      const results: ExecutionResult[] = Array.isArray(result) ? result : [result];
      for (const r of results) {
        for (const code of errorCodes(r.errors)) metrics.errors.inc({ code });
      }
    },
    onResponse({ request, response }) {
      const state = states.get(request);
      const operation = state?.operation ?? "unknown";
      metrics.requests.inc({ operation, status: String(response.status) });
      if (state !== undefined) {
        metrics.duration.observe({ operation }, (performance.now() - state.startedAt) / 1000);
      }
    },
  };
}
