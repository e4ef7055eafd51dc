/** Members, keys, scopes, schemas, models, governed parameters and governance proposals. */
import type {
  ConsortiumEvent,
  GovernanceAction,
  Hex,
  PositionedEvent,
  ProposalCreatedEvent,
  RoleName,
} from "../../core/index.js";
import {
  ACTION_KIND_NAMES,
  ROLE_NAMES,
  Role,
  decodeAction,
  parameterName,
} from "../../core/index.js";
import { keys } from "../keys.js";
import type {
  Audit,
  KeyOwner,
  Member,
  MemberKey,
  Model,
  Parameter,
  Proposal,
  Schema,
  Threshold,
} from "../types.js";
import type { ProjectionContext } from "./context.js";
import { anomaly, auditOf, hex } from "./context.js";

type At<E> = E & { position: PositionedEvent["position"] };

/** The names of the role bits set in `roles` (unknown bits are ignored). */
export function roleNames(roles: number): RoleName[] {
  return ROLE_NAMES.filter((name) => (roles & Role[name]) !== 0);
}

async function updateMember(
  ctx: ProjectionContext,
  event: At<ConsortiumEvent>,
  id: Hex,
  change: (member: Member, audit: Audit) => Member,
): Promise<Member | undefined> {
  const member = await ctx.overlay.getJson<Member>(keys.member(id));
  if (member === undefined) {
    anomaly(ctx, event, `member ${id} is unknown`);
    return undefined;
  }
  const audit = auditOf(event);
  const next = { ...change(member, audit), updatedAudit: audit };
  ctx.overlay.putJson(keys.member(id), next);
  return next;
}

function putKeyOwner(ctx: ProjectionContext, owner: KeyOwner): void {
  ctx.overlay.putJson(keys.memberKey(owner.address), owner);
}

function newKey(address: string, audit: Audit): MemberKey {
  return { address, active: true, revokedBy: null, audit, revokedAudit: null };
}

function decodeProposal(event: ProposalCreatedEvent): {
  action: GovernanceAction | null;
  decodeError: string | null;
} {
  try {
    return { action: decodeAction(event.actionKind, event.payload), decodeError: null };
  } catch (error) {
    return { action: null, decodeError: error instanceof Error ? error.message : String(error) };
  }
}

async function updateProposal(
  ctx: ProjectionContext,
  event: At<ConsortiumEvent>,
  id: bigint,
  change: (p: Proposal) => Proposal,
): Promise<void> {
  const proposal = await ctx.overlay.getJson<Proposal>(keys.proposal(id));
  if (proposal === undefined) {
    anomaly(ctx, event, `proposal ${id} is unknown`);
    return;
  }
  ctx.overlay.putJson(keys.proposal(id), change(proposal));
}

