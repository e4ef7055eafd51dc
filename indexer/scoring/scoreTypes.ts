/** What the scoring service stores and serves: a subject's current score, its history and proofs. */
import type { Hex, ScoreGrade, ScoreReason } from "../../core/index.js";

/** Where a verified score's leaf is anchored, with what `credtrail verify` needs to check it. */
export interface StoredScoreProof {
  /** The leaf hash (core scoreLeafHash). */
  leaf: Hex;
  /** The Merkle path from the leaf to the root. */
  path: Hex[];
  root: Hex;
  batchTx: Hex;
  /** The block of the anchoring transaction. */
  blockNumber: bigint;
  blockHash: Hex;
  modelHash: Hex;
  /** The sorted input uids (their inputsHash is in the leaf). */
  inputs: Hex[];
}

/** One version of a subject's score. */
export interface StoredScore {
  subject: Hex;
  /** The version number (1, 2, …): the key of its history entry. */
  seq: number;
  value: number;
  grade: ScoreGrade;
  pd: number;
  /** Most points lost first. */
  reasons: ScoreReason[];
  modelHash: Hex;
  /** The timestamp of the as-of block (seconds). */
  asOf: bigint;
  /** The block the inputs were read at; the leaf's asOfBlock once verified. */
  asOfBlock: bigint;
  /** The records that counted, sorted. */
  inputs: Hex[];
  inputsHash: Hex;
  /** Records that would count but whose contents this node does not hold (left out of the score). */
  missingContents: Hex[];
  /** Milliseconds since the epoch when this version was computed. */
  changedAt: number;
  /** The earliest expiresAt (seconds) of a counting input after asOf; null when none expires. */
  nextExpiry: bigint | null;
  /** Set once the leaf is in an anchored score batch. */
  proof: StoredScoreProof | null;
}

/** What the service tells subscribers: a new version of a score, or a version now verified. */
export interface ScoreChange {
  type: "scored" | "verified";
  score: StoredScore;
}

/** The service's state as `_meta`-style status and provisional reasons read it. */
export interface ScoringStatus {
  modelHash: Hex;
  /** Whether the model is registered on the ledger (checked at each anchor). */
  modelRegistered: boolean | null;
  /** Whether this node has a scorer key (can anchor). */
  anchoring: boolean;
  anchorIntervalMs: number;
  /** Subjects whose current score is not verified yet. */
  pending: number;
  /** The last block whose updates were scored. */
  scoredBlock: bigint;
  lastAnchor: { root: Hex; count: number; txHash: Hex; blockNumber: bigint; at: number } | null;
  /** Why the last anchor attempt failed (cleared by the next success). */
  lastAnchorError: string | null;
  /** A batch sent and not yet confirmed by the indexer. */
  inflightRoot: Hex | null;
}
