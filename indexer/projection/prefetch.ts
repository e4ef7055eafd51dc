/**
 * The keys a block's projections will read, known from the events alone — and then those known
 * from what that read found. Applying a block first reads them all, with one getMany each (a key
 * read on its own waits for LevelDB's thread pool, behind the batch being written during a
 * backfill, while the projection stands still).
 */
import type { PositionedEvent } from "../../core/index.js";
import { keys } from "../keys.js";
import type { Overlay } from "../overlay.js";
import type { Attestation } from "../types.js";
import { latestRepairKey } from "./disputes.js";

/** `batchFiles`: see ProjectionContext (false: Attested reads no record). */
export function prefetchKeys(event: PositionedEvent, batchFiles = true): string[] {
  switch (event.kind) {
    case "Attested":
      return batchFiles
        ? [keys.attestation(event.uid), keys.schema(event.schema)]
        : [keys.schema(event.schema)];
    case "Derived":
      return [
        keys.attestation(event.uid),
        keys.schema(event.schema),
        // the inputs: their stale marks are inherited (records.ts, inheritedStale)
        ...event.inputs.map((input) => keys.attestation(input)),
        ...event.inputs.map((input) => keys.hasDependents(input)),
      ];
    case "LeafRecorded":
      return [keys.attestation(event.uid), keys.batch(event.root)];
    case "RepairRequested":
      return [keys.attestation(event.uid)];
    case "Revoked":
    case "RepairDecided":
      return [keys.attestation(event.uid), keys.hasDependents(event.uid)];
    case "Superseded":
      return [
        keys.attestation(event.uid),
        keys.attestation(event.newUid),
        keys.hasDependents(event.uid),
      ];
    case "DisputeOpened":
      return [
        keys.attestation(event.uid),
        keys.dispute(event.uid, event.seq),
        ...(event.seq > 1 ? [keys.dispute(event.uid, event.seq - 1)] : []),
      ];
    case "DisputeAnswered":
    case "DisputeWithdrawn":
      return [keys.attestation(event.uid), keys.dispute(event.uid, event.seq)];
    case "BatchAnchored":
      return [keys.batch(event.root), keys.schema(event.schema), keys.upload(event.root)];
    case "BatchRevoked":
      return [keys.batch(event.root)];
    case "ScoreBatchAnchored":
      return [keys.scoreBatch(event.root)];
    case "ConsentRecorded":
    case "ConsentRevoked":
      return [keys.consent(event.consentId)];
    case "AuditAnchored":
      return [keys.auditAnchor(event.root)];
    case "MemberRolesChanged":
    case "MemberSuspended":
    case "MemberReinstated":
    case "KeyAdded":
    case "KeyRevoked":
    case "ScopeSet":
      return [keys.member(event.member)];
    case "ProposalApproved":
    case "ProposalExecuted":
    case "ProposalCancelled":
      return [keys.proposal(event.proposalId)];
    default:
      return [];
  }
}

/** Every key the events of a block will read, once. */
export function blockPrefetchKeys(events: readonly PositionedEvent[], batchFiles = true): string[] {
  const out = new Set<string>();
  for (const event of events) for (const key of prefetchKeys(event, batchFiles)) out.add(key);
  return [...out];
}

/**
 * The keys the events of a block will read that only values read by {@link blockPrefetchKeys}
 * name: a repair decision reads the record's latest repair request ({@link latestRepairKey}). Read
 * through `overlay`, which holds those values by now. An earlier event of the block may change
 * such a value; then the projection reads the key the change names (which that event wrote, so it
 * is in the overlay), and this one was read for nothing.
 */
export async function followUpPrefetchKeys(
  events: readonly PositionedEvent[],
  overlay: Overlay,
): Promise<string[]> {
  const out: string[] = [];
  for (const event of events) {
    if (event.kind !== "RepairDecided") continue;
    const record = await overlay.getJson<Attestation>(keys.attestation(event.uid));
    if (record !== undefined) out.push(latestRepairKey(record));
  }
  return out;
}
