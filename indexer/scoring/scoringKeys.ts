/**
 * The scoring service's keys, in the sublevel `scoring` of the node's database — outside the
 * indexer's sublevel and its undo log: scores are derived state, and after a reorg the indexer
 * names the touched subjects, which are rescored.
 *
 * | key                                   | value          | what                                        |
 * | ------------------------------------- | -------------- | ------------------------------------------- |
 * | `m:state`                             | ScoringMeta    | model hash and last scored block            |
 * | `cur:<subject>`                       | StoredScore    | the current score                           |
 * | `his:<subject>:<seq 10>`              | StoredScore    | every version (newest last in key order)    |
 * | `pen:<subject>`                       | ""             | changed since the last anchored batch       |
 * | `exp:<time 13>:<subject>`             | ""             | next expiry of a counting input             |
 * | `bat:<root>`                          | SentBatch      | a batch sent and not yet confirmed          |
 * | `ab:<block 16>:<root>`                | AnchoredBatch  | confirmed batches, by anchoring block       |
 */
import type { Hex } from "../../core/index.js";
import { WIDTH, pad, padBlock, padTime, prefixEnd } from "../keys.js";

export const SCORING_SUBLEVEL = "scoring";

export const scoringKeys = {
  meta: (): string => "m:state",
  current: (subject: Hex): string => `cur:${subject}`,
  currentPrefix: "cur:",
  history: (subject: Hex, seq: number): string => `his:${subject}:${pad(seq, WIDTH.seq)}`,
  historyPrefix: (subject: Hex): string => `his:${subject}:`,
  pending: (subject: Hex): string => `pen:${subject}`,
  pendingPrefix: "pen:",
  expiry: (at: bigint, subject: Hex): string => `exp:${padTime(at)}:${subject}`,
  expiryPrefix: "exp:",
  batch: (root: Hex): string => `bat:${root}`,
  batchPrefix: "bat:",
  anchored: (block: bigint, root: Hex): string => `ab:${padBlock(block)}:${root}`,
  /** Confirmed batches anchored after `block`. */
  anchoredAfter: (block: bigint): string => `ab:${padBlock(block + 1n)}`,
  anchoredEnd: prefixEnd("ab:"),
};

export interface ScoringMeta {
  modelHash: Hex;
  /** The indexer checkpoint whose updates were all scored. */
  scoredBlock: bigint;
  /**
   * The model's calendar day (days since the epoch, local) of the last scoring of every subject:
   * feature windows and retention move by days, so the first block of a new day rescores all.
   */
  day?: bigint;
}

/** A batch handed to the ledger; kept until confirmed, so a restart can finish it. */
export interface SentBatch {
  root: Hex;
  modelHash: Hex;
  asOfBlock: bigint;
  count: number;
  /** The leaves, in leaf order (enough to rebuild the tree after a restart). */
  subjects: Hex[];
  scores: number[];
  grades: string[];
  inputsHashes: Hex[];
  /** For each leaf, the score version it was batched from. */
  seqs: number[];
  sentAt: number;
}

/** A confirmed batch: which score versions it verified (a reorg that drops it unverifies them). */
export interface AnchoredBatch {
  root: Hex;
  block: bigint;
  subjects: Hex[];
  seqs: number[];
}
