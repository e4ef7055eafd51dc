/** `subject(uscc | subjectId)`: a subject's records, disputes, repairs and consents. */
import type { GraphQLResolveInfo } from "graphql";
import { Kind } from "graphql";

import type { Hex } from "../../core/index.js";
import {
  ForbiddenError,
  Role,
  ValidationError,
  categoryId,
  subjectId,
  toBytes32,
} from "../../core/index.js";
import type {
  Attestation,
  AttestationStatus,
  Consent,
  DisputeStatusName,
  DisputeView,
  Page,
  Repair,
  RepairStatusName,
} from "../../indexer/index.js";
import type { SubjectScope } from "../access.js";
import { checkPurpose, requirePrincipal, requireRole, subjectScope } from "../access.js";
import type { GatewayContext } from "../context.js";
import { GatewayErrorCode } from "../errors.js";
import type { Connection, PageArgs } from "./common.js";
import { pageArgs, toConnection } from "./common.js";
import type { ResolverDeps } from "./deps.js";
import { nowSeconds } from "./deps.js";

export interface SubjectView {
  id: Hex;
  scope: SubjectScope;
  purpose: string;
}

interface SubjectArgs {
  uscc?: string | null;
  subjectId?: string | null;
  purpose: string;
}

interface AttestationFilterArgs {
  category?: string | null;
  schema?: string | null;
  status?: AttestationStatus | null;
}

/** Records scanned for a subject's disputes and repairs (the indexer has no per-subject index). */
export const SUBJECT_SCAN_LIMIT = 1000;
/** Records a provider's own-records view walks past (other providers' records) per page. */
export const OWN_SCAN_LIMIT = 5000;

const BYTES32 = /^0x[0-9a-fA-F]{64}$/;

function selectedFields(info: GraphQLResolveInfo): string {
  const names = new Set<string>();
  for (const node of info.fieldNodes) {
    for (const s of node.selectionSet?.selections ?? []) {
      if (s.kind === Kind.FIELD) names.add(s.name.value);
    }
  }
  return `subject{${[...names].sort().join(",")}}`;
}

export function subjectResolvers(deps: ResolverDeps) {
  const { reads } = deps;

  function resolveSubjectId(args: SubjectArgs): Hex {
    const hasUscc = args.uscc !== undefined && args.uscc !== null;
    const hasId = args.subjectId !== undefined && args.subjectId !== null;
    if (hasUscc === hasId) {
      throw new ValidationError(
        GatewayErrorCode.SUBJECT_ARGUMENT_INVALID,
        "give exactly one of uscc and subjectId",
      );
    }
    if (hasId) return toBytes32(args.subjectId, "subjectId");
    if (deps.consortiumKey === undefined) {
      throw new ForbiddenError(
        "this gateway has no consortium key: look subjects up by subjectId",
        {
          code: GatewayErrorCode.SUBJECT_KEY_UNAVAILABLE,
        },
      );
    }
    return subjectId(deps.consortiumKey, args.uscc as string);
  }

  /** Every record of the subject in scope, up to SUBJECT_SCAN_LIMIT, newest first. */
  async function scanRecords(view: SubjectView): Promise<Attestation[]> {
    const out: Attestation[] = [];
    let after: string | undefined;
    while (out.length < SUBJECT_SCAN_LIMIT) {
      const page = await reads.listAttestationsBySubject(view.id, { first: 500, after });
      for (const a of page.items) {
        if (view.scope.kind === "all" || a.provider === view.scope.provider) out.push(a);
      }
      if (page.nextCursor === null) break;
      after = page.nextCursor;
    }
    return out;
  }

  /** A provider's own records of the subject: one record per read, so the cursor stays exact. */
  async function ownPage(
    view: SubjectView,
    provider: Hex,
    filter: Parameters<typeof reads.listAttestationsBySubject>[1],
    first: number,
    after: string | undefined,
  ): Promise<Page<Attestation>> {
    const items: Attestation[] = [];
    let cursor = after;
    let scanned = 0;
    while (items.length < first && scanned < OWN_SCAN_LIMIT) {
      const page = await reads.listAttestationsBySubject(view.id, {
        ...filter,
        first: 1,
        after: cursor,
      });
      if (page.items.length === 0) return { items, nextCursor: null };
      scanned++;
      if (page.items[0].provider === provider) items.push(page.items[0]);
      if (page.nextCursor === null) return { items, nextCursor: null };
      cursor = page.nextCursor;
    }
    return { items, nextCursor: cursor ?? null };
  }

  return {
    Subject: {
      async attestations(
        view: SubjectView,
        args: PageArgs & { filter?: AttestationFilterArgs | null },
      ): Promise<Connection<Attestation>> {
        const f = args.filter ?? {};
        const filter = {
          ...(f.status === null || f.status === undefined ? {} : { status: f.status }),
          ...(f.schema === null || f.schema === undefined ? {} : { schema: f.schema }),
          ...(f.category === null || f.category === undefined
            ? {}
            : { category: BYTES32.test(f.category) ? f.category : categoryId(f.category) }),
        };
        const page = pageArgs(args);
        if (view.scope.kind === "all") {
          return toConnection(
            await reads.listAttestationsBySubject(view.id, { ...filter, ...page }),
          );
        }
        const first = page.first ?? 50;
        if (!Number.isInteger(first) || first < 1 || first > 1000) {
          throw new ValidationError("ARGUMENT_INVALID", "first must be an integer from 1 to 1000");
        }
        return toConnection(await ownPage(view, view.scope.provider, filter, first, page.after));
      },

      async disputes(
        view: SubjectView,
        args: { status?: DisputeStatusName | null },
      ): Promise<DisputeView[]> {
        const out: DisputeView[] = [];
        for (const a of await scanRecords(view)) {
          if (a.disputeSeq === 0) continue;
          const page = await reads.listDisputes({
            uid: a.uid,
            first: 1000,
            ...(args.status === null || args.status === undefined ? {} : { status: args.status }),
          });
          out.push(...page.items.reverse());
        }
        return out;
      },

      async repairs(
        view: SubjectView,
        args: { status?: RepairStatusName | null },
      ): Promise<Repair[]> {
        const out: Repair[] = [];
        for (const a of await scanRecords(view)) {
          if (a.repairSeq === 0) continue;
          const page = await reads.listRepairs({
            uid: a.uid,
            first: 1000,
            ...(args.status === null || args.status === undefined ? {} : { status: args.status }),
          });
          out.push(...page.items.reverse());
        }
        return out;
      },

      async consents(
        view: SubjectView,
        args: PageArgs,
        context: GatewayContext,
      ): Promise<Connection<Consent>> {
        requireRole(context, Role.REGULATOR, "Subject.consents");
        return toConnection(await reads.listConsentsBySubject(view.id, pageArgs(args)));
      },
    },

    Consent: {
      inForce: (c: Consent): boolean => !c.revoked && c.expiresAt > nowSeconds(deps),
      anchoring: (c: Consent) => c.audit,
    },

    Query: {
      async subject(
        _root: unknown,
        args: SubjectArgs,
        context: GatewayContext,
        info: GraphQLResolveInfo,
      ): Promise<SubjectView> {
        const principal = requirePrincipal(context);
        const purpose = checkPurpose(args.purpose);
        const id = resolveSubjectId(args);
        const scope = await subjectScope(reads, principal, id, purpose);
        await deps.recordRead(principal, id, purpose, selectedFields(info));
        return { id, scope, purpose };
      },
    },
  };
}
