/**
 * One subject's score from its inputs: the scorecard's result as a stored version, and whether it
 * differs from the current one in anything a reader sees (value, grade, model, inputs, reasons,
 * missing contents) — only then is it a new version, provisional until anchored.
 */
import type { CompiledScorecard, Hex, ScoreResult, ScoringInput } from "../../core/index.js";
import { ErrorCode, isCredtrailError, scoreInputsHash } from "../../core/index.js";
import type { StoredScore } from "./scoreTypes.js";
import type { SubjectInputs } from "./scoringInputs.js";

export interface ComputedScore {
  result: ScoreResult;
  /** Inputs left out because a field a feature reads is malformed (logged by the caller). */
  invalid: Hex[];
}

/**
 * Scores the inputs; a record whose field a feature reads is malformed (RECORD_INVALID naming its
 * uid) is left out rather than failing the subject's score.
 */
export function computeSubjectScore(
  model: CompiledScorecard,
  subject: Hex,
  inputs: readonly ScoringInput[],
  asOf: bigint,
  asOfBlock: bigint,
): ComputedScore {
  let current = inputs;
  const invalid: Hex[] = [];
  for (;;) {
    try {
      return { result: model.score(current, { asOf, asOfBlock, subject }), invalid };
    } catch (error) {
      const uid = isCredtrailError(error, ErrorCode.RECORD_INVALID)
        ? error.details?.uid
        : undefined;
      if (typeof uid !== "string" || !current.some((i) => i.uid === uid)) throw error;
      invalid.push(uid as Hex);
      current = current.filter((i) => i.uid !== uid);
    }
  }
}

/** The stored version of a computed score (seq and changedAt filled by the caller). */
export function storedScoreOf(
  subject: Hex,
  computed: ComputedScore,
  subjectInputs: SubjectInputs,
  seq: number,
  changedAt: number,
): StoredScore {
  const { result } = computed;
  const counted = new Set<string>(result.inputUids);
  for (const uid of subjectInputs.missing) counted.add(uid);
  let nextExpiry: bigint | null = null;
  for (const input of subjectInputs.inputs) {
    const expiresAt = BigInt(input.expiresAt);
    if (expiresAt === 0n || expiresAt <= result.asOf || !counted.has(input.uid)) continue;
    if (nextExpiry === null || expiresAt < nextExpiry) nextExpiry = expiresAt;
  }
  const missing = [...subjectInputs.missing, ...computed.invalid].sort();
  return {
    subject,
    seq,
    value: result.value,
    grade: result.grade,
    pd: result.pd,
    reasons: result.reasons,
    modelHash: result.modelHash,
    asOf: result.asOf,
    asOfBlock: result.asOfBlock ?? 0n,
    inputs: result.inputUids,
    inputsHash: scoreInputsHash(result.inputUids),
    missingContents: missing,
    changedAt,
    nextExpiry,
    proof: null,
  };
}

/** Whether two versions show the same score (everything but the as-of block, times and proof). */
export function sameScore(a: StoredScore, b: StoredScore): boolean {
  return (
    a.value === b.value &&
    a.grade === b.grade &&
    a.modelHash === b.modelHash &&
    a.inputsHash === b.inputsHash &&
    a.missingContents.join() === b.missingContents.join() &&
    a.reasons.map((r) => `${r.code}:${r.pointsLost}`).join() ===
      b.reasons.map((r) => `${r.code}:${r.pointsLost}`).join()
  );
}
