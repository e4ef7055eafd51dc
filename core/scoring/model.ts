/**
 * The scorecard model: a JSON document that says, for every feature, which records it reads, how it
 * aggregates them, how it bins the result into points, how repaired negatives count and which reason
 * code it raises; plus the points-to-double-the-odds scaling, the grade bands and the retention rule.
 *
 * The model's id on the ledger is the hash of its canonical JSON (core/ids modelHash); a SCORER
 * registers it (`registerModel(modelHash, uri)`). Any change — a point, a bin edge, a description —
 * is a new model with a new hash, and scores keep naming the model they were computed with.
 * Validation rejects unknown properties, so every property of a valid model is one this code reads.
 */
import type { Hex } from "../abiValues.js";
import { assertJsonValue, canonicalJson } from "../canonicalJson.js";
import { ValidationError } from "../errors.js";
import { modelHash } from "../ids.js";
import type { FieldDefinition, SchemaDefinition } from "../schemas.js";
import { fieldProblem, SCHEMAS } from "../schemas.js";

/** Error codes of the scoring module (not yet in core/errors ErrorCode). */
export const ScoringErrorCode = {
  /** A scorecard model document breaks a rule; `details.issues` lists every problem. */
  MODEL_INVALID: "MODEL_INVALID",
  /** A scoring input (not its record contents) is malformed. */
  SCORE_INPUT_INVALID: "SCORE_INPUT_INVALID",
} as const;
export type ScoringErrorCode = (typeof ScoringErrorCode)[keyof typeof ScoringErrorCode];

/** The `format` every version-1 scorecard document carries. */
export const SCORECARD_FORMAT = "credtrail.scorecard/1";

/** Grades best first; the same list as the `grade` enum of credit.score.v1. */
export const SCORE_GRADES = ["AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C"] as const;
export type ScoreGrade = (typeof SCORE_GRADES)[number];

/** The highest score credit.score.v1 can hold. */
export const MAX_SCORE = 1000;

export const FEATURE_AGGREGATES = [
  "latest",
  "count",
  "sum",
  "max",
  "distinctMonths",
  "change",
] as const;
/**
 * - latest: the value of `field` in the latest matching record (latest end of behaviour, then
 *   latest observedAt, then smallest uid);
 * - count: the number of matching records, each weighted (1, or repairedWeight when repaired);
 * - sum: Σ weight · field; max: max of weight · field;
 * - distinctMonths: the number of distinct calendar months in which matching records end;
 * - change: percent change of `field` from the earliest to the latest matching period in the window
 *   ((latest − earliest) · 100 / earliest; from 0: +100 %, 0 % or −100 % by the sign of latest); missing with fewer
 *   than two periods.
 */
export type FeatureAggregate = (typeof FEATURE_AGGREGATES)[number];

/** When a record's behaviour ended (the start of its retention and of its feature windows). */
export type RecordDating =
  /** A date field; an optional field needs `ifMissing: "ongoing"` (no end yet: always in window). */
  | { date: string; ifMissing?: "ongoing" }
  /** A year field (ends 31 December) or a year and a month field (ends the month's last day). */
  | { year: string; month?: string };

/** How the model reads one schema's records. */
export interface ScorecardSchema {
  dating: RecordDating;
}

/** One condition on a record field; exactly one of equals, min, max, present. */
export interface FeatureCondition {
  field: string;
  equals?: string | number | boolean;
  /** Inclusive. */
  min?: number;
  /** Inclusive. */
  max?: number;
  /** Whether the (optional) field is present. */
  present?: boolean;
}

/** A numeric bin: values up to `max` inclusive; the last bin has no `max` and takes the rest. */
export interface NumericBin {
  max?: number;
  points: number;
}

/** A categorical bin: the field values it takes. */
export interface CategoricalBin {
  values: (string | boolean)[];
  points: number;
}

export interface ReasonCode {
  /** Short stable code, e.g. "T01". */
  code: string;
  /** What a lender or the subject reads. */
  text: string;
}