/** Applies one Consortium event. */
export async function projectConsortiumEvent(
  ctx: ProjectionContext,
  event: At<ConsortiumEvent>,
): Promise<void> {
  const audit = auditOf(event);
  switch (event.kind) {
    case "MemberAdmitted": {
      const id = hex(event.member);
      const member: Member = {
        id,
        name: event.name,
        index: event.index,
        roles: event.roles,
        roleNames: roleNames(event.roles),
        suspended: false,
        keys: event.keys.map((address) => newKey(address, audit)),
        scopes: [],
        audit,
        updatedAudit: audit,
      };
      ctx.overlay.putJson(keys.member(id), member);
      ctx.overlay.put(keys.memberByIndex(event.index), id);
      for (const address of event.keys) putKeyOwner(ctx, { address, member: id, active: true });
      return;
    }
    case "MemberRolesChanged":
      await updateMember(ctx, event, hex(event.member), (m) => ({
        ...m,
        roles: event.roles,
        roleNames: roleNames(event.roles),
      }));
      return;
    case "MemberSuspended":
      await updateMember(ctx, event, hex(event.member), (m) => ({ ...m, suspended: true }));
      return;
    case "MemberReinstated":
      await updateMember(ctx, event, hex(event.member), (m) => ({ ...m, suspended: false }));
      return;
    case "KeyAdded": {
      const id = hex(event.member);
      const updated = await updateMember(ctx, event, id, (m, at) => ({
        ...m,
        keys: [
          ...m.keys.filter((k) => k.address.toLowerCase() !== event.key.toLowerCase()),
          newKey(event.key, at),
        ],
      }));
      if (updated !== undefined) putKeyOwner(ctx, { address: event.key, member: id, active: true });
      return;
    }
    case "KeyRevoked": {
      const id = hex(event.member);
      const updated = await updateMember(ctx, event, id, (m, at) => ({
        ...m,
        keys: m.keys.map((k) =>
          k.address.toLowerCase() === event.key.toLowerCase()
            ? { ...k, active: false, revokedBy: event.revokedBy, revokedAudit: at }
            : k,
        ),
      }));
      if (updated !== undefined)
        putKeyOwner(ctx, { address: event.key, member: id, active: false });
      return;
    }
    case "ScopeSet": {
      const category = hex(event.category);
      await updateMember(ctx, event, hex(event.member), (m, at) => {
        const others = m.scopes.filter((s) => s.category !== category);
        const scopes =
          event.expiresAt === 0n
            ? others
            : [...others, { category, categoryName: null, expiresAt: event.expiresAt, audit: at }];
        scopes.sort((a, b) => (a.category < b.category ? -1 : a.category > b.category ? 1 : 0));
        return { ...m, scopes };
      });
      return;
    }
    case "SchemaRegistered": {
      const schema: Schema = {
        schema: hex(event.schema),
        category: hex(event.category),
        categoryName: event.categoryName,
        index: event.index,
        definition: event.definition,
        registrant: hex(event.registrant),
        audit,
      };
      ctx.overlay.putJson(keys.schema(schema.schema), schema);
      ctx.overlay.put(keys.schemaByIndex(schema.index), schema.schema);
      ctx.overlay.putJson(keys.category(schema.category), {
        category: schema.category,
        name: schema.categoryName,
      });
      return;
    }
    case "ModelRegistered": {
      const model: Model = {
        modelHash: hex(event.modelHash),
        scorer: hex(event.scorer),
        uri: event.uri,
        audit,
      };
      ctx.overlay.putJson(keys.model(model.modelHash), model);
      ctx.overlay.put(keys.modelByPosition(audit.block, audit.logIndex, model.modelHash), "");
      return;
    }
    case "ThresholdChanged": {
      const threshold: Threshold = { threshold: event.threshold, audit };
      ctx.overlay.putJson(keys.threshold(), threshold);
      return;
    }
    case "ParameterChanged": {
      const key = hex(event.name);
      let name: Parameter["name"];
      try {
        name = parameterName(key);
      } catch {
        name = key;
      }
      const parameter: Parameter = { name, key, value: event.value, audit };
      ctx.overlay.putJson(keys.parameter(name), parameter);
      return;
    }
    case "ProposalCreated": {
      const proposal: Proposal = {
        id: event.proposalId,
        proposer: hex(event.proposer),
        actionKind: event.actionKind,
        actionName: ACTION_KIND_NAMES[event.actionKind] ?? `unknown(${event.actionKind})`,
        payload: hex(event.payload),
        ...decodeProposal(event),
        expiresAt: event.expiresAt,
        approvals: [],
        required: null,
        status: "open",
        audit,
        closedAudit: null,
      };
      ctx.overlay.putJson(keys.proposal(proposal.id), proposal);
      return;
    }
    case "ProposalApproved":
      await updateProposal(ctx, event, event.proposalId, (p) => ({
        ...p,
        approvals: [
          ...p.approvals,
          {
            member: hex(event.member),
            approvals: event.approvals,
            required: event.required,
            audit,
          },
        ],
        required: event.required,
      }));
      return;
    case "ProposalExecuted":
      await updateProposal(ctx, event, event.proposalId, (p) => ({
        ...p,
        status: "executed",
        closedAudit: audit,
      }));
      return;
    case "ProposalCancelled":
      await updateProposal(ctx, event, event.proposalId, (p) => ({
        ...p,
        status: "cancelled",
        closedAudit: audit,
      }));
      return;
  }
}
