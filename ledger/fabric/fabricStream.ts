/**
 * The Fabric event stream: blocks from a peer's Deliver service, from a checkpoint, each as one
 * `block` item with the events of its valid transactions (our chaincode's events, in transaction
 * order, each transaction's events in EVM log order) followed by `finalize` (every Fabric block
 * is final: no reorg items ever).
 *
 * - Checkpoint: block number + Fabric's block hash. Resuming after block n first re-reads block n
 *   and requires its hash to equal the checkpoint's (a mismatch is another channel or a rebuilt
 *   network: LEDGER_INCONSISTENT_RESPONSE), then every block's previousHash must equal the hash of
 *   the block before: the restart is exact, nothing skipped or repeated.
 * - Blocks without our events (config blocks, other chaincodes) are streamed too, with no events:
 *   the checkpoint moves with every block.
 * - A peer that fails (stopped, unreachable) is left for the next one, from the next block, with
 *   backoff; the stream gives up with LEDGER_UNAVAILABLE after `retries` failed rounds in a row.
 */
import { setTimeout as sleep } from "node:timers/promises";

import { LedgerError, ZERO_BYTES32, type Hex, type PositionedEvent } from "../../core/index.js";
import { LedgerErrorCode } from "../errors.js";
import type { BlockRef, StreamItem, StreamOptions } from "../types.js";
import { deliverBlocks, type PeerConnection } from "./connections.js";
import { decodeChaincodeEvents } from "./decodeEvents.js";
import { buildSeek, parseBlock, type ParsedBlock, type SigningIdentity } from "./protocol.js";

export interface FabricStreamOptions {
  peers: readonly PeerConnection[];
  identity: SigningIdentity;
  channel: string;
  chaincode: string;
  retries: number;
  retryDelayMs: number;
}

/** A parsed block as a BlockRef and its events. */
export function blockItem(
  parsed: ParsedBlock,
  chaincode: string,
): { block: BlockRef; events: PositionedEvent[] } {
  let timestamp = 0n;
  const events: PositionedEvent[] = [];
  for (const tx of parsed.transactions) {
    if (tx.timestamp > timestamp) timestamp = tx.timestamp;
    if (tx.validationCode !== 0 || tx.event === undefined || tx.event.chaincode !== chaincode)
      continue;
    for (const event of decodeChaincodeEvents(tx.event.payload, tx.txId)) {
      events.push({
        ...event,
        position: {
          blockNumber: parsed.number,
          blockHash: parsed.hash,
          txHash: `0x${tx.txId}`,
          logIndex: events.length,
          txIndex: tx.index,
        },
      });
    }
  }
  return {
    block: {
      number: parsed.number,
      hash: parsed.hash,
      parentHash: parsed.previousHash,
      timestamp,
    },
    events,
  };
}

export function createFabricStream(options: FabricStreamOptions) {
  const { peers, identity, channel, chaincode } = options;

  /** The newest block, from the first peer that answers. */
  async function head(): Promise<BlockRef> {
    let lastError: unknown;
    for (let attempt = 0; attempt <= options.retries; attempt++) {
      const connection = peers[attempt % peers.length];
      try {
        const seek = await buildSeek(identity, channel, "newest", "newest");
        for await (const block of deliverBlocks(connection, seek)) {
          return blockItem(parseBlock(block), chaincode).block;
        }
      } catch (error) {
        lastError = error;
        await sleep(options.retryDelayMs);
      }
    }
    throw new LedgerError("no peer answers with its newest block", {
      code: LedgerErrorCode.UNAVAILABLE,
      details: { peers: peers.map((p) => p.address) },
      cause: lastError,
    });
  }

  async function* stream({ from, signal }: StreamOptions): AsyncGenerator<StreamItem> {
    const checkHash = from.hash !== ZERO_BYTES32;
    /** The next block to read, and the hash its previousHash must equal (when known). */
    let next = checkHash ? from.number : from.number + 1n;
    let expectedParent: Hex | undefined = undefined;
    let failures = 0;
    let peerIndex = 0;
    const aborted = () => signal?.aborted === true;
    while (!aborted()) {
      const connection = peers[peerIndex % peers.length];
      try {
        const seek = await buildSeek(identity, channel, next, "forever");
        for await (const raw of deliverBlocks(connection, seek, signal)) {
          const parsed = parseBlock(raw);
          if (parsed.number !== next) {
            throw new LedgerError(`asked for block ${next}, got ${parsed.number}`, {
              code: LedgerErrorCode.INCONSISTENT_RESPONSE,
              details: { peer: connection.address },
            });
          }
          failures = 0;
          if (checkHash && parsed.number === from.number) {
            if (parsed.hash !== from.hash) {
              throw new LedgerError(
                `block ${from.number} has hash ${parsed.hash}, not the checkpoint's ${from.hash}`,
                {
                  code: LedgerErrorCode.INCONSISTENT_RESPONSE,
                  details: { number: from.number.toString(), expected: from.hash },
                },
              );
            }
          } else {
            if (expectedParent !== undefined && parsed.previousHash !== expectedParent) {
              throw new LedgerError(`block ${parsed.number} does not follow the block before`, {
                code: LedgerErrorCode.INCONSISTENT_RESPONSE,
                details: { number: parsed.number.toString(), parentHash: parsed.previousHash },
              });
            }
            yield { type: "block", ...blockItem(parsed, chaincode) };
            yield { type: "finalize", number: parsed.number };
          }
          expectedParent = parsed.hash;
          next = parsed.number + 1n;
        }
      } catch (error) {
        if (aborted()) return;
        if (
          error instanceof LedgerError &&
          error.code === LedgerErrorCode.INCONSISTENT_RESPONSE &&
          checkHash &&
          next === from.number
        )
          throw error;
        failures++;
        if (failures > options.retries * peers.length) {
          throw new LedgerError(`the block stream failed ${failures} times in a row`, {
            code: LedgerErrorCode.UNAVAILABLE,
            details: { next: next.toString() },
            cause: error,
          });
        }
        peerIndex++;
        try {
          await sleep(options.retryDelayMs * Math.min(8, failures), undefined, { signal });
        } catch {
          return;
        }
      }
    }
  }

  return { head, stream };
}
