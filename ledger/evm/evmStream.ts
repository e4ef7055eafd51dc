/**
 * The EVM event stream: backfill from a checkpoint in adaptive block ranges, then follow the head,
 * with confirmations, finality and reorg detection (ledger/types.ts describes the items).
 *
 * - Ranges: start at 100 blocks and grow by half after each success, up to `maxBlockRange`, but
 *   shrink after an answer of more than `targetLogsPerRange` logs (bounded memory; the next ranges
 *   are read while the consumer applies this one). A range the node finds too large (or that
 *   times out) is halved at once (or cut to the range the node suggests); other failures are
 *   retried with backoff. A failure that outlasts the retries ends the stream with a LedgerError
 *   and nothing of that range.
 * - No gaps: each range starts right after the previous range's last block, which is always
 *   streamed (as a checkpoint, with or without events).
 * - Confirmations: only blocks at depth ≥ `confirmations` below the head are read. `finalize`
 *   follows the head at depth `finalityDepth` (by default the same), never past what was streamed.
 * - Reorgs: before each range (and on every idle poll) the last streamed block must still be on the
 *   chain; if not, the stream walks back over the blocks the consumer knows (`knownBlock`) to the
 *   newest one the chain still has, yields `reorg` and goes on from there.
 * - While the consumer handles one range, the next ones are already being read (up to
 *   `prefetchRanges` ranges ahead, each starting where the one before ended; backfill only).
 */
import { setTimeout as sleep } from "node:timers/promises";

import { LedgerError, ZERO_BYTES32, type Hex } from "../../core/index.js";
import { LedgerErrorCode } from "../errors.js";
import type { BlockRef, Checkpoint, StreamItem, StreamOptions } from "../types.js";
import type { RangeFetcher, RangeOutcome } from "./fetchRange.js";
import { RpcError, type JsonRpcClient } from "./jsonRpc.js";
import type { LedgerLogger } from "./logger.js";
import { parseBlock, parseQuantity, toQuantity } from "./rpcShapes.js";

