/**
 * Score batches: a SCORER anchors a Merkle root over score leaves with
 * `anchorScoreBatch(root, modelHash, count, asOfBlock)`; a score is verified once its leaf is in an
 * anchored batch. A leaf commits to
 *
 *   (bytes32 subject, uint16 score, string grade, bytes32 modelHash, bytes32 inputsHash, uint64 asOfBlock)
 *
 * with inputsHash = keccak256(abi.encode(bytes32[] sorted input uids)) (core/ids inputsHash), hashed as
 * an OpenZeppelin StandardMerkleTree leaf: keccak256(bytes.concat(keccak256(abi.encode(leaf)))). The
 * tree is core/merkle buildMerkle, so proofs verify with OpenZeppelin's MerkleProof too.
 */
import type { Hex, Uint64Like } from "../abiValues.js";
import { toBytes32, toNonZeroBytes32, toUint64, UINT32_MAX } from "../abiValues.js";
import { CredtrailError, ErrorCode, ValidationError } from "../errors.js";
import { inputsHash } from "../ids.js";
import type { MerkleBatch } from "../merkle.js";
import { buildMerkle, merkleLeafHash, verifyMerkle } from "../merkle.js";
import type { ScoreGrade } from "./model.js";
import { MAX_SCORE, SCORE_GRADES } from "./model.js";
import type { ScoreResult } from "./score.js";

/** ABI types of a score leaf, in order. */
export const SCORE_LEAF_TYPES: readonly string[] = [
  "bytes32",
  "uint16",
  "string",
  "bytes32",
  "bytes32",
  "uint64",
];

/** A score leaf as a caller gives it. */
export interface ScoreLeafInput {
  subject: string;
  score: number;
  grade: string;
  modelHash: string;
  /** inputsHash(sorted input uids). */
  inputsHash: string;
  asOfBlock: Uint64Like;
}

/** A score leaf in normal form (lowercase hex, bigint block). */
export interface ScoreLeaf {
  subject: Hex;
  score: number;
  grade: ScoreGrade;
  modelHash: Hex;
  inputsHash: Hex;
  asOfBlock: bigint;
}

/** A score leaf as the tuple the tree hashes, in SCORE_LEAF_TYPES order. */
export type ScoreLeafTuple = [
  subject: Hex,
  score: number,
  grade: string,
  modelHash: Hex,
  inputsHash: Hex,
  asOfBlock: bigint,
];

/** What a verifier needs for one score: the leaf, the batch root and the Merkle path. */
export interface ScoreProof {
  leaf: ScoreLeaf;
  root: Hex;
  proof: Hex[];
}

/** A score batch ready to anchor, with a proof for every leaf. */
export interface ScoreBatchTree {
  /** The arguments of anchorScoreBatch. */
  readonly root: Hex;
  readonly modelHash: Hex;
  readonly count: number;
  readonly asOfBlock: bigint;
  readonly leaves: readonly ScoreLeaf[];
  readonly tree: MerkleBatch<ScoreLeafTuple>;
  leafHash(index: number): Hex;
  proof(index: number): Hex[];
  scoreProof(index: number): ScoreProof;
  /** The index of the subject's leaf, or −1. */
  indexOfSubject(subject: string): number;
}

/** core/ids {@link inputsHash} under its scoring name (the same function, not a second one). */
export const scoreInputsHash: (uids: readonly string[]) => Hex = inputsHash;

function leafError(
  message: string,
  details: Record<string, unknown>,
  cause?: unknown,
): ValidationError {
  return new ValidationError(ErrorCode.MERKLE_INVALID, message, { details, cause });
}

/** Checks a score leaf and returns it in normal form; throws MERKLE_INVALID naming the bad field. */
export function normalizeScoreLeaf(leaf: ScoreLeafInput, index?: number): ScoreLeaf {
  const where = index === undefined ? "score leaf" : `score leaf ${index}`;
  if (typeof leaf !== "object" || (leaf as unknown) === null)
    throw leafError(`${where} must be an object`, { index });
  try {
    const { score, grade } = leaf;
    if (!Number.isSafeInteger(score) || score < 0 || score > MAX_SCORE)
      throw new ValidationError(
        ErrorCode.INTEGER_INVALID,
        `score must be an integer 0…${MAX_SCORE}`,
        {
          details: { field: "score" },
        },
      );
    if (!(SCORE_GRADES as readonly string[]).includes(grade))
      throw new ValidationError(
        ErrorCode.MERKLE_INVALID,
        `grade must be one of ${SCORE_GRADES.join(", ")}`,
        {
          details: { field: "grade" },
        },
      );
    return {
      subject: toNonZeroBytes32(leaf.subject, "subject"),
      score,
      grade: grade as ScoreGrade,
      modelHash: toNonZeroBytes32(leaf.modelHash, "modelHash"),
      inputsHash: toBytes32(leaf.inputsHash, "inputsHash"),
      asOfBlock: toUint64(leaf.asOfBlock, "asOfBlock"),
    };
  } catch (error) {
    if (error instanceof CredtrailError)
      throw leafError(`${where}: ${error.message}`, { index, ...error.details }, error);
    throw error;
  }
}

