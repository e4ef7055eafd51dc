/**
 * The fast path: POST /graphql with a JSON body whose document this gateway has already parsed and
 * validated, answered without express and without yoga's fetch-API adapter — with every check of
 * the normal path, in its order, and the same answer byte for byte.
 *
 * In front of express (a node:http request listener): a request that may be served here (POST to
 * exactly `/graphql`, `content-type: application/json`, a `content-length` within the body limit,
 * no content encoding, no `origin` header — CORS answers come from yoga —, an `accept` of JSON or
 * anything) has its body read and parsed here as express.json() would. Its parameters must be the
 * plain shape (`query`, `variables`, `operationName`; no `extensions`, nothing else) and its query
 * text must be in the document cache: the documents yoga parsed and validated without error
 * (graphql-armor's token, depth, cost, alias and directive limits, introspection off in production,
 * the schema's own rules — all fixed per document), put there by `useDocumentCache` at the end of
 * yoga's validation. Anything else — first sight of a document, a document with errors, GET,
 * GraphiQL, subscriptions, batches, other content types, a body that is not JSON — goes on to
 * express with the body already parsed (`http/bodyLimit.ts` PREREAD), unchanged.
 *
 * Per request, as on the normal path: rate limit per IP → auth (the same authenticator: suspended
 * members and revoked keys are refused at once) → rate limit per member (the same buckets) →
 * operation label → execution with the cached document (the executor yoga uses:
 * variables coerced and checked, resolvers with their access checks and audit log writes) → error
 * masking (the same maskError) and yoga's own result processing for answers with errors → security
 * headers (helmet's, computed once) → metrics, request log.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

import type { DocumentNode, ExecutionArgs, ExecutionResult, GraphQLSchema } from "graphql";
import { GraphQLError, OperationTypeNode, getOperationAST } from "graphql";
import type { CompiledQuery } from "graphql-jit";
import { compileQuery, isCompiledQuery } from "graphql-jit";
import type { Plugin, YogaServerInstance } from "graphql-yoga";
import { createGraphQLError, isAsyncIterable, processRegularResult } from "graphql-yoga";
import type { Logger } from "pino";

import { GatewayErrorCode } from "./errors.js";
import type { PrereadBody } from "./http/bodyLimit.js";
import { PREREAD, parseJsonBody } from "./http/bodyLimit.js";
import type { GatewayMetrics } from "./metrics.js";
import type { MaskError } from "./plugins/use-error-masking.js";
import { errorCodes } from "./plugins/use-error-masking.js";
import type { RateLimiter } from "./plugins/use-rate-limit.js";
import { rateLimitKey, rateLimitRefusal } from "./plugins/use-rate-limit.js";
import type { ErrorResponseInit } from "./plugins/errorResponse.js";
import { JSON_CONTENT_TYPE, errorBody } from "./plugins/errorResponse.js";
import { authFailure } from "./plugins/use-auth.js";
import type { Authenticator, Principal } from "./types.js";

/** Yoga's executor (@graphql-tools/executor's normalizedExecutor), as its engine hands it over. */
export type YogaExecute = (args: ExecutionArgs) => unknown;

/** Query text → its parsed document, for documents that passed yoga's validation. Bounded LRU. */
export interface DocumentCache {
  get(query: string): DocumentNode | undefined;
  set(query: string, document: DocumentNode): void;
  readonly size: number;
  /** The executor yoga runs, once it ran one (set by useDocumentCache). */
  executor: YogaExecute | undefined;
}

export function createDocumentCache(maxEntries = 1000, maxQueryLength = 64 * 1024): DocumentCache {
  const entries = new Map<string, DocumentNode>();
  return {
    get(query) {
      const document = entries.get(query);
      if (document !== undefined && entries.size > 1) {
        entries.delete(query);
        entries.set(query, document);
      }
      return document;
    },
    set(query, document) {
      if (query.length > maxQueryLength) return;
      entries.delete(query);
      if (entries.size >= maxEntries) {
        const oldest = entries.keys().next();
        if (oldest.done !== true) entries.delete(oldest.value);
      }
      entries.set(query, document);
    },
    get size() {
      return entries.size;
    },
    executor: undefined,
  };
}

