/**
 * Membership changes and M-of-N proposals, rule for rule as Consortium.sol: each change has a check
 * (run when proposed and again when executed) and a state change that emits its event.
 */
import type { ActionValues, Hex } from "../../core/index.js";
import {
  ACTION_KIND_NAMES,
  ALL_ROLES,
  checkParameterValue,
  CredtrailError,
  decodeActionValues,
  PARAMETER_KEYS,
  parameterName,
  ProposalStatus,
  Role,
  ZERO_BYTES32,
} from "../../core/index.js";
import type { ParameterName } from "../../core/index.js";
import { ZeroAddress } from "ethers";

import { fail } from "./errors.js";
import type { ConsortiumConfig, MemberState } from "./membership.js";
import {
  existingMember,
  findKey,
  findMember,
  Keys,
  loadConfig,
  parameter,
  requiredApprovals,
  saveConfig,
} from "./membership.js";
import type { Tx } from "./tx.js";

export interface ProposalState {
  id: string;
  proposer: Hex;
  approvals: number;
  createdAt: string;
  expiresAt: string;
  status: number;
  kind: number;
  payload: Hex;
}

export const ProposalKeys = {
  proposal: (tx: Tx, id: bigint) => tx.key("proposal", [id.toString().padStart(20, "0")]),
  approval: (tx: Tx, id: bigint, member: string) =>
    tx.key("approval", [id.toString().padStart(20, "0"), member]),
};

// ------------------------------------------------------------------------------------------------
// Checks
// ------------------------------------------------------------------------------------------------

function checkRoles(roles: number): void {
  if (roles === 0 || (roles & ~ALL_ROLES) !== 0) fail("ConsortiumInvalidRoles", { roles });
}

async function checkNewKey(tx: Tx, key: string): Promise<void> {
  if (key === ZeroAddress) fail("ConsortiumInvalidKey", { key });
  if ((await findKey(tx, key)) !== undefined) fail("ConsortiumKeyInUse", { key });
}

export async function checkAdmission(
  tx: Tx,
  id: Hex,
  name: string,
  roles: number,
  keys: readonly string[],
): Promise<void> {
  if (id === ZERO_BYTES32 || name.length === 0 || keys.length === 0) {
    fail("ConsortiumInvalidMember", { member: id });
  }
  if ((await findMember(tx, id)) !== undefined) fail("ConsortiumMemberExists", { member: id });
  checkRoles(roles);
  for (let i = 0; i < keys.length; i++) {
    await checkNewKey(tx, keys[i]);
    if (keys.indexOf(keys[i]) !== i) fail("ConsortiumKeyInUse", { key: keys[i] });
  }
}

async function checkScope(tx: Tx, id: Hex, category: Hex, expiresAt: bigint): Promise<MemberState> {
  const member = await existingMember(tx, id);
  if (category === ZERO_BYTES32 || (expiresAt !== 0n && (member.roles & Role.PROVIDER) === 0)) {
    fail("ConsortiumInvalidScope", { member: id, category, expiresAt });
  }
  return member;
}

async function checkKeyRevocation(tx: Tx, id: Hex, key: string): Promise<MemberState> {
  const member = await existingMember(tx, id);
  const info = await findKey(tx, key);
  if (info?.member !== id) fail("ConsortiumUnknownKey", { key });
  if (!info.active) fail("ConsortiumKeyRevoked", { key });
  if (member.keyCount === 1) fail("ConsortiumLastKey", { member: id });
  return member;
}

/** Governance must keep one active member at least, or nobody could ever vote again. */
async function checkSuspension(tx: Tx, config: ConsortiumConfig, id: Hex): Promise<MemberState> {
  const member = await existingMember(tx, id);
  if (member.suspended) fail("ConsortiumMemberSuspended", { member: id });
  if (config.activeMembers === 1) fail("ConsortiumLastActiveMember", { member: id });
  return member;
}

function checkThreshold(config: ConsortiumConfig, threshold: number): void {
  if (threshold === 0 || threshold > config.activeMembers) {
    fail("ConsortiumInvalidThreshold", { threshold, members: config.activeMembers });
  }
}

/** core's checkParameterValue, failing with Consortium's error. */
function checkParameter(name: ParameterName, value: bigint): void {
  try {
    checkParameterValue(name, value);
  } catch (error) {
    if (!(error instanceof CredtrailError)) throw error;
    fail("ConsortiumInvalidParameter", { name: PARAMETER_KEYS[name], value });
  }
}

/** The parameter a SetParameter payload names, or ConsortiumUnknownParameter. */
function knownParameter(key: Hex): ParameterName {
  try {
    return parameterName(key);
  } catch (error) {
    if (!(error instanceof CredtrailError)) throw error;
    return fail("ConsortiumUnknownParameter", { name: key });
  }
}

