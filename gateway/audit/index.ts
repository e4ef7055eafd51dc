/**
 * The gateway's query audit log: durable records of every read of a subject's data, anchored on
 * the ledger as Merkle roots. The package's only barrel.
 */
export * from "./auditLeaf.js";
export * from "./createQueryAuditLog.js";
