/**
 * graphql-armor: limits on depth, cost, aliases, tokens and directives, and no field suggestions
 * (they leak the schema). Each rejection carries its own code.
 */
import type { GraphQLArmorRejectCallback } from "@escape.tech/graphql-armor-types";
import { EnvelopArmorPlugin } from "@escape.tech/graphql-armor";
import { GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";

import type { QueryLimits } from "../config.js";
import { GatewayErrorCode } from "../errors.js";

function rejectWith(code: GatewayErrorCode): GraphQLArmorRejectCallback[] {
  return [
    (context, error) => {
      const coded = new GraphQLError(error.message.replace(/^Syntax Error: /, ""), {
        extensions: { code, http: { status: 400 } },
      });
      // max tokens runs inside the parser (no validation context): stop the parse
      if (context === null) throw coded;
      context.reportError(coded);
    },
  ];
}

export function useArmor(limits: QueryLimits): Plugin {
  const common = { propagateOnRejection: false, exposeLimits: true } as const;
  return EnvelopArmorPlugin({
    maxDepth: {
      ...common,
      n: limits.maxDepth,
      onReject: rejectWith(GatewayErrorCode.QUERY_TOO_DEEP),
    },
    costLimit: {
      ...common,
      maxCost: limits.maxCost,
      onReject: rejectWith(GatewayErrorCode.QUERY_TOO_COSTLY),
    },
    maxAliases: {
      ...common,
      n: limits.maxAliases,
      onReject: rejectWith(GatewayErrorCode.TOO_MANY_ALIASES),
    },
    maxTokens: {
      ...common,
      n: limits.maxTokens,
      onReject: rejectWith(GatewayErrorCode.TOO_MANY_TOKENS),
    },
    maxDirectives: {
      ...common,
      n: limits.maxDirectives,
      onReject: rejectWith(GatewayErrorCode.TOO_MANY_DIRECTIVES),
    },
    blockFieldSuggestion: { enabled: true },
  });
}
