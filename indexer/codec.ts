/**
 * How read models are stored: canonical JSON (object keys sorted, so one value has one encoding and
 * the store digest is reproducible) with bigints tagged as `{"$n":"<decimal>"}`. Undefined object
 * properties are left out, as JSON.stringify does. Attestations are stored more compactly
 * (attestationCodec.ts); decodeValue reads both.
 */

import { ATTESTATION_TAG, decodeAttestation } from "./attestationCodec.js";

function encodeText(value: unknown): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`cannot store the number ${value}`);
      return String(value);
    case "bigint":
      return `{"$n":"${value.toString()}"}`;
    case "object": {
      if (Array.isArray(value)) {
        let text = "[";
        for (let i = 0; i < value.length; i++) {
          if (i > 0) text += ",";
          const item: unknown = value[i];
          text += encodeText(item === undefined ? null : item);
        }
        return text + "]";
      }
      const record = value as Record<string, unknown>;
      const names = Object.keys(record).sort();
      let text = "{";
      let first = true;
      for (const name of names) {
        const item = record[name];
        if (item === undefined) continue;
        if (!first) text += ",";
        first = false;
        text += JSON.stringify(name) + ":" + encodeText(item);
      }
      return text + "}";
    }
    default:
      throw new TypeError(`cannot store a value of type ${typeof value}`);
  }
}

/**
 * `value` as JSON.stringify writes it canonically: objects rebuilt with their keys in sorted order,
 * bigints tagged. Undefined when an object needs the general encoder (keys JSON.stringify would not
 * keep in insertion order: integer-like names; or `__proto__`).
 */
function canonicalCopy(value: unknown): unknown {
  switch (typeof value) {
    case "bigint":
      return { $n: value.toString() };
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`cannot store the number ${value}`);
      return value;
    case "string":
    case "boolean":
      return value;
    case "object": {
      if (value === null) return null;
      if (Array.isArray(value)) {
        const out = new Array<unknown>(value.length);
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i];
          if (item === undefined) out[i] = null;
          else {
            const copy = canonicalCopy(item);
            if (copy === undefined) return undefined;
            out[i] = copy;
          }
        }
        return out;
      }
      const record = value as Record<string, unknown>;
      const names = Object.keys(record).sort();
      const out: Record<string, unknown> = {};
      for (const name of names) {
        const item = record[name];
        if (item === undefined) continue;
        const c = name.charCodeAt(0);
        if ((c >= 48 && c <= 57) || name === "__proto__") return undefined;
        const copy = canonicalCopy(item);
        if (copy === undefined) return undefined;
        out[name] = copy;
      }
      return out;
    }
    default:
      throw new TypeError(`cannot store a value of type ${typeof value}`);
  }
}

/** Canonical JSON of `value`, bigints tagged. */
export function encodeValue(value: unknown): string {
  // JSON.stringify of a sorted copy writes the same text as encodeText, faster and as one flat string
  const copy = canonicalCopy(value);
  return copy === undefined ? encodeText(value) : JSON.stringify(copy);
}

/**
 * Replaces, in place, every `{"$n": "<decimal>"}` of parsed JSON by its bigint (what a JSON.parse
 * reviver would do; V8 calls a reviver for every value, ~5 times slower on a score).
 */
function reviveBigints(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === "object" && item !== null) value[i] = reviveBigints(item);
    }
    return value;
  }
  const record = value as Record<string, unknown>;
  const tagged = record.$n;
  if (typeof tagged === "string" && Object.keys(record).length === 1) return BigInt(tagged);
  for (const name of Object.keys(record)) {
    const item = record[name];
    if (typeof item === "object" && item !== null) record[name] = reviveBigints(item);
  }
  return record;
}

/**
 * The value {@link encodeValue} encoded (or an attestation stored positionally, see
 * attestationCodec.ts). The caller names the type it stored under that key.
 */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- typed read of our own stored values
export function decodeValue<T>(text: string): T {
  if (text.startsWith(ATTESTATION_TAG)) return decodeAttestation(text) as T;
  return reviveBigints(JSON.parse(text)) as T;
}
