/**
 * The finalized mark and the pruning of the reorg window: undo entries and block hashes of blocks
 * more than `retainBlocks` below the finalized one (never the checkpoint's). Pruning is idempotent,
 * so it need not be atomic with anything. A `finalize` on its own is written by {@link finalizeTo};
 * one that comes with blocks goes into their batch ({@link advanceFinalized}). The window is pruned
 * after either ({@link pruneWindow}).
 */
import type { StoreDeps } from "./applyBlock.js";
import { PREFIX, SEP, padBlock } from "./keys.js";
import type { IndexerState } from "./state.js";
import { finalizedOp } from "./state.js";

/**
 * Takes `number` as the finalized block in memory when it is above the mark; the caller writes
 * {@link finalizedOp}(number), e.g. in the batch of the blocks that come next. A mark in memory
 * ahead of the stored one is harmless: the stream only names final blocks.
 */
export function advanceFinalized(state: IndexerState, number: bigint): boolean {
  if (number <= state.finalized) return false;
  state.finalized = number;
  return true;
}

/**
 * Deletes undo entries and block hashes more than `retainBlocks` below the finalized block (from
 * where the last prune stopped: {@link IndexerState.prunedBelow}). One at a time: the indexer
 * chains its prunes.
 */
export async function pruneWindow(deps: StoreDeps, retainBlocks: number): Promise<void> {
  const { store, state } = deps;
  const checkpoint = state.checkpoint;
  const upTo =
    (state.finalized < checkpoint.number ? state.finalized : checkpoint.number) -
    BigInt(retainBlocks);
  const from = state.prunedBelow;
  if (upTo <= from) return;
  const range = (prefix: string) => ({
    gte: `${prefix}${SEP}${padBlock(from)}`,
    lt: `${prefix}${SEP}${padBlock(upTo)}`,
  });
  await Promise.all([store.clear(range(PREFIX.undo)), store.clear(range(PREFIX.blockHash))]);
  state.prunedBelow = upTo;
}

/** Records `number` as the finalized block; false when it is not above the mark. */
export async function finalizeTo(deps: StoreDeps, number: bigint): Promise<boolean> {
  const { store, state } = deps;
  if (number <= state.finalized) return false;
  await store.batch([finalizedOp(number)]);
  state.finalized = number;
  return true;
}