export interface ScorecardFeature {
  /** lowerCamelCase, unique in the model. */
  id: string;
  description: string;
  /** The schema name whose records it reads, e.g. "tax.payment.v1" (declared in `schemas`). */
  schema: string;
  aggregate: FeatureAggregate;
  /** The field aggregated: required for latest, sum, max, change; absent for count, distinctMonths. */
  field?: string;
  /** Conditions a record must meet to be aggregated (all of them). */
  where?: FeatureCondition[];
  /** Only records whose behaviour ended within the last N calendar months count (change needs it). */
  windowMonths?: number;
  /**
   * The weight of a repaired record in [0, 1] (0: ignored as if absent). Required exactly when the
   * schema has negative rules (only negative records can be repaired); latest, change and
   * distinctMonths take 0 or 1.
   */
  repairedWeight?: number;
  /** Numeric bins (ascending `max`, the last open) or categorical bins covering every value. */
  bins: NumericBin[] | CategoricalBin[];
  /** Points when no record of the schema counts for the feature in its window. */
  missingPoints: number;
  /** Raised when the feature scores below its best points. */
  reason: ReasonCode;
}

/**
 * score = basePoints + Σ feature points, clamped to [minScore, maxScore]. The points are scaled so that
 * score = offset + factor · ln(odds) with factor = pdo / ln 2 and odds = baseOdds at baseScore, so
 * pd = 1 / (1 + baseOdds · 2^((score − baseScore) / pdo)), rounded to pdDecimals.
 */
export interface ScorecardScaling {
  baseScore: number;
  /** Good:bad odds at baseScore (e.g. 50 for 50:1). */
  baseOdds: number;
  /** Points to double the odds. */
  pdo: number;
  basePoints: number;
  minScore: number;
  maxScore: number;
  pdDecimals: number;
}

/** A grade band: scores at or above minScore (and below the previous band) get the grade. */
export interface GradeBand {
  grade: ScoreGrade;
  minScore: number;
}

export interface ScorecardModel {
  format: typeof SCORECARD_FORMAT;
  name: string;
  /** Positive integer; a changed model is a new version (and a new hash). */
  version: number;
  description: string;
  scaling: ScorecardScaling;
  /** Best first, strictly decreasing minScore, the last at or below scaling.minScore. */
  grades: GradeBand[];
  /** Records stop counting this many years after the end of the behaviour (DOMAIN: 5). */
  retentionYears: number;
  /** The UTC offset of the calendar the record dates use, in minutes (China: 480). */
  dayOffsetMinutes: number;
  /** Whether a record under dispute still counts ("count") or not ("exclude"). */
  disputed: "count" | "exclude";
  /** How many reason codes a score carries at most. */
  reasonCount: number;
  /** The schemas the model reads, by name, with how each is dated. */
  schemas: Record<string, ScorecardSchema>;
  features: ScorecardFeature[];
}

/** One problem of a model document. */
export interface ModelIssue {
  path: string;
  problem: string;
}

// ------------------------------------------------------------------------------------------------
// Validation
// ------------------------------------------------------------------------------------------------

const MODEL_KEYS = [
  "format",
  "name",
  "version",
  "description",
  "scaling",
  "grades",
  "retentionYears",
  "dayOffsetMinutes",
  "disputed",
  "reasonCount",
  "schemas",
  "features",
];
const SCALING_KEYS = [
  "baseScore",
  "baseOdds",
  "pdo",
  "basePoints",
  "minScore",
  "maxScore",
  "pdDecimals",
];
const FEATURE_KEYS = [
  "id",
  "description",
  "schema",
  "aggregate",
  "field",
  "where",
  "windowMonths",
  "repairedWeight",
  "bins",
  "missingPoints",
  "reason",
];
const FEATURE_ID_PATTERN = /^[a-z][A-Za-z0-9]*$/;
const REASON_CODE_PATTERN = /^[A-Z][A-Z0-9_]{0,15}$/;
/** Points per bin are bounded so that totals stay far inside the score range arithmetic. */
export const MAX_ABS_POINTS = 1000;
const MAX_WINDOW_MONTHS = 1200;

const SCHEMAS_BY_NAME: ReadonlyMap<string, SchemaDefinition> = new Map(
  Object.values(SCHEMAS).map((definition) => [definition.name, definition]),
);