/** A checked score leaf as the tuple the tree hashes. */
export function scoreLeafTuple(leaf: ScoreLeafInput): ScoreLeafTuple {
  const l = normalizeScoreLeaf(leaf);
  return [l.subject, l.score, l.grade, l.modelHash, l.inputsHash, l.asOfBlock];
}

/** keccak256(bytes.concat(keccak256(abi.encode(subject, score, grade, modelHash, inputsHash, asOfBlock)))). */
export function scoreLeafHash(leaf: ScoreLeafInput): Hex {
  return merkleLeafHash(SCORE_LEAF_TYPES, scoreLeafTuple(leaf));
}

/**
 * The leaf of a computed score. `asOfBlock` defaults to the one the score was computed with; the
 * subject must be known (pass options.subject to computeScore for a subject without records).
 */
export function scoreLeafOf(result: ScoreResult, asOfBlock?: Uint64Like): ScoreLeaf {
  const block = asOfBlock ?? result.asOfBlock;
  if (block === null)
    throw leafError("score leaf: asOfBlock is unknown (pass it to computeScore or here)", {
      field: "asOfBlock",
    });
  if (result.subject === null)
    throw leafError("score leaf: the score has no subject (pass options.subject to computeScore)", {
      field: "subject",
    });
  return normalizeScoreLeaf({
    subject: result.subject,
    score: result.value,
    grade: result.grade,
    modelHash: result.modelHash,
    inputsHash: inputsHash(result.inputUids),
    asOfBlock: block,
  });
}

/**
 * Builds a score batch. Every leaf must name the same model and as-of block (anchorScoreBatch
 * takes one of each) and a different subject; throws MERKLE_INVALID otherwise, or for an empty
 * batch or a malformed leaf.
 */
export function buildScoreBatch(leaves: readonly ScoreLeafInput[]): ScoreBatchTree {
  const given: unknown = leaves;
  if (!Array.isArray(given) || leaves.length === 0)
    throw leafError("a score batch needs at least one leaf", {});
  if (BigInt(leaves.length) > UINT32_MAX)
    throw leafError("a score batch holds at most 2^32 − 1 leaves", { count: leaves.length });
  const normalized = leaves.map((leaf, index) => normalizeScoreLeaf(leaf, index));
  const first = normalized[0];
  const bySubject = new Map<Hex, number>();
  normalized.forEach((leaf, index) => {
    if (leaf.modelHash !== first.modelHash)
      throw leafError(`score leaf ${index} names another model than leaf 0`, {
        index,
        modelHash: leaf.modelHash,
        expected: first.modelHash,
      });
    if (leaf.asOfBlock !== first.asOfBlock)
      throw leafError(`score leaf ${index} is as of another block than leaf 0`, {
        index,
        asOfBlock: leaf.asOfBlock.toString(),
        expected: first.asOfBlock.toString(),
      });
    const previous = bySubject.get(leaf.subject);
    if (previous !== undefined)
      throw leafError(`score leaves ${previous} and ${index} have the same subject`, {
        index,
        duplicateOf: previous,
      });
    bySubject.set(leaf.subject, index);
  });
  const tree = buildMerkle<ScoreLeafTuple>(
    SCORE_LEAF_TYPES,
    normalized.map((l) => [l.subject, l.score, l.grade, l.modelHash, l.inputsHash, l.asOfBlock]),
  );
  return {
    root: tree.root,
    modelHash: first.modelHash,
    count: normalized.length,
    asOfBlock: first.asOfBlock,
    leaves: normalized,
    tree,
    leafHash: (index) => tree.leafHash(index),
    proof: (index) => tree.proof(index),
    scoreProof: (index) => {
      const proof = tree.proof(index);
      return { leaf: normalized[index], root: tree.root, proof };
    },
    indexOfSubject: (subject) =>
      typeof subject === "string" ? (bySubject.get(subject.toLowerCase() as Hex) ?? -1) : -1,
  };
}

/**
 * Whether a score leaf is in the batch with `root`, by `proof`. Throws MERKLE_INVALID when the leaf,
 * proof or root is malformed; returns false when they are well formed but do not match.
 */
export function verifyScoreProof(
  leaf: ScoreLeafInput,
  proof: readonly string[],
  root: string,
): boolean {
  return verifyMerkle(SCORE_LEAF_TYPES, root, scoreLeafTuple(leaf), proof);
}
