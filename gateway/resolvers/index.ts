/** Every resolver, merged by area. */
import { Role } from "../../core/index.js";
import { attestationResolvers, enumValues } from "./attestations.js";
import { auditResolvers } from "./audit.js";
import { BigIntScalar, anchoringResolvers } from "./common.js";
import type { ResolverDeps } from "./deps.js";
import { disputeEnumValues, disputeResolvers } from "./disputes.js";
import { lineageEnumValues, lineageResolvers } from "./lineage.js";
import { memberResolvers } from "./members.js";
import { metaResolvers } from "./meta.js";
import { mutationResolvers } from "./mutations.js";
import { relayResolvers } from "./relay.js";
import { scoreResolvers } from "./scores.js";
import { subjectResolvers } from "./subjects.js";

export type { GatewayWrites, ResolverDeps, ScoreReads } from "./deps.js";

export function createResolvers(deps: ResolverDeps) {
  const areas = [
    metaResolvers(deps),
    memberResolvers(deps),
    attestationResolvers(deps),
    subjectResolvers(deps),
    scoreResolvers(deps),
    disputeResolvers(deps),
    lineageResolvers(deps),
    auditResolvers(deps),
    mutationResolvers(deps),
    relayResolvers(deps),
  ];
  const merged: Record<string, Record<string, unknown>> = {};
  for (const area of areas) {
    for (const [type, fields] of Object.entries(area)) {
      merged[type] = { ...merged[type], ...(fields as Record<string, unknown>) };
    }
  }
  return {
    ...merged,
    ...enumValues,
    ...disputeEnumValues,
    ...lineageEnumValues,
    Role: Object.fromEntries(Object.keys(Role).map((name) => [name, name])),
    BigInt: BigIntScalar,
    Anchoring: anchoringResolvers,
  };
}
