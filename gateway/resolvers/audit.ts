/** The query audit log (regulators). */
import { Role } from "../../core/index.js";
import { requireRole } from "../access.js";
import type { GatewayContext } from "../context.js";
import type { QueryAuditAnchorRef, QueryAuditEntry } from "../types.js";
import type { Connection, PageArgs } from "./common.js";
import { pageArgs, toConnection } from "./common.js";
import type { ResolverDeps } from "./deps.js";

export function auditResolvers(deps: ResolverDeps) {
  return {
    Query: {
      async queryAudit(
        _root: unknown,
        args: PageArgs & { subject?: string | null; member?: string | null },
        context: GatewayContext,
      ): Promise<Connection<QueryAuditEntry & { anchor: QueryAuditAnchorRef | null }>> {
        requireRole(context, Role.REGULATOR, "queryAudit");
        const page = await deps.auditLog.list({
          ...pageArgs(args),
          ...(args.subject === null || args.subject === undefined
            ? {}
            : { subject: args.subject.toLowerCase() as `0x${string}` }),
          ...(args.member === null || args.member === undefined
            ? {}
            : { member: args.member.toLowerCase() as `0x${string}` }),
        });
        return toConnection(page);
      },
    },
  };
}
