/**
 * What every projection function gets: the overlay of the block being applied (reads see the
 * block's writes so far), the store (read-only here: uploaded batch files), and a logger.
 */
import type { Hex, PositionedEvent } from "../../core/index.js";
import type { KvStore } from "../kvStore.js";
import type { IndexerLogger } from "../logger.js";
import type { Overlay } from "../overlay.js";
import type { Audit } from "../types.js";

export interface ProjectionContext {
  overlay: Overlay;
  /** Read-only here: what is outside the undo log (uploaded batch files). */
  store: Pick<KvStore, "get" | "entries">;
  logger: IndexerLogger;
  /** Subjects whose attestations changed (for subscribers, e.g. the scoring service). */
  touchedSubjects: Set<Hex>;
  /**
   * False when no batch file was ever uploaded: then a record cannot exist before its `Attested`
   * event (only a leaf of an uploaded file can), and that projection need not look for one.
   * Undefined: it may exist.
   */
  batchFiles?: boolean;
}

/** The audit entry of an event: where it is on the ledger and who sent it. */
export function auditOf(event: PositionedEvent): Audit {
  const p = event.position;
  const signer = "signer" in event ? event.signer : "revokedBy" in event ? event.revokedBy : null;
  return {
    block: p.blockNumber,
    blockHash: p.blockHash.toLowerCase() as Hex,
    tx: p.txHash.toLowerCase() as Hex,
    logIndex: p.logIndex,
    sender: signer,
  };
}

/** bytes32 as stored (lowercase). */
export function hex(value: string): Hex {
  return value.toLowerCase() as Hex;
}

/** Logs an event the projection cannot apply (it refers to something the store does not hold). */
export function anomaly(ctx: ProjectionContext, event: PositionedEvent, message: string): void {
  ctx.logger.warn(`indexer: ${event.kind}: ${message}`, {
    kind: event.kind,
    block: event.position.blockNumber.toString(),
    logIndex: event.position.logIndex,
    tx: event.position.txHash,
  });
}
