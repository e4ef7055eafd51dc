/**
 * The keys a block's projections will read, known from the events alone. Applying a block first
 * reads them all with one getMany (instead of one LevelDB round trip per event).
 */
import type { PositionedEvent } from "../../core/index.js";
import { keys } from "../keys.js";

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
