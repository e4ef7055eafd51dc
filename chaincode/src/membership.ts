/**
 * The consortium's state and the authorisation every transaction asks of it (Consortium.sol's
 * storage and its `authorize`, `authorizeProvider`, `isAccredited`, `hasActiveRole`, `parameter`).
 * Members are stored by id; keys (addresses, see identity.ts) point to members.
 */
import type { Hex } from "../../core/index.js";
import { namesToRoles, PARAMETER_KEYS, Role } from "../../core/index.js";
import type { ParameterName } from "../../core/index.js";

import { fail } from "./errors.js";
import { MEMBER_ATTRIBUTE, ROLES_ATTRIBUTE } from "./identity.js";
import type { Tx } from "./tx.js";

export interface MemberState {
  id: Hex;
  index: number;
  name: string;
  roles: number;
  suspended: boolean;
  /** unix seconds */
  admittedAt: string;
  keyCount: number;
}

export interface KeyState {
  member: Hex;
  active: boolean;
}

/** Counters and settings of the consortium (one key: membership changes are rare). */
export interface ConsortiumConfig {
  memberCount: number;
  activeMembers: number;
  schemaCount: number;
  threshold: number;
  proposalCount: string;
  /** The name the chaincode is deployed under; part of the EIP-712 domain (domain.ts). */
  chaincodeName: string;
}

export interface SchemaState {
  schema: Hex;
  index: number;
  category: Hex;
  categoryName: string;
  definition: string;
  registrant: Hex;
}

export interface ModelState {
  modelHash: Hex;
  scorer: Hex;
  uri: string;
}

/** The member a transaction acts for, with the roles its identity may use. */
export interface Actor {
  member: MemberState;
  /** The key that acts: the caller's identity address, or a signer's address (attestBySig). */
  key: string;
  /** The member's roles, narrowed by the identity's certificate attributes. */
  roles: number;
}

export const Keys = {
  config: (tx: Tx) => tx.key("config", []),
  member: (tx: Tx, id: string) => tx.key("member", [id]),
  memberIndex: (tx: Tx, index: number) =>
    tx.key("memberIndex", [index.toString().padStart(10, "0")]),
  key: (tx: Tx, address: string) => tx.key("key", [address]),
  scope: (tx: Tx, member: string, category: string) => tx.key("scope", [member, category]),
  schema: (tx: Tx, schema: string) => tx.key("schema", [schema]),
  model: (tx: Tx, modelHash: string) => tx.key("model", [modelHash]),
  parameter: (tx: Tx, name: string) => tx.key("parameter", [name]),
};

export async function loadConfig(tx: Tx): Promise<ConsortiumConfig> {
  const config = await tx.get<ConsortiumConfig>(Keys.config(tx));
  if (config === undefined) fail("ConsortiumNotInitialized");
  return config;
}

export async function saveConfig(tx: Tx, config: ConsortiumConfig): Promise<void> {
  await tx.put(Keys.config(tx), config);
}

export async function findMember(tx: Tx, id: string): Promise<MemberState | undefined> {
  return tx.get<MemberState>(Keys.member(tx, id));
}

/** The member `id`; ConsortiumUnknownMember otherwise. */
export async function existingMember(tx: Tx, id: Hex): Promise<MemberState> {
  const member = await findMember(tx, id);
  if (member === undefined) fail("ConsortiumUnknownMember", { member: id });
  return member;
}

export async function findKey(tx: Tx, address: string): Promise<KeyState | undefined> {
  return tx.get<KeyState>(Keys.key(tx, address));
}

/** The active member of an active key (Consortium._activeMemberOf). */
export async function activeMemberOf(tx: Tx, address: string): Promise<MemberState> {
  const key = await findKey(tx, address);
  if (key === undefined) fail("ConsortiumUnknownKey", { key: address });
  if (!key.active) fail("ConsortiumKeyRevoked", { key: address });
  const member = await existingMember(tx, key.member);
  if (member.suspended) fail("ConsortiumMemberSuspended", { member: member.id });
  return member;
}

/**
 * The member the caller's identity acts for: its key must be an active key of an active member, and
 * its certificate attributes (identity.ts) must agree with that member; they may narrow its roles.
 */
