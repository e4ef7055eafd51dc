/**
 * Scorecard features: which of a subject's records count at a point in time, and what each feature
 * of a (compiled) model makes of them, with the uids behind every value.
 *
 * A record counts when its status is active or repaired, it has not expired (`expiresAt` is 0 or
 * after `asOf`), it is not disputed (if the model excludes disputed records), and its behaviour ended
 * less than `retentionYears` before `asOf` (DOMAIN: negative information is used for 5 years from the
 * end of the behaviour). Each feature then only sees records whose behaviour ended within its window,
 * weighted 1, or `repairedWeight` when repaired (0: ignored). Records are processed in uid order, so
 * sums and tie-breaks do not depend on the order the caller gives them in.
 */
import type { Hex, Uint64Like } from "../abiValues.js";
import { isBytes32 } from "../abiValues.js";
import { ErrorCode, ValidationError } from "../errors.js";
import {
  addMonths,
  daysFromCivil,
  daysInMonth,
  localDay,
  monthIndex,
  parseIsoDay,
} from "./calendar.js";
import type { FeatureAggregate, ReasonCode, ScorecardModel } from "./model.js";
import { ScoringErrorCode, validateScorecardModel } from "./model.js";

export const SCORING_INPUT_STATUSES = [
  "active",
  "repaired",
  "revoked",
  "superseded",
  "stale",
  "expired",
] as const;
/**
 * What the indexer knows of a record: active; repaired (active and marked repaired); revoked;
 * superseded; stale (a derived record whose inputs changed); expired (the indexer may say so, or
 * leave it to `expiresAt`). Only active and repaired records can count.
 */
export type ScoringInputStatus = (typeof SCORING_INPUT_STATUSES)[number];

/** One record of the subject as the indexer hands it to the scorer. */
export interface ScoringInput {
  /** The attestation uid (bytes32). */
  uid: string;
  /** The record's schema name, e.g. "tax.payment.v1" (schemas the model does not read are ignored). */
  schema: string;
  /** The record contents (valid for its schema, see core/schemas validateRecord). */
  record: Readonly<Record<string, unknown>>;
  /** Seconds; breaks ties between records of the same period (the later observation wins). */
  observedAt: Uint64Like;
  /** Seconds; 0 when the record does not expire. */
  expiresAt: Uint64Like;
  status: ScoringInputStatus;
  /** Whether a dispute is open on it. */
  disputed?: boolean;
  /** The provider member id; not used by the score, carried for the caller's lineage. */
  provider?: string;
}

/** A feature's value: a number, a category (enum value or boolean), or null when missing. */
export type FeatureValue = number | string | boolean | null;

export interface FeatureResult {
  id: string;
  value: FeatureValue;
  /** The index of the bin the value fell in; −1 when missing. */
  bin: number;
  points: number;
  /** The best points the feature can give (its points lost = maxPoints − points). */
  maxPoints: number;
  /** The records the value was computed from (for latest and change: the ones chosen), by uid. */
  uids: Hex[];
}

export type ExclusionReason =
  | "revoked"
  | "superseded"
  | "stale"
  | "expired"
  | "disputed"
  | "beyondRetention"
  /** The model reads no records of this schema. */
  | "notInModel"
  /** Outside every feature's window, or repaired with weight 0 for every feature of its schema. */
  | "unused";

export interface ExcludedInput {
  uid: Hex;
  reason: ExclusionReason;
}

export interface FeatureSet {
  /** The subject of the records (from options, or the records' `subject` field); null if unknown. */
  subject: Hex | null;
  /** One result per model feature, in model order. */
  features: FeatureResult[];
  /** Every record that counted for at least one feature, sorted. */
  inputUids: Hex[];
  /** The records that did not count, and why, sorted by uid. */
  excluded: ExcludedInput[];
}

// ------------------------------------------------------------------------------------------------
// Compiled form
// ------------------------------------------------------------------------------------------------

const EQUALS = 0;
const MIN = 1;
const MAX = 2;
const PRESENT = 3;

interface CompiledCondition {
  field: string;
  test: typeof EQUALS | typeof MIN | typeof MAX | typeof PRESENT;
  value: string | number | boolean;
}

