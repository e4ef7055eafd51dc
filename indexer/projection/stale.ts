/**
 * Stale propagation: when a record is revoked, superseded or repaired (or its batch revoked), every
 * derived record that depends on it — directly or through other derived records — is marked stale
 * with the reason and the record that triggered it. A record already stale keeps its first mark;
 * the walk still continues through it, so records derived from it later are reached too.
 */
import type { Hex } from "../../core/index.js";
import { PREFIX, keys, lastPart, prefixOf } from "../keys.js";
import type { Attestation, Audit, StaleReason } from "../types.js";
import type { ProjectionContext } from "./context.js";

export function propagateStale(
  ctx: ProjectionContext,
  trigger: Hex,
  reason: StaleReason,
  audit: Audit,
): Promise<number> {
  return propagateStaleFrom(ctx, [trigger], reason, audit);
}

/**
 * As {@link propagateStale} from several records at once (the leaves of a revoked batch); each
 * dependent is marked with the trigger that reached it first. Reads go level by level in batches.
 */
export async function propagateStaleFrom(
  ctx: ProjectionContext,
  triggers: readonly Hex[],
  reason: StaleReason,
  audit: Audit,
): Promise<number> {
  const triggerOf = new Map<Hex, Hex>(triggers.map((uid) => [uid, uid]));
  let level: Hex[] = [...triggerOf.keys()];
  let marked = 0;
  while (level.length > 0) {
    // most records have no dependents: one batched read says which ones to scan
    const flags = await ctx.overlay.getMany(level.map((uid) => keys.hasDependents(uid)));
    const next: Hex[] = [];
    for (let i = 0; i < level.length; i++) {
      if (flags[i] === undefined) continue;
      const trigger = triggerOf.get(level[i]) as Hex;
      for (const key of await ctx.overlay.keysWithPrefix(prefixOf(PREFIX.dependents, level[i]))) {
        const dependent = lastPart(key) as Hex;
        if (triggerOf.has(dependent)) continue;
        triggerOf.set(dependent, trigger);
        next.push(dependent);
      }
    }
    await ctx.overlay.prefetch(next.map((uid) => keys.attestation(uid)));
    for (const dependent of next) {
      const attestation = await ctx.overlay.getJson<Attestation>(keys.attestation(dependent));
      if (attestation === undefined || attestation.stale !== null) continue;
      const stale = { reason, trigger: triggerOf.get(dependent) as Hex, audit };
      ctx.overlay.putJson(keys.attestation(dependent), { ...attestation, stale });
      ctx.touchedSubjects.add(attestation.subject);
      marked++;
    }
    level = next;
  }
  return marked;
}
