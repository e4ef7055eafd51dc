/**
 * Resolves the caller once per request from its `Authorization` header (a member login token) and
 * puts the principal into the GraphQL context. A bad, expired or revoked credential ends the request
 * with 401 and the authenticator's code; no header means an anonymous caller.
 */
import type { Logger } from "pino";
import type { Plugin } from "graphql-yoga";

import { isCredtrailError } from "../../core/index.js";
import type { GatewayContext, ServerContext } from "../context.js";
import { GatewayErrorCode } from "../errors.js";
import type { GatewayMetrics } from "../metrics.js";
import type { RequestStates } from "../requestState.js";
import type { Authenticator } from "../types.js";
import type { ErrorResponseInit } from "./errorResponse.js";
import { errorResponse } from "./errorResponse.js";

export interface UseAuthOptions {
  authenticator: Authenticator;
  states: RequestStates;
  metrics: GatewayMetrics;
  logger: Logger;
}

/**
 * The answer to a request whose credential the authenticator refused: 401 with its code for an
 * expected refusal, 500 (logged) for anything else; counted either way. Both paths use it.
 */
export function authFailure(
  error: unknown,
  metrics: GatewayMetrics,
  logger: Logger,
): ErrorResponseInit {
  if (isCredtrailError(error)) {
    metrics.errors.inc({ code: error.code });
    return {
      status: 401,
      code: error.code,
      message: error.message,
      headers: { "www-authenticate": 'Bearer realm="credtrail"' },
    };
  }
  logger.error({ err: error }, "gateway: authentication failed unexpectedly");
  metrics.errors.inc({ code: GatewayErrorCode.INTERNAL });
  return { status: 500, code: GatewayErrorCode.INTERNAL, message: "Unexpected error." };
}

export function useAuth(
  options: UseAuthOptions,
): Plugin<GatewayContext & Record<string, unknown>, ServerContext> {
  const { authenticator, states, metrics, logger } = options;
  return {
    async onRequest(payload) {
      const { request, serverContext, fetchAPI } = payload;
      // the per-IP rate limit, first in line, already made the request's state (and read its IP)
      const state = states.get(request) ?? states.of(request, serverContext.req.ip ?? "unknown");
      const header = request.headers.get("authorization") ?? undefined;
      try {
        state.principal = await authenticator.authenticate(header);
      } catch (error) {
        payload.endResponse(errorResponse(fetchAPI.Response, authFailure(error, metrics, logger)));
      }
    },
    onContextBuilding({ context, extendContext }) {
      const state = states.get(context.request);
      extendContext({ principal: state?.principal ?? null, ip: state?.ip ?? "unknown" });
    },
  };
}
