/**
 * Batch Merkle trees: OpenZeppelin StandardMerkleTree (sorted pairs, leaf =
 * keccak256(bytes.concat(keccak256(abi.encode(values))))), so proofs verify with OpenZeppelin's
 * MerkleProof on the EVM and with the same library in chaincode and clients.
 *
 * A record batch has one leaf per record, (subject, dataHash, observedAt, expiresAt, severity);
 * the batch's schema and provider complete it into an attestation uid. Score batches reuse the
 * generic {@link buildMerkle} with their own leaf types.
 */
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { AbiCoder } from "ethers";
import { keccak256Bytes } from "./keccak.js";

import type { Hex } from "./abiValues.js";
import { toBytes32, toUint64 } from "./abiValues.js";
import type { RecordFields, RecordFieldsInput } from "./attestationRequest.js";
import { checkRecordFields } from "./attestationRequest.js";
import { CredtrailError, ErrorCode, ValidationError } from "./errors.js";
import { attestationUid } from "./ids.js";
import { toSeverity } from "./severity.js";

const abi = AbiCoder.defaultAbiCoder();

/** ABI types of a record leaf: (bytes32 subject, bytes32 dataHash, uint64 observedAt, uint64 expiresAt, uint8 severity). */
export const RECORD_LEAF_TYPES: readonly string[] = [
  "bytes32",
  "bytes32",
  "uint64",
  "uint64",
  "uint8",
];

/** A batch leaf as a caller gives it (the record fields of an attestation, without the schema). */
export type RecordLeafInput = RecordFieldsInput;
/** A batch leaf in normal form (lowercase hex, bigint seconds). */
export type RecordLeaf = RecordFields;
/** A record leaf as the tuple the tree hashes, in RECORD_LEAF_TYPES order. */
export type RecordLeafTuple = [
  subject: Hex,
  dataHash: Hex,
  observedAt: bigint,
  expiresAt: bigint,
  severity: number,
];

/** A Merkle tree over ABI-typed leaves, addressed by the index the leaves were given in. */
export interface MerkleBatch<T extends readonly unknown[]> {
  readonly root: Hex;
  readonly types: readonly string[];
  readonly length: number;
  /** The leaf value given at `index`. */
  value(index: number): T;
  /** keccak256(bytes.concat(keccak256(abi.encode(value)))). */
  leafHash(index: number): Hex;
  /** Sibling hashes from the leaf up to the root (OpenZeppelin MerkleProof.verify order). */
  proof(index: number): Hex[];
  /** The index of the leaf with this hash, or −1. */
  indexOfLeafHash(leafHash: string): number;
}

/** The fields of ICreditRegistry.LeafInput: a record leaf with its batch root and proof. */
export interface RecordLeafProof extends RecordLeaf {
  root: Hex;
  proof: Hex[];
}

/** A record batch: the tree plus record-level helpers. */
export interface RecordBatch {
  readonly root: Hex;
  readonly length: number;
  readonly leaves: readonly RecordLeaf[];
  readonly tree: MerkleBatch<RecordLeafTuple>;
  leafHash(index: number): Hex;
  proof(index: number): Hex[];
  /** What `recordLeaf` / `verifyLeaf` / `derive` take for leaf `index`. */
  leafProof(index: number): RecordLeafProof;
  /** The attestation uid of leaf `index` in a batch anchored with this schema by this provider. */
  leafUid(index: number, anchor: RecordBatchAnchor): Hex;
}

/** The schema and provider a batch is anchored with (both bytes32). */
export interface RecordBatchAnchor {
  schema: string;
  provider: string;
}

