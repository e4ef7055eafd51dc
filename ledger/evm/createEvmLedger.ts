/**
 * The EVM ledger: reads through plain JSON-RPC over `fetch` (fast on large eth_getLogs answers),
 * writes through ethers with the typechain contract types. Works against any JSON-RPC node: a
 * Hardhat node in development, Besu or geth in a consortium.
 */
import { setTimeout as sleep } from "node:timers/promises";

import { JsonRpcProvider, Network } from "ethers";

import { ErrorCode, LedgerError, toAddress, ValidationError } from "../../core/index.js";
import { LedgerErrorCode } from "../errors.js";
import type { Ledger } from "../types.js";
import type { ContractAddresses } from "./abi.js";
import { createLogDecoder } from "./decodeLog.js";
import { createEvmStream, readHead } from "./evmStream.js";
import { createEvmWriter, type EvmWriter } from "./evmWriter.js";
import { createRangeFetcher } from "./fetchRange.js";
import {
  createJsonRpcClient,
  RpcError,
  type FetchFunction,
  type JsonRpcClient,
} from "./jsonRpc.js";
import type { LedgerLogger } from "./logger.js";
import { parseQuantity } from "./rpcShapes.js";

export interface EvmLedgerOptions {
  /** The node's JSON-RPC endpoint (http or https). */
  rpcUrl: string;
  addresses: ContractAddresses;
  /**
   * Depth below the head a block must have before it is streamed: 0 for instant-finality chains
   * (QBFT, a Hardhat node), N for chains that can reorg. Default 0.
   */
  confirmations?: number;
  /**
   * Depth below the head at which blocks are reported final (`finalize` items). Default: the same as
   * `confirmations`, i.e. every streamed block is final. Set it deeper than `confirmations` to
   * stream early and still keep undo entries for blocks that may reorg.
   */
  finalityDepth?: number;
  /**
   * The widest eth_getLogs range (blocks). Ranges start at 100 blocks (or this, if smaller), grow
   * after successes, shrink when the node refuses them or answers with too many logs. Default 2,000.
   */
  maxBlockRange?: number;
  /** How often the head is polled once the backfill is done. Default 500 ms. */
  pollIntervalMs?: number;
  /** Per JSON-RPC request. Default 30 s. */
  requestTimeoutMs?: number;
  /** Retries of a failing request before the stream gives up with a LedgerError. Default 4. */
  retries?: number;
  /** First retry delay, doubled per retry. Default 250 ms. */
  retryDelayMs?: number;
  /** Headers per JSON-RPC batch. Default 100. */
  headerBatchSize?: number;
  /** Re-read the tail of each eth_getLogs answer to catch truncation. Default true. */
  verifyCompleteness?: boolean;
  /** How far back a reorg's common ancestor is searched for. Default 100,000 blocks. */
  maxReorgDepth?: number;
  /** Ranges shrink when an answer holds more logs than this. Default 10,000. */
  targetLogsPerRange?: number;
  /**
   * Ranges read ahead while the consumer applies earlier ones (backfill). Default 2; each holds up
   * to `targetLogsPerRange` decoded events in memory. (4 measured no faster than 2 in the indexer
   * bench.)
   */
  prefetchRanges?: number;
  /** The chain id the node must report (checked at creation when given). */
  chainId?: bigint;
  logger?: LedgerLogger;
  /** The fetch the read path uses (tests inject failures through it). Default: the global fetch. */
  fetch?: FetchFunction;
}

export interface EvmLedger extends Ledger {
  readonly kind: "evm";
  writer(key: string): EvmWriter;
  readonly chainId: bigint;
  readonly addresses: ContractAddresses;
  /** Releases the writers' provider. The ledger must not be used afterwards. */
  close(): void;
}

function count(value: number | undefined, fallback: number, name: string, minimum: number): number {
  const n = value ?? fallback;
  if (!Number.isSafeInteger(n) || n < minimum) {
    throw new ValidationError(
      ErrorCode.INTEGER_INVALID,
      `${name} must be an integer ≥ ${minimum}`,
      { details: { field: name, value: n } },
    );
  }
  return n;
}