/** The core schema definition with this name (e.g. "tax.payment.v1"), or undefined. */
export function schemaDefinitionByName(name: string): SchemaDefinition | undefined {
  return SCHEMAS_BY_NAME.get(name);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

class Issues {
  readonly list: ModelIssue[] = [];
  add(path: string, problem: string): void {
    this.list.push({ path, problem });
  }
  keys(value: Record<string, unknown>, allowed: readonly string[], path: string): void {
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) this.add(`${path}.${key}`, "is not a property of the model");
    }
  }
  object(value: unknown, path: string): value is Record<string, unknown> {
    if (isPlainObject(value)) return true;
    this.add(path, "must be an object");
    return false;
  }
  text(value: unknown, path: string): value is string {
    if (typeof value === "string" && value.trim().length > 0) return true;
    this.add(path, "must be a non-empty string");
    return false;
  }
  integer(value: unknown, path: string, min: number, max: number): value is number {
    if (Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max)
      return true;
    this.add(path, `must be an integer from ${min} to ${max}`);
    return false;
  }
  number(value: unknown, path: string): value is number {
    if (typeof value === "number" && Number.isFinite(value)) return true;
    this.add(path, "must be a finite number");
    return false;
  }
}

function isNumericField(field: FieldDefinition | undefined): boolean {
  return field !== undefined && (field.type === "integer" || field.type === "number");
}

function fieldOf(definition: SchemaDefinition, name: unknown): FieldDefinition | undefined {
  return typeof name === "string" ? definition.fields.find((f) => f.name === name) : undefined;
}

function checkScaling(value: unknown, issues: Issues): void {
  const path = "$.scaling";
  if (!issues.object(value, path)) return;
  issues.keys(value, SCALING_KEYS, path);
  issues.integer(value.baseScore, `${path}.baseScore`, 0, MAX_SCORE);
  if (
    issues.number(value.baseOdds, `${path}.baseOdds`) &&
    (value.baseOdds <= 0 || value.baseOdds > 1e9)
  )
    issues.add(`${path}.baseOdds`, "must be above 0 and at most 1e9");
  if (issues.number(value.pdo, `${path}.pdo`) && (value.pdo <= 0 || value.pdo > MAX_SCORE))
    issues.add(`${path}.pdo`, `must be above 0 and at most ${MAX_SCORE}`);
  issues.integer(value.basePoints, `${path}.basePoints`, -MAX_SCORE, MAX_SCORE);
  const min = issues.integer(value.minScore, `${path}.minScore`, 0, MAX_SCORE);
  const max = issues.integer(value.maxScore, `${path}.maxScore`, 0, MAX_SCORE);
  if (min && max && Number(value.minScore) >= Number(value.maxScore))
    issues.add(`${path}.minScore`, "must be below maxScore");
  issues.integer(value.pdDecimals, `${path}.pdDecimals`, 1, 12);
}

function checkGrades(value: unknown, minScore: unknown, issues: Issues): void {
  const path = "$.grades";
  if (!Array.isArray(value) || value.length === 0) {
    issues.add(path, "must be a non-empty list of grade bands, best first");
    return;
  }
  let previousRank = -1;
  let previousMin = Infinity;
  value.forEach((band: unknown, i) => {
    const at = `${path}[${i}]`;
    if (!issues.object(band, at)) return;
    issues.keys(band, ["grade", "minScore"], at);
    const rank = SCORE_GRADES.indexOf(band.grade as ScoreGrade);
    if (rank < 0) issues.add(`${at}.grade`, `must be one of ${SCORE_GRADES.join(", ")}`);
    else if (rank <= previousRank)
      issues.add(`${at}.grade`, "grades must be distinct and listed best first");
    else previousRank = rank;
    if (issues.integer(band.minScore, `${at}.minScore`, 0, MAX_SCORE)) {
      if (band.minScore >= previousMin)
        issues.add(`${at}.minScore`, "must be below the previous band's minScore");
      previousMin = band.minScore;
    }
  });
  if (Number.isSafeInteger(minScore) && previousMin !== Infinity && previousMin > Number(minScore))
    issues.add(
      `${path}[${value.length - 1}].minScore`,
      "the last band must start at or below scaling.minScore, so every score has a grade",
    );
}

function checkDating(
  value: unknown,
  definition: SchemaDefinition,
  path: string,
  issues: Issues,
): void {
  if (!issues.object(value, path)) return;
  if (value.date !== undefined) {
    issues.keys(value, ["date", "ifMissing"], path);
    const field = fieldOf(definition, value.date);
    if (field?.type !== "date") {
      issues.add(`${path}.date`, `must name a date field of ${definition.name}`);
    } else if (field.required && value.ifMissing !== undefined) {
      issues.add(`${path}.ifMissing`, `${field.name} is required, so it is never missing`);
    } else if (!field.required && value.ifMissing !== "ongoing") {
      issues.add(`${path}.ifMissing`, `must be "ongoing": ${field.name} is optional`);
    }
    return;
  }
  if (value.year !== undefined) {
    issues.keys(value, ["year", "month"], path);
    for (const key of ["year", "month"] as const) {
      if (key === "month" && value.month === undefined) continue;
      const field = fieldOf(definition, value[key]);
      if (field?.type !== "integer" || !field.required)
        issues.add(`${path}.${key}`, `must name a required integer field of ${definition.name}`);
    }
    return;
  }
  issues.add(path, "needs a date field ({date}) or a year field ({year, month?})");
}