export interface CompiledFeature {
  readonly index: number;
  readonly id: string;
  readonly aggregate: FeatureAggregate;
  readonly field: string | undefined;
  readonly conditions: readonly CompiledCondition[];
  readonly windowMonths: number | undefined;
  readonly repairedWeight: number;
  /** Numeric bins: upper bounds (the last is Infinity). Empty for categorical features. */
  readonly binMax: readonly number[];
  readonly binPoints: readonly number[];
  /** Categorical features: value → bin index. */
  readonly categories: ReadonlyMap<string | boolean, number> | undefined;
  readonly missingPoints: number;
  readonly maxPoints: number;
  readonly reason: ReasonCode;
}

interface CompiledSchema {
  readonly name: string;
  readonly dateField: string | undefined;
  readonly ongoing: boolean;
  readonly yearField: string | undefined;
  readonly monthField: string | undefined;
  readonly features: readonly CompiledFeature[];
}

export interface CompiledFeatures {
  readonly features: readonly CompiledFeature[];
  readonly schemas: ReadonlyMap<string, CompiledSchema>;
  readonly retentionYears: number;
  readonly dayOffsetMinutes: number;
  readonly excludeDisputed: boolean;
}

/** Validates a model (MODEL_INVALID) and precomputes its feature evaluators. */
export function compileFeatures(model: ScorecardModel): CompiledFeatures {
  validateScorecardModel(model);
  const features = model.features.map((f, index): CompiledFeature => {
    const numeric = f.bins.every((b) => !("values" in b));
    const binPoints = f.bins.map((b) => b.points);
    const categories = numeric
      ? undefined
      : new Map(
          f.bins.flatMap((b, i) => ("values" in b ? b.values.map((v) => [v, i] as const) : [])),
        );
    return {
      index,
      id: f.id,
      aggregate: f.aggregate,
      field: f.field,
      conditions: (f.where ?? []).map((c): CompiledCondition => {
        if (c.equals !== undefined) return { field: c.field, test: EQUALS, value: c.equals };
        if (c.min !== undefined) return { field: c.field, test: MIN, value: c.min };
        if (c.max !== undefined) return { field: c.field, test: MAX, value: c.max };
        return { field: c.field, test: PRESENT, value: c.present === true };
      }),
      windowMonths: f.windowMonths,
      repairedWeight: f.repairedWeight ?? 1,
      binMax: numeric
        ? f.bins.map((b) => ("max" in b && b.max !== undefined ? b.max : Infinity))
        : [],
      binPoints,
      categories,
      missingPoints: f.missingPoints,
      maxPoints: Math.max(f.missingPoints, ...binPoints),
      reason: { code: f.reason.code, text: f.reason.text },
    };
  });
  const schemas = new Map<string, CompiledSchema>();
  for (const [name, entry] of Object.entries(model.schemas)) {
    const dating = entry.dating;
    const byDate = "date" in dating;
    schemas.set(name, {
      name,
      dateField: byDate ? dating.date : undefined,
      ongoing: byDate && dating.ifMissing === "ongoing",
      yearField: byDate ? undefined : dating.year,
      monthField: byDate ? undefined : dating.month,
      features: features.filter((f) => model.features[f.index].schema === name),
    });
  }
  return {
    features,
    schemas,
    retentionYears: model.retentionYears,
    dayOffsetMinutes: model.dayOffsetMinutes,
    excludeDisputed: model.disputed === "exclude",
  };
}

// ------------------------------------------------------------------------------------------------
// Inputs
// ------------------------------------------------------------------------------------------------

function inputError(message: string, details: Record<string, unknown>): ValidationError {
  return new ValidationError(ScoringErrorCode.SCORE_INPUT_INVALID, message, { details });
}

function recordError(uid: string, schema: string, field: string, problem: string): ValidationError {
  return new ValidationError(
    ErrorCode.RECORD_INVALID,
    `record ${uid} (${schema}): ${field} ${problem}`,
    { details: { uid, schema, field, problem } },
  );
}

const MAX_SAFE_BIGINT = BigInt(Number.MAX_SAFE_INTEGER);

function seconds(value: unknown, index: number, name: string): number {
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === "bigint" && value >= 0n && value <= MAX_SAFE_BIGINT) return Number(value);
  throw inputError(`inputs[${index}].${name} must be a non-negative integer of seconds`, {
    index,
    field: name,
  });
}

interface Normalized {
  uid: Hex;
  input: ScoringInput;
  observedAt: number;
  expiresAt: number;
}

