/**
 * Rolls the store back to `ancestor` after a reorg, in ONE batch: the undo entries of every later
 * block are applied newest first, those entries and the blocks' hashes are deleted, the checkpoint
 * becomes the ancestor — and uploaded batch files whose projection was undone while their anchor
 * survived are projected again (their undo entries are appended to the ancestor's).
 */
import type { Hex } from "../core/index.js";
import { CredtrailError } from "../core/index.js";
import type { Checkpoint } from "../ledger/types.js";
import type { StoreDeps } from "./applyBlock.js";
import { streamError } from "./applyBlock.js";
import { IndexerErrorCode } from "./errors.js";
import { PREFIX, SEP, padBlock, prefixEnd } from "./keys.js";
import type { KvOp } from "./kvStore.js";
import { createOverlay } from "./overlay.js";
import { reprojectUploads } from "./projection/batches.js";
import type { ProjectionContext } from "./projection/context.js";
import { checkpointOp, readBlock } from "./state.js";
import { changeOps, nextUndoSeq, planUndo, undoOps } from "./undoLog.js";

export interface RollbackResult {
  /** Blocks dropped (applied blocks above the ancestor). */
  droppedBlocks: number;
  /** Keys restored. */
  restored: number;
  /** Uploaded batch files projected again. */
  reprojected: number;
  subjects: Hex[];
}

export async function rollbackTo(deps: StoreDeps, ancestor: Checkpoint): Promise<RollbackResult> {
  const { store, logger, state } = deps;
  const ancestorHash = ancestor.hash.toLowerCase() as Hex;
  const checkpoint = state.checkpoint;
  if (ancestor.number >= checkpoint.number) {
    if (ancestor.number === checkpoint.number && ancestorHash !== checkpoint.hash) {
      throw streamError(
        `reorg ancestor ${ancestor.number} ${ancestorHash} is not the checkpoint ${checkpoint.hash}`,
        {
          ancestor: ancestor.number.toString(),
        },
      );
    }
    return { droppedBlocks: 0, restored: 0, reprojected: 0, subjects: [] };
  }
  const finalized = state.finalized;
  if (ancestor.number < finalized) {
    throw new CredtrailError(
      IndexerErrorCode.REORG_TOO_DEEP,
      `reorg to block ${ancestor.number} is below the finalized block ${finalized}`,
      { details: { ancestor: ancestor.number.toString(), finalized: finalized.toString() } },
    );
  }
  const known = await readBlock(store, ancestor.number);
  if (known !== undefined && known.hash !== ancestorHash) {
    throw streamError(
      `reorg ancestor ${ancestor.number} ${ancestorHash} differs from the applied block ${known.hash}`,
      {
        ancestor: ancestor.number.toString(),
      },
    );
  }

  const plan = await planUndo(store, ancestor.number);
  const base = createOverlay(store);
  for (const [key, value] of plan.restore) {
    if (value === null) base.del(key);
    else base.put(key, value);
  }
  const top = createOverlay(base);
  const ctx: ProjectionContext = { overlay: top, store, logger, touchedSubjects: new Set() };
  const reprojected = await reprojectUploads(ctx);

  const baseChanges = await base.changes();
  const topChanges = await top.changes();
  const ops: KvOp[] = [...changeOps(baseChanges), ...changeOps(topChanges)];
  if (topChanges.length > 0 && ancestor.number > finalized) {
    ops.push(...undoOps(topChanges, ancestor.number, await nextUndoSeq(store, ancestor.number)));
  }
  for (const key of plan.entryKeys) ops.push({ type: "del", key });
  const blocksFrom = `${PREFIX.blockHash}${SEP}${padBlock(ancestor.number + 1n)}`;
  let droppedBlocks = 0;
  for await (const key of store.keys({ gte: blocksFrom, lt: prefixEnd(PREFIX.blockHash + SEP) })) {
    ops.push({ type: "del", key });
    droppedBlocks++;
  }
  const checkpointAfter = {
    number: ancestor.number,
    hash: ancestorHash,
    timestamp: known?.timestamp ?? 0n,
  };
  ops.push(checkpointOp(checkpointAfter));
  await store.batch(ops);
  state.checkpoint = checkpointAfter;
  return {
    droppedBlocks,
    restored: baseChanges.length,
    reprojected,
    subjects: [...ctx.touchedSubjects],
  };
}
