/**
 * Governance actions: IConsortium.ActionKind and the `abi.encode` payload of each kind, as listed in
 * IConsortium.sol. A proposal carries (kind, payload); both ledgers decode the same bytes.
 */
import { AbiCoder, ZeroAddress } from "ethers";

import type { Hex, Uint64Like } from "./abiValues.js";
import { toAddress, toHexBytes, toNonZeroBytes32, toSmallUint, toUint64 } from "./abiValues.js";
import { CredtrailError, ErrorCode, ValidationError } from "./errors.js";
import type { ParameterName } from "./parameters.js";
import { checkParameterValue, parameterKey, parameterName } from "./parameters.js";
import { toRoles } from "./roles.js";

const abi = AbiCoder.defaultAbiCoder();

/** IConsortium.ActionKind, value for value. */
export const ActionKind = {
  Admit: 0,
  SetRoles: 1,
  SetScope: 2,
  Suspend: 3,
  Reinstate: 4,
  AddKey: 5,
  RevokeKey: 6,
  SetThreshold: 7,
  SetParameter: 8,
} as const;

export type ActionKindName = keyof typeof ActionKind;
export type ActionKind = (typeof ActionKind)[ActionKindName];

/** Kind names by value: ACTION_KIND_NAMES[kind]. */
export const ACTION_KIND_NAMES: readonly ActionKindName[] = [
  "Admit",
  "SetRoles",
  "SetScope",
  "Suspend",
  "Reinstate",
  "AddKey",
  "RevokeKey",
  "SetThreshold",
  "SetParameter",
];

/** The ABI types of each kind's payload (IConsortium.sol comments). */
export const ACTION_PAYLOAD_TYPES: Readonly<Record<ActionKindName, readonly string[]>> = {
  Admit: ["bytes32", "string", "uint8", "address[]"],
  SetRoles: ["bytes32", "uint8"],
  SetScope: ["bytes32", "bytes32", "uint64"],
  Suspend: ["bytes32"],
  Reinstate: ["bytes32"],
  AddKey: ["bytes32", "address"],
  RevokeKey: ["bytes32", "address"],
  SetThreshold: ["uint32"],
  SetParameter: ["bytes32", "uint64"],
};

export interface AdmitAction {
  kind: "Admit";
  member: string;
  name: string;
  roles: number;
  keys: readonly string[];
}
export interface SetRolesAction {
  kind: "SetRoles";
  member: string;
  roles: number;
}
/** expiresAt 0 removes the member's scope for the category. */
export interface SetScopeAction {
  kind: "SetScope";
  member: string;
  category: string;
  expiresAt: Uint64Like;
}
export interface SuspendAction {
  kind: "Suspend";
  member: string;
}
export interface ReinstateAction {
  kind: "Reinstate";
  member: string;
}
export interface AddKeyAction {
  kind: "AddKey";
  member: string;
  key: string;
}
export interface RevokeKeyAction {
  kind: "RevokeKey";
  member: string;
  key: string;
}
export interface SetThresholdAction {
  kind: "SetThreshold";
  threshold: number;
}
export interface SetParameterAction {
  kind: "SetParameter";
  name: ParameterName;
  value: Uint64Like;
}

export type GovernanceAction =
  | AdmitAction
  | SetRolesAction
  | SetScopeAction
  | SuspendAction
  | ReinstateAction
  | AddKeyAction
  | RevokeKeyAction
  | SetThresholdAction
  | SetParameterAction;

/** What `IConsortium.propose(kind, payload)` takes. */
export interface EncodedAction {
  kind: ActionKind;
  payload: Hex;
}

function actionError(
  message: string,
  details: Record<string, unknown>,
  cause?: unknown,
): ValidationError {
  return new ValidationError(ErrorCode.ACTION_INVALID, message, { details, cause });
}

function key(value: unknown, field: string): string {
  const address = toAddress(value, field);
  if (address === ZeroAddress)
    throw actionError(`${field} must not be the zero address`, { field });
  return address;
}

function nonZeroRoles(value: unknown): number {
  const roles = toRoles(value);
  if (roles === 0) throw actionError("a member needs at least one role", { field: "roles" });
  return roles;
}

function payloadValues(action: GovernanceAction): unknown[] {
  switch (action.kind) {
    case "Admit": {
      if (typeof action.name !== "string" || action.name.length === 0) {
        throw actionError("Admit: name must be a non-empty string", { field: "name" });
      }
      const roles = nonZeroRoles(action.roles);
      if (!Array.isArray(action.keys) || action.keys.length === 0) {
        throw actionError("Admit: a member needs at least one key", { field: "keys" });
      }
      const keys = action.keys.map((k, i) => key(k, `keys[${i}]`));
      const duplicate = keys.find((k, i) => keys.indexOf(k) !== i);
      if (duplicate !== undefined)
        throw actionError(`Admit: key ${duplicate} is listed twice`, {
          field: "keys",
          key: duplicate,
        });
      return [toNonZeroBytes32(action.member, "member"), action.name, roles, keys];
    }
    case "SetRoles":
      return [toNonZeroBytes32(action.member, "member"), nonZeroRoles(action.roles)];
    case "SetScope":
      return [
        toNonZeroBytes32(action.member, "member"),
        toNonZeroBytes32(action.category, "category"),
        toUint64(action.expiresAt, "expiresAt"),
      ];
    case "Suspend":
    case "Reinstate":
      return [toNonZeroBytes32(action.member, "member")];
    case "AddKey":
    case "RevokeKey":
      return [toNonZeroBytes32(action.member, "member"), key(action.key, "key")];
    case "SetThreshold": {
      const threshold = toSmallUint(action.threshold, 32, "threshold");
      if (threshold === 0)
        throw actionError("SetThreshold: threshold must be at least 1", { field: "threshold" });
      return [threshold];
    }
    case "SetParameter":
      return [parameterKey(action.name), checkParameterValue(action.name, action.value)];
  }
}

