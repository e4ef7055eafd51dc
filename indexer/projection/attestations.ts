/** Reading and writing attestation records with their secondary indexes (subject, category, provider). */
import type { Hex } from "../../core/index.js";
import { keys } from "../keys.js";
import type { Attestation } from "../types.js";
import type { ProjectionContext } from "./context.js";

export function getAttestation(ctx: ProjectionContext, uid: Hex): Promise<Attestation | undefined> {
  return ctx.overlay.getJson<Attestation>(keys.attestation(uid));
}

/**
 * Writes an attestation. A new one (no `previous`) also gets its index entries: by subject, by
 * subject and category, by provider — all newest first by observedAt.
 */
export function putAttestation(
  ctx: ProjectionContext,
  attestation: Attestation,
  previous: Attestation | undefined,
): void {
  const { overlay } = ctx;
  overlay.putJson(keys.attestation(attestation.uid), attestation);
  ctx.touchedSubjects.add(attestation.subject);
  if (previous !== undefined && sameIndexes(previous, attestation)) return;
  if (previous !== undefined) deleteIndexes(ctx, previous);
  const { uid, subject, observedAt, provider, category } = attestation;
  const [bySubject, bySubjectCategory, byProvider] = keys.attestationIndexes(
    subject,
    category,
    provider,
    observedAt,
    uid,
  );
  overlay.put(bySubject, "");
  if (bySubjectCategory !== undefined) overlay.put(bySubjectCategory, "");
  overlay.put(byProvider, "");
}

function sameIndexes(a: Attestation, b: Attestation): boolean {
  return (
    a.subject === b.subject &&
    a.observedAt === b.observedAt &&
    a.provider === b.provider &&
    a.category === b.category
  );
}

function deleteIndexes(ctx: ProjectionContext, a: Attestation): void {
  const [bySubject, bySubjectCategory, byProvider] = keys.attestationIndexes(
    a.subject,
    a.category,
    a.provider,
    a.observedAt,
    a.uid,
  );
  ctx.overlay.del(bySubject);
  if (bySubjectCategory !== undefined) ctx.overlay.del(bySubjectCategory);
  ctx.overlay.del(byProvider);
}
