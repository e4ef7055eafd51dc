/** The one dispatch from an event kind to its projection. */
import type { PositionedEvent } from "../../core/index.js";
import { onBatchAnchored, onBatchRevoked, onScoreBatchAnchored } from "./batches.js";
import { onAuditAnchored, onConsentRecorded, onConsentRevoked } from "./consents.js";
import { projectConsortiumEvent } from "./consortium.js";
import type { ProjectionContext } from "./context.js";
import {
  onDisputeAnswered,
  onDisputeOpened,
  onDisputeWithdrawn,
  onRepairDecided,
  onRepairRequested,
} from "./disputes.js";
import { onAttested, onDerived, onLeafRecorded, onRevoked, onSuperseded } from "./records.js";

export async function projectEvent(ctx: ProjectionContext, event: PositionedEvent): Promise<void> {
  switch (event.kind) {
    case "Attested":
      return onAttested(ctx, event);
    case "BatchAnchored":
      return onBatchAnchored(ctx, event);
    case "BatchRevoked":
      return onBatchRevoked(ctx, event);
    case "LeafRecorded":
      return onLeafRecorded(ctx, event);
    case "Derived":
      return onDerived(ctx, event);
    case "Revoked":
      return onRevoked(ctx, event);
    case "Superseded":
      return onSuperseded(ctx, event);
    case "DisputeOpened":
      return onDisputeOpened(ctx, event);
    case "DisputeAnswered":
      return onDisputeAnswered(ctx, event);
    case "DisputeWithdrawn":
      return onDisputeWithdrawn(ctx, event);
    case "RepairRequested":
      return onRepairRequested(ctx, event);
    case "RepairDecided":
      return onRepairDecided(ctx, event);
    case "ScoreBatchAnchored":
      return onScoreBatchAnchored(ctx, event);
    case "ConsentRecorded":
      return onConsentRecorded(ctx, event);
    case "ConsentRevoked":
      return onConsentRevoked(ctx, event);
    case "AuditAnchored":
      return onAuditAnchored(ctx, event);
    case "MemberAdmitted":
    case "MemberRolesChanged":
    case "MemberSuspended":
    case "MemberReinstated":
    case "KeyAdded":
    case "KeyRevoked":
    case "ScopeSet":
    case "SchemaRegistered":
    case "ModelRegistered":
    case "ThresholdChanged":
    case "ParameterChanged":
    case "ProposalCreated":
    case "ProposalApproved":
    case "ProposalExecuted":
    case "ProposalCancelled":
      return projectConsortiumEvent(ctx, event);
    default: {
      const unknown: { kind?: unknown; position?: unknown } = event;
      ctx.logger.warn("indexer: unknown event kind, skipped", { kind: String(unknown.kind) });
    }
  }
}
