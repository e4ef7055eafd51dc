/**
 * A `fetch` for the EVM ledger's read path that lets a test see, and tamper with, every JSON-RPC
 * exchange: fail it, answer it itself, or rewrite the node's real answer.
 */
import type { FetchFunction } from "../../ledger/index.js";

export interface RpcRequestBody {
  jsonrpc: "2.0";
  id: number;
  method: string;
  params: unknown[];
}

export interface RpcResponseBody {
  jsonrpc: "2.0";
  id: number;
  result?: unknown;
  error?: { code: number; message: string };
}

/** What a handler decides for one exchange. */
export type Intercepted =
  /** pass the request to the node unchanged */
  | undefined
  /** answer with this HTTP response instead */
  | Response;

export interface Exchange {
  /** The parsed request: one call, or a batch. */
  body: RpcRequestBody | RpcRequestBody[];
  /** Sends the request to the node and returns its parsed answer. */
  forward(): Promise<RpcResponseBody | RpcResponseBody[]>;
  /** The request's abort signal (timeout or the stream stopping). */
  signal?: AbortSignal;
}

/** Waits `ms` (a slow node), or until the request is aborted. */
export function stall(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
      },
      { once: true },
    );
  });
}

export function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

export function rpcError(id: number, code: number, message: string): Response {
  return jsonResponse({ jsonrpc: "2.0", id, error: { code, message } });
}

/** The single call of an exchange, if it is not a batch. */
export function single(exchange: Exchange): RpcRequestBody | undefined {
  return Array.isArray(exchange.body) ? undefined : exchange.body;
}

/** The eth_getLogs filter of an exchange (single call), with its block numbers. */
export function getLogsFilter(
  exchange: Exchange,
): { from?: bigint; to?: bigint; blockHash?: string } | undefined {
  const call = single(exchange);
  if (call?.method !== "eth_getLogs") return undefined;
  const filter = call.params[0] as { fromBlock?: string; toBlock?: string; blockHash?: string };
  return {
    from: filter.fromBlock === undefined ? undefined : BigInt(filter.fromBlock),
    to: filter.toBlock === undefined ? undefined : BigInt(filter.toBlock),
    blockHash: filter.blockHash,
  };
}

export interface FaultyFetch {
  fetch: FetchFunction;
  /** Every request body seen, in order. */
  readonly seen: (RpcRequestBody | RpcRequestBody[])[];
}

/** A fetch that asks `handler` about every exchange first. */
export function faultyFetch(
  handler: (exchange: Exchange) => Promise<Intercepted> | Intercepted,
): FaultyFetch {
  const seen: (RpcRequestBody | RpcRequestBody[])[] = [];
  const doFetch: FetchFunction = async (input, init) => {
    if (typeof init.body !== "string") throw new Error("faultyFetch: expected a JSON string body");
    const body = JSON.parse(init.body) as RpcRequestBody | RpcRequestBody[];
    seen.push(body);
    const forward = async () =>
      (await (await fetch(input, init)).json()) as RpcResponseBody | RpcResponseBody[];
    const answer = await handler({ body, forward, signal: init.signal ?? undefined });
    return answer ?? fetch(input, init);
  };
  return { fetch: doFetch, seen };
}
