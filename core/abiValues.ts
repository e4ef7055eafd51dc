/**
 * Checks of the values that go into ABI encodings (bytes32, address, uintN), shared by ids,
 * Merkle leaves, EIP-712 messages and governance payloads. Each returns the value in the one form
 * core/ uses everywhere: bytes32 as lowercase `0x` hex, addresses checksummed, integers as bigint.
 */
import { getAddress, isHexString } from "ethers";

import { ErrorCode, ValidationError } from "./errors.js";

/**
 * A `0x`-prefixed hex string; core/ always produces lowercase. Inputs are typed `string` (ethers
 * hands out plain strings) and checked at run time; outputs are typed Hex.
 */
export type Hex = `0x${string}`;

/** A uint64 (seconds, block numbers) as given by a caller: bigint or a safe-integer number. */
export type Uint64Like = bigint | number;

export const ZERO_BYTES32: Hex = `0x${"0".repeat(64)}`;

export const UINT64_MAX = (1n << 64n) - 1n;
export const UINT32_MAX = (1n << 32n) - 1n;
export const UINT256_MAX = (1n << 256n) - 1n;

function describe(value: unknown): string {
  if (typeof value === "string")
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (typeof value === "bigint") return `${value}n`;
  if (
    typeof value === "number" ||
    typeof value === "boolean" ||
    value === null ||
    value === undefined
  ) {
    return String(value);
  }
  return typeof value;
}

/**
 * Whether `value` is a 32-byte hex string: 0x and 64 hex digits (either case). A hand loop, cheaper
 * than a RegExp: the scorer checks every record's uid with it.
 */
export function isBytes32(value: unknown): value is Hex {
  if (typeof value !== "string" || value.length !== 66) return false;
  if (value.charCodeAt(0) !== 48 || value.charCodeAt(1) !== 120) return false;
  for (let i = 2; i < 66; i++) {
    const c = value.charCodeAt(i);
    if (c >= 48 && c <= 57) continue;
    const letter = c | 32; // folds A–F onto a–f
    if (letter < 97 || letter > 102) return false;
  }
  return true;
}

/** Returns `value` as lowercase bytes32 hex; throws ValidationError HEX_INVALID otherwise. */
export function toBytes32(value: unknown, name: string): Hex {
  if (!isBytes32(value)) {
    throw new ValidationError(
      ErrorCode.HEX_INVALID,
      `${name} must be 32 bytes of 0x-prefixed hex`,
      {
        details: { field: name, value: describe(value) },
      },
    );
  }
  return value.toLowerCase() as Hex;
}

/** As {@link toBytes32}, and also rejects the zero value. */
export function toNonZeroBytes32(value: unknown, name: string): Hex {
  const hex = toBytes32(value, name);
  if (hex === ZERO_BYTES32) {
    throw new ValidationError(ErrorCode.HEX_INVALID, `${name} must not be zero`, {
      details: { field: name },
    });
  }
  return hex;
}

/** Returns `value` as hex of any whole number of bytes, lowercase; throws HEX_INVALID otherwise. */
export function toHexBytes(value: unknown, name: string): Hex {
  if (typeof value !== "string" || !isHexString(value) || value.length % 2 !== 0) {
    throw new ValidationError(
      ErrorCode.HEX_INVALID,
      `${name} must be 0x-prefixed hex of whole bytes`,
      {
        details: { field: name, value: describe(value) },
      },
    );
  }
  return value.toLowerCase() as Hex;
}

/** Returns the checksummed address; throws ValidationError ADDRESS_INVALID otherwise. */
export function toAddress(value: unknown, name: string): string {
  if (typeof value === "string" && isHexString(value, 20)) {
    try {
      return getAddress(value);
    } catch (cause) {
      throw new ValidationError(ErrorCode.ADDRESS_INVALID, `${name} has a bad checksum`, {
        details: { field: name, value: describe(value) },
        cause,
      });
    }
  }
  throw new ValidationError(
    ErrorCode.ADDRESS_INVALID,
    `${name} must be a 20-byte 0x-prefixed address`,
    {
      details: { field: name, value: describe(value) },
    },
  );
}

/** Returns `value` as a bigint in [0, 2^bits − 1]; throws ValidationError INTEGER_INVALID otherwise. */
export function toUint(value: unknown, bits: number, name: string): bigint {
  let n: bigint | undefined;
  if (typeof value === "bigint") n = value;
  else if (typeof value === "number" && Number.isSafeInteger(value)) n = BigInt(value);
  const max = (1n << BigInt(bits)) - 1n;
  if (n === undefined || n < 0n || n > max) {
    throw new ValidationError(
      ErrorCode.INTEGER_INVALID,
      `${name} must be an integer in uint${bits} range`,
      {
        details: { field: name, value: describe(value), max: max.toString() },
      },
    );
  }
  return n;
}

/** {@link toUint} for uint64 (timestamps in unix seconds, block numbers). */
export function toUint64(value: unknown, name: string): bigint {
  return toUint(value, 64, name);
}

/** {@link toUint} for small widths (uint8, uint32), returned as a number. */
export function toSmallUint(value: unknown, bits: 8 | 16 | 32, name: string): number {
  return Number(toUint(value, bits, name));
}
