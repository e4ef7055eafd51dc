/**
 * Records the finalized block and prunes the reorg window: undo entries and block hashes of blocks
 * more than `retainBlocks` below the finalized one (never the checkpoint's). Pruning is idempotent,
 * so it need not be atomic with anything.
 */
import type { StoreDeps } from "./applyBlock.js";
import { PREFIX, SEP, padBlock } from "./keys.js";
import { finalizedOp } from "./state.js";

export async function finalizeTo(
  deps: StoreDeps,
  number: bigint,
  retainBlocks: number,
): Promise<boolean> {
  const { store, state } = deps;
  if (number <= state.finalized) return false;
  await store.batch([finalizedOp(number)]);
  state.finalized = number;
  const checkpoint = state.checkpoint;
  const upTo = (number < checkpoint.number ? number : checkpoint.number) - BigInt(retainBlocks);
  if (upTo > 0n) {
    await Promise.all([
      store.clear({ gte: PREFIX.undo + SEP, lt: `${PREFIX.undo}${SEP}${padBlock(upTo)}` }),
      store.clear({
        gte: PREFIX.blockHash + SEP,
        lt: `${PREFIX.blockHash}${SEP}${padBlock(upTo)}`,
      }),
    ]);
  }
  return true;
}
