/**
 * Expected errors keep their message and get a stable `extensions.code`; everything else is masked.
 *
 * - core CredtrailError (and subclasses, from core, indexer, auth or the resolvers) → its `code`
 *   (and `details`); UnauthorizedError answers with HTTP 401.
 * - GraphQL's own errors (parse, validation, armor limits) → GRAPHQL_PARSE_FAILED /
 *   GRAPHQL_VALIDATION_FAILED unless they already carry a code.
 * - Anything else → "Unexpected error." with code INTERNAL; the original goes to the log.
 */
import type { GraphQLFormattedError } from "graphql";
import { GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Logger } from "pino";

import { CredtrailError, UnauthorizedError } from "../../core/index.js";
import { GatewayErrorCode } from "../errors.js";

export type MaskError = (error: unknown, message: string) => Error;

function codeOf(error: GraphQLError): unknown {
  return error.extensions.code;
}

function fromCredtrail(error: CredtrailError, source: GraphQLError | undefined): GraphQLError {
  const extensions: Record<string, unknown> = { code: error.code };
  if (error.details !== undefined) extensions.details = error.details;
  if (error instanceof UnauthorizedError) extensions.http = { status: 401 };
  return new GraphQLError(error.message, {
    nodes: source?.nodes,
    source: source?.source,
    positions: source?.positions,
    path: source?.path,
    extensions,
  });
}

/** The `maskError` yoga calls for every error it returns. */
export function createMaskError(logger: Logger): MaskError {
  const mask = (error: unknown): Error => {
    if (error instanceof GraphQLError) {
      const original = error.originalError;
      if (original instanceof CredtrailError) return fromCredtrail(original, error);
      if (original instanceof GraphQLError) return mask(original);
      if (original === undefined || original === null) {
        if (codeOf(error) !== undefined) return error;
        return new GraphQLError(error.message, {
          nodes: error.nodes,
          source: error.source,
          positions: error.positions,
          path: error.path,
          extensions: { ...error.extensions, code: GatewayErrorCode.GRAPHQL_VALIDATION_FAILED },
        });
      }
      return masked(original, error);
    }
    if (error instanceof CredtrailError) return fromCredtrail(error, undefined);
    return masked(error, undefined);
  };
  const masked = (original: unknown, source: GraphQLError | undefined): GraphQLError => {
    logger.error({ err: original, path: source?.path }, "gateway: unexpected error (masked)");
    return new GraphQLError("Unexpected error.", {
      nodes: source?.nodes,
      path: source?.path,
      extensions: { code: GatewayErrorCode.INTERNAL, http: { status: 500 } },
    });
  };
  return mask;
}

/** Gives parse errors their code (yoga reports them as plain GraphQL errors). */
export function useErrorMasking(): Plugin {
  return {
    onParse() {
      return ({ result, replaceParseResult }) => {
        if (result instanceof GraphQLError && codeOf(result) === undefined) {
          replaceParseResult(
            new GraphQLError(result.message, {
              source: result.source,
              positions: result.positions,
              extensions: { code: GatewayErrorCode.GRAPHQL_PARSE_FAILED, http: { status: 400 } },
            }),
          );
        }
      };
    },
  };
}

/** The codes of a result's errors (for metrics). */
export function errorCodes(errors: readonly GraphQLFormattedError[] | undefined): string[] {
  return (errors ?? []).map((e) => {
    const code = e.extensions?.code;
    return typeof code === "string" ? code : GatewayErrorCode.INTERNAL;
  });
}