function checkSchemas(value: unknown, issues: Issues): Map<string, SchemaDefinition> {
  const path = "$.schemas";
  const known = new Map<string, SchemaDefinition>();
  if (!issues.object(value, path)) return known;
  if (Object.keys(value).length === 0) issues.add(path, "must name at least one schema");
  for (const [name, entry] of Object.entries(value)) {
    const at = `${path}[${JSON.stringify(name)}]`;
    const definition = SCHEMAS_BY_NAME.get(name);
    if (definition === undefined) {
      issues.add(at, "is not a schema of core/schemas");
      continue;
    }
    if (definition.derived === true) {
      issues.add(at, "is a derived schema: scores are not computed from scores");
      continue;
    }
    if (!issues.object(entry, at)) continue;
    issues.keys(entry, ["dating"], at);
    checkDating(entry.dating, definition, `${at}.dating`, issues);
    known.set(name, definition);
  }
  return known;
}

function checkCondition(
  value: unknown,
  definition: SchemaDefinition,
  path: string,
  issues: Issues,
): void {
  if (!issues.object(value, path)) return;
  issues.keys(value, ["field", "equals", "min", "max", "present"], path);
  const field = fieldOf(definition, value.field);
  if (field === undefined) {
    issues.add(`${path}.field`, `must name a field of ${definition.name}`);
    return;
  }
  const tests = (["equals", "min", "max", "present"] as const).filter(
    (k) => value[k] !== undefined,
  );
  if (tests.length !== 1) {
    issues.add(path, "needs exactly one of equals, min, max, present");
    return;
  }
  const test = tests[0];
  if (test === "equals" && fieldProblem(field, value.equals) !== undefined)
    issues.add(`${path}.equals`, `is not a possible value of ${field.name}`);
  if (
    (test === "min" || test === "max") &&
    !(isNumericField(field) && Number.isFinite(value[test]))
  )
    issues.add(`${path}.${test}`, "needs a finite number and an integer or number field");
  if (test === "present") {
    if (typeof value.present !== "boolean") issues.add(`${path}.present`, "must be a boolean");
    else if (field.required)
      issues.add(`${path}.present`, `${field.name} is required, so it is always present`);
  }
}

function checkBins(
  value: unknown,
  categorical: FieldDefinition | undefined,
  path: string,
  issues: Issues,
): number[] {
  const points: number[] = [];
  if (!Array.isArray(value) || value.length === 0) {
    issues.add(path, "must be a non-empty list of bins");
    return points;
  }
  const possible: (string | boolean)[] =
    categorical === undefined
      ? []
      : categorical.type === "boolean"
        ? [true, false]
        : (categorical.values ?? []);
  const seen = new Set<string | boolean>();
  let previousMax = -Infinity;
  value.forEach((bin: unknown, i) => {
    const at = `${path}[${i}]`;
    if (!issues.object(bin, at)) return;
    if (issues.integer(bin.points, `${at}.points`, -MAX_ABS_POINTS, MAX_ABS_POINTS))
      points.push(bin.points);
    if (categorical !== undefined) {
      issues.keys(bin, ["values", "points"], at);
      if (!Array.isArray(bin.values) || bin.values.length === 0) {
        issues.add(`${at}.values`, `must be a non-empty list of values of ${categorical.name}`);
        return;
      }
      for (const v of bin.values as unknown[]) {
        if (!possible.includes(v as string | boolean))
          issues.add(`${at}.values`, `${JSON.stringify(v)} is not a value of ${categorical.name}`);
        else if (seen.has(v as string | boolean))
          issues.add(`${at}.values`, `${JSON.stringify(v)} is in more than one bin`);
        else seen.add(v as string | boolean);
      }
      return;
    }
    issues.keys(bin, ["max", "points"], at);
    const last = i === value.length - 1;
    if (last) {
      if (bin.max !== undefined)
        issues.add(`${at}.max`, "the last bin has no max (it takes the rest)");
      return;
    }
    if (!issues.number(bin.max, `${at}.max`)) return;
    if (bin.max <= previousMax) issues.add(`${at}.max`, "must be above the previous bin's max");
    previousMax = bin.max;
  });
  if (categorical !== undefined) {
    const uncovered = possible.filter((v) => !seen.has(v));
    if (uncovered.length > 0)
      issues.add(
        path,
        `every value needs a bin; missing ${uncovered.map((v) => JSON.stringify(v)).join(", ")}`,
      );
  }
  return points;
}

