/** One structured (pino) line per GraphQL request: operation, status, duration, member. */
import type { Plugin } from "graphql-yoga";
import type { Logger } from "pino";

import type { RequestStates } from "../requestState.js";

export interface UseLoggingOptions {
  logger: Logger;
  states: RequestStates;
}

export function useLogging({ logger, states }: UseLoggingOptions): Plugin {
  return {
    onResponse({ request, response }) {
      const state = states.get(request);
      logger.info(
        {
          operation: state?.operation ?? "unknown",
          status: response.status,
          ms: state === undefined ? undefined : Math.round(performance.now() - state.startedAt),
          member: state?.principal?.memberId ?? null,
          ip: state?.ip,
        },
        "graphql request",
      );
    },
  };
}
