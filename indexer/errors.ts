/**
 * Error codes the indexer raises (on top of core's ErrorCode). All are CredtrailError subclasses
 * from core, so the gateway maps them to `extensions.code` like every other error.
 */
export const IndexerErrorCode = {
  /** uploadBatchLeaves: no batch with that root is anchored. */
  BATCH_UNKNOWN: "BATCH_UNKNOWN",
  /** uploadBatchLeaves: the number of leaves differs from the anchored count. */
  BATCH_COUNT_MISMATCH: "BATCH_COUNT_MISMATCH",
  /** uploadBatchLeaves: the leaves do not rebuild the anchored root. */
  BATCH_ROOT_MISMATCH: "BATCH_ROOT_MISMATCH",
  /** A pagination cursor that this list did not hand out. */
  CURSOR_INVALID: "CURSOR_INVALID",
  /** A read argument out of range (page size, depth, ...). */
  ARGUMENT_INVALID: "ARGUMENT_INVALID",
  /** The stream contradicts what is applied (a block that does not follow the checkpoint, ...). */
  STREAM_INCONSISTENT: "STREAM_INCONSISTENT",
  /** A reorg below the finalized block, whose undo entries are gone. */
  REORG_TOO_DEEP: "REORG_TOO_DEEP",
} as const;

export type IndexerErrorCode = (typeof IndexerErrorCode)[keyof typeof IndexerErrorCode];
