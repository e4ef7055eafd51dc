/**
 * Fetches the events of one block range (after `from`, up to `to`) and proves the answer coherent
 * before anything of it is streamed:
 *
 * 1. `from` is still canonical (else the caller handles a reorg) and block `to` exists;
 * 2. eth_getLogs over the range, filtered by both contract addresses; a log from any other address
 *    is dropped (a node that ignores the address filter must not inject events);
 * 3. every log lies in the range, in (block, logIndex) order, without duplicates; its block's header
 *    has the log's blockHash and a bloom that contains the log's address and topic;
 * 4. completeness: the tail of the answer is fetched again (from the last block with logs up to
 *    `to`) and must match — a node that cuts its answer at a size limit is caught; with no logs at
 *    all, block `to`'s bloom must not claim any of ours (else that block is asked for by hash);
 * 5. block `to` has the same hash before and after (no reorg in the middle of the range), and
 *    adjacent headers chain by parentHash (the first one to `from`).
 *
 * A failed check is an RpcError of kind `inconsistent`: the caller retries, then gives up with a
 * LedgerError, and nothing of the range is streamed.
 */
import { ZERO_BYTES32, type EventPosition, type PositionedEvent } from "../../core/index.js";
import type { BlockRef, Checkpoint } from "../types.js";
import type { ContractAddresses } from "./abi.js";
import type { LogDecoder } from "./decodeLog.js";
import { RpcError, type JsonRpcClient, type RpcCall } from "./jsonRpc.js";
import type { LedgerLogger } from "./logger.js";
import {
  bloomBits,
  bloomIsEmpty,
  bloomMayContain,
  parseBlock,
  parseLogs,
  toQuantity,
  type BloomBits,
  type RpcBlock,
  type RpcLog,
} from "./rpcShapes.js";

/** A block to stream: its header and its events in log order. */
export interface BlockEvents {
  block: BlockRef;
  events: PositionedEvent[];
}

export type RangeOutcome =
  /** `from` is no longer on the chain. */
  | { kind: "reorg" }
  /** Blocks with events, then block `to` (the range's checkpoint) if it has none. */
  | { kind: "blocks"; blocks: BlockEvents[]; end: BlockRef };

export interface RangeFetcherOptions {
  rpc: JsonRpcClient;
  decoder: LogDecoder;
  addresses: ContractAddresses;
  /** Headers per JSON-RPC batch (default 100). */
  headerBatchSize?: number;
  /** Re-fetch the tail of each answer to catch truncation (default true). */
  verifyCompleteness?: boolean;
  logger?: LedgerLogger;
}

export type RangeFetcher = (
  from: Checkpoint,
  to: bigint,
  signal?: AbortSignal,
) => Promise<RangeOutcome>;

const PARALLEL_BATCHES = 4;

function inconsistent(method: string, message: string): RpcError {
  return new RpcError("inconsistent", method, message);
}

function blockRef(block: RpcBlock): BlockRef {
  return {
    number: block.number,
    hash: block.hash,
    parentHash: block.parentHash,
    timestamp: block.timestamp,
  };
}

function getBlockCall(n: bigint): RpcCall {
  return { method: "eth_getBlockByNumber", params: [toQuantity(n), false] };
}

