/**
 * The Merkle leaf of a query audit entry, and the check a regulator runs: recompute the leaf from
 * the entry, verify its proof against the anchored root (then look the root up on the ledger, e.g.
 * with the indexer's `getAuditAnchor`).
 *
 * Leaf: (bytes32 member, bytes32 subject, bytes32 purposeHash, uint64 atMs, bytes32 idHash,
 * bytes32 contextHash) with purposeHash = core purposeHash(purpose), idHash = keccak256(utf8(id)),
 * contextHash = keccak256(abi.encode(address key, string operation)) — so that every field of the
 * entry is covered. Hashed as an OpenZeppelin StandardMerkleTree leaf (core buildMerkle).
 */
import { AbiCoder } from "ethers";

import type { Hex } from "../../core/index.js";
import {
  keccak256,
  purposeHash,
  toAddress,
  toBytes32,
  toUint64,
  verifyMerkle,
} from "../../core/index.js";
import type { QueryAuditAnchorRef, QueryAuditEntry } from "../types.js";

const abi = AbiCoder.defaultAbiCoder();

/** ABI types of an audit leaf. */
export const AUDIT_LEAF_TYPES: readonly string[] = [
  "bytes32",
  "bytes32",
  "bytes32",
  "uint64",
  "bytes32",
  "bytes32",
];

export type AuditLeafTuple = [
  member: Hex,
  subject: Hex,
  purposeHash: Hex,
  atMs: bigint,
  idHash: Hex,
  contextHash: Hex,
];

/**
 * Hashes remembered across leaves: an anchoring run hashes thousands of entries that name the same
 * few purposes and (member key, operation) pairs. Pure functions of their text; bounded.
 */
const HASHES_KEPT = 4096;
const purposeHashes = new Map<string, Hex>();
const contextHashes = new Map<string, Hex>();

function remembered(cache: Map<string, Hex>, key: string, hash: () => Hex): Hex {
  let value = cache.get(key);
  if (value === undefined) {
    value = hash();
    if (cache.size >= HASHES_KEPT) cache.clear();
    cache.set(key, value);
  }
  return value;
}

/**
 * core purposeHash, remembered for the purposes in use (lenders name the same few with every read,
 * and every audit entry names one). The one memo of it in the gateway (access checks use it too).
 */
export function cachedPurposeHash(purpose: string): Hex {
  return remembered(purposeHashes, purpose, () => purposeHash(purpose));
}

/** The leaf tuple of an entry; throws core ValidationError when a field is malformed. */
export function auditLeaf(entry: QueryAuditEntry): AuditLeafTuple {
  if (typeof entry.id !== "string" || entry.id.length === 0) {
    throw new TypeError("audit entry id must be a non-empty string");
  }
  if (typeof entry.operation !== "string") {
    throw new TypeError("audit entry operation must be a string");
  }
  // the context memo is keyed by text: anything else is checked (and refused) as it comes
  if (typeof entry.key !== "string") toAddress(entry.key, "key");
  return [
    toBytes32(entry.member, "member"),
    toBytes32(entry.subject, "subject"),
    cachedPurposeHash(entry.purpose),
    toUint64(entry.at, "at"),
    keccak256(Buffer.from(entry.id, "utf8")),
    remembered(contextHashes, JSON.stringify([entry.key, entry.operation]), () =>
      keccak256(abi.encode(["address", "string"], [toAddress(entry.key, "key"), entry.operation])),
    ),
  ];
}

/**
 * Whether `entry` is the leaf that `anchorRef.proof` proves under `anchorRef.root`: false when any
 * field differs from what was anchored. Throws when the entry, root or proof is malformed.
 */
export function verifyAuditEntry(
  entry: QueryAuditEntry,
  anchorRef: Pick<QueryAuditAnchorRef, "root" | "proof">,
): boolean {
  return verifyMerkle(AUDIT_LEAF_TYPES, anchorRef.root, auditLeaf(entry), anchorRef.proof);
}
