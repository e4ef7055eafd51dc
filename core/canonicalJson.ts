/**
 * Canonical JSON (RFC 8785, JCS) and the record hash built on it. The hash of a record's
 * canonical JSON is its `dataHash` on the ledger, so two parties that hold the same record always
 * compute the same hash, whatever key order or number spelling their JSON had.
 *
 * Only plain JSON data is accepted. JSON.stringify would silently drop `undefined` and functions,
 * turn NaN into null and call `toJSON` on a Date; for a hash that goes on a ledger each of those is a
 * bug, so they are rejected here, naming the path of the offending value.
 */
import canonicalize from "canonicalize";
import { toUtf8Bytes } from "ethers";
import { keccak256 } from "./keccak.js";

import type { Hex } from "./abiValues.js";
import { ErrorCode, ValidationError } from "./errors.js";

export type JsonPrimitive = null | boolean | number | string;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** Deepest nesting accepted (records and definitions are shallow; this bounds the recursion). */
export const MAX_JSON_DEPTH = 256;

const LONE_SURROGATE = /\p{Cs}/u;
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function childPath(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function invalid(path: string, reason: string): ValidationError {
  return new ValidationError(ErrorCode.CANONICAL_JSON_INVALID, `${path}: ${reason}`, {
    details: { path, reason },
  });
}

function kindOf(value: object): string {
  const name = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)
    ?.constructor?.name;
  return typeof name === "string" && name !== "" ? name : "object";
}

function check(value: unknown, path: string, depth: number, ancestors: Set<object>): void {
  switch (typeof value) {
    case "string":
      if (LONE_SURROGATE.test(value))
        throw invalid(path, "string contains a lone UTF-16 surrogate");
      return;
    case "boolean":
      return;
    case "number":
      if (!Number.isFinite(value)) throw invalid(path, `${value} is not a JSON number`);
      return;
    case "undefined":
      throw invalid(path, "undefined is not JSON (omit the property instead)");
    case "bigint":
      throw invalid(path, "bigint is not JSON (use a decimal string or a safe integer)");
    case "function":
    case "symbol":
      throw invalid(path, `a ${typeof value} is not JSON`);
    case "object":
      break;
  }
  if (value === null) return;
  const object = value;
  if (depth >= MAX_JSON_DEPTH) throw invalid(path, `nested deeper than ${MAX_JSON_DEPTH} levels`);
  if (ancestors.has(object)) throw invalid(path, "circular reference");
  ancestors.add(object);
  if (Array.isArray(object)) {
    if (Object.getPrototypeOf(object) !== Array.prototype)
      throw invalid(path, `${kindOf(object)} is not a plain array`);
    const items = object as unknown[];
    for (let i = 0; i < items.length; i++) {
      if (!Object.hasOwn(items, i)) throw invalid(childPath(path, i), "array hole is not JSON");
      check(items[i], childPath(path, i), depth + 1, ancestors);
    }
  } else {
    const proto: unknown = Object.getPrototypeOf(object);
    if (proto !== Object.prototype && proto !== null)
      throw invalid(path, `${kindOf(object)} is not a plain object`);
    if (Object.getOwnPropertySymbols(object).length > 0)
      throw invalid(path, "symbol keys are not JSON");
    const record = object as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const at = childPath(path, key);
      if (LONE_SURROGATE.test(key)) throw invalid(at, "key contains a lone UTF-16 surrogate");
      check(record[key], at, depth + 1, ancestors);
    }
  }
  ancestors.delete(object);
}

/** Throws ValidationError CANONICAL_JSON_INVALID unless `value` is plain JSON data. */
export function assertJsonValue(value: unknown): asserts value is JsonValue {
  check(value, "$", 0, new Set());
}

/** The RFC 8785 canonical JSON text of `value` (sorted keys, ES number form, minimal escapes). */
export function canonicalJson(value: unknown): string {
  assertJsonValue(value);
  let text: string | undefined;
  try {
    text = canonicalize(value);
  } catch (cause) {
    throw new ValidationError(ErrorCode.CANONICAL_JSON_INVALID, "value cannot be canonicalized", {
      details: { path: "$" },
      cause,
    });
  }
  if (text === undefined) throw invalid("$", "value has no JSON form");
  return text;
}

/** keccak256 of the UTF-8 bytes of the canonical JSON of `value`: a record's `dataHash`. */
export function hashCanonical(value: unknown): Hex {
  return keccak256(toUtf8Bytes(canonicalJson(value)));
}

/**
 * Parses JSON text that must already be canonical (e.g. a schema definition read from a ledger
 * event); throws CANONICAL_JSON_INVALID when it is not JSON or not in canonical form.
 */
export function parseCanonicalJson(text: string): JsonValue {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new ValidationError(ErrorCode.CANONICAL_JSON_INVALID, "text is not JSON", {
      details: { path: "$" },
      cause,
    });
  }
  const canonical = canonicalJson(value);
  if (canonical !== text) {
    throw new ValidationError(
      ErrorCode.CANONICAL_JSON_INVALID,
      "JSON text is not in RFC 8785 canonical form",
      {
        details: { path: "$", canonical },
      },
    );
  }
  return value as JsonValue;
}
