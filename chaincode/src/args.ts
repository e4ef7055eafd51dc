/**
 * Parsing of transaction arguments. A peer hands every argument over as a string; these turn them
 * into the values core/ uses (lowercase bytes32 hex, checksummed addresses, bigint seconds) or fail
 * with `InvalidArgument` naming the argument. Rules about the values (non-zero, in the past, ...)
 * are the contracts' business and fail with the contract error names.
 */
import type { Hex } from "../../core/index.js";
import { toAddress, toBytes32, toHexBytes, toUint } from "../../core/index.js";

import { asInvalidArgument, invalidArgument } from "./errors.js";

const DECIMAL = /^(0|[1-9][0-9]*)$/;

/** A bytes32 argument (any case) as lowercase hex; zero is allowed here. */
export function bytes32Arg(value: unknown, name: string): Hex {
  try {
    return toBytes32(value, name);
  } catch (error) {
    return asInvalidArgument(name, error);
  }
}

/** An address argument, checksummed. */
export function addressArg(value: unknown, name: string): string {
  try {
    return toAddress(value, name);
  } catch (error) {
    return asInvalidArgument(name, error);
  }
}

/** Hex bytes of any length, lowercase. */
export function bytesArg(value: unknown, name: string): Hex {
  try {
    return toHexBytes(value, name);
  } catch (error) {
    return asInvalidArgument(name, error);
  }
}

/** An unsigned integer of `bits` bits, given as a decimal string or a safe-integer number. */
export function uintArg(value: unknown, bits: number, name: string): bigint {
  let n: unknown = value;
  if (typeof value === "string") {
    if (!DECIMAL.test(value)) invalidArgument(name, "must be a decimal integer", "INTEGER_INVALID");
    n = BigInt(value);
  }
  try {
    return toUint(n, bits, name);
  } catch (error) {
    return asInvalidArgument(name, error);
  }
}

export function uint64Arg(value: unknown, name: string): bigint {
  return uintArg(value, 64, name);
}

/** A uint8/uint32 as a number. */
export function smallUintArg(value: unknown, bits: 8 | 32, name: string): number {
  return Number(uintArg(value, bits, name));
}

/** "true" or "false". */
export function boolArg(value: unknown, name: string): boolean {
  if (value === true || value === "true") return true;
  if (value === false || value === "false") return false;
  return invalidArgument(name, 'must be "true" or "false"');
}

/** A string argument (any string, empty included). */
export function stringArg(value: unknown, name: string): string {
  if (typeof value !== "string") invalidArgument(name, "must be a string");
  return value;
}

/** A JSON object argument. */
export function objectArg(text: unknown, name: string): Record<string, unknown> {
  const value = jsonArg(text, name);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    invalidArgument(name, "must be a JSON object");
  }
  return value as Record<string, unknown>;
}

/** A JSON array argument. */
export function arrayArg(text: unknown, name: string): unknown[] {
  const value = jsonArg(text, name);
  if (!Array.isArray(value)) invalidArgument(name, "must be a JSON array");
  return value as unknown[];
}

/** A JSON-parsed argument, or the value itself when it is already not a string (nested fields). */
function jsonArg(text: unknown, name: string): unknown {
  if (typeof text !== "string") return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return invalidArgument(name, "is not JSON");
  }
}

/** A field of an object argument. */
export function field(object: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}
