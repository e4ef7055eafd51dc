/**
 * Scores: `Subject.score`, `Subject.scoreHistory` and the `scoreChanged` subscription, read from
 * the node's scoring service. Access is the subject's (lenders with a consent in force for the
 * purpose, regulators); a score is derived from every provider's records, so a provider's
 * own-records view does not include it (FORBIDDEN). Each subscription delivery is written to the
 * query audit log, and the consent is checked again before each.
 */
import { Repeater } from "graphql-yoga";

import type { Hex } from "../../core/index.js";
import { ForbiddenError, ValidationError, toBytes32 } from "../../core/index.js";
import type { BatchLeafProof, StoredScore } from "../../indexer/index.js";
import { checkPurpose, requirePrincipal, subjectScope } from "../access.js";
import type { GatewayContext } from "../context.js";
import { GatewayErrorCode } from "../errors.js";
import type { Principal } from "../types.js";
import type { Connection, PageArgs } from "./common.js";
import { pageArgs, toConnection } from "./common.js";
import type { ResolverDeps } from "./deps.js";
import type { SubjectView } from "./subjects.js";

function scoresForbidden(): ForbiddenError {
  return new ForbiddenError(
    "scores are derived from every provider's records: open to lenders with consent and regulators",
    { code: GatewayErrorCode.FORBIDDEN },
  );
}

export function scoreResolvers(deps: ResolverDeps) {
  const { scores } = deps;

  function requireScoring() {
    if (scores === undefined)
      throw new ValidationError("SCORING_DISABLED", "this node runs no scoring service");
    return scores;
  }

  /** The caller may read the subject's score for `purpose` (FORBIDDEN / CONSENT_* otherwise). */
  async function checkAccess(principal: Principal, subject: Hex, purpose: string): Promise<void> {
    const scope = await subjectScope(deps.reads, principal, subject, purpose);
    if (scope.kind !== "all") throw scoresForbidden();
  }

  return {
    Subject: {
      async score(view: SubjectView): Promise<StoredScore | null> {
        if (view.scope.kind !== "all") throw scoresForbidden();
        return (await scores?.getScore(view.id)) ?? null;
      },
      async scoreHistory(view: SubjectView, args: PageArgs): Promise<Connection<StoredScore>> {
        if (view.scope.kind !== "all") throw scoresForbidden();
        if (scores === undefined) return toConnection({ items: [], nextCursor: null });
        return toConnection(await scores.listHistory(view.id, pageArgs(args)));
      },
    },

    Score: {
      model: (s: StoredScore): string => s.modelHash,
      reasons: (s: StoredScore): string[] => s.reasons.map((r) => r.code),
      reasonDetails: (s: StoredScore) => s.reasons,
      verified: (s: StoredScore): boolean => s.proof !== null,
      provisionalSince: (s: StoredScore): string | null =>
        s.proof === null ? new Date(s.changedAt).toISOString() : null,
      provisionalReason: (s: StoredScore): string | null =>
        scores === undefined ? null : scores.provisionalReason(s),
    },

    ScoreProof: {
      async leafInputs(proof: { inputs: readonly string[] }): Promise<BatchLeafProof[]> {
        const proofs = await Promise.all(proof.inputs.map((uid) => deps.reads.batchLeafProof(uid)));
        return proofs.filter((p): p is BatchLeafProof => p !== null);
      },
    },

    Subscription: {
      scoreChanged: {
        async subscribe(
          _root: unknown,
          args: { subjectId: string; purpose: string },
          context: GatewayContext,
        ): Promise<AsyncIterable<StoredScore>> {
          const service = requireScoring();
          const principal = requirePrincipal(context);
          const purpose = checkPurpose(args.purpose);
          const subject = toBytes32(args.subjectId, "subjectId");
          await checkAccess(principal, subject, purpose);
          await deps.recordRead(principal, subject, purpose, "scoreChanged{subscribe}");
          return new Repeater<StoredScore>(async (push, stop) => {
            const unwatch = service.watch(subject, (change) => {
              push(change.score).catch(() => undefined);
            });
            await stop;
            unwatch();
          });
        },
        async resolve(
          score: StoredScore,
          args: { subjectId: string; purpose: string },
          context: GatewayContext,
        ): Promise<StoredScore> {
          const principal = requirePrincipal(context);
          await checkAccess(principal, score.subject, args.purpose);
          await deps.recordRead(principal, score.subject, args.purpose, "scoreChanged");
          return score;
        },
      },
    },
  };
}
