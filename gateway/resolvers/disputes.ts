/** Disputes and repairs by status and deadline (regulators). */
import { Role } from "../../core/index.js";
import type {
  DisputeStatusName,
  DisputeView,
  Repair,
  RepairStatusName,
} from "../../indexer/index.js";
import { requireRole } from "../access.js";
import type { GatewayContext } from "../context.js";
import type { Connection, PageArgs } from "./common.js";
import { pageArgs, toConnection } from "./common.js";
import type { ResolverDeps } from "./deps.js";
import { nowSeconds } from "./deps.js";

export const disputeEnumValues = {
  DisputeStatus: { OPEN: "open", ANSWERED: "answered", WITHDRAWN: "withdrawn", LAPSED: "lapsed" },
  DisputeOutcome: { NONE: "none", UPHELD: "upheld", CORRECTED: "corrected" },
  RepairStatus: { REQUESTED: "requested", APPROVED: "approved", REJECTED: "rejected" },
};

export function disputeResolvers(deps: ResolverDeps) {
  return {
    Dispute: { anchoring: (d: DisputeView) => d.audit },
    Repair: {
      anchoring: (r: Repair) => r.audit,
      decidedAt: (r: Repair) => r.decidedAudit,
    },
    Query: {
      async disputes(
        _root: unknown,
        args: PageArgs & { status?: DisputeStatusName | null; overdue?: boolean | null },
        context: GatewayContext,
      ): Promise<Connection<DisputeView>> {
        requireRole(context, Role.REGULATOR, "disputes");
        return toConnection(
          await deps.reads.listDisputes({
            ...pageArgs(args),
            ...(args.status === null || args.status === undefined ? {} : { status: args.status }),
            ...(args.overdue === true ? { overdueAt: nowSeconds(deps) } : {}),
          }),
        );
      },
      async repairs(
        _root: unknown,
        args: PageArgs & { status?: RepairStatusName | null },
        context: GatewayContext,
      ): Promise<Connection<Repair>> {
        requireRole(context, Role.REGULATOR, "repairs");
        return toConnection(
          await deps.reads.listRepairs({
            ...pageArgs(args),
            ...(args.status === null || args.status === undefined ? {} : { status: args.status }),
          }),
        );
      },
    },
  };
}
