/**
 * Prepares blocks of the stream for writing. Every event is projected in order against one overlay
 * (reads see the writes so far), which yields ONE batch: the projections, the undo entries of each
 * block (for each key it changed: the value before the block, or absent), each block's hash (for
 * `knownBlock`) and the checkpoint. A range of consecutive blocks may go into one batch; blocks at
 * or below the checkpoint are skipped (re-applying is a no-op). Blocks at or below the finalized
 * mark get no undo entries: they can never be rolled back. The indexer writes the batch
 * (createIndexer.ts) and may prepare the next blocks over this batch's overlay meanwhile.
 */
import { setImmediate as nextMacrotask } from "node:timers/promises";

import type { Hex, PositionedEvent } from "../core/index.js";
import { CredtrailError } from "../core/index.js";
import type { BlockRef } from "../ledger/types.js";
import { IndexerErrorCode } from "./errors.js";
import { keys } from "./keys.js";
import type { KvOp, KvReader, KvStore } from "./kvStore.js";
import { localityOrder } from "./kvStore.js";
import type { IndexerLogger } from "./logger.js";
import type { Overlay } from "./overlay.js";
import { createOverlay } from "./overlay.js";
import type { ProjectionContext } from "./projection/context.js";
import { blockPrefetchKeys, followUpPrefetchKeys } from "./projection/prefetch.js";
import { projectEvent } from "./projection/projectEvent.js";
import type { IndexerState } from "./state.js";
import { isGenesis, readBlock } from "./state.js";
import type { StoredBlock, StoredCheckpoint } from "./types.js";
import { undoOps } from "./undoLog.js";

/** Events projected between two turns of the event loop. */
const YIELD_EVERY = 500;

export interface StoreDeps {
  store: KvStore;
  logger: IndexerLogger;
  state: IndexerState;
}

/** A block of the stream with its events. */
export interface BlockInput {
  block: BlockRef;
  events: readonly PositionedEvent[];
}

export interface ApplyResult {
  /** Blocks applied (those above the checkpoint). */
  applied: number;
  /** Events of the applied blocks. */
  events: number;
  /** Keys written (projections only). */
  writes: number;
  /** Subjects whose attestations changed. */
  subjects: Hex[];
  checkpoint: StoredCheckpoint;
}

export function streamError(message: string, details: Record<string, unknown>): CredtrailError {
  return new CredtrailError(IndexerErrorCode.STREAM_INCONSISTENT, message, { details });
}

function lower(hash: string): Hex {
  return hash.toLowerCase() as Hex;
}

/** What {@link prepareBlocks} made of some blocks: the one batch to write, and what it writes. */
export interface PreparedBlocks {
  /** Projections, undo entries, block hashes and the checkpoint: one atomic batch. */
  ops: KvOp[];
  /** Reads through it see the store as if `ops` were written (for the next blocks, meanwhile). */
  overlay: Overlay;
  /** What applying the batch does (its checkpoint is the last block's). */
  result: ApplyResult;
}

/**
 * Projects `blocks` (in order) over `reader` — the store, or the overlay of a batch still being
 * written — whose last applied block is `checkpoint`; see the module comment. Writes nothing.
 * Undefined when every block is at or below `checkpoint` (re-applying is a no-op).
 */
export async function prepareBlocks(
  deps: StoreDeps,
  blocks: readonly BlockInput[],
  reader: KvReader,
  checkpoint: StoredCheckpoint,
): Promise<PreparedBlocks | undefined> {
  const { store, logger, state } = deps;
  let tip: StoredCheckpoint = checkpoint;
  const fresh: BlockInput[] = [];
  for (const input of blocks) {
    const { block } = input;
    const hash = lower(block.hash);
    if (block.number <= tip.number) {
      if (fresh.length > 0) {
        throw streamError(`block ${block.number} comes after block ${tip.number} in one range`, {
          block: block.number.toString(),
        });
      }
      const known =
        block.number === tip.number ? tip.hash : (await readBlock(reader, block.number))?.hash;
      if (known !== undefined && known !== hash) {
        throw streamError(
          `block ${block.number} ${hash} differs from the applied ${known}; a reorg must come first`,
          {
            block: block.number.toString(),
            hash,
            applied: known,
          },
        );
      }
      continue;
    }
    if (
      !isGenesis(tip) &&
      block.number === tip.number + 1n &&
      lower(block.parentHash) !== tip.hash
    ) {
      throw streamError(
        `block ${block.number} does not build on block ${tip.number} ${tip.hash}; a reorg must come first`,
        {
          block: block.number.toString(),
          parentHash: lower(block.parentHash),
          checkpoint: tip.hash,
        },
      );
    }
    for (const event of input.events) {
      if (event.position.blockNumber !== block.number) {
        throw streamError(
          `event ${event.kind} of block ${event.position.blockNumber} came with block ${block.number}`,
          {
            block: block.number.toString(),
            eventBlock: event.position.blockNumber.toString(),
          },
        );
      }
    }
    fresh.push(input);
    tip = { number: block.number, hash, timestamp: block.timestamp };
  }
  if (fresh.length === 0) return undefined;

  const overlay = createOverlay(reader);
  const { batchFiles } = state;
  const ctx: ProjectionContext = { overlay, store, logger, touchedSubjects: new Set(), batchFiles };
  const all = fresh.flatMap((b) => b.events);
  await overlay.prefetch(blockPrefetchKeys(all, batchFiles));
  await overlay.prefetch(await followUpPrefetchKeys(all, overlay));
  let events = 0;
  let sinceYield = 0;
  for (const { block, events: blockEvents } of fresh) {
    // final blocks can never be rolled back: no journal, no undo entries
    overlay.mark(block.number > state.finalized ? block.number : undefined);
    for (const event of blockEvents) {
      await projectEvent(ctx, event);
      // Reads mostly hit the overlay, so this loop seldom leaves the microtask queue: let I/O
      // in now and then (the ledger reading the next blocks meanwhile, a gateway's requests).
      if (++sinceYield === YIELD_EVERY) {
        sinceYield = 0;
        await nextMacrotask();
      }
    }
    events += blockEvents.length;
  }
  // block hashes and the checkpoint go through the overlay too (readable before the batch lands),
  // never into a journal: a rollback deletes block hashes and sets the checkpoint itself
  overlay.mark(undefined);
  const projected = overlay.size;
  for (const { block } of fresh) {
    const stored: StoredBlock = {
      hash: lower(block.hash),
      parentHash: lower(block.parentHash),
      timestamp: block.timestamp,
    };
    overlay.putJson(keys.blockHash(block.number), stored);
  }
  overlay.putJson(keys.checkpoint(), tip);
  const { writes, journals } = await overlay.commit();
  const written: KvOp[] = [];
  for (const [key, value] of writes)
    written.push(value === undefined ? { type: "del", key } : { type: "put", key, value });
  // Nearly in key order (see localityOrder): keys are unique here, so order changes nothing else.
  const ops = localityOrder(written);
  for (const { block } of fresh) {
    const journal = journals.get(block.number);
    if (journal !== undefined) ops.push(...undoOps(journal, block.number, 0));
  }
  return {
    ops,
    overlay,
    result: {
      applied: fresh.length,
      events,
      writes: projected,
      subjects: [...ctx.touchedSubjects],
      checkpoint: tip,
    },
  };
}