function checkFeature(
  value: unknown,
  index: number,
  schemas: Map<string, SchemaDefinition>,
  model: Record<string, unknown>,
  issues: Issues,
): void {
  const path = `$.features[${index}]`;
  if (!issues.object(value, path)) return;
  issues.keys(value, FEATURE_KEYS, path);
  if (typeof value.id !== "string" || !FEATURE_ID_PATTERN.test(value.id))
    issues.add(`${path}.id`, "must be a lowerCamelCase name");
  issues.text(value.description, `${path}.description`);
  const aggregate = value.aggregate as FeatureAggregate;
  const knownAggregate = FEATURE_AGGREGATES.includes(aggregate);
  if (!knownAggregate)
    issues.add(`${path}.aggregate`, `must be one of ${FEATURE_AGGREGATES.join(", ")}`);
  issues.integer(value.missingPoints, `${path}.missingPoints`, -MAX_ABS_POINTS, MAX_ABS_POINTS);
  if (issues.object(value.reason, `${path}.reason`)) {
    issues.keys(value.reason, ["code", "text"], `${path}.reason`);
    if (typeof value.reason.code !== "string" || !REASON_CODE_PATTERN.test(value.reason.code))
      issues.add(`${path}.reason.code`, "must be 1–16 of A–Z, 0–9, _ starting with a letter");
    issues.text(value.reason.text, `${path}.reason.text`);
  }
  if (value.windowMonths !== undefined)
    issues.integer(value.windowMonths, `${path}.windowMonths`, 1, MAX_WINDOW_MONTHS);
  else if (aggregate === "change")
    issues.add(`${path}.windowMonths`, "is required for a change feature");

  const definition = typeof value.schema === "string" ? schemas.get(value.schema) : undefined;
  if (definition === undefined) {
    issues.add(`${path}.schema`, "must name a schema declared in $.schemas");
    checkBins(value.bins, undefined, `${path}.bins`, issues);
    return;
  }
  if (!knownAggregate) return;

  // field
  const needsField = aggregate !== "count" && aggregate !== "distinctMonths";
  const field = fieldOf(definition, value.field);
  let categorical: FieldDefinition | undefined;
  if (!needsField) {
    if (value.field !== undefined)
      issues.add(`${path}.field`, `a ${aggregate} feature has no field`);
  } else if (field === undefined) {
    issues.add(`${path}.field`, `must name a field of ${definition.name}`);
  } else if (aggregate === "latest") {
    if (field.type === "enum" || field.type === "boolean") categorical = field;
    else if (!isNumericField(field))
      issues.add(`${path}.field`, "latest needs an enum, boolean, integer or number field");
  } else if (!isNumericField(field)) {
    issues.add(`${path}.field`, `${aggregate} needs an integer or number field`);
  }
  if (needsField && field !== undefined && !field.required) {
    const guarded =
      Array.isArray(value.where) &&
      (value.where as unknown[]).some(
        (c) => isPlainObject(c) && c.field === field.name && c.present === true,
      );
    if (!guarded)
      issues.add(
        `${path}.field`,
        `${field.name} is optional: add the condition {"field": "${field.name}", "present": true}`,
      );
  }

  // where
  if (value.where !== undefined) {
    if (!Array.isArray(value.where)) issues.add(`${path}.where`, "must be a list of conditions");
    else
      value.where.forEach((c: unknown, i) => {
        checkCondition(c, definition, `${path}.where[${i}]`, issues);
      });
  }

  // dating constraints
  const dating = (model.schemas as Record<string, { dating?: Record<string, unknown> }>)[
    definition.name
  ].dating;
  if (
    (aggregate === "distinctMonths" || aggregate === "change") &&
    isPlainObject(dating) &&
    dating.ifMissing === "ongoing"
  )
    issues.add(
      `${path}.aggregate`,
      `${aggregate} needs records with an end date; ${definition.name} records may be ongoing`,
    );

  // repaired records
  const repairable = (definition.negative ?? []).length > 0;
  if (!repairable) {
    if (value.repairedWeight !== undefined)
      issues.add(
        `${path}.repairedWeight`,
        `${definition.name} has no negative records, so none is ever repaired`,
      );
  } else if (aggregate === "latest" || aggregate === "change" || aggregate === "distinctMonths") {
    if (value.repairedWeight !== 0 && value.repairedWeight !== 1)
      issues.add(`${path}.repairedWeight`, `must be 0 or 1 for a ${aggregate} feature`);
  } else if (
    typeof value.repairedWeight !== "number" ||
    !(value.repairedWeight >= 0 && value.repairedWeight <= 1)
  ) {
    issues.add(
      `${path}.repairedWeight`,
      "must be a number from 0 to 1 (the repaired record's weight)",
    );
  }

  checkBins(value.bins, categorical, `${path}.bins`, issues);
}

