/**
 * A minimal JSON-RPC 2.0 client over `fetch` for the read path: ethers' transport is slow on large
 * `eth_getLogs` answers (docs/TOOLCHAIN.md), and the stream needs to classify failures itself.
 *
 * Every failure is an {@link RpcError} whose `kind` tells the caller what to do:
 * - `tooLarge`: the node refuses the size of the request (too many results, range too wide,
 *   response too big, HTTP 413) — ask for less;
 * - `timeout`: no answer within the request timeout — also ask for less;
 * - `unavailable`: network failure, HTTP 429/5xx, any other JSON-RPC error — retry later;
 * - `inconsistent`: an answer that cannot be right (malformed or cut JSON, missing batch entries,
 *   values of the wrong shape) — retry, and give up if it persists.
 */

/** What the client needs of `fetch` (the global one fits; tests inject their own). */
export type FetchFunction = (input: string, init: RequestInit) => Promise<Response>;

export type RpcErrorKind = "tooLarge" | "timeout" | "unavailable" | "inconsistent";

export class RpcError extends Error {
  readonly kind: RpcErrorKind;
  readonly method: string;
  /** The JSON-RPC error code, when the node sent one. */
  readonly rpcCode?: number;
  /** The HTTP status, when the failure was one. */
  readonly status?: number;

  constructor(
    kind: RpcErrorKind,
    method: string,
    message: string,
    options: { rpcCode?: number; status?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "RpcError";
    this.kind = kind;
    this.method = method;
    if (options.rpcCode !== undefined) this.rpcCode = options.rpcCode;
    if (options.status !== undefined) this.status = options.status;
  }
}

export interface RpcCall {
  method: string;
  params: unknown[];
}

export interface JsonRpcClient {
  /** One call; resolves with its `result` (not yet validated). */
  call(method: string, params: unknown[], signal?: AbortSignal): Promise<unknown>;
  /** Several calls in one HTTP request; results in the order of `calls`. Fails if any call fails. */
  batch(calls: readonly RpcCall[], signal?: AbortSignal): Promise<unknown[]>;
}

export interface JsonRpcClientOptions {
  url: string;
  fetch?: FetchFunction;
  /** Per request (default 30 s). */
  timeoutMs?: number;
}

/**
 * Messages nodes and providers use when a request is too big (geth, Besu, Erigon, Nethermind,
 * Infura, Alchemy, QuickNode, Ankr …); matched case-insensitively.
 */
const TOO_LARGE_PATTERNS = [
  /more than \d+ (results|logs)/,
  /too many (results|logs|blocks)/,
  /(block )?range (is )?too (large|wide|big|long)/,
  /exceed(s|ed)? (the )?(max(imum)?|limit|block range)/,
  /block range/,
  /limit exceeded|range limit|(is )?limited to/,
  /response (size|is too)/,
  /too large/,
  /query timeout|timed? ?out/,
  /result window/,
];

/** JSON-RPC codes that mean "ask for less" (Infura/Alchemy: -32005 limit exceeded). */
const TOO_LARGE_CODES = new Set([-32005]);

export function classifyRpcMessage(code: number | undefined, message: string): RpcErrorKind {
  if (code !== undefined && TOO_LARGE_CODES.has(code)) return "tooLarge";
  const text = message.toLowerCase();
  return TOO_LARGE_PATTERNS.some((pattern) => pattern.test(text)) ? "tooLarge" : "unavailable";
}

interface JsonRpcResponse {
  id?: unknown;
  result?: unknown;
  error?: { code?: unknown; message?: unknown; data?: unknown };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function errorFrom(method: string, error: JsonRpcResponse["error"]): RpcError {
  const code = typeof error?.code === "number" ? error.code : undefined;
  const message = typeof error?.message === "string" ? error.message : JSON.stringify(error);
  return new RpcError(classifyRpcMessage(code, message), method, `${method}: ${message}`, {
    rpcCode: code,
  });
}

function resultOf(method: string, response: JsonRpcResponse): unknown {
  if (response.error !== undefined && response.error !== null)
    throw errorFrom(method, response.error);
  if (!("result" in response))
    throw new RpcError("inconsistent", method, `${method}: answer has neither result nor error`);
  return response.result;
}

export function createJsonRpcClient(options: JsonRpcClientOptions): JsonRpcClient {
  const doFetch: FetchFunction = options.fetch ?? ((input, init) => fetch(input, init));
  const timeoutMs = options.timeoutMs ?? 30_000;
  let nextId = 1;

  async function post(
    label: string,
    body: unknown,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    const timeout = AbortSignal.timeout(timeoutMs);
    const combined = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
    let text: string;
    let status: number;
    try {
      const response = await doFetch(options.url, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(body),
        signal: combined,
      });
      status = response.status;
      text = await response.text();
    } catch (cause) {
      if (signal?.aborted === true) throw signal.reason ?? cause;
      if (timeout.aborted)
        throw new RpcError("timeout", label, `${label}: no answer within ${timeoutMs} ms`, {
          cause,
        });
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new RpcError("unavailable", label, `${label}: ${reason}`, { cause });
    }
    if (status === 413) throw new RpcError("tooLarge", label, `${label}: HTTP 413`, { status });
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (cause) {
      if (status < 200 || status >= 300) {
        const kind =
          classifyRpcMessage(undefined, text) === "tooLarge" ? "tooLarge" : "unavailable";
        throw new RpcError(kind, label, `${label}: HTTP ${status} ${text.slice(0, 200)}`, {
          status,
        });
      }
      throw new RpcError(
        "inconsistent",
        label,
        `${label}: answer is not complete JSON (${text.length} bytes)`,
        { status, cause },
      );
    }
    // A JSON-RPC error travels with HTTP 200, 400 or 500 depending on the node: read it first.
    if (
      isObject(parsed) &&
      parsed.error !== undefined &&
      parsed.error !== null &&
      !Array.isArray(body)
    )
      return parsed;
    if (status < 200 || status >= 300) {
      if (isObject(parsed) && isObject(parsed.error)) throw errorFrom(label, parsed.error);
      throw new RpcError("unavailable", label, `${label}: HTTP ${status}`, { status });
    }
    return parsed;
  }

