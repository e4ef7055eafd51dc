/**
 * Scores: a compiled scorecard turns a subject's records into a score, a probability of default, a
 * grade and reason codes. Compile the model once (validation, hashing and table building happen
 * there); {@link computeScore} then does no JSON work and no hashing, so a rescoring run over every
 * subject pays only for the feature arithmetic.
 *
 * score = clamp(basePoints + Σ feature points, minScore, maxScore); the points are on the
 * points-to-double-the-odds scale, so odds = baseOdds · 2^((score − baseScore) / pdo) and
 * pd = 1 / (1 + odds). Reasons are the features that lost the most points against their best bin.
 */
import type { Hex, Uint64Like } from "../abiValues.js";
import { ValidationError } from "../errors.js";
import { modelHash } from "../ids.js";
import type { CompiledFeatures, ExcludedInput, FeatureResult, ScoringInput } from "./features.js";
import { compileFeatures, computeFeatures } from "./features.js";
import type { ScoreGrade, ScorecardModel, ScorecardScaling } from "./model.js";
import { ScoringErrorCode, validateScorecardModel } from "./model.js";

/** A model ready to score with: the frozen document, its hash and its evaluators. */
export interface CompiledScorecard {
  /** A deep-frozen copy of the validated document. */
  readonly model: Readonly<ScorecardModel>;
  /** keccak256 of the canonical JSON document (what the ledger registers). */
  readonly modelHash: Hex;
  readonly features: CompiledFeatures;
  /** pd of every score from minScore to maxScore (index: score − minScore). */
  readonly pdTable: readonly number[];
  /** Grade of every score from minScore to maxScore. */
  readonly gradeTable: readonly ScoreGrade[];
  /** computeScore(this, inputs, options). */
  score(inputs: readonly ScoringInput[], options: ScoreOptions): ScoreResult;
}

export interface ScoreOptions {
  /** Unix seconds the score is as of: the timestamp of the as-of block. */
  asOf: Uint64Like;
  /** The block the inputs were read at (goes into the score-batch leaf). */
  asOfBlock?: Uint64Like;
  /** The subject id; when given, every record must be about it (otherwise taken from the records). */
  subject?: string;
}

export interface ScoreReason {
  code: string;
  text: string;
  /** The feature id. */
  feature: string;
  /** Best points of the feature minus the points it gave. */
  pointsLost: number;
}

export interface ScoreResult {
  /** The subject id; null when neither the options nor any record named it. */
  subject: Hex | null;
  /** The score, an integer in [minScore, maxScore]. */
  value: number;
  grade: ScoreGrade;
  /** Probability of default, rounded to the model's pdDecimals. */
  pd: number;
  /** basePoints + Σ feature points, before clamping. */
  points: number;
  /** At most reasonCount, most points lost first (ties: model order); none that lost nothing. */
  reasons: ScoreReason[];
  /** Every record that counted, sorted (the score-batch leaf commits to their inputsHash). */
  inputUids: Hex[];
  modelHash: Hex;
  asOf: bigint;
  asOfBlock: bigint | null;
  features: FeatureResult[];
  excluded: ExcludedInput[];
}

const compiledScorecards = new WeakSet<object>();

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** The unrounded probability of default at `score` on the model's scale. */
export function probabilityOfDefault(scaling: ScorecardScaling, score: number): number {
  const odds = scaling.baseOdds * 2 ** ((score - scaling.baseScore) / scaling.pdo);
  return 1 / (1 + odds);
}

/** The points-to-double-the-odds constants: score = offset + factor · ln(odds). */
export function scalingConstants(scaling: ScorecardScaling): { factor: number; offset: number } {
  const factor = scaling.pdo / Math.LN2;
  return { factor, offset: scaling.baseScore - factor * Math.log(scaling.baseOdds) };
}

/**
 * Validates a model document (ValidationError MODEL_INVALID) and compiles it: a frozen copy, its
 * hash, feature evaluators, and the pd and grade of every possible score.
 */