export interface EvmStreamOptions {
  rpc: JsonRpcClient;
  fetchRange: RangeFetcher;
  confirmations: number;
  finalityDepth: number;
  maxBlockRange: number;
  pollIntervalMs: number;
  /** Attempts after the first for a failing request (default 4). */
  retries: number;
  /** First backoff delay; doubles per attempt (default 250 ms). */
  retryDelayMs: number;
  /** How far below the last streamed block a common ancestor is searched for (default 100,000). */
  maxReorgDepth: number;
  /** Ranges shrink after an answer with more logs than this (default 10,000). */
  targetLogsPerRange: number;
  /** Ranges read ahead of the consumer (each about `targetLogsPerRange` logs at most). */
  prefetchRanges: number;
  logger?: LedgerLogger;
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

/** The range a node suggests in its error ("… try with this block range [0x1, 0x2f]"). */
function suggestedEnd(error: RpcError, from: bigint, to: bigint): bigint | undefined {
  const match = /\[\s*(0x[0-9a-f]+)\s*,\s*(0x[0-9a-f]+)\s*\]/i.exec(error.message);
  if (match === null) return undefined;
  const end = BigInt(match[2]);
  return end > from && end < to ? end : undefined;
}

function ledgerErrorOf(
  error: RpcError,
  what: string,
  details: Record<string, unknown>,
): LedgerError {
  const code =
    error.kind === "inconsistent"
      ? LedgerErrorCode.INCONSISTENT_RESPONSE
      : LedgerErrorCode.UNAVAILABLE;
  return new LedgerError(`${what}: ${error.message}`, {
    code,
    details: {
      ...details,
      method: error.method,
      kind: error.kind,
      rpcCode: error.rpcCode,
      status: error.status,
    },
    cause: error,
  });
}

export function createEvmStream(
  options: EvmStreamOptions,
): (streamOptions: StreamOptions) => AsyncIterable<StreamItem> {
  const { rpc, fetchRange, logger } = options;
  const confirmations = BigInt(options.confirmations);
  const finalityDepth = BigInt(options.finalityDepth);
  const maxRange = BigInt(options.maxBlockRange);
  const targetLogs = BigInt(options.targetLogsPerRange);

  return async function* stream({
    from,
    knownBlock,
    signal: outer,
  }: StreamOptions): AsyncGenerator<StreamItem> {
    // Our own controller: it also stops a prefetch when the consumer leaves the loop early.
    const controller = new AbortController();
    const onAbort = () => {
      controller.abort(outer?.reason);
    };
    outer?.addEventListener("abort", onAbort, { once: true });
    if (outer?.aborted === true) controller.abort(outer.reason);
    const signal = controller.signal;

    const backoff = async (attempt: number) => {
      await sleep(options.retryDelayMs * 2 ** (attempt - 1), undefined, { signal });
    };

    /** A small request (head, one header) with retries. */
    const retrying = async <T>(what: string, request: () => Promise<T>): Promise<T> => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await request();
        } catch (error) {
          if (signal.aborted || !(error instanceof RpcError)) throw error;
          if (attempt > options.retries)
            throw ledgerErrorOf(error, `${what} failed after ${attempt} attempts`, {});
          logger?.warn?.(`${what} failed; retrying`, { attempt, error: error.message });
          await backoff(attempt);
        }
      }
    };

    // Start small and grow: the density of logs is unknown until the first answers arrive.
    let size = maxRange < 100n ? maxRange : 100n;
    /** One range with its retries and splits. Resolves with where it ended. */
    const readRange = async (cursor: Checkpoint, to: bigint): Promise<RangeOutcome> => {
      let end = to;
      for (let attempt = 1; ;) {
        try {
          const outcome = await fetchRange(cursor, end, signal);
          // Grow back by half; but keep answers near `targetLogsPerRange` logs (memory, pipelining).
          const logs =
            outcome.kind === "blocks" ? outcome.blocks.reduce((n, b) => n + b.events.length, 0) : 0;
          let next = (size * 3n + 1n) / 2n;
          if (logs > targetLogs) {
            const fitting = ((end - cursor.number) * targetLogs) / BigInt(logs);
            next = fitting > 1n ? fitting : 1n;
          }
          size = next > maxRange ? maxRange : next;
          return outcome;
        } catch (error) {
          if (signal.aborted || !(error instanceof RpcError)) throw error;
          const span = end - cursor.number;
          if ((error.kind === "tooLarge" || error.kind === "timeout") && span > 1n) {
            end = suggestedEnd(error, cursor.number, end) ?? cursor.number + span / 2n;
            size = end - cursor.number;
            logger?.debug?.("range too large; split", {
              from: String(cursor.number + 1n),
              to: String(end),
              error: error.message,
            });
            continue;
          }
          if (attempt > options.retries) {
            throw ledgerErrorOf(
              error,
              `reading blocks ${cursor.number + 1n}…${end} failed after ${attempt} attempts`,
              {
                fromBlock: (cursor.number + 1n).toString(),
                toBlock: end.toString(),
                attempts: attempt,
              },
            );
          }
          logger?.warn?.("range failed; retrying", {
            from: String(cursor.number + 1n),
            to: String(end),
            attempt,
            error: error.message,
          });
          if (error.kind === "inconsistent" && span > 1n) {
            end = cursor.number + span / 2n;
            size = end - cursor.number;
          }
          attempt++;
          await backoff(attempt - 1);
        }
      }
    };

    /** The newest block at or below `cursor` that both the chain and the consumer have. */
    const findAncestor = async (cursor: Checkpoint, base: Checkpoint): Promise<Checkpoint> => {
      const floor = cursor.number - BigInt(options.maxReorgDepth);
      for (let n = cursor.number - 1n; n >= 0n && n >= floor; n--) {
        if (n === base.number && base.hash === ZERO_BYTES32) return base; // nothing was applied before the start
        const known = n === base.number ? base.hash : await knownBlock(n);
        if (known === undefined) continue;
        const onChain = await retrying(`reading block ${n}`, async () =>
          parseBlock(await rpc.call("eth_getBlockByNumber", [toQuantity(n), false], signal), n),
        );
        if (onChain !== null && onChain.hash === known.toLowerCase())
          return { number: n, hash: onChain.hash };
      }
      throw new LedgerError(
        `reorg below every block the consumer knows (searched from block ${cursor.number} down)`,
        {
          code: LedgerErrorCode.REORG_TOO_DEEP,
          details: {
            from: cursor.number.toString(),
            hash: cursor.hash,
            maxReorgDepth: options.maxReorgDepth,
          },
        },
      );
    };

    const start: Checkpoint = { number: from.number, hash: from.hash.toLowerCase() as Hex };
    let cursor = start;
    let finalized = -1n;
    let head = -1n;
    /**
     * Ranges read ahead while the consumer applies earlier ones: each starts once the one before
     * it is read (it starts where that one ended), at most `prefetchRanges` not yet consumed.
     */
    interface Ahead {
      cursor: Checkpoint;
      to: bigint;
      outcome: Promise<Settled<RangeOutcome>>;
      /** The outcome, once read. */
      result: Settled<RangeOutcome> | undefined;
      /** The range after this one, once started. */
      next: Ahead | undefined;
      /** Reads ahead of a reorg are dropped: each belongs to one generation. */
      generation: number;
    }
    let prefetch: Ahead | undefined;
    let generation = 0;
    /** Ranges started and not consumed yet. */
    let pendingRanges = 0;
    const readAhead = (from: Checkpoint, to: bigint): Ahead => {
      pendingRanges++;
      const range: Ahead = {
        cursor: from,
        to,
        outcome: settle(readRange(from, to)),
        result: undefined,
        next: undefined,
        generation,
      };
      void range.outcome.then((result) => {
        range.result = result;
        extend(range);
      });
      return range;
    };
    /** Starts the range after `range` once `range` is read, if there is room ahead and one to read. */
    const extend = (range: Ahead): void => {
      const { result } = range;
      if (range.next !== undefined || result === undefined || range.generation !== generation)
        return;
      if (signal.aborted || pendingRanges >= options.prefetchRanges) return;
      if (!result.ok || result.value.kind !== "blocks") return;
      const end = result.value.end;
      const target = head - confirmations;
      if (end.number >= target) return;
      range.next = readAhead(
        { number: end.number, hash: end.hash },
        min(end.number + size, target),
      );
    };

    const reorg = async function* (): AsyncGenerator<StreamItem> {
      prefetch = undefined;
      generation++;
      pendingRanges = 0;
      const ancestor = await findAncestor(cursor, start);
      logger?.warn?.("reorg", {
        dropped: String(cursor.number),
        ancestor: String(ancestor.number),
      });
      if (ancestor.number < finalized) {
        logger?.error?.("reorg below a finalized block", {
          ancestor: String(ancestor.number),
          finalized: String(finalized),
        });
      }
      yield { type: "reorg", ancestor, dropped: cursor };
      cursor = ancestor;
      if (finalized > ancestor.number) finalized = ancestor.number;
    };

    try {
      while (!signal.aborted) {
        const target = head - confirmations;
        if (cursor.number >= target) {
          // Caught up with what we know of the head: look again.
          const checkCursor = cursor.hash !== ZERO_BYTES32;
          const [rawHead, rawCursor] = await retrying("reading the head", () =>
            rpc.batch(
              checkCursor
                ? [
                    { method: "eth_blockNumber", params: [] },
                    { method: "eth_getBlockByNumber", params: [toQuantity(cursor.number), false] },
                  ]
                : [{ method: "eth_blockNumber", params: [] }],
              signal,
            ),
          );
          head = parseQuantity("eth_blockNumber", rawHead);
          if (checkCursor) {
            const current = parseBlock(rawCursor, cursor.number);
            if (current === null || current.hash !== cursor.hash) {
              yield* reorg();
              continue;
            }
          }
          const finalizable = min(cursor.number, head - finalityDepth);
          if (finalizable > finalized && finalizable > start.number) {
            finalized = finalizable;
            yield { type: "finalize", number: finalized };
          }
          if (cursor.number >= head - confirmations)
            await sleep(options.pollIntervalMs, undefined, { signal });
          continue;
        }

        const to = min(cursor.number + size, target);
        const pending =
          prefetch !== undefined &&
          prefetch.cursor.number === cursor.number &&
          prefetch.cursor.hash === cursor.hash
            ? prefetch
            : undefined;
        if (pending === undefined) {
          // (a read ahead that does not start here belongs to no range we still want)
          generation++;
          pendingRanges = 0;
        }
        const current = pending ?? readAhead(cursor, to);
        prefetch = undefined;
        const settled = await current.outcome;
        pendingRanges--;
        if (!settled.ok) throw settled.error;
        const outcome = settled.value;
        if (outcome.kind === "reorg") {
          yield* reorg();
          continue;
        }

        // Read the next ranges while the consumer applies this one.
        const end: BlockRef = outcome.end;
        const next: Checkpoint = { number: end.number, hash: end.hash };
        if (end.number < target) {
          prefetch = current.next ?? readAhead(next, min(end.number + size, target));
          let tail = prefetch;
          while (tail.next !== undefined) tail = tail.next;
          extend(tail);
        }
        for (const item of outcome.blocks)
          yield { type: "block", block: item.block, events: item.events };
        cursor = next;
        const finalizable = min(cursor.number, head - finalityDepth);
        if (finalizable > finalized) {
          finalized = finalizable;
          yield { type: "finalize", number: finalized };
        }
      }
    } catch (error) {
      if (signal.aborted) return; // stopped on purpose: end quietly
      throw error;
    } finally {
      outer?.removeEventListener("abort", onAbort);
      controller.abort();
    }
  };
}

/** The newest block. */
export async function readHead(rpc: JsonRpcClient): Promise<BlockRef> {
  let block;
  try {
    block = parseBlock(await rpc.call("eth_getBlockByNumber", ["latest", false]));
  } catch (error) {
    if (error instanceof RpcError) throw ledgerErrorOf(error, "reading the head block failed", {});
    throw error;
  }
  if (block === null) {
    throw new LedgerError("the node has no latest block", {
      code: LedgerErrorCode.INCONSISTENT_RESPONSE,
    });
  }
  return {
    number: block.number,
    hash: block.hash,
    parentHash: block.parentHash,
    timestamp: block.timestamp,
  };
}
