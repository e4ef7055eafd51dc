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
  overlay.put(keys.bySubject(subject, observedAt, uid), "");
  if (category !== null)
    overlay.put(keys.bySubjectCategory(subject, category, observedAt, uid), "");
  overlay.put(keys.byProvider(provider, observedAt, uid), "");
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
  ctx.overlay.del(keys.bySubject(a.subject, a.observedAt, a.uid));
  if (a.category !== null)
    ctx.overlay.del(keys.bySubjectCategory(a.subject, a.category, a.observedAt, a.uid));
  ctx.overlay.del(keys.byProvider(a.provider, a.observedAt, a.uid));
}