/** Every problem of a model document (empty when it is valid). */
export function scorecardModelIssues(input: unknown): ModelIssue[] {
  try {
    assertJsonValue(input);
  } catch (error) {
    return [{ path: "$", problem: error instanceof Error ? error.message : String(error) }];
  }
  const issues = new Issues();
  const model: unknown = input;
  if (!issues.object(model, "$")) return issues.list;
  issues.keys(model, MODEL_KEYS, "$");
  if (model.format !== SCORECARD_FORMAT)
    issues.add("$.format", `must be ${JSON.stringify(SCORECARD_FORMAT)}`);
  issues.text(model.name, "$.name");
  issues.integer(model.version, "$.version", 1, Number.MAX_SAFE_INTEGER);
  issues.text(model.description, "$.description");
  checkScaling(model.scaling, issues);
  checkGrades(
    model.grades,
    isPlainObject(model.scaling) ? model.scaling.minScore : undefined,
    issues,
  );
  issues.integer(model.retentionYears, "$.retentionYears", 1, 50);
  issues.integer(model.dayOffsetMinutes, "$.dayOffsetMinutes", -720, 840);
  if (model.disputed !== "count" && model.disputed !== "exclude")
    issues.add("$.disputed", 'must be "count" or "exclude"');
  const schemas = checkSchemas(model.schemas, issues);
  if (!Array.isArray(model.features) || model.features.length === 0) {
    issues.add("$.features", "must be a non-empty list of features");
  } else {
    const ids = new Set<unknown>();
    const codes = new Set<unknown>();
    const used = new Set<unknown>();
    model.features.forEach((feature: unknown, i) => {
      checkFeature(feature, i, schemas, model, issues);
      if (!isPlainObject(feature)) return;
      if (ids.has(feature.id)) issues.add(`$.features[${i}].id`, "is not unique");
      ids.add(feature.id);
      const code = isPlainObject(feature.reason) ? feature.reason.code : undefined;
      if (code !== undefined && codes.has(code))
        issues.add(`$.features[${i}].reason.code`, "is not unique");
      codes.add(code);
      used.add(feature.schema);
    });
    for (const name of schemas.keys())
      if (!used.has(name))
        issues.add(`$.schemas[${JSON.stringify(name)}]`, "is read by no feature");
    issues.integer(model.reasonCount, "$.reasonCount", 0, model.features.length);
  }
  return issues.list;
}

/** Throws ValidationError MODEL_INVALID listing every problem of the document. */
export function validateScorecardModel(model: unknown): asserts model is ScorecardModel {
  const issues = scorecardModelIssues(model);
  if (issues.length === 0) return;
  const shown = issues.slice(0, 5).map((i) => `${i.path} ${i.problem}`);
  if (issues.length > shown.length) shown.push(`and ${issues.length - shown.length} more`);
  throw new ValidationError(
    ScoringErrorCode.MODEL_INVALID,
    `invalid scorecard model: ${shown.join("; ")}`,
    { details: { issues } },
  );
}

/** What a SCORER registers: the model's hash and the canonical JSON document (published at `uri`). */
export interface ModelRegistration {
  modelHash: Hex;
  document: string;
}

/** Validates a model and returns its hash and canonical document. */
export function modelRegistration(model: unknown): ModelRegistration {
  validateScorecardModel(model);
  return { modelHash: modelHash(model), document: canonicalJson(model) };
}