  return {
    async call(method, params, signal) {
      const id = nextId++;
      const answer = await post(method, { jsonrpc: "2.0", id, method, params }, signal);
      if (!isObject(answer))
        throw new RpcError("inconsistent", method, `${method}: answer is not a JSON-RPC object`);
      if (answer.id !== id)
        throw new RpcError(
          "inconsistent",
          method,
          `${method}: answer id ${String(answer.id)} is not ${id}`,
        );
      return resultOf(method, answer);
    },

    async batch(calls, signal) {
      if (calls.length === 0) return [];
      const label =
        calls.length === 1 ? calls[0].method : `batch of ${calls.length} (${calls[0].method}…)`;
      const first = nextId;
      nextId += calls.length;
      const body = calls.map((c, i) => ({
        jsonrpc: "2.0",
        id: first + i,
        method: c.method,
        params: c.params,
      }));
      const answer = await post(label, body, signal);
      // Some nodes answer a whole batch with one error object (e.g. batch too large).
      if (isObject(answer) && answer.error !== undefined)
        throw errorFrom(label, answer.error as JsonRpcResponse["error"]);
      if (!Array.isArray(answer))
        throw new RpcError("inconsistent", label, `${label}: answer is not an array`);
      const byId = new Map<number, JsonRpcResponse>();
      for (const entry of answer) {
        if (isObject(entry) && typeof entry.id === "number") byId.set(entry.id, entry);
      }
      return calls.map((c, i) => {
        const entry = byId.get(first + i);
        if (entry === undefined) {
          throw new RpcError(
            "inconsistent",
            c.method,
            `${label}: the answer lacks entry ${i} (${answer.length} of ${calls.length} entries)`,
          );
        }
        return resultOf(c.method, entry);
      });
    },
  };
}