/**
 * Decodes a proposal's payload as Consortium's abi.decode does (canonical ABI encoding only), or
 * ConsortiumInvalidAction (where the contract reverts without a reason). The action rules are
 * validateAction's, so that a bad action fails with the contract's error.
 */
export function decodeProposal(kind: number, payload: Hex): ActionValues {
  if (!Number.isInteger(kind) || kind < 0 || kind >= ACTION_KIND_NAMES.length) {
    fail("ConsortiumInvalidAction", { kind });
  }
  try {
    return decodeActionValues(kind, payload);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return fail("ConsortiumInvalidAction", { kind, reason });
  }
}

/** Consortium._validate: the action is acceptable now (checked again at execution). */
export async function validateAction(tx: Tx, action: ActionValues): Promise<void> {
  const config = await loadConfig(tx);
  switch (action.kind) {
    case "Admit":
      return checkAdmission(tx, action.member as Hex, action.name, action.roles, action.keys);
    case "SetRoles":
      await existingMember(tx, action.member as Hex);
      checkRoles(action.roles);
      return;
    case "SetScope":
      await checkScope(tx, action.member as Hex, action.category as Hex, action.expiresAt);
      return;
    case "Suspend":
      await checkSuspension(tx, config, action.member as Hex);
      return;
    case "Reinstate": {
      const member = await existingMember(tx, action.member as Hex);
      if (!member.suspended) fail("ConsortiumMemberNotSuspended", { member: member.id });
      return;
    }
    case "AddKey":
      await existingMember(tx, action.member as Hex);
      return checkNewKey(tx, action.key);
    case "RevokeKey":
      await checkKeyRevocation(tx, action.member as Hex, action.key);
      return;
    case "SetThreshold":
      checkThreshold(config, action.threshold);
      return;
    case "SetParameter":
      checkParameter(knownParameter(action.key), action.value);
      return;
  }
}

// ------------------------------------------------------------------------------------------------
// State changes (each emits its event)
// ------------------------------------------------------------------------------------------------

export async function admit(
  tx: Tx,
  id: Hex,
  name: string,
  roles: number,
  keys: readonly string[],
): Promise<void> {
  await checkAdmission(tx, id, name, roles, keys);
  const config = await loadConfig(tx);
  const index = config.memberCount + 1;
  const member: MemberState = {
    id,
    index,
    name,
    roles,
    suspended: false,
    admittedAt: tx.now.toString(),
    keyCount: keys.length,
  };
  await tx.put(Keys.member(tx, id), member);
  await tx.put(Keys.memberIndex(tx, index), id);
  for (const key of keys) await tx.put(Keys.key(tx, key), { member: id, active: true });
  await saveConfig(tx, { ...config, memberCount: index, activeMembers: config.activeMembers + 1 });
  tx.emit({ kind: "MemberAdmitted", member: id, index, name, roles, keys: [...keys] });
}

async function setRoles(tx: Tx, id: Hex, roles: number): Promise<void> {
  checkRoles(roles);
  const member = await existingMember(tx, id);
  await tx.put(Keys.member(tx, id), { ...member, roles });
  tx.emit({ kind: "MemberRolesChanged", member: id, roles });
}

export async function setScope(tx: Tx, id: Hex, category: Hex, expiresAt: bigint): Promise<void> {
  await checkScope(tx, id, category, expiresAt);
  await tx.put(Keys.scope(tx, id, category), expiresAt.toString());
  tx.emit({ kind: "ScopeSet", member: id, category, expiresAt });
}

async function setSuspended(tx: Tx, id: Hex, suspended: boolean): Promise<void> {
  const config = await loadConfig(tx);
  const member = await existingMember(tx, id);
  if (suspended) {
    await checkSuspension(tx, config, id);
    await saveConfig(tx, { ...config, activeMembers: config.activeMembers - 1 });
    tx.emit({ kind: "MemberSuspended", member: id });
  } else {
    if (!member.suspended) fail("ConsortiumMemberNotSuspended", { member: id });
    await saveConfig(tx, { ...config, activeMembers: config.activeMembers + 1 });
    tx.emit({ kind: "MemberReinstated", member: id });
  }
  await tx.put(Keys.member(tx, id), { ...member, suspended });
}

async function addKey(tx: Tx, id: Hex, key: string): Promise<void> {
  const member = await existingMember(tx, id);
  await checkNewKey(tx, key);
  await tx.put(Keys.key(tx, key), { member: id, active: true });
  await tx.put(Keys.member(tx, id), { ...member, keyCount: member.keyCount + 1 });
  tx.emit({ kind: "KeyAdded", member: id, key });
}

