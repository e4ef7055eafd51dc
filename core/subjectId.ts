/**
 * The subject id: the one pseudonym of an enterprise on every ledger and in every read model.
 *
 *   subjectId = HMAC-SHA256(consortiumKey, utf8(normalizeUscc(uscc)))
 *
 * The USCC space is small enough to enumerate, so an unkeyed hash would reveal who a record is
 * about; the consortium key (shared by members, never on the ledger) prevents that.
 */
import { computeHmac, getBytes, toUtf8Bytes } from "ethers";

import type { Hex } from "./abiValues.js";
import { ErrorCode, ValidationError } from "./errors.js";
import { normalizeUscc } from "./uscc.js";

/** The consortium's pseudonymisation key: hex or raw bytes, at least 32 bytes. */
export type ConsortiumKey = string | Uint8Array;

export const MIN_CONSORTIUM_KEY_BYTES = 32;

/** Checks a consortium key and returns its bytes; throws ValidationError KEY_INVALID. */
export function consortiumKeyBytes(key: ConsortiumKey): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = getBytes(key);
  } catch (cause) {
    throw new ValidationError(
      ErrorCode.KEY_INVALID,
      "consortium key must be 0x-prefixed hex or bytes",
      { cause },
    );
  }
  if (bytes.length < MIN_CONSORTIUM_KEY_BYTES) {
    throw new ValidationError(
      ErrorCode.KEY_INVALID,
      `consortium key must be at least ${MIN_CONSORTIUM_KEY_BYTES} bytes, got ${bytes.length}`,
      { details: { minBytes: MIN_CONSORTIUM_KEY_BYTES, bytes: bytes.length } },
    );
  }
  // A zero key is a configuration placeholder: ids under it are as enumerable as an unkeyed hash.
  if (bytes.every((b) => b === 0)) {
    throw new ValidationError(ErrorCode.KEY_INVALID, "consortium key must not be all zero bytes");
  }
  return bytes;
}

/** The subject id of a USCC (validated and normalised first; throws UsccError or KEY_INVALID). */
export function subjectId(consortiumKey: ConsortiumKey, uscc: string): Hex {
  const key = consortiumKeyBytes(consortiumKey);
  return computeHmac("sha256", key, toUtf8Bytes(normalizeUscc(uscc))) as Hex;
}
