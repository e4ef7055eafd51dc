/**
 * Applies blocks of the stream. Every event is projected in order against one overlay (reads see
 * the writes so far), then ONE batch writes the projections, the undo entries of each block (for
 * each key it changed: the value before the block, or absent), each block's hash (for
 * `knownBlock`) and the checkpoint. A range of consecutive blocks may go into one batch; blocks at
 * or below the checkpoint are skipped (re-applying is a no-op). Blocks at or below the finalized
 * mark get no undo entries: they can never be rolled back.
 */
import type { Hex, PositionedEvent } from "../core/index.js";
import { CredtrailError } from "../core/index.js";
import type { BlockRef } from "../ledger/types.js";
import { IndexerErrorCode } from "./errors.js";
import type { KvOp, KvStore } from "./kvStore.js";
import type { IndexerLogger } from "./logger.js";
import { createOverlay } from "./overlay.js";
import type { ProjectionContext } from "./projection/context.js";
import { blockPrefetchKeys } from "./projection/prefetch.js";
import { projectEvent } from "./projection/projectEvent.js";
import type { IndexerState } from "./state.js";
import { blockOp, checkpointOp, isGenesis, readBlock } from "./state.js";
import type { StoredCheckpoint } from "./types.js";
import { undoOps } from "./undoLog.js";

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

/** Applies `blocks` (in order) in one batch; see the module comment. */
export async function applyBlocks(
  deps: StoreDeps,
  blocks: readonly BlockInput[],
): Promise<ApplyResult> {
  const { store, logger, state } = deps;
  let tip: StoredCheckpoint = state.checkpoint;
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
        block.number === tip.number ? tip.hash : (await readBlock(store, block.number))?.hash;
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
  if (fresh.length === 0)
    return { applied: 0, events: 0, writes: 0, subjects: [], checkpoint: state.checkpoint };

  const overlay = createOverlay(store);
  const ctx: ProjectionContext = { overlay, store, logger, touchedSubjects: new Set() };
  await overlay.prefetch(blockPrefetchKeys(fresh.flatMap((b) => b.events)));
  let events = 0;
  for (const { block, events: blockEvents } of fresh) {
    overlay.mark(block.number);
    for (const event of blockEvents) await projectEvent(ctx, event);
    events += blockEvents.length;
  }
  const { writes, journals } = await overlay.commit();
  const ops: KvOp[] = [];
  for (const [key, value] of writes)
    ops.push(value === undefined ? { type: "del", key } : { type: "put", key, value });
  for (const { block } of fresh) {
    const journal = journals.get(block.number) ?? [];
    if (block.number > state.finalized) ops.push(...undoOps(journal, block.number, 0));
    ops.push(
      blockOp(block.number, {
        hash: lower(block.hash),
        parentHash: lower(block.parentHash),
        timestamp: block.timestamp,
      }),
    );
  }
  ops.push(checkpointOp(tip));
  await store.batch(ops);
  state.checkpoint = tip;
  return {
    applied: fresh.length,
    events,
    writes: writes.size,
    subjects: [...ctx.touchedSubjects],
    checkpoint: tip,
  };
}
