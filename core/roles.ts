/** Member roles as bits of one byte, identical to contracts/libraries/Roles.sol. */
import { ErrorCode, ValidationError } from "./errors.js";

export const Role = {
  PROVIDER: 1 << 0,
  SCORER: 1 << 1,
  REPAIR_AUTHORITY: 1 << 2,
  LENDER: 1 << 3,
  REGULATOR: 1 << 4,
  OPERATOR: 1 << 5,
} as const;

export type RoleName = keyof typeof Role;
export type RoleBit = (typeof Role)[RoleName];

/** Every defined role bit (Roles.ALL). */
export const ALL_ROLES = (1 << 6) - 1;

/** Role names in bit order. */
export const ROLE_NAMES: readonly RoleName[] = [
  "PROVIDER",
  "SCORER",
  "REPAIR_AUTHORITY",
  "LENDER",
  "REGULATOR",
  "OPERATOR",
];

/** Returns `bits` if it is a uint8 made only of defined role bits; throws ValidationError ROLE_INVALID. */
export function toRoles(bits: unknown): number {
  if (
    typeof bits !== "number" ||
    !Number.isInteger(bits) ||
    bits < 0 ||
    bits > 0xff ||
    (bits & ~ALL_ROLES) !== 0
  ) {
    throw new ValidationError(
      ErrorCode.ROLE_INVALID,
      `roles must be a combination of the role bits (0…${ALL_ROLES})`,
      {
        details: { roles: typeof bits === "number" ? bits : typeof bits },
      },
    );
  }
  return bits;
}

/** The names of the roles in `bits`, in bit order. */
export function rolesToNames(bits: number): RoleName[] {
  const roles = toRoles(bits);
  return ROLE_NAMES.filter((name) => (roles & Role[name]) !== 0);
}

/** The role bits of `names` (case-insensitive, "-" or " " read as "_"); throws ROLE_INVALID for unknown names. */
export function namesToRoles(names: readonly string[]): number {
  let bits = 0;
  const unknown: string[] = [];
  for (const name of names) {
    const key = typeof name === "string" ? name.trim().toUpperCase().replace(/[-\s]/g, "_") : "";
    const found = ROLE_NAMES.find((n) => n === key);
    if (found === undefined) unknown.push(name);
    else bits |= Role[found];
  }
  if (unknown.length > 0) {
    throw new ValidationError(
      ErrorCode.ROLE_INVALID,
      `unknown role name(s): ${unknown.join(", ")}`,
      {
        details: { unknown, allowed: ROLE_NAMES },
      },
    );
  }
  return bits;
}

/** Whether `bits` holds every bit of `role`. */
export function hasRole(bits: number, role: number): boolean {
  return (toRoles(bits) & role) === role && role !== 0;
}