/**
 * Last of the yoga plugins: once yoga has validated a document (with every rule the other plugins
 * added) and found no error, its query text and document go into the cache.
 */
export function useDocumentCache(cache: DocumentCache): Plugin {
  return {
    onExecute({ executeFn }) {
      cache.executor ??= executeFn as YogaExecute;
    },
    onValidate({ params, context }) {
      return ({ valid, result }) => {
        if (!valid || result.length > 0) return;
        const query = (context as { params?: { query?: unknown } }).params?.query;
        if (typeof query === "string") cache.set(query, params.documentAST as DocumentNode);
      };
    },
  };
}

export interface FastPathOptions {
  path: string;
  schema: GraphQLSchema;
  documents: DocumentCache;
  maxBodyBytes: number;
  authenticator: Authenticator;
  ipLimiter: RateLimiter;
  memberLimiter: RateLimiter;
  metrics: GatewayMetrics;
  logger: Logger;
  maskError: MaskError;
  /** Helmet's headers (http/securityHeaders.ts securityHeaderList). */
  securityHeaders: [string, string][];
  /**
   * Execute with graphql-jit (default true): each (document, operation) compiled once; a request
   * whose variables do not coerce is answered by yoga's executor (nothing has run by then).
   */
  jit?: boolean;
  /** For yoga's own processing of answers with errors. */
  yoga: Pick<YogaServerInstance<object, object>, "fetchAPI">;
}

export interface FastPath {
  /** Answers the request, or calls `next` (express) with the body, if it read one, attached. */
  handle(req: IncomingMessage, res: ServerResponse, next: () => void): void;
}

const JSON_TYPES = new Set([
  "application/json",
  "application/json; charset=utf-8",
  "application/json;charset=utf-8",
]);
/** `accept` values for which yoga answers `application/json` (absent means any). */
const JSON_ACCEPTS = new Set(["*/*", "application/json", "application/json, */*"]);
const UNEXPECTED = "Unexpected error.";