function kindName(kind: unknown, numeric: boolean): ActionKindName {
  if (
    !numeric &&
    typeof kind === "string" &&
    (ACTION_KIND_NAMES as readonly string[]).includes(kind)
  ) {
    return kind as ActionKindName;
  }
  if (
    numeric &&
    typeof kind === "number" &&
    Number.isInteger(kind) &&
    kind >= 0 &&
    kind < ACTION_KIND_NAMES.length
  ) {
    return ACTION_KIND_NAMES[kind];
  }
  throw actionError(`unknown action kind ${JSON.stringify(kind)}`, {
    kind: String(kind),
    allowed: ACTION_KIND_NAMES,
  });
}

/** Checks an action and encodes it for `propose`; throws ValidationError ACTION_INVALID naming the field. */
export function encodeAction(action: GovernanceAction): EncodedAction {
  const name = kindName((action as { kind?: unknown } | null)?.kind, false);
  let values: unknown[];
  try {
    values = payloadValues(action);
  } catch (error) {
    if (error instanceof CredtrailError && error.code !== ErrorCode.ACTION_INVALID) {
      throw actionError(`${name}: ${error.message}`, { kind: name, ...error.details }, error);
    }
    throw error;
  }
  return { kind: ActionKind[name], payload: abi.encode(ACTION_PAYLOAD_TYPES[name], values) as Hex };
}

function fromValues(name: ActionKindName, v: unknown[]): GovernanceAction {
  switch (name) {
    case "Admit":
      return {
        kind: name,
        member: v[0] as string,
        name: v[1] as string,
        roles: Number(v[2]),
        keys: [...(v[3] as string[])],
      };
    case "SetRoles":
      return { kind: name, member: v[0] as string, roles: Number(v[1]) };
    case "SetScope":
      return {
        kind: name,
        member: v[0] as string,
        category: v[1] as string,
        expiresAt: v[2] as bigint,
      };
    case "Suspend":
    case "Reinstate":
      return { kind: name, member: v[0] as string };
    case "AddKey":
    case "RevokeKey":
      return { kind: name, member: v[0] as string, key: v[1] as string };
    case "SetThreshold":
      return { kind: name, threshold: Number(v[0]) };
    case "SetParameter":
      return { kind: name, name: parameterName(v[0] as string), value: v[1] as bigint };
  }
}

/**
 * Decodes a proposal's (kind, payload) into an action in normal form (lowercase bytes32, checksummed
 * addresses, bigint seconds). Throws ACTION_INVALID unless the payload is exactly the canonical
 * encoding of a valid action of that kind.
 */
export function decodeAction(kind: number, payload: string): GovernanceAction {
  const name = kindName(kind, true);
  let action: GovernanceAction;
  try {
    const bytes = toHexBytes(payload, "payload");
    const values = abi.decode(ACTION_PAYLOAD_TYPES[name], bytes).toArray(true) as unknown[];
    action = fromValues(name, values);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw actionError(`${name}: payload does not decode (${reason})`, { kind: name }, error);
  }
  const encoded = encodeAction(action);
  if (encoded.payload !== payload.toLowerCase()) {
    throw actionError(`${name}: payload is not the canonical encoding`, { kind: name });
  }
  return action;
}

/**
 * A proposal's payload as the contracts' `abi.decode` reads it: the values of its kind, none of the
 * action rules checked (a zero member, no role, a zero key, an unknown parameter all decode).
 * SetParameter carries the parameter's bytes32 key. Bytes32 values are lowercase, addresses
 * checksummed, integers bigint.
 */
export type ActionValues =
  | Exclude<GovernanceAction, SetScopeAction | SetParameterAction>
  | (Omit<SetScopeAction, "expiresAt"> & { expiresAt: bigint })
  | { kind: "SetParameter"; key: Hex; value: bigint };

/**
 * Decodes (kind, payload) as `abi.decode` does, so that a ledger can apply the action rules in the
 * contracts' order and fail with the contracts' errors (decodeAction checks the rules itself).
 * Throws ACTION_INVALID for an unknown kind or a payload that is not the canonical encoding of
 * values of that kind's types (bytes that do not decode, trailing bytes, dirty padding).
 */
export function decodeActionValues(kind: number, payload: string): ActionValues {
  const name = kindName(kind, true);
  const types = ACTION_PAYLOAD_TYPES[name];
  let v: unknown[];
  try {
    v = abi.decode(types, toHexBytes(payload, "payload")).toArray(true) as unknown[];
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw actionError(`${name}: payload does not decode (${reason})`, { kind: name }, error);
  }
  if (abi.encode(types, v) !== payload.toLowerCase()) {
    throw actionError(`${name}: payload is not the canonical encoding`, { kind: name });
  }
  if (name === "SetParameter") return { kind: name, key: v[0] as Hex, value: v[1] as bigint };
  if (name === "SetScope")
    return {
      kind: name,
      member: v[0] as string,
      category: v[1] as string,
      expiresAt: v[2] as bigint,
    };
  return fromValues(name, v) as ActionValues;
}

/** The normal form of an action (what decodeAction(encodeAction(action)) returns). */
export function normalizeAction(action: GovernanceAction): GovernanceAction {
  const encoded = encodeAction(action);
  return decodeAction(encoded.kind, encoded.payload);
}
