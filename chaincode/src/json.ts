/**
 * JSON as the chaincode writes it to state and to events: RFC 8785 canonical JSON (sorted keys), so
 * every endorsing peer writes the same bytes. bigint values (uint64 seconds, ids) are written as
 * decimal strings; everything else must already be plain JSON.
 */
import type { JsonValue } from "../../core/index.js";
import { canonicalJson } from "../../core/index.js";

/** `value` with every bigint replaced by its decimal string (objects and arrays copied). */
export function toJsonValue(value: unknown): JsonValue {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return value.map((item) => toJsonValue(item));
  if (typeof value === "object" && value !== null) {
    const out: Record<string, JsonValue> = {};
    for (const [key, item] of Object.entries(value)) {
      if (item !== undefined) out[key] = toJsonValue(item);
    }
    return out;
  }
  return value as JsonValue;
}

/** The canonical JSON text of `value` (bigints as decimal strings). */
export function stableJson(value: unknown): string {
  return canonicalJson(toJsonValue(value));
}
