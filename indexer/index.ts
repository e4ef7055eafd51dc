/**
 * credtrail indexer: the ledger's event stream → read models in LevelDB. See README.md.
 */
export * from "./codec.js";
export * from "./createIndexer.js";
export * from "./digest.js";
export * from "./errors.js";
export * from "./keys.js";
export * from "./kvStore.js";
export * from "./logger.js";
export * from "./pagination.js";
export * from "./readModels.js";
export * from "./records/checkRecordContents.js";
export * from "./records/recordStore.js";
export * from "./records/schemaDefinitions.js";
export * from "./scoring/createScoringService.js";
export * from "./scoring/scoreTypes.js";
export * from "./scoring/scoringInputs.js";
export * from "./types.js";
export type { ApplyResult, BlockInput } from "./applyBlock.js";
export type { RollbackResult } from "./rollback.js";
export type { UploadResult } from "./uploadBatchLeaves.js";
