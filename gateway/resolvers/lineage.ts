/** Lineage walks (regulators); each subject met is logged as read. */
import type { Hex } from "../../core/index.js";
import { Role } from "../../core/index.js";
import type { Lineage, LineageDirection, LineageNode, Member } from "../../indexer/index.js";
import { requireRole } from "../access.js";
import type { GatewayContext } from "../context.js";
import type { RecordStateName } from "./attestations.js";
import { recordState } from "./attestations.js";
import type { ResolverDeps } from "./deps.js";
import { nowSeconds } from "./deps.js";

/** The purpose logged for a regulator's lineage walk. */
export const SUPERVISION_PURPOSE = "supervision";

export const lineageEnumValues = {
  LineageDirection: { INPUTS: "inputs", DEPENDENTS: "dependents" },
  NodeState: {
    REVOKED: "revoked",
    SUPERSEDED: "superseded",
    EXPIRED: "expired",
    STALE: "stale",
    REPAIRED: "repaired",
    ACTIVE: "active",
    UNKNOWN: "unknown",
  },
};

export function lineageResolvers(deps: ResolverDeps) {
  return {
    LineageNode: {
      state: (n: LineageNode): RecordStateName | "unknown" =>
        n.attestation === null ? "unknown" : recordState(n.attestation, nowSeconds(deps)),
      provider: (n: LineageNode): Promise<Member | null> | null =>
        n.attestation === null ? null : deps.reads.getMember(n.attestation.provider),
    },
    Query: {
      async lineage(
        _root: unknown,
        args: { uid: string; direction: LineageDirection; depth?: number | null },
        context: GatewayContext,
      ): Promise<Lineage> {
        const principal = requireRole(context, Role.REGULATOR, "lineage");
        const lineage = await deps.reads.lineage(args.uid, {
          direction: args.direction,
          ...(args.depth === null || args.depth === undefined ? {} : { depth: args.depth }),
        });
        const subjects = new Set<Hex>();
        for (const node of lineage.nodes) {
          if (node.attestation !== null) subjects.add(node.attestation.subject);
        }
        for (const subject of subjects) {
          await deps.recordRead(principal, subject, SUPERVISION_PURPOSE, "lineage");
        }
        return lineage;
      },
    },
  };
}