function merkleError(
  message: string,
  details: Record<string, unknown>,
  cause?: unknown,
): ValidationError {
  return new ValidationError(ErrorCode.MERKLE_INVALID, message, { details, cause });
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function checkTypes(types: readonly string[]): string[] {
  if (!Array.isArray(types) || types.length === 0 || !types.every((t) => typeof t === "string")) {
    throw merkleError("leaf types must be a non-empty array of ABI type names", {});
  }
  return [...types];
}

function encodeLeaf(types: readonly string[], value: readonly unknown[], index?: number): string {
  if (!Array.isArray(value) || value.length !== types.length) {
    throw merkleError(
      `leaf${index === undefined ? "" : ` ${index}`} must be an array of ${types.length} values`,
      {
        index,
      },
    );
  }
  try {
    return encodeStatic(types, value) ?? abi.encode(types, value);
  } catch (cause) {
    throw merkleError(
      `leaf${index === undefined ? "" : ` ${index}`} does not encode as (${types.join(",")}): ${reason(cause)}`,
      { index },
      cause,
    );
  }
}

const BYTES32 = /^0x[0-9a-fA-F]{64}$/;
const UINT = /^uint(8|16|32|64|128|256)$/;

/**
 * abi.encode of values whose types are all bytes32 or uintN and whose values are already exact
 * (bytes32 hex, non-negative bigint/safe integer in range): one 32-byte word each. A large batch
 * encodes a million leaves, and this is ~20x faster than the generic coder. Anything else → null
 * (the generic coder decides, and reports errors).
 */
function encodeStatic(types: readonly string[], value: readonly unknown[]): string | null {
  let out = "0x";
  for (let i = 0; i < types.length; i++) {
    const type = types[i];
    const v = value[i];
    if (type === "bytes32") {
      if (typeof v !== "string" || !BYTES32.test(v)) return null;
      out += v.slice(2).toLowerCase();
      continue;
    }
    const uint = UINT.exec(type);
    if (uint === null) return null;
    let n: bigint;
    if (typeof v === "bigint") n = v;
    else if (typeof v === "number" && Number.isSafeInteger(v)) n = BigInt(v);
    else return null;
    if (n < 0n || n >= 1n << BigInt(uint[1])) return null;
    out += n.toString(16).padStart(64, "0");
  }
  return out;
}

function hashEncodedLeaf(encoded: string): Hex {
  // bytes.concat of one hash is that hash: the leaf is keccak256 applied twice (second-preimage safe).
  // `encoded` is well-formed hex from the coder: straight to bytes.
  return toHex(keccak256Bytes(keccak256Bytes(Buffer.from(encoded.slice(2), "hex"))));
}

function toHex(bytes: Uint8Array): Hex {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")}`;
}

/** The StandardMerkleTree leaf hash of `value` with ABI `types`; throws MERKLE_INVALID if it does not encode. */
export function merkleLeafHash(types: readonly string[], value: readonly unknown[]): Hex {
  return hashEncodedLeaf(encodeLeaf(checkTypes(types), value));
}

function checkIndex(index: number, length: number): number {
  if (!Number.isInteger(index) || index < 0 || index >= length) {
    throw merkleError(`leaf index ${index} is out of range 0…${length - 1}`, { index, length });
  }
  return index;
}

/**
 * Builds a tree over `values` (each an array matching `types`). Rejects an empty list, a value that
 * does not ABI-encode, and duplicate leaves (ValidationError MERKLE_INVALID).
 */
export function buildMerkle<T extends readonly unknown[]>(
  types: readonly string[],
  values: readonly T[],
): MerkleBatch<T> {
  const leafTypes = checkTypes(types);
  // checked through an `unknown` alias: Array.isArray on the typed parameter narrows it to any[]
  const given: unknown = values;
  if (!Array.isArray(given) || values.length === 0)
    throw merkleError("a Merkle batch needs at least one leaf", {});
  const hashes = values.map((value, index) => hashEncodedLeaf(encodeLeaf(leafTypes, value, index)));
  const tree = standardTree(hashes); // rejects duplicate leaves
  const byHash = new Map<Hex, number>(hashes.map((hash, index) => [hash, index]));
  const stored = [...values];
  return {
    root: tree.nodes[0],
    types: leafTypes,
    length: stored.length,
    value: (index) => stored[checkIndex(index, stored.length)],
    leafHash: (index) => hashes[checkIndex(index, stored.length)],
    proof: (index) => tree.proof(checkIndex(index, stored.length)),
    indexOfLeafHash: (leafHash) => byHash.get(leafHash.toLowerCase() as Hex) ?? -1,
  };
}

/**
 * The tree StandardMerkleTree.of builds, from the leaf hashes: leaves sorted by hash (ascending),
 * stored at the end of a complete binary tree in an array (leaf i of the sorted order at
 * `length - 1 - i`), each inner node the keccak256 of its two children sorted. Built here from
 * the hashes already computed (the library would encode and hash every value again, ~10x slower);
 * the shared vectors and the on-chain proof tests check it agrees with the library and MerkleProof.
 */
function standardTree(hashes: readonly Hex[]): { nodes: Hex[]; proof(index: number): Hex[] } {
  const tree = createMerkleBuilder(hashes);
  tree.step(Number.POSITIVE_INFINITY);
  return { nodes: tree.nodes, proof: (index) => tree.proof(index) };
}

/** A tree being built from leaf hashes, a bounded number of inner nodes at a time. */
export interface MerkleBuilder {
  /** Computes up to `maxNodes` more inner nodes; true once the tree is complete. */
  step(maxNodes: number): boolean;
  /** The root (once complete). */
  readonly root: Hex;
  /** Nodes in array order (root first); complete once `step` returned true. */
  readonly nodes: Hex[];
  /** The proof of the leaf given `index`-th (in the order of the hashes given). */
  proof(index: number): Hex[];
}

/**
 * The StandardMerkleTree over leaf hashes already computed (each a bytes32: the double keccak of
 * the encoded value, see {@link merkleLeafHash}), built in steps so that a caller serving requests
 * can yield between them (a minute of audit entries is 100,000 leaves). Rejects an empty list,
 * a malformed hash and duplicates (MERKLE_INVALID).
 */
export function createMerkleBuilder(leafHashes: readonly string[]): MerkleBuilder {
  const n = leafHashes.length;
  if (n === 0) throw merkleError("a Merkle tree needs at least one leaf", {});
  const hashes = leafHashes.map((hash, index) => {
    if (typeof hash !== "string" || !BYTES32.test(hash)) {
      throw merkleError(`leaf hash ${index} is not a bytes32`, { index });
    }
    return hash.toLowerCase() as Hex;
  });
  // stable: of equal hashes the one given first comes first (and is named as the original)
  const order = hashes
    .map((_, i) => i)
    .sort((a, b) => (hashes[a] < hashes[b] ? -1 : hashes[a] > hashes[b] ? 1 : 0));
  for (let i = 1; i < n; i++) {
    if (hashes[order[i]] === hashes[order[i - 1]]) {
      throw merkleError(`leaves ${order[i - 1]} and ${order[i]} are identical`, {
        index: order[i],
        duplicateOf: order[i - 1],
      });
    }
  }
  const size = 2 * n - 1;
  const bytes = new Array<Uint8Array>(size);
  const nodes = new Array<Hex>(size);
  const treeIndex = new Array<number>(n);
  order.forEach((valueIndex, i) => {
    nodes[size - 1 - i] = hashes[valueIndex];
    bytes[size - 1 - i] = Buffer.from(hashes[valueIndex].slice(2), "hex");
    treeIndex[valueIndex] = size - 1 - i;
  });
  const pair = new Uint8Array(64);
  let next = size - 1 - n; // the next inner node to compute, down to 0
  return {
    step(maxNodes) {
      for (let done = 0; next >= 0 && done < maxNodes; next--, done++) {
        const left = bytes[2 * next + 1];
        const right = bytes[2 * next + 2];
        const leftFirst = Buffer.compare(left, right) < 0;
        pair.set(leftFirst ? left : right, 0);
        pair.set(leftFirst ? right : left, 32);
        bytes[next] = keccak256Bytes(pair);
        nodes[next] = toHex(bytes[next]);
      }
      return next < 0;
    },
    get root() {
      if (next >= 0) throw new Error("the Merkle tree is not complete");
      return nodes[0];
    },
    nodes,
    proof(index) {
      if (next >= 0) throw new Error("the Merkle tree is not complete");
      const proof: Hex[] = [];
      for (let i = treeIndex[checkIndex(index, n)]; i > 0; i = Math.floor((i - 1) / 2)) {
        proof.push(nodes[i % 2 === 1 ? i + 1 : i - 1]);
      }
      return proof;
    },
  };
}

function checkProof(root: string, proof: readonly string[]): { root: Hex; proof: Hex[] } {
  try {
    if (!Array.isArray(proof)) throw merkleError("proof must be an array of bytes32", {});
    return {
      root: toBytes32(root, "root"),
      proof: proof.map((p, i) => toBytes32(p, `proof[${i}]`)),
    };
  } catch (error) {
    if (error instanceof CredtrailError && error.code !== ErrorCode.MERKLE_INVALID) {
      throw merkleError(error.message, { ...error.details }, error);
    }
    throw error;
  }
}

/**
 * Whether `value` is in the tree with `root`, by `proof`. Throws MERKLE_INVALID when the root,
 * proof or value is malformed; returns false when they are well formed but do not match.
 */
export function verifyMerkle(
  types: readonly string[],
  root: string,
  value: readonly unknown[],
  proof: readonly string[],
): boolean {
  const leafTypes = checkTypes(types);
  encodeLeaf(leafTypes, value);
  const checked = checkProof(root, proof);
  return StandardMerkleTree.verify(checked.root, leafTypes, [...value], checked.proof);
}

function recordLeafError(error: unknown, index?: number): unknown {
  if (error instanceof CredtrailError && error.code !== ErrorCode.MERKLE_INVALID) {
    const where = index === undefined ? "record leaf" : `record leaf ${index}`;
    return merkleError(`${where}: ${error.message}`, { index, ...error.details }, error);
  }
  return error;
}

/** A record leaf as the tuple the tree hashes (types checked, not the record rules). */
export function recordLeafTuple(leaf: RecordLeafInput): RecordLeafTuple {
  try {
    return [
      toBytes32(leaf.subject, "subject"),
      toBytes32(leaf.dataHash, "dataHash"),
      toUint64(leaf.observedAt, "observedAt"),
      toUint64(leaf.expiresAt, "expiresAt"),
      toSeverity(leaf.severity),
    ];
  } catch (error) {
    throw recordLeafError(error);
  }
}

/** Checks a record leaf against the record rules (see checkRecordFields); throws MERKLE_INVALID. */
export function normalizeRecordLeaf(leaf: RecordLeafInput, index?: number): RecordLeaf {
  try {
    return checkRecordFields(leaf);
  } catch (error) {
    throw recordLeafError(error, index);
  }
}

/** A record leaf with its batch root and proof, as a caller gives it (ICreditRegistry.LeafInput). */
export interface RecordLeafProofInput extends RecordLeafInput {
  root: string;
  proof: readonly string[];
}

/**
 * Checks a leaf with its proof (the record rules, the root and every proof element as bytes32;
 * errors name `name`.root and `name`.proof[i]) and returns it in normal form: the LeafInput
 * argument of recordLeaf and derive, on either ledger.
 */
export function normalizeLeafProof(leaf: RecordLeafProofInput, name = "leaf"): RecordLeafProof {
  const fields = checkRecordFields(leaf);
  const proof: unknown = leaf.proof;
  if (!Array.isArray(proof))
    throw new ValidationError(ErrorCode.HEX_INVALID, `${name}.proof must be an array of bytes32`, {
      details: { field: `${name}.proof` },
    });
  return {
    root: toBytes32(leaf.root, `${name}.root`),
    ...fields,
    proof: leaf.proof.map((p, i) => toBytes32(p, `${name}.proof[${i}]`)),
  };
}

/** keccak256(bytes.concat(keccak256(abi.encode(subject, dataHash, observedAt, expiresAt, severity)))). */
export function recordLeafHash(leaf: RecordLeafInput): Hex {
  return merkleLeafHash(RECORD_LEAF_TYPES, recordLeafTuple(leaf));
}

/** The attestation uid of a batch leaf: attestationUid with the batch's schema and provider. */
export function recordLeafUid(leaf: RecordLeafInput, anchor: RecordBatchAnchor): Hex {
  const [subject, dataHash, observedAt, expiresAt, severity] = recordLeafTuple(leaf);
  return attestationUid({
    schema: anchor.schema,
    provider: anchor.provider,
    subject,
    dataHash,
    observedAt,
    expiresAt,
    severity,
  });
}

/** Builds a record batch; rejects an empty batch, malformed or duplicate leaves (MERKLE_INVALID). */
export function buildRecordBatch(leaves: readonly RecordLeafInput[]): RecordBatch {
  const given: unknown = leaves;
  if (!Array.isArray(given) || leaves.length === 0)
    throw merkleError("a record batch needs at least one leaf", {});
  const normalized = leaves.map((leaf, index) => normalizeRecordLeaf(leaf, index));
  const tree = buildMerkle<RecordLeafTuple>(
    RECORD_LEAF_TYPES,
    normalized.map((l) => [l.subject, l.dataHash, l.observedAt, l.expiresAt, l.severity]),
  );
  return {
    root: tree.root,
    length: tree.length,
    leaves: normalized,
    tree,
    leafHash: (index) => tree.leafHash(index),
    proof: (index) => tree.proof(index),
    leafProof: (index) => ({
      root: tree.root,
      ...normalized[checkIndex(index, normalized.length)],
      proof: tree.proof(index),
    }),
    leafUid: (index, anchor) =>
      recordLeafUid(normalized[checkIndex(index, normalized.length)], anchor),
  };
}

/**
 * Whether a record leaf is in the batch with `root`, by `proof`. Throws MERKLE_INVALID when
 * malformed; returns false when well formed but not matching.
 */
export function verifyRecordProof(
  root: string,
  leaf: RecordLeafInput,
  proof: readonly string[],
): boolean {
  return verifyMerkle(RECORD_LEAF_TYPES, root, recordLeafTuple(leaf), proof);
}
