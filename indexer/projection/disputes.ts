/** Disputes (opened, answered, withdrawn) and credit repair (requested, decided). */
import type {
  DisputeAnsweredEvent,
  DisputeOpenedEvent,
  DisputeWithdrawnEvent,
  PositionedEvent,
  RepairDecidedEvent,
  RepairRequestedEvent,
} from "../../core/index.js";
import { DisputeOutcome } from "../../core/index.js";
import { keys } from "../keys.js";
import type { Attestation, Dispute, DisputeOutcomeName, Repair } from "../types.js";
import { getAttestation, putAttestation } from "./attestations.js";
import type { ProjectionContext } from "./context.js";
import { anomaly, auditOf, hex } from "./context.js";
import { propagateStale } from "./stale.js";

type At<E> = E & { position: PositionedEvent["position"] };

function outcomeName(outcome: number): DisputeOutcomeName {
  if (outcome === DisputeOutcome.Upheld) return "upheld";
  if (outcome === DisputeOutcome.Corrected) return "corrected";
  return "none";
}

export async function onDisputeOpened(
  ctx: ProjectionContext,
  event: At<DisputeOpenedEvent>,
): Promise<void> {
  const uid = hex(event.uid);
  const audit = auditOf(event);
  if (event.seq > 1) {
    // an overdue dispute left open: the new one replaces it
    const previousKey = keys.dispute(uid, event.seq - 1);
    const previous = await ctx.overlay.getJson<Dispute>(previousKey);
    if (previous?.status === "open") {
      ctx.overlay.del(keys.disputeByStatus("open", previous.deadline, uid, previous.seq));
      ctx.overlay.putJson(previousKey, { ...previous, status: "lapsed", closedAudit: audit });
      ctx.overlay.put(keys.disputeByStatus("lapsed", previous.deadline, uid, previous.seq), "");
    }
  }
  const dispute: Dispute = {
    uid,
    seq: event.seq,
    opener: hex(event.opener),
    reasonHash: hex(event.reasonHash),
    openedAt: event.openedAt,
    deadline: event.deadline,
    status: "open",
    outcome: "none",
    outcomeCode: DisputeOutcome.None,
    responseHash: null,
    answeredBy: null,
    audit,
    closedAudit: null,
  };
  ctx.overlay.putJson(keys.dispute(uid, event.seq), dispute);
  ctx.overlay.put(keys.disputeByStatus("open", dispute.deadline, uid, dispute.seq), "");
  const record = await getAttestation(ctx, uid);
  if (record === undefined) anomaly(ctx, event, `record ${uid} is unknown`);
  else putAttestation(ctx, { ...record, disputed: true, disputeSeq: event.seq }, record);
}

async function closeDispute(
  ctx: ProjectionContext,
  event: At<DisputeAnsweredEvent> | At<DisputeWithdrawnEvent>,
  update: Pick<Dispute, "status" | "outcome" | "outcomeCode" | "responseHash" | "answeredBy">,
): Promise<void> {
  const uid = hex(event.uid);
  const key = keys.dispute(uid, event.seq);
  const dispute = await ctx.overlay.getJson<Dispute>(key);
  if (dispute === undefined) {
    anomaly(ctx, event, `dispute ${uid} #${event.seq} is unknown`);
    return;
  }
  ctx.overlay.del(keys.disputeByStatus(dispute.status, dispute.deadline, uid, dispute.seq));
  ctx.overlay.putJson(key, { ...dispute, ...update, closedAudit: auditOf(event) });
  ctx.overlay.put(keys.disputeByStatus(update.status, dispute.deadline, uid, dispute.seq), "");
  const record = await getAttestation(ctx, uid);
  if (record === undefined) anomaly(ctx, event, `record ${uid} is unknown`);
  else putAttestation(ctx, { ...record, disputed: false }, record);
}

export function onDisputeAnswered(
  ctx: ProjectionContext,
  event: At<DisputeAnsweredEvent>,
): Promise<void> {
  return closeDispute(ctx, event, {
    status: "answered",
    outcome: outcomeName(event.outcome),
    outcomeCode: event.outcome,
    responseHash: hex(event.responseHash),
    answeredBy: hex(event.provider),
  });
}

export function onDisputeWithdrawn(
  ctx: ProjectionContext,
  event: At<DisputeWithdrawnEvent>,
): Promise<void> {
  return closeDispute(ctx, event, {
    status: "withdrawn",
    outcome: "none",
    outcomeCode: DisputeOutcome.None,
    responseHash: null,
    answeredBy: null,
  });
}

export async function onRepairRequested(
  ctx: ProjectionContext,
  event: At<RepairRequestedEvent>,
): Promise<void> {
  const uid = hex(event.uid);
  const record = await getAttestation(ctx, uid);
  if (record === undefined) {
    anomaly(ctx, event, `record ${uid} is unknown`);
    return;
  }
  const seq = record.repairSeq + 1;
  const audit = auditOf(event);
  const repair: Repair = {
    uid,
    seq,
    requester: hex(event.requester),
    evidenceHash: hex(event.evidenceHash),
    requestedAt: event.requestedAt,
    status: "requested",
    authority: null,
    decisionHash: null,
    audit,
    decidedAudit: null,
  };
  ctx.overlay.putJson(keys.repair(uid, seq), repair);
  ctx.overlay.put(keys.repairByStatus("requested", audit.block, audit.logIndex, uid, seq), "");
  putAttestation(ctx, { ...record, repairSeq: seq }, record);
}

/** The key of a record's latest repair request: the one a repair decision closes. */
export function latestRepairKey(record: Pick<Attestation, "uid" | "repairSeq">): string {
  return keys.repair(record.uid, record.repairSeq);
}

export async function onRepairDecided(
  ctx: ProjectionContext,
  event: At<RepairDecidedEvent>,
): Promise<void> {
  const uid = hex(event.uid);
  const record = await getAttestation(ctx, uid);
  if (record === undefined) {
    anomaly(ctx, event, `record ${uid} is unknown`);
    return;
  }
  const key = latestRepairKey(record);
  const repair = await ctx.overlay.getJson<Repair>(key);
  if (repair?.status !== "requested") {
    anomaly(ctx, event, `record ${uid} has no pending repair request`);
    return;
  }
  const audit = auditOf(event);
  const status = event.approved ? "approved" : "rejected";
  const at = repair.audit;
  ctx.overlay.del(keys.repairByStatus(repair.status, at.block, at.logIndex, uid, repair.seq));
  ctx.overlay.put(keys.repairByStatus(status, at.block, at.logIndex, uid, repair.seq), "");
  ctx.overlay.putJson(key, {
    ...repair,
    status,
    authority: hex(event.authority),
    decisionHash: hex(event.decisionHash),
    decidedAudit: audit,
  });
  if (event.approved) {
    putAttestation(ctx, { ...record, repaired: true }, record);
    await propagateStale(ctx, uid, "repaired", audit);
  }
}