interface Params {
  query: string;
  variables: Record<string, unknown> | null | undefined;
  operationName: string | null | undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** yoga's handleError: a masked error that is not a GraphQL error is wrapped in one. */
function asGraphQLError(error: Error): GraphQLError {
  return error instanceof GraphQLError
    ? error
    : createGraphQLError(error.message, { originalError: error });
}

/** The character offset of a 1-based line and column in `body` (graphql-js `getLocation` reversed). */
function offsetOf(body: string, location: { line: number; column: number }): number {
  const lineBreak = /\r\n|[\n\r]/g;
  let start = 0;
  for (let line = 1; line < location.line; line++) {
    const match = lineBreak.exec(body);
    if (match === null) break;
    start = match.index + match[0].length;
  }
  return start + location.column - 1;
}

/** The plain parameter shape (anything else goes to yoga, which checks and answers it). */
function plainParams(body: unknown): Params | null {
  if (!isPlainObject(body)) return null;
  let query: unknown;
  let variables: unknown;
  let operationName: unknown;
  for (const key in body) {
    if (key === "query") query = body[key];
    else if (key === "variables") variables = body[key];
    else if (key === "operationName") operationName = body[key];
    else return null;
  }
  if (typeof query !== "string") return null;
  if (variables !== undefined && variables !== null && !isPlainObject(variables)) return null;
  if (operationName !== undefined && operationName !== null && typeof operationName !== "string")
    return null;
  return { query, variables, operationName };
}

/** Whether the request's head lets the fast path read its body. */
function mayServe(req: IncomingMessage, path: string, maxBodyBytes: number): boolean {
  if (req.method !== "POST" || req.url !== path) return false;
  const h = req.headers;
  const type = h["content-type"];
  if (type === undefined || !JSON_TYPES.has(type.toLowerCase())) return false;
  if (h["content-encoding"] !== undefined || h["transfer-encoding"] !== undefined) return false;
  if (h.origin !== undefined) return false;
  const accept = h.accept;
  if (accept !== undefined && !JSON_ACCEPTS.has(accept.toLowerCase())) return false;
  const length = Number(h["content-length"]);
  return Number.isSafeInteger(length) && length > 0 && length <= maxBodyBytes;
}

export function createFastPath(options: FastPathOptions): FastPath {
  const { path, schema, documents, maxBodyBytes, authenticator, metrics, logger, maskError } =
    options;
  const { ipLimiter, memberLimiter, yoga } = options;
  const jit = options.jit ?? true;
  const security = options.securityHeaders.flat();

  function send(
    res: ServerResponse,
    status: number,
    body: string,
    headers: readonly string[],
  ): void {
    res.writeHead(status, [
      ...security,
      ...headers,
      "content-length",
      String(Buffer.byteLength(body)),
    ]);
    res.end(body);
  }

  /** A refusal before execution (plugins/errorResponse.ts: the same body and headers). */
  function refuse(res: ServerResponse, init: ErrorResponseInit): number {
    const extra = Object.entries(init.headers ?? {}).flat();
    send(res, init.status, errorBody(init), ["content-type", JSON_CONTENT_TYPE, ...extra]);
    return init.status;
  }

  async function answer(result: ExecutionResult, res: ServerResponse): Promise<number> {
    if (
      (result.errors === undefined || result.errors.length === 0) &&
      result.extensions === undefined
    ) {
      send(res, 200, JSON.stringify(result), ["Content-Type", JSON_CONTENT_TYPE]);
      return 200;
    }
    // as yoga: masked errors (useMaskedErrors), their codes counted (useMetrics), then its own
    // processing of a regular result (status from the errors, internals left out)
    const masked: ExecutionResult = {
      ...result,
      ...(result.errors === undefined
        ? {}
        : { errors: result.errors.map((e) => asGraphQLError(maskError(e, UNEXPECTED))) }),
    };
    for (const code of errorCodes(masked.errors)) metrics.errors.inc({ code });
    const response = processRegularResult(masked, yoga.fetchAPI, "application/json");
    const body = await response.text();
    const headers: string[] = [];
    response.headers.forEach((value, name) => {
      if (name.toLowerCase() !== "content-length") headers.push(name, value);
    });
    send(res, response.status, body, headers);
    return response.status;
  }

  async function serve(
    req: IncomingMessage,
    res: ServerResponse,
    params: Params,
    document: DocumentNode,
    startedAt: number,
  ): Promise<void> {
    const ip = req.socket.remoteAddress ?? "unknown";
    let principal: Principal | null = null;
    let operation = "unknown";
    let status: number;
    let retryAfter = ipLimiter.take(rateLimitKey("ip", ip, null));
    if (retryAfter > 0) {
      status = rateLimited(res, ipLimiter, retryAfter);
    } else {
      try {
        principal = await authenticator.authenticate(req.headers.authorization);
        status = 0;
      } catch (error) {
        status = refuse(res, authFailure(error, metrics, logger));
      }
      if (status === 0) {
        retryAfter = memberLimiter.take(rateLimitKey("caller", ip, principal));
        if (retryAfter > 0) {
          status = rateLimited(res, memberLimiter, retryAfter);
        } else {
          const { operationName } = params;
          operation = metrics.operationLabel(
            operationName ?? getOperationAST(document, operationName)?.name?.value,
          );
          status = await answer(await execute(req, res, params, document, principal, ip), res);
        }
      }
    }
    metrics.fastPath.inc();
    const seconds = (performance.now() - startedAt) / 1000;
    logger.info(
      {
        operation,
        status,
        ms: Math.round(seconds * 1000),
        member: principal?.memberId ?? null,
        ip,
      },
      "graphql request",
    );
    metrics.requests.inc({ operation, status: String(status) });
    metrics.duration.observe({ operation }, seconds);
  }

  function rateLimited(res: ServerResponse, limiter: RateLimiter, retryAfter: number): number {
    return refuse(res, rateLimitRefusal(limiter, retryAfter, metrics));
  }

  // document → operation name ("" for none) → its compiled executor (null: graphql-jit declined)
  const compiled = new WeakMap<DocumentNode, Map<string, CompiledQuery | null>>();

  function compiledFor(document: DocumentNode, operationName: string | null | undefined) {
    let byName = compiled.get(document);
    if (byName === undefined) {
      byName = new Map();
      compiled.set(document, byName);
    }
    const key = operationName ?? "";
    let query = byName.get(key);
    if (query === undefined) {
      try {
        const result = compileQuery(schema, document, operationName ?? undefined);
        query = isCompiledQuery(result) ? result : null;
      } catch (error) {
        logger.warn({ err: error }, "gateway: graphql-jit could not compile a document");
        query = null;
      }
      byName.set(key, query);
    }
    return query;
  }

  /**
   * A graphql-jit result as yoga's executor shapes it: `errors` before `data`, and errors located
   * in the document's source (so that masking and yoga's serialisation give the same locations).
   */
  function asExecutorResult(result: ExecutionResult, document: DocumentNode): ExecutionResult {
    const { errors, ...rest } = result;
    if (errors === undefined || errors.length === 0) return result;
    const source = document.loc?.source;
    return {
      errors: errors.map((e) => {
        const positions =
          source === undefined ? undefined : e.locations?.map((l) => offsetOf(source.body, l));
        return new GraphQLError(e.message, {
          ...(positions === undefined || positions.length === 0 ? {} : { source, positions }),
          path: e.path,
          originalError: e.originalError,
        });
      }),
      ...rest,
    };
  }

  async function execute(
    req: IncomingMessage,
    res: ServerResponse,
    params: Params,
    document: DocumentNode,
    principal: Principal | null,
    ip: string,
  ): Promise<ExecutionResult> {
    const contextValue = { params, req, res, principal, ip };
    try {
      const query = jit ? compiledFor(document, params.operationName) : null;
      if (query !== null) {
        const result = await query.query(undefined, contextValue, params.variables);
        // no data: refused before any resolver ran (variables that do not coerce); yoga's
        // executor words that refusal, so it answers
        if ("data" in result) return asExecutorResult(result, document);
      }
      const executor = documents.executor;
      if (executor === undefined) throw new Error("fast path: yoga has not executed yet");
      const result = (await executor({
        schema,
        document,
        contextValue,
        variableValues: params.variables,
        operationName: params.operationName,
      })) as ExecutionResult | AsyncIterable<ExecutionResult>;
      if (isAsyncIterable(result)) throw new Error("fast path: a query answered with a stream");
      return result;
    } catch (error) {
      // as yoga's handleError: the masked error, as a GraphQL error
      return { errors: [asGraphQLError(maskError(error, UNEXPECTED))] };
    }
  }

  return {
    handle(req, res, next) {
      if (!mayServe(req, path, maxBodyBytes)) {
        next();
        return;
      }
      const startedAt = performance.now();
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => {
        chunks.push(chunk);
      });
      req.once("error", (error) => {
        // the client's body broke off (reset, aborted): nothing to answer, but say so
        logger.warn({ err: error }, "gateway: request body failed; connection closed");
        res.destroy();
      });
      req.once("end", () => {
        const parsed = parseJsonBody(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
        const params = "body" in parsed ? plainParams(parsed.body) : null;
        const document = params === null ? undefined : documents.get(params.query);
        const operation =
          document === undefined || params === null
            ? null
            : getOperationAST(document, params.operationName);
        if (
          params === null ||
          document === undefined ||
          operation?.operation !== OperationTypeNode.QUERY ||
          documents.executor === undefined
        ) {
          (req as { [PREREAD]?: PrereadBody })[PREREAD] = parsed;
          next();
          return;
        }
        serve(req, res, params, document, startedAt).catch((error: unknown) => {
          logger.error({ err: error }, "gateway: fast path failed");
          if (!res.headersSent)
            refuse(res, { status: 500, code: GatewayErrorCode.INTERNAL, message: UNEXPECTED });
          else res.destroy();
        });
      });
    },
  };
}