export function compileModel(document: unknown): CompiledScorecard {
  validateScorecardModel(document);
  const model = deepFreeze(structuredClone(document));
  const { scaling } = model;
  const scale = 10 ** scaling.pdDecimals;
  const pdTable: number[] = [];
  const gradeTable: ScoreGrade[] = [];
  for (let score = scaling.minScore; score <= scaling.maxScore; score++) {
    pdTable.push(Math.round(probabilityOfDefault(scaling, score) * scale) / scale);
    gradeTable.push((model.grades.find((band) => score >= band.minScore) ?? model.grades[0]).grade);
  }
  const compiled: CompiledScorecard = {
    model,
    modelHash: modelHash(model),
    features: compileFeatures(model),
    pdTable,
    gradeTable,
    score: (inputs, options) => computeScore(compiled, inputs, options),
  };
  compiledScorecards.add(compiled);
  return Object.freeze(compiled);
}

function optionError(message: string, field: string): ValidationError {
  return new ValidationError(ScoringErrorCode.SCORE_INPUT_INVALID, message, { details: { field } });
}

const UINT64_LIMIT = 1n << 64n;
const MAX_SAFE_BIGINT = BigInt(Number.MAX_SAFE_INTEGER);

function uint64(value: unknown, field: string): bigint {
  if (typeof value === "bigint" && value >= 0n && value < UINT64_LIMIT) return value;
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  throw optionError(`${field} must be a non-negative integer (uint64)`, field);
}

/**
 * The score of a subject's records at `options.asOf` under a compiled model. Deterministic: the
 * same inputs in any order give the same result. Throws SCORE_INPUT_INVALID for a bad input or
 * option and RECORD_INVALID for a malformed record field a feature reads.
 */
export function computeScore(
  model: CompiledScorecard,
  inputs: readonly ScoringInput[],
  options: ScoreOptions,
): ScoreResult {
  if (!compiledScorecards.has(model))
    throw optionError(
      "computeScore needs a model compiled with compileModel (compile it once, score many)",
      "model",
    );
  const asOf = uint64(options.asOf, "asOf");
  if (asOf > MAX_SAFE_BIGINT) throw optionError("asOf is out of range", "asOf");
  const asOfBlock = options.asOfBlock === undefined ? null : uint64(options.asOfBlock, "asOfBlock");
  const set = computeFeatures(model.features, inputs, {
    asOf: Number(asOf),
    ...(options.subject === undefined ? {} : { subject: options.subject }),
  });
  const { scaling, reasonCount } = model.model;
  let points = scaling.basePoints;
  for (const f of set.features) points += f.points;
  const value = Math.min(scaling.maxScore, Math.max(scaling.minScore, points));
  const reasons: ScoreReason[] = [];
  const compiledFeatures = model.features.features;
  for (let i = 0; i < set.features.length; i++) {
    const f = set.features[i];
    const lost = f.maxPoints - f.points;
    if (lost > 0) {
      const { code, text } = compiledFeatures[i].reason;
      reasons.push({ code, text, feature: f.id, pointsLost: lost });
    }
  }
  // stable sort: ties keep model order
  reasons.sort((a, b) => b.pointsLost - a.pointsLost);
  reasons.length = Math.min(reasons.length, reasonCount);
  return {
    subject: set.subject,
    value,
    grade: model.gradeTable[value - scaling.minScore],
    pd: model.pdTable[value - scaling.minScore],
    points,
    reasons,
    inputUids: set.inputUids,
    modelHash: model.modelHash,
    asOf,
    asOfBlock,
    features: set.features,
    excluded: set.excluded,
  };
}

/** The fields of a credit.score.v1 record for a score (see core/schemas). */
export interface CreditScoreRecord {
  subject: Hex;
  score: number;
  grade: ScoreGrade;
  probabilityOfDefault: number;
  modelHash: Hex;
  reasonCodes?: string;
}

/** The credit.score.v1 record of a score; throws SCORE_INPUT_INVALID when the subject is unknown. */
export function creditScoreRecord(result: ScoreResult): CreditScoreRecord {
  if (result.subject === null)
    throw optionError("the score has no subject: pass options.subject to computeScore", "subject");
  const record: CreditScoreRecord = {
    subject: result.subject,
    score: result.value,
    grade: result.grade,
    probabilityOfDefault: result.pd,
    modelHash: result.modelHash,
  };
  if (result.reasons.length > 0) record.reasonCodes = result.reasons.map((r) => r.code).join(",");
  return record;
}