export async function callerActor(tx: Tx): Promise<Actor> {
  const { address, identity } = tx.caller;
  const member = await activeMemberOf(tx, address);
  const claimed = identity.getAttributeValue(MEMBER_ATTRIBUTE);
  if (claimed !== null && claimed !== member.name && claimed.toLowerCase() !== member.id) {
    fail("ConsortiumIdentityMismatch", { key: address, member: member.id, claimed });
  }
  let roles = member.roles;
  const allowed = identity.getAttributeValue(ROLES_ATTRIBUTE);
  if (allowed !== null) {
    let bits: number;
    try {
      bits = namesToRoles(allowed.split(",").filter((name) => name.trim() !== ""));
    } catch {
      fail("ConsortiumIdentityMismatch", { key: address, member: member.id, claimed: allowed });
    }
    roles &= bits;
  }
  return { member, key: address, roles };
}

/** The caller's member, which must hold every bit of `role` (0: any active member). */
export async function authorize(tx: Tx, role: number): Promise<Actor> {
  const actor = await callerActor(tx);
  if ((actor.roles & role) !== role)
    fail("ConsortiumMissingRole", { member: actor.member.id, role });
  return actor;
}

export async function findSchema(tx: Tx, schema: string): Promise<SchemaState | undefined> {
  return tx.get<SchemaState>(Keys.schema(tx, schema));
}

export async function scopeOf(tx: Tx, member: string, category: string): Promise<bigint> {
  const value = await tx.get<string>(Keys.scope(tx, member, category));
  return value === undefined ? 0n : BigInt(value);
}

/**
 * Consortium.authorizeProvider: `actor` must be a PROVIDER accredited (unexpired) for the category
 * of `schema`. Returns the schema.
 */
export async function authorizeProvider(tx: Tx, actor: Actor, schema: Hex): Promise<SchemaState> {
  if ((actor.roles & Role.PROVIDER) !== Role.PROVIDER) {
    fail("ConsortiumMissingRole", { member: actor.member.id, role: Role.PROVIDER });
  }
  const info = await findSchema(tx, schema);
  if (info === undefined) fail("ConsortiumUnknownSchema", { schema });
  const expiresAt = await scopeOf(tx, actor.member.id, info.category);
  if (expiresAt === 0n) {
    fail("ConsortiumNotAccredited", { member: actor.member.id, category: info.category });
  }
  if (expiresAt <= tx.now) {
    fail("ConsortiumAccreditationExpired", {
      member: actor.member.id,
      category: info.category,
      expiredAt: expiresAt,
    });
  }
  return info;
}

/** An actor for a key that signed (attestBySig): the key's member with all its roles. */
export async function keyActor(tx: Tx, address: string): Promise<Actor> {
  const member = await activeMemberOf(tx, address);
  return { member, key: address, roles: member.roles };
}

/** Consortium.isAccredited: an active PROVIDER with an unexpired scope for the schema's category. */
export async function isAccredited(tx: Tx, member: Hex, schema: Hex): Promise<boolean> {
  const m = await findMember(tx, member);
  if (m === undefined || m.suspended || (m.roles & Role.PROVIDER) === 0) return false;
  const info = await findSchema(tx, schema);
  if (info === undefined) return false;
  return (await scopeOf(tx, member, info.category)) > tx.now;
}

/** Consortium.hasActiveRole. */
export async function hasActiveRole(tx: Tx, member: Hex, role: number): Promise<boolean> {
  const m = await findMember(tx, member);
  return m !== undefined && !m.suspended && (m.roles & role) === role;
}

/** The scorer that registered a model, or undefined. */
export async function modelScorer(tx: Tx, modelHash: string): Promise<Hex | undefined> {
  return (await tx.get<ModelState>(Keys.model(tx, modelHash)))?.scorer;
}

/** A governed parameter's value in seconds. */
export async function parameter(tx: Tx, name: ParameterName): Promise<bigint> {
  const value = await tx.get<string>(Keys.parameter(tx, PARAMETER_KEYS[name]));
  return value === undefined ? 0n : BigInt(value);
}

/** Consortium.requiredApprovals: min(threshold, active members). */
export function requiredApprovals(config: ConsortiumConfig): number {
  return Math.min(config.threshold, config.activeMembers);
}