function normalize(input: ScoringInput, index: number): Normalized {
  if (typeof input !== "object" || input === null)
    throw inputError(`inputs[${index}] must be an object`, { index });
  const { uid, schema, record, status, disputed } = input;
  if (!isBytes32(uid))
    throw inputError(`inputs[${index}].uid must be 32 bytes of 0x-prefixed hex`, {
      index,
      field: "uid",
    });
  if (typeof schema !== "string" || schema.length === 0)
    throw inputError(`inputs[${index}].schema must be a schema name`, { index, field: "schema" });
  if (!(SCORING_INPUT_STATUSES as readonly string[]).includes(status))
    throw inputError(
      `inputs[${index}].status must be one of ${SCORING_INPUT_STATUSES.join(", ")}`,
      { index, field: "status", value: typeof status === "string" ? status : typeof status },
    );
  if (typeof record !== "object" || record === null || Array.isArray(record))
    throw inputError(`inputs[${index}].record must be the record's JSON object`, {
      index,
      field: "record",
    });
  if (disputed !== undefined && typeof disputed !== "boolean")
    throw inputError(`inputs[${index}].disputed must be a boolean`, { index, field: "disputed" });
  return {
    uid: uid.toLowerCase() as Hex,
    input,
    observedAt: seconds(input.observedAt, index, "observedAt"),
    expiresAt: seconds(input.expiresAt, index, "expiresAt"),
  };
}

function byUid(a: Normalized, b: Normalized): number {
  return a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0;
}

/** The last local day of the record's behaviour; Infinity while it is ongoing. */
function endDay(
  schema: CompiledSchema,
  uid: Hex,
  record: Readonly<Record<string, unknown>>,
): number {
  if (schema.dateField !== undefined) {
    const value = record[schema.dateField];
    if (value === undefined && schema.ongoing) return Infinity;
    const day = parseIsoDay(value);
    if (day === undefined)
      throw recordError(uid, schema.name, schema.dateField, "must be a date YYYY-MM-DD");
    return day;
  }
  const yearField = schema.yearField as string;
  const year = record[yearField];
  if (!Number.isSafeInteger(year) || (year as number) < 1 || (year as number) > 9999)
    throw recordError(uid, schema.name, yearField, "must be a year");
  if (schema.monthField === undefined) return daysFromCivil(year as number, 12, 31);
  const month = record[schema.monthField];
  if (!Number.isSafeInteger(month) || (month as number) < 1 || (month as number) > 12)
    throw recordError(uid, schema.name, schema.monthField, "must be a month 1…12");
  return daysFromCivil(
    year as number,
    month as number,
    daysInMonth(year as number, month as number),
  );
}

function holds(
  conditions: readonly CompiledCondition[],
  record: Readonly<Record<string, unknown>>,
): boolean {
  for (const c of conditions) {
    const value = record[c.field];
    switch (c.test) {
      case EQUALS:
        if (value !== c.value) return false;
        break;
      case MIN:
        if (typeof value !== "number" || value < (c.value as number)) return false;
        break;
      case MAX:
        if (typeof value !== "number" || value > (c.value as number)) return false;
        break;
      case PRESENT:
        if ((value !== undefined) !== c.value) return false;
        break;
    }
  }
  return true;
}

// ------------------------------------------------------------------------------------------------
// Evaluation
// ------------------------------------------------------------------------------------------------

/** A record chosen by a latest / change feature. */
interface Pick {
  endDay: number;
  observedAt: number;
  uid: Hex;
  value: number | string | boolean;
}

/** Per-feature accumulator. */
interface Accumulator {
  present: boolean;
  matched: boolean;
  total: number;
  uids: Hex[];
  months: Set<number> | undefined;
  latest: Pick | undefined;
  earliest: Pick | undefined;
}

function numberField(
  feature: CompiledFeature,
  schema: string,
  uid: Hex,
  record: Readonly<Record<string, unknown>>,
): number {
  const value = record[feature.field as string];
  if (typeof value !== "number" || !Number.isFinite(value))
    throw recordError(uid, schema, feature.field as string, "must be a finite number");
  return value;
}

