/**
 * Accepts the leaves of an anchored batch (the provider's batch file). They are accepted only if the
 * batch is anchored, their number equals the anchored count and they rebuild exactly the anchored
 * root (core.buildRecordBatch); otherwise a ValidationError is thrown and nothing is written.
 *
 * Accepted leaves are stored under the batch root outside the undo log (`up:<root>`,
 * `ul:<root>:<index>`) — an upload is not a ledger event, so a reorg must not lose it — and projected
 * as attestations (uid = attestationUid with the batch's schema and provider) in the same batch.
 * The projection's undo entries are appended to the checkpoint block: if a reorg drops that block,
 * the projection is undone and done again at once when the anchor survived, or when the anchor
 * comes back in a later block (see projection/batches.ts).
 */
import type { Hex, RecordLeafInput } from "../core/index.js";
import { ValidationError, buildRecordBatch, toBytes32 } from "../core/index.js";
import type { StoreDeps } from "./applyBlock.js";
import { decodeValue, encodeValue } from "./codec.js";
import { IndexerErrorCode } from "./errors.js";
import { keys } from "./keys.js";
import type { KvOp } from "./kvStore.js";
import { createOverlay } from "./overlay.js";
import { projectLeaves } from "./projection/batches.js";
import type { ProjectionContext } from "./projection/context.js";
import type { Batch, StoredLeaf, StoredUpload } from "./types.js";
import { changeOps, nextUndoSeq, undoOps } from "./undoLog.js";

export interface UploadResult {
  root: Hex;
  count: number;
  /** False when this batch file had been uploaded and projected before (nothing was written). */
  projected: boolean;
  subjects: Hex[];
}

export async function uploadBatchLeaves(
  deps: StoreDeps,
  rootInput: string,
  leaves: readonly RecordLeafInput[],
): Promise<UploadResult> {
  const { store, logger } = deps;
  const root = toBytes32(rootInput, "root");
  const batchText = await store.get(keys.batch(root));
  if (batchText === undefined) {
    throw new ValidationError(
      IndexerErrorCode.BATCH_UNKNOWN,
      `no batch with root ${root} is anchored`,
      { details: { root } },
    );
  }
  const batch = decodeValue<Batch>(batchText);
  if (!Array.isArray(leaves) || leaves.length !== batch.count) {
    const given = Array.isArray(leaves) ? leaves.length : 0;
    throw new ValidationError(
      IndexerErrorCode.BATCH_COUNT_MISMATCH,
      `batch ${root} was anchored with ${batch.count} leaves, the file has ${given}`,
      { details: { root, anchored: batch.count, given } },
    );
  }
  const built = buildRecordBatch(leaves);
  if (built.root !== root) {
    throw new ValidationError(
      IndexerErrorCode.BATCH_ROOT_MISMATCH,
      `the leaves rebuild root ${built.root}, not the anchored ${root}`,
      {
        details: { root, rebuilt: built.root },
      },
    );
  }
  if (batch.leavesUploaded) return { root, count: batch.count, projected: false, subjects: [] };

  const stored: StoredLeaf[] = built.leaves.map((leaf) => ({ ...leaf }));
  const upload: StoredUpload = { root, count: stored.length };
  const ops: KvOp[] = [{ type: "put", key: keys.upload(root), value: encodeValue(upload) }];
  stored.forEach((leaf, index) =>
    ops.push({ type: "put", key: keys.uploadLeaf(root, index), value: encodeValue(leaf) }),
  );

  const overlay = createOverlay(store);
  const ctx: ProjectionContext = { overlay, store, logger, touchedSubjects: new Set() };
  await projectLeaves(ctx, batch, stored);
  const changes = await overlay.changes();
  ops.push(...changeOps(changes));
  const checkpoint = deps.state.checkpoint;
  if (checkpoint.number > deps.state.finalized) {
    ops.push(...undoOps(changes, checkpoint.number, await nextUndoSeq(store, checkpoint.number)));
  }
  await store.batch(ops);
  deps.state.batchFiles = true;
  return { root, count: stored.length, projected: true, subjects: [...ctx.touchedSubjects] };
}
