/**
 * Stale propagation: when a record is revoked, superseded or repaired (or its batch revoked), every
 * derived record that depends on it — directly or through other derived records — is marked stale
 * with the reason, the record that triggered it and the event.
 *
 * The mark does not depend on the order in which the indexer learns things (a batch file may be
 * uploaded before or after its batch is revoked, and a clean rebuild sees it at yet another time):
 * a record keeps the mark of the earliest event in chain order (block, then log index) that reached
 * it, and among the records one event changed (the leaves of a revoked batch), the smallest uid
 * that reaches it. A later event never overwrites an earlier mark; an earlier one found late (a
 * batch file uploaded after its revocation) replaces a later mark. The walk always continues
 * through records already stale, so records derived from them later are reached too.
 */
import type { Hex } from "../../core/index.js";
import { PREFIX, keys, lastPart, prefixOf } from "../keys.js";
import type { Attestation, Audit, StaleMark, StaleReason } from "../types.js";
import type { ProjectionContext } from "./context.js";

export function propagateStale(
  ctx: ProjectionContext,
  trigger: Hex,
  reason: StaleReason,
  audit: Audit,
): Promise<number> {
  return propagateStaleFrom(ctx, [trigger], reason, audit);
}

/** Chain order of two marks: earlier event first, then the smaller trigger uid. */
export function compareStaleMarks(
  a: Pick<StaleMark, "audit" | "trigger">,
  b: Pick<StaleMark, "audit" | "trigger">,
): number {
  if (a.audit.block !== b.audit.block) return a.audit.block < b.audit.block ? -1 : 1;
  if (a.audit.logIndex !== b.audit.logIndex) return a.audit.logIndex - b.audit.logIndex;
  return a.trigger < b.trigger ? -1 : a.trigger > b.trigger ? 1 : 0;
}

/**
 * As {@link propagateStale} from several records changed by one event (the leaves of a revoked
 * batch): each dependent is labelled with the smallest trigger that reaches it, at any depth.
 * Reads go level by level in batches. Returns how many records got a (new) mark.
 */
export async function propagateStaleFrom(
  ctx: ProjectionContext,
  triggers: readonly Hex[],
  reason: StaleReason,
  audit: Audit,
): Promise<number> {
  const isTrigger = new Set<Hex>(triggers);
  // node → smallest trigger reaching it; a node is walked again when its label gets smaller
  const label = new Map<Hex, Hex>();
  for (const uid of isTrigger) label.set(uid, uid);
  let level: Hex[] = [...isTrigger].sort();
  while (level.length > 0) {
    // most records have no dependents: one batched read says which ones to scan
    const flags = await ctx.overlay.getMany(level.map((uid) => keys.hasDependents(uid)));
    const next = new Set<Hex>();
    for (let i = 0; i < level.length; i++) {
      if (flags[i] === undefined) continue;
      const trigger = label.get(level[i]) as Hex;
      for (const key of await ctx.overlay.keysWithPrefix(prefixOf(PREFIX.dependents, level[i]))) {
        const dependent = lastPart(key) as Hex;
        if (isTrigger.has(dependent)) continue;
        const current = label.get(dependent);
        if (current !== undefined && current <= trigger) continue;
        label.set(dependent, trigger);
        next.add(dependent);
      }
    }
    level = [...next];
  }
  const dependents = [...label.keys()].filter((uid) => !isTrigger.has(uid));
  await ctx.overlay.prefetch(dependents.map((uid) => keys.attestation(uid)));
  let marked = 0;
  for (const dependent of dependents) {
    const attestation = await ctx.overlay.getJson<Attestation>(keys.attestation(dependent));
    if (attestation === undefined) continue;
    const stale: StaleMark = { reason, trigger: label.get(dependent) as Hex, audit };
    if (attestation.stale !== null && compareStaleMarks(attestation.stale, stale) <= 0) continue;
    ctx.overlay.putJson(keys.attestation(dependent), { ...attestation, stale });
    ctx.touchedSubjects.add(attestation.subject);
    marked++;
  }
  return marked;
}