function accumulate(
  feature: CompiledFeature,
  acc: Accumulator,
  schema: string,
  n: Normalized,
  day: number,
  weight: number,
): void {
  const record = n.input.record;
  switch (feature.aggregate) {
    case "count":
      acc.total += weight;
      break;
    case "sum":
      acc.total += weight * numberField(feature, schema, n.uid, record);
      break;
    case "max": {
      const value = weight * numberField(feature, schema, n.uid, record);
      acc.total = acc.matched ? Math.max(acc.total, value) : value;
      break;
    }
    case "distinctMonths":
      (acc.months ??= new Set()).add(monthIndex(day));
      break;
    case "latest": {
      const field = feature.field as string;
      let value: number | string | boolean;
      if (feature.categories === undefined) {
        value = numberField(feature, schema, n.uid, record);
      } else {
        const category = record[field] as string | boolean;
        if (!feature.categories.has(category))
          throw recordError(n.uid, schema, field, "has a value the model has no bin for");
        value = category;
      }
      // uid order: on a full tie the first (smallest uid) stays
      const l = acc.latest;
      if (l === undefined || day > l.endDay || (day === l.endDay && n.observedAt > l.observedAt))
        acc.latest = { endDay: day, observedAt: n.observedAt, uid: n.uid, value };
      acc.matched = true;
      return;
    }
    case "change": {
      const value = numberField(feature, schema, n.uid, record);
      const pick = { endDay: day, observedAt: n.observedAt, uid: n.uid, value };
      const l = acc.latest;
      if (l === undefined || day > l.endDay || (day === l.endDay && n.observedAt > l.observedAt))
        acc.latest = pick;
      const e = acc.earliest;
      if (e === undefined || day < e.endDay || (day === e.endDay && n.observedAt > e.observedAt))
        acc.earliest = pick;
      acc.matched = true;
      return;
    }
  }
  acc.matched = true;
  acc.uids.push(n.uid);
}

function percentChange(from: number, to: number): number {
  if (from === 0) return to > 0 ? 100 : to < 0 ? -100 : 0;
  // multiply first: whole-number changes stay exact at bin edges (−30 %, not −30.000000000000004 %)
  return ((to - from) * 100) / from;
}

function finish(feature: CompiledFeature, acc: Accumulator): FeatureResult {
  let value: FeatureValue = null;
  let uids = acc.uids;
  if (acc.present) {
    switch (feature.aggregate) {
      case "count":
      case "sum":
      case "max":
        value = acc.matched ? acc.total : 0;
        break;
      case "distinctMonths":
        value = acc.months?.size ?? 0;
        break;
      case "latest":
        if (acc.latest !== undefined) {
          value = acc.latest.value;
          uids = [acc.latest.uid];
        }
        break;
      case "change": {
        const { earliest, latest } = acc;
        if (earliest !== undefined && latest !== undefined && earliest.endDay < latest.endDay) {
          value = percentChange(earliest.value as number, latest.value as number);
          uids =
            earliest.uid < latest.uid ? [earliest.uid, latest.uid] : [latest.uid, earliest.uid];
        } else {
          uids = [];
        }
        break;
      }
    }
  }
  if (value === null)
    return {
      id: feature.id,
      value,
      bin: -1,
      points: feature.missingPoints,
      maxPoints: feature.maxPoints,
      uids: [],
    };
  let bin: number;
  if (feature.categories !== undefined) {
    bin = feature.categories.get(value as string | boolean) as number;
  } else {
    const v = value as number;
    bin = 0;
    while (v > feature.binMax[bin]) bin++;
  }
  return {
    id: feature.id,
    value,
    bin,
    points: feature.binPoints[bin],
    maxPoints: feature.maxPoints,
    uids,
  };
}

interface DayBounds {
  asOfDay: number;
  /** Per feature: the first local day a record may end on to be in the window. */
  windowStart: number[];
  /** The first day after the end of the behaviour for which a record is still retained at asOfDay. */
  retentionCutoff: number;
}

/** The last bounds computed per compiled model: a rescoring run uses one asOf for every subject. */
const lastBounds = new WeakMap<CompiledFeatures, DayBounds>();

function dayBounds(compiled: CompiledFeatures, asOfDay: number): DayBounds {
  const cached = lastBounds.get(compiled);
  if (cached?.asOfDay === asOfDay) return cached;
  const months = 12 * compiled.retentionYears;
  // the smallest E with addMonths(E, months) > asOfDay (addMonths is non-decreasing in E)
  let cutoff = addMonths(asOfDay, -months);
  while (addMonths(cutoff, months) > asOfDay) cutoff--;
  while (addMonths(cutoff, months) <= asOfDay) cutoff++;
  const bounds: DayBounds = {
    asOfDay,
    windowStart: compiled.features.map((f) =>
      f.windowMonths === undefined ? -Infinity : addMonths(asOfDay, -f.windowMonths),
    ),
    retentionCutoff: cutoff,
  };
  lastBounds.set(compiled, bounds);
  return bounds;
}

