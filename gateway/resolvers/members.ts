/** Members, their roles, keys and scopes (regulators and providers). */
import type { RoleName } from "../../core/index.js";
import { Role } from "../../core/index.js";
import type { Member, MemberKey } from "../../indexer/index.js";
import { requireRole } from "../access.js";
import type { GatewayContext } from "../context.js";
import type { Connection, PageArgs } from "./common.js";
import { pageArgs, toConnection } from "./common.js";
import type { ResolverDeps } from "./deps.js";

const READERS = Role.REGULATOR | Role.PROVIDER;

export function memberResolvers(deps: ResolverDeps) {
  return {
    Member: {
      roles: (m: Member): RoleName[] => m.roleNames,
      admittedAt: (m: Member) => m.audit,
    },
    MemberKey: {
      addedAt: (k: MemberKey) => k.audit,
      revokedAt: (k: MemberKey) => k.revokedAudit,
    },
    Query: {
      async members(
        _root: unknown,
        args: PageArgs & { role?: RoleName | null },
        context: GatewayContext,
      ): Promise<Connection<Member>> {
        requireRole(context, READERS, "members");
        return toConnection(
          await deps.reads.listMembers({
            ...pageArgs(args),
            ...(args.role === null || args.role === undefined ? {} : { role: args.role }),
          }),
        );
      },
      member(
        _root: unknown,
        args: { id: string },
        context: GatewayContext,
      ): Promise<Member | null> {
        requireRole(context, READERS, "member");
        return deps.reads.getMember(args.id);
      },
    },
  };
}