export async function revokeKey(tx: Tx, id: Hex, key: string): Promise<void> {
  const member = await checkKeyRevocation(tx, id, key);
  await tx.put(Keys.key(tx, key), { member: id, active: false });
  await tx.put(Keys.member(tx, id), { ...member, keyCount: member.keyCount - 1 });
  tx.emit({ kind: "KeyRevoked", member: id, key, revokedBy: tx.caller.address });
}

export async function setThreshold(tx: Tx, threshold: number): Promise<void> {
  const config = await loadConfig(tx);
  checkThreshold(config, threshold);
  await saveConfig(tx, { ...config, threshold });
  tx.emit({ kind: "ThresholdChanged", threshold });
}

export async function setParameter(tx: Tx, name: ParameterName, value: bigint): Promise<void> {
  checkParameter(name, value);
  await tx.put(Keys.parameter(tx, PARAMETER_KEYS[name]), value.toString());
  tx.emit({ kind: "ParameterChanged", name: PARAMETER_KEYS[name], value });
}

/** Consortium._execute. */
async function executeAction(tx: Tx, action: ActionValues): Promise<void> {
  switch (action.kind) {
    case "Admit":
      return admit(tx, action.member as Hex, action.name, action.roles, action.keys);
    case "SetRoles":
      return setRoles(tx, action.member as Hex, action.roles);
    case "SetScope":
      return setScope(tx, action.member as Hex, action.category as Hex, action.expiresAt);
    case "Suspend":
      return setSuspended(tx, action.member as Hex, true);
    case "Reinstate":
      return setSuspended(tx, action.member as Hex, false);
    case "AddKey":
      return addKey(tx, action.member as Hex, action.key);
    case "RevokeKey":
      return revokeKey(tx, action.member as Hex, action.key);
    case "SetThreshold":
      return setThreshold(tx, action.threshold);
    case "SetParameter":
      return setParameter(tx, knownParameter(action.key), action.value);
  }
}

// ------------------------------------------------------------------------------------------------
// Proposals
// ------------------------------------------------------------------------------------------------

async function loadProposal(tx: Tx, id: bigint): Promise<ProposalState | undefined> {
  return tx.get<ProposalState>(ProposalKeys.proposal(tx, id));
}

/** Consortium._openProposal. */
export async function openProposal(tx: Tx, id: bigint): Promise<ProposalState> {
  const p = await loadProposal(tx, id);
  if (p === undefined) fail("ConsortiumUnknownProposal", { proposalId: id });
  if (p.status !== ProposalStatus.Open) fail("ConsortiumProposalClosed", { proposalId: id });
  if (tx.now > BigInt(p.expiresAt)) {
    fail("ConsortiumProposalExpired", { proposalId: id, expiredAt: p.expiresAt });
  }
  return p;
}

export async function createProposal(
  tx: Tx,
  proposer: MemberState,
  kind: number,
  payload: Hex,
): Promise<bigint> {
  const action = decodeProposal(kind, payload);
  await validateAction(tx, action);
  const config = await loadConfig(tx);
  const id = BigInt(config.proposalCount) + 1n;
  const expiresAt = tx.now + (await parameter(tx, "votingPeriod"));
  const p: ProposalState = {
    id: id.toString(),
    proposer: proposer.id,
    approvals: 0,
    createdAt: tx.now.toString(),
    expiresAt: expiresAt.toString(),
    status: ProposalStatus.Open,
    kind,
    payload,
  };
  await tx.put(ProposalKeys.proposal(tx, id), p);
  await saveConfig(tx, { ...config, proposalCount: id.toString() });
  tx.emit({
    kind: "ProposalCreated",
    proposalId: id,
    proposer: proposer.id,
    actionKind: kind,
    payload,
    expiresAt,
  });
  await approveProposal(tx, id, proposer);
  return id;
}

/** Consortium._approve: records the vote and executes at the threshold. */
export async function approveProposal(tx: Tx, id: bigint, voter: MemberState): Promise<void> {
  const p = await openProposal(tx, id);
  const key = ProposalKeys.approval(tx, id, voter.id);
  if (await tx.has(key)) fail("ConsortiumAlreadyVoted", { proposalId: id, member: voter.id });
  await tx.put(key, true);
  const approvals = p.approvals + 1;
  const required = requiredApprovals(await loadConfig(tx));
  await tx.put(ProposalKeys.proposal(tx, id), { ...p, approvals });
  tx.emit({ kind: "ProposalApproved", proposalId: id, member: voter.id, approvals, required });
  if (approvals >= required) await executeProposal(tx, id);
}

/** Consortium._executeProposal. */
export async function executeProposal(tx: Tx, id: bigint): Promise<void> {
  const p = await openProposal(tx, id);
  await tx.put(ProposalKeys.proposal(tx, id), { ...p, status: ProposalStatus.Executed });
  await executeAction(tx, decodeProposal(p.kind, p.payload));
  tx.emit({ kind: "ProposalExecuted", proposalId: id });
}