/** Options of {@link computeFeatures}. */
export interface FeatureOptions {
  /** Unix seconds: the time the score is as of (the as-of block's timestamp). */
  asOf: number;
  /** When given, every record's `subject` field must equal it. */
  subject?: string;
}

/**
 * Computes every feature of a compiled model from a subject's records at `asOf`. Throws
 * SCORE_INPUT_INVALID for a malformed input (bad uid, status, times; duplicate uids; records of
 * several subjects) and RECORD_INVALID for a record field a feature needs that is malformed.
 */
export function computeFeatures(
  compiled: CompiledFeatures,
  inputs: readonly ScoringInput[],
  options: FeatureOptions,
): FeatureSet {
  const given: unknown = inputs;
  if (!Array.isArray(given)) throw inputError("inputs must be an array", {});
  const asOf = options.asOf;
  if (!Number.isSafeInteger(asOf) || asOf < 0)
    throw inputError("asOf must be a non-negative integer of seconds", { field: "asOf" });
  const asOfDay = localDay(asOf, compiled.dayOffsetMinutes);
  let subject: Hex | null = null;
  if (options.subject !== undefined) {
    if (!isBytes32(options.subject))
      throw inputError("subject must be 32 bytes of 0x-prefixed hex", { field: "subject" });
    subject = options.subject.toLowerCase() as Hex;
  }

  const sorted = inputs.map(normalize).sort(byUid);
  const features = compiled.features;
  const { windowStart, retentionCutoff } = dayBounds(compiled, asOfDay);
  const accs: Accumulator[] = features.map(() => ({
    present: false,
    matched: false,
    total: 0,
    uids: [],
    months: undefined,
    latest: undefined,
    earliest: undefined,
  }));
  const inputUids: Hex[] = [];
  const excluded: ExcludedInput[] = [];

  for (let i = 0; i < sorted.length; i++) {
    const n = sorted[i];
    if (i > 0 && sorted[i - 1].uid === n.uid)
      throw inputError(`uid ${n.uid} is given twice`, { uid: n.uid });
    const { input, uid } = n;
    const recordSubject = input.record.subject;
    if (recordSubject !== subject) {
      // the common case (lowercase, as records are hashed) skips the checks after the first record
      if (!isBytes32(recordSubject))
        throw recordError(uid, input.schema, "subject", "must be the subject id (bytes32)");
      const lower = recordSubject.toLowerCase() as Hex;
      if (subject === null) subject = lower;
      else if (lower !== subject)
        throw inputError(`record ${uid} is about another subject`, {
          uid,
          subject: lower,
          expected: subject,
        });
    }

    const status = input.status;
    if (status !== "active" && status !== "repaired") {
      excluded.push({ uid, reason: status });
      continue;
    }
    if (n.expiresAt !== 0 && n.expiresAt <= asOf) {
      excluded.push({ uid, reason: "expired" });
      continue;
    }
    if (compiled.excludeDisputed && input.disputed === true) {
      excluded.push({ uid, reason: "disputed" });
      continue;
    }
    const schema = compiled.schemas.get(input.schema);
    if (schema === undefined) {
      excluded.push({ uid, reason: "notInModel" });
      continue;
    }
    const day = endDay(schema, uid, input.record);
    if (day + 1 < retentionCutoff) {
      excluded.push({ uid, reason: "beyondRetention" });
      continue;
    }
    const repaired = status === "repaired";
    let used = false;
    for (const feature of schema.features) {
      if (day < windowStart[feature.index]) continue;
      const weight = repaired ? feature.repairedWeight : 1;
      if (weight === 0) continue;
      const acc = accs[feature.index];
      acc.present = true;
      used = true;
      if (holds(feature.conditions, input.record))
        accumulate(feature, acc, schema.name, n, day, weight);
    }
    if (used) inputUids.push(uid);
    else excluded.push({ uid, reason: "unused" });
  }

  return {
    subject,
    features: features.map((f) => finish(f, accs[f.index])),
    inputUids,
    excluded,
  };
}
