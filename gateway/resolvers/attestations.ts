/** Attestation fields and the `attestation(uid)` query. */
import type { Hex } from "../../core/index.js";
import { ForbiddenError, NotFoundError, Role } from "../../core/index.js";
import type { Attestation, AttestationSource, Member } from "../../indexer/index.js";
import { checkPurpose, requireRole, subjectScope } from "../access.js";
import type { GatewayContext } from "../context.js";
import { GatewayErrorCode } from "../errors.js";
import type { ResolverDeps } from "./deps.js";
import { nowSeconds } from "./deps.js";

export type RecordStateName =
  "revoked" | "superseded" | "expired" | "stale" | "repaired" | "active";

export function isExpired(a: Attestation, now: bigint): boolean {
  return a.expiresAt !== 0n && a.expiresAt <= now;
}

/** A record's state at `now`: the first that applies of revoked, superseded, expired, stale, repaired. */
export function recordState(a: Attestation, now: bigint): RecordStateName {
  if (a.status === "revoked") return "revoked";
  if (a.status === "superseded") return "superseded";
  if (isExpired(a, now)) return "expired";
  if (a.stale !== null) return "stale";
  if (a.repaired) return "repaired";
  return "active";
}

export const enumValues = {
  AttestationStatus: { ACTIVE: "active", REVOKED: "revoked", SUPERSEDED: "superseded" },
  RecordState: {
    REVOKED: "revoked",
    SUPERSEDED: "superseded",
    EXPIRED: "expired",
    STALE: "stale",
    REPAIRED: "repaired",
    ACTIVE: "active",
  },
  SourceType: { SINGLE: "single", BATCH_LEAF: "batchLeaf", DERIVED: "derived" },
};

export function attestationResolvers(deps: ResolverDeps) {
  return {
    Attestation: {
      provider: (a: Attestation): Promise<Member | null> => deps.reads.getMember(a.provider),
      state: (a: Attestation): RecordStateName => recordState(a, nowSeconds(deps)),
      stale: (a: Attestation): boolean => a.stale !== null,
      expired: (a: Attestation): boolean => isExpired(a, nowSeconds(deps)),
      anchoring: (a: Attestation) => a.audit,
    },
    AttestationSource: {
      batchRoot: (s: AttestationSource): Hex | null => (s.type === "batchLeaf" ? s.root : null),
      leafIndex: (s: AttestationSource): number | null => (s.type === "batchLeaf" ? s.index : null),
      modelHash: (s: AttestationSource): Hex | null => (s.type === "derived" ? s.modelHash : null),
      inputs: (s: AttestationSource): Hex[] | null => (s.type === "derived" ? s.inputs : null),
    },
    Query: {
      async attestation(
        _root: unknown,
        args: { uid: string; purpose: string },
        context: GatewayContext,
      ): Promise<Attestation> {
        const principal = requireRole(
          context,
          Role.REGULATOR | Role.LENDER | Role.PROVIDER,
          "attestation",
        );
        const purpose = checkPurpose(args.purpose);
        const a = await deps.reads.getAttestation(args.uid);
        if (a === null) {
          throw new NotFoundError("no attestation with this uid", {
            code: GatewayErrorCode.ATTESTATION_NOT_FOUND,
            details: { uid: args.uid },
          });
        }
        const scope = await subjectScope(deps.reads, principal, a.subject, purpose);
        if (scope.kind === "own" && a.provider !== scope.provider) {
          throw new ForbiddenError("providers read only their own records", {
            code: GatewayErrorCode.FORBIDDEN,
          });
        }
        await deps.recordRead(principal, a.subject, purpose, "attestation");
        return a;
      },
    },
  };
}
