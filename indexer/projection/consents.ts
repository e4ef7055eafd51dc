/**
 * Consents (a lender's record that a subject consented to its reading the subject's data for a
 * purpose, until an expiry) and query-audit anchors. The gateway reads consents to decide whether a
 * lender may see a subject's data; regulators read audit anchors to check a node's query log.
 */
import type {
  AuditAnchoredEvent,
  ConsentRecordedEvent,
  ConsentRevokedEvent,
  PositionedEvent,
} from "../../core/index.js";
import { keys } from "../keys.js";
import type { AuditAnchor, Consent } from "../types.js";
import type { ProjectionContext } from "./context.js";
import { anomaly, auditOf, hex } from "./context.js";

type At<E> = E & { position: PositionedEvent["position"] };

export function onConsentRecorded(
  ctx: ProjectionContext,
  event: At<ConsentRecordedEvent>,
): Promise<void> {
  const consent: Consent = {
    consentId: hex(event.consentId),
    subject: hex(event.subject),
    lender: hex(event.lender),
    purposeHash: hex(event.purposeHash),
    expiresAt: event.expiresAt,
    evidenceHash: hex(event.evidenceHash),
    revoked: false,
    audit: auditOf(event),
    revokedAudit: null,
  };
  ctx.overlay.putJson(keys.consent(consent.consentId), consent);
  ctx.overlay.put(keys.consentBySubject(consent.subject, consent.lender, consent.consentId), "");
  return Promise.resolve();
}

export async function onConsentRevoked(
  ctx: ProjectionContext,
  event: At<ConsentRevokedEvent>,
): Promise<void> {
  const key = keys.consent(hex(event.consentId));
  const consent = await ctx.overlay.getJson<Consent>(key);
  if (consent === undefined) {
    anomaly(ctx, event, `unknown consent ${event.consentId}`);
    return;
  }
  ctx.overlay.putJson(key, { ...consent, revoked: true, revokedAudit: auditOf(event) });
}

export function onAuditAnchored(
  ctx: ProjectionContext,
  event: At<AuditAnchoredEvent>,
): Promise<void> {
  const audit = auditOf(event);
  const anchor: AuditAnchor = {
    root: hex(event.root),
    node: hex(event.node),
    count: event.count,
    fromTime: event.fromTime,
    toTime: event.toTime,
    signer: event.signer,
    audit,
  };
  ctx.overlay.putJson(keys.auditAnchor(anchor.root), anchor);
  ctx.overlay.put(keys.auditAnchorByPosition(audit.block, audit.logIndex, anchor.root), "");
  return Promise.resolve();
}