export function createRangeFetcher(options: RangeFetcherOptions): RangeFetcher {
  const { rpc, decoder, logger } = options;
  const headerBatchSize = options.headerBatchSize ?? 100;
  const verifyCompleteness = options.verifyCompleteness ?? true;
  const addresses = [
    options.addresses.consortium.toLowerCase(),
    options.addresses.registry.toLowerCase(),
  ];
  const addressBits = new Map<string, BloomBits>(addresses.map((a) => [a, bloomBits(a)]));
  const topicBits = new Map<string, BloomBits>();
  for (const topics of Object.values(decoder.topics))
    for (const t of topics) topicBits.set(t, bloomBits(t));

  /** eth_getLogs by range or block hash, keeping only logs of our contracts. */
  async function getLogs(filter: Record<string, unknown>, signal?: AbortSignal): Promise<RpcLog[]> {
    const logs = parseLogs(
      await rpc.call("eth_getLogs", [{ ...filter, address: addresses }], signal),
    );
    const ours = logs.filter((log) => addressBits.has(log.address));
    if (ours.length !== logs.length) {
      logger?.warn?.("eth_getLogs returned logs of other contracts; dropped", {
        dropped: logs.length - ours.length,
        filter,
      });
    }
    return ours;
  }

  async function getHeaders(
    numbers: readonly bigint[],
    signal?: AbortSignal,
  ): Promise<Map<bigint, RpcBlock>> {
    const headers = new Map<bigint, RpcBlock>();
    const chunks: bigint[][] = [];
    for (let i = 0; i < numbers.length; i += headerBatchSize)
      chunks.push(numbers.slice(i, i + headerBatchSize));
    let next = 0;
    const worker = async () => {
      while (next < chunks.length) {
        const chunk = chunks[next++];
        const results = await rpc.batch(chunk.map(getBlockCall), signal);
        chunk.forEach((n, i) => {
          const block = parseBlock(results[i], n);
          if (block === null)
            throw inconsistent(
              "eth_getBlockByNumber",
              `block ${n} is missing although the node returned logs up to it`,
            );
          headers.set(n, block);
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_BATCHES, chunks.length) }, worker));
    return headers;
  }

  /**
   * The log's address and topic must be in its block's bloom. `seen` holds the bloom bits already
   * found in this block (most logs of a block are of one contract and a few events).
   */
  function checkBloom(log: RpcLog, block: RpcBlock, seen: Set<BloomBits>): void {
    const address = addressBits.get(log.address);
    const topic = log.topics.length > 0 ? topicBits.get(log.topics[0]) : undefined;
    if (
      address === undefined ||
      (!seen.has(address) && !bloomMayContain(block.logsBloom, address)) ||
      (topic !== undefined && !seen.has(topic) && !bloomMayContain(block.logsBloom, topic))
    ) {
      throw inconsistent(
        "eth_getLogs",
        `log ${log.logIndex} of block ${block.number} is not in that block's bloom`,
      );
    }
    seen.add(address);
    if (topic !== undefined) seen.add(topic);
  }

  /** The logs of one block of an answer must equal a second answer's (same tx, same index). */
  function sameLogs(a: readonly RpcLog[], b: readonly RpcLog[]): boolean {
    return (
      a.length === b.length &&
      a.every(
        (log, i) =>
          log.logIndex === b[i].logIndex &&
          log.transactionHash === b[i].transactionHash &&
          log.blockHash === b[i].blockHash,
      )
    );
  }

  return async function fetchRange(from, to, signal) {
    if (to <= from.number) throw new RangeError(`fetchRange: empty range (${from.number}, ${to}]`);
    const fromBlock = from.number + 1n;
    const checkFrom = from.hash !== ZERO_BYTES32;

    // 1. `from` still canonical, block `to` there.
    const first = await rpc.batch(
      checkFrom ? [getBlockCall(from.number), getBlockCall(to)] : [getBlockCall(to)],
      signal,
    );
    if (checkFrom) {
      const current = parseBlock(first[0], from.number);
      if (current === null || current.hash !== from.hash.toLowerCase()) return { kind: "reorg" };
    }
    const endBefore = parseBlock(first[first.length - 1], to);
    if (endBefore === null)
      throw inconsistent(
        "eth_getBlockByNumber",
        `block ${to} is missing although the head is at or past it`,
      );

    // 2. The logs.
    const logs = await getLogs(
      { fromBlock: toQuantity(fromBlock), toBlock: toQuantity(to) },
      signal,
    );

    // 3. Range, order, duplicates; group by block.
    const byBlock = new Map<bigint, RpcLog[]>();
    let previous: RpcLog | undefined;
    for (const log of logs) {
      if (log.blockNumber < fromBlock || log.blockNumber > to) {
        throw inconsistent(
          "eth_getLogs",
          `log of block ${log.blockNumber} outside the range ${fromBlock}…${to}`,
        );
      }
      if (
        previous !== undefined &&
        (log.blockNumber < previous.blockNumber ||
          (log.blockNumber === previous.blockNumber && log.logIndex <= previous.logIndex))
      ) {
        throw inconsistent(
          "eth_getLogs",
          `logs out of order or duplicated at block ${log.blockNumber} index ${log.logIndex}`,
        );
      }
      previous = log;
      let group = byBlock.get(log.blockNumber);
      if (group === undefined) byBlock.set(log.blockNumber, (group = []));
      group.push(log);
    }
    const numbers = [...byBlock.keys()];
    const lastWithLogs = numbers.length > 0 ? numbers[numbers.length - 1] : undefined;

    // Headers of the blocks with events and of `to` again; the tail of the answer again.
    const wanted = numbers.filter((n) => n !== to);
    wanted.push(to);
    const [headers, tail] = await Promise.all([
      getHeaders(wanted, signal),
      verifyCompleteness && lastWithLogs !== undefined
        ? getLogs({ fromBlock: toQuantity(lastWithLogs), toBlock: toQuantity(to) }, signal)
        : Promise.resolve(undefined),
    ]);

    // 5. No reorg during the range.
    const end = headers.get(to);
    if (end === undefined || end.hash !== endBefore.hash) {
      throw inconsistent(
        "eth_getBlockByNumber",
        `block ${to} changed while the range was read (reorg in progress?)`,
      );
    }

    // 3. Hashes and blooms of the logs.
    for (const [n, group] of byBlock) {
      const header = headers.get(n);
      if (header === undefined) throw inconsistent("eth_getBlockByNumber", `block ${n} is missing`);
      // (some chains do not fill blooms in)
      const seen = bloomIsEmpty(header.logsBloom) ? undefined : new Set<BloomBits>();
      for (const log of group) {
        if (log.blockHash !== header.hash) {
          throw inconsistent(
            "eth_getLogs",
            `log ${log.logIndex} claims block hash ${log.blockHash}, block ${n} is ${header.hash}`,
          );
        }
        if (seen !== undefined) checkBloom(log, header, seen);
      }
    }

    // 4. Completeness.
    if (tail !== undefined && lastWithLogs !== undefined) {
      const again = tail.filter((log) => log.blockNumber === lastWithLogs);
      const beyond = tail.length - again.length;
      if (beyond > 0 || !sameLogs(byBlock.get(lastWithLogs) ?? [], again)) {
        throw inconsistent(
          "eth_getLogs",
          `truncated answer: blocks ${lastWithLogs}…${to} hold ${tail.length} logs of ours, the range answer had ${byBlock.get(lastWithLogs)?.length ?? 0}`,
        );
      }
    }
    if (
      logs.length === 0 &&
      !bloomIsEmpty(end.logsBloom) &&
      [...addressBits.values()].some((bits) => bloomMayContain(end.logsBloom, bits))
    ) {
      const inEnd = await getLogs({ blockHash: end.hash }, signal);
      if (inEnd.length > 0) {
        throw inconsistent(
          "eth_getLogs",
          `truncated answer: block ${to} holds ${inEnd.length} logs of ours, the range answer had none`,
        );
      }
    }

    // 5. Parent-hash chain of adjacent headers, the first to `from`.
    const sorted = [...headers.values()].sort((a, b) =>
      a.number < b.number ? -1 : a.number > b.number ? 1 : 0,
    );
    for (let i = 0; i < sorted.length; i++) {
      const block = sorted[i];
      const parent =
        i > 0 && sorted[i - 1].number === block.number - 1n
          ? sorted[i - 1].hash
          : block.number === fromBlock && checkFrom
            ? from.hash.toLowerCase()
            : undefined;
      if (parent !== undefined && block.parentHash !== parent) {
        throw inconsistent(
          "eth_getBlockByNumber",
          `block ${block.number} does not follow block ${block.number - 1n} (parentHash ${block.parentHash})`,
        );
      }
    }

    // Decode.
    const blocks: BlockEvents[] = [];
    for (const [n, group] of byBlock) {
      const header = headers.get(n) as RpcBlock;
      const events: PositionedEvent[] = group.map((log) => {
        const position: EventPosition = {
          blockNumber: n,
          blockHash: header.hash,
          txHash: log.transactionHash,
          logIndex: log.logIndex,
          txIndex: log.transactionIndex,
        };
        return Object.assign(decoder.decode(log), { position });
      });
      blocks.push({ block: blockRef(header), events });
    }
    if (lastWithLogs !== to) blocks.push({ block: blockRef(end), events: [] });
    return { kind: "blocks", blocks, end: blockRef(end) };
  };
}