/** The node's chain id, once it answers and both contracts have code (retried like any read). */
async function connect(
  rpc: JsonRpcClient,
  addresses: ContractAddresses,
  rpcUrl: string,
  settings: { retries: number; retryDelayMs: number },
): Promise<bigint> {
  for (let attempt = 1; ; attempt++) {
    let answers: unknown[];
    let chainId: bigint;
    try {
      answers = await rpc.batch([
        { method: "eth_chainId", params: [] },
        { method: "eth_getCode", params: [addresses.consortium, "latest"] },
        { method: "eth_getCode", params: [addresses.registry, "latest"] },
      ]);
      chainId = parseQuantity("eth_chainId", answers[0]);
    } catch (error) {
      if (!(error instanceof RpcError)) throw error;
      if (attempt > settings.retries) {
        throw new LedgerError(`the node at ${rpcUrl} does not answer: ${error.message}`, {
          code: LedgerErrorCode.UNAVAILABLE,
          details: { rpcUrl, attempts: attempt },
          cause: error,
        });
      }
      await sleep(settings.retryDelayMs * 2 ** (attempt - 1));
      continue;
    }
    for (const [name, code] of [
      ["consortium", answers[1]],
      ["registry", answers[2]],
    ] as const) {
      if (typeof code !== "string" || code === "0x" || code === "") {
        throw new LedgerError(`no contract at the ${name} address ${addresses[name]}`, {
          code: LedgerErrorCode.MISCONFIGURED,
          details: { contract: name, address: addresses[name], rpcUrl },
        });
      }
    }
    return chainId;
  }
}

/**
 * Connects to the node, checks its chain id (when `chainId` is given) and that both contracts are
 * deployed, and returns the ledger. Throws LedgerError LEDGER_UNAVAILABLE when the node does not
 * answer, LEDGER_MISCONFIGURED when the chain or the contracts are not the expected ones.
 */
export async function createEvmLedger(options: EvmLedgerOptions): Promise<EvmLedger> {
  const addresses: ContractAddresses = {
    consortium: toAddress(options.addresses.consortium, "addresses.consortium"),
    registry: toAddress(options.addresses.registry, "addresses.registry"),
  };
  const confirmations = count(options.confirmations, 0, "confirmations", 0);
  const finalityDepth = count(options.finalityDepth, confirmations, "finalityDepth", confirmations);
  const settings = {
    confirmations,
    finalityDepth,
    maxBlockRange: count(options.maxBlockRange, 2_000, "maxBlockRange", 1),
    pollIntervalMs: count(options.pollIntervalMs, 500, "pollIntervalMs", 1),
    retries: count(options.retries, 4, "retries", 0),
    retryDelayMs: count(options.retryDelayMs, 250, "retryDelayMs", 0),
    maxReorgDepth: count(options.maxReorgDepth, 100_000, "maxReorgDepth", 1),
    targetLogsPerRange: count(options.targetLogsPerRange, 10_000, "targetLogsPerRange", 1),
    prefetchRanges: count(options.prefetchRanges, 2, "prefetchRanges", 1),
  };
  const rpc = createJsonRpcClient({
    url: options.rpcUrl,
    fetch: options.fetch,
    timeoutMs: count(options.requestTimeoutMs, 30_000, "requestTimeoutMs", 1),
  });

  const chainId = await connect(rpc, addresses, options.rpcUrl, settings);
  if (options.chainId !== undefined && options.chainId !== chainId) {
    throw new LedgerError(`the node is on chain ${chainId}, expected ${options.chainId}`, {
      code: LedgerErrorCode.MISCONFIGURED,
      details: { chainId: chainId.toString(), expected: options.chainId.toString() },
    });
  }

  const decoder = createLogDecoder(addresses);
  const fetchRange = createRangeFetcher({
    rpc,
    decoder,
    addresses,
    headerBatchSize: count(options.headerBatchSize, 100, "headerBatchSize", 1),
    verifyCompleteness: options.verifyCompleteness ?? true,
    logger: options.logger,
  });
  const stream = createEvmStream({ rpc, fetchRange, logger: options.logger, ...settings });

  let provider: JsonRpcProvider | undefined;
  const writerProvider = (): JsonRpcProvider => {
    if (provider === undefined) {
      const network = Network.from(chainId);
      provider = new JsonRpcProvider(options.rpcUrl, network, {
        staticNetwork: network,
        cacheTimeout: -1,
        pollingInterval: Math.min(settings.pollIntervalMs, 1_000),
      });
    }
    return provider;
  };

  return {
    kind: "evm",
    network: chainId.toString(),
    chainId,
    addresses,
    head: () => readHead(rpc),
    stream,
    writer(key: string): EvmWriter {
      return createEvmWriter({
        provider: writerProvider(),
        addresses,
        decoder,
        privateKey: key,
        logger: options.logger,
      });
    },
    close() {
      provider?.destroy();
      provider = undefined;
    },
  };
}
