/**
 * Record schemas: one definition per data category (DOMAIN.md), the validation of records against
 * them, and the severity rule that makes a record negative.
 *
 * Records carry `subject` — the subject id (see subjectId.ts) — never the USCC. The provider turns
 * the USCC into the subject id before it validates and hashes the record, so the raw identifier
 * never leaves the provider: not on the ledger, not in the record contents a node stores. Every
 * definition therefore has a required `subject` field of type `hash`.
 *
 * A schema's id is the hash of its canonical JSON definition (see ids.ts), so any change to a
 * definition — even a description — is a new schema; change the version in its name.
 */
import type { Hex } from "./abiValues.js";
import { assertJsonValue, hashCanonical } from "./canonicalJson.js";
import { CredtrailError, ErrorCode, NotFoundError, ValidationError } from "./errors.js";
import { categoryId, schemaDefinitionString, schemaId } from "./ids.js";
import { parseIsoDay } from "./scoring/calendar.js";
import { Severity, severityFromName } from "./severity.js";

export const FIELD_TYPES = [
  "string",
  "integer",
  "number",
  "boolean",
  "date",
  "enum",
  "hash",
] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/** One field of a record. */
export interface FieldDefinition {
  /** lowerCamelCase. */
  name: string;
  /**
   * string: non-empty text; integer: safe integer; number: finite number; boolean; date: "YYYY-MM-DD"
   * (a real calendar day); enum: one of `values`; hash: 0x + 64 lowercase hex (bytes32).
   */
  type: FieldType;
  required: boolean;
  description?: string;
  /** enum only: the allowed values. */
  values?: string[];
  /** integer and number only: inclusive bounds. */
  min?: number;
  max?: number;
}

/** A condition on one field: `equals` a value, or (integer/number) at least `min`. */
export interface NegativeCondition {
  field: string;
  equals?: string | number | boolean;
  min?: number;
}

export type NegativeSeverityName = "minor" | "general" | "serious";

/**
 * A record is negative when every condition of a rule holds (a rule without conditions always holds);
 * its severity is fixed, or read from a required enum field whose values are severity names.
 * Rules are tried in order; the first that holds decides.
 */
export interface NegativeRule {
  when: NegativeCondition[];
  severity: NegativeSeverityName | { field: string };
}

export interface SchemaDefinition {
  /** `<category>.v<N>`, e.g. "tax.payment.v1". */
  name: string;
  /** The data category, e.g. "tax.payment". */
  category: string;
  description?: string;
  /** Who provides such records. */
  source?: string;
  /** True for derived records (scores), which come from a SCORER with lineage. */
  derived?: boolean;
  fields: FieldDefinition[];
  negative?: NegativeRule[];
}

/** One problem found by validation. */
export interface ValidationIssue {
  /** The field or definition path concerned. */
  path: string;
  problem: string;
}

const NEGATIVE_SEVERITIES: readonly NegativeSeverityName[] = ["minor", "general", "serious"];
const CATEGORY_PATTERN = /^[a-z][a-z0-9]*(\.[a-z][a-z0-9]*)*$/;
const FIELD_NAME_PATTERN = /^[a-z][A-Za-z0-9]*$/;
const HASH_PATTERN = /^0x[0-9a-f]{64}$/;

// ------------------------------------------------------------------------------------------------
// Values
// ------------------------------------------------------------------------------------------------

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Whether `value` is "YYYY-MM-DD" naming a real day of the proleptic Gregorian calendar. */
export function isIsoDate(value: unknown): value is string {
  return parseIsoDay(value) !== undefined;
}

/** Why `value` does not fit `field` (a record schema's rules), or undefined when it does. */
export function fieldProblem(field: FieldDefinition, value: unknown): string | undefined {
  switch (field.type) {
    case "string":
      return typeof value === "string" && value.length > 0
        ? undefined
        : "must be a non-empty string";
    case "boolean":
      return typeof value === "boolean" ? undefined : "must be a boolean";
    case "date":
      return isIsoDate(value) ? undefined : "must be a date YYYY-MM-DD";
    case "hash":
      return typeof value === "string" && HASH_PATTERN.test(value)
        ? undefined
        : "must be 0x and 64 lowercase hex digits";
    case "enum":
      return typeof value === "string" && (field.values ?? []).includes(value)
        ? undefined
        : `must be one of ${(field.values ?? []).join(", ")}`;
    case "integer":
    case "number": {
      const ok =
        field.type === "integer"
          ? Number.isSafeInteger(value)
          : typeof value === "number" && Number.isFinite(value);
      if (!ok) return field.type === "integer" ? "must be an integer" : "must be a finite number";
      const n = value as number;
      if (field.min !== undefined && n < field.min) return `must be at least ${field.min}`;
      if (field.max !== undefined && n > field.max) return `must be at most ${field.max}`;
      return undefined;
    }
  }
}

// ------------------------------------------------------------------------------------------------
// Definitions
// ------------------------------------------------------------------------------------------------

const DEFINITION_KEYS = new Set([
  "name",
  "category",
  "description",
  "source",
  "derived",
  "fields",
  "negative",
]);
const FIELD_KEYS = new Set(["name", "type", "required", "description", "values", "min", "max"]);
const RULE_KEYS = new Set(["when", "severity"]);
const CONDITION_KEYS = new Set(["field", "equals", "min"]);

function unknownKeys(
  value: Record<string, unknown>,
  allowed: Set<string>,
  path: string,
  issues: ValidationIssue[],
): void {
  for (const key of Object.keys(value)) {
    if (!allowed.has(key)) issues.push({ path: `${path}.${key}`, problem: "unknown property" });
  }
}

function checkField(
  field: unknown,
  path: string,
  issues: ValidationIssue[],
): FieldDefinition | undefined {
  if (!isPlainObject(field)) {
    issues.push({ path, problem: "must be an object" });
    return undefined;
  }
  const before = issues.length;
  unknownKeys(field, FIELD_KEYS, path, issues);
  if (typeof field.name !== "string" || !FIELD_NAME_PATTERN.test(field.name)) {
    issues.push({ path: `${path}.name`, problem: "must be a lowerCamelCase name" });
  }
  const type = field.type;
  if (typeof type !== "string" || !(FIELD_TYPES as readonly string[]).includes(type)) {
    issues.push({ path: `${path}.type`, problem: `must be one of ${FIELD_TYPES.join(", ")}` });
  }
  if (typeof field.required !== "boolean")
    issues.push({ path: `${path}.required`, problem: "must be a boolean" });
  if (field.description !== undefined && typeof field.description !== "string") {
    issues.push({ path: `${path}.description`, problem: "must be a string" });
  }
  if (type === "enum") {
    const values = field.values;
    if (
      !Array.isArray(values) ||
      values.length === 0 ||
      !values.every((v) => typeof v === "string" && v.length > 0)
    ) {
      issues.push({
        path: `${path}.values`,
        problem: "an enum needs a non-empty list of non-empty strings",
      });
    } else if (new Set(values).size !== values.length) {
      issues.push({ path: `${path}.values`, problem: "values must be unique" });
    }
  } else if (field.values !== undefined) {
    issues.push({ path: `${path}.values`, problem: "only an enum has values" });
  }
  for (const bound of ["min", "max"] as const) {
    const b = field[bound];
    if (b === undefined) continue;
    if (type !== "integer" && type !== "number") {
      issues.push({
        path: `${path}.${bound}`,
        problem: "only integer and number fields have bounds",
      });
    } else if (
      type === "integer" ? !Number.isSafeInteger(b) : typeof b !== "number" || !Number.isFinite(b)
    ) {
      issues.push({
        path: `${path}.${bound}`,
        problem: type === "integer" ? "must be an integer" : "must be a finite number",
      });
    }
  }
  if (typeof field.min === "number" && typeof field.max === "number" && field.min > field.max) {
    issues.push({ path: `${path}.min`, problem: "must not exceed max" });
  }
  return issues.length === before ? (field as unknown as FieldDefinition) : undefined;
}

function checkCondition(
  condition: unknown,
  path: string,
  fields: Map<string, FieldDefinition>,
  issues: ValidationIssue[],
): void {
  if (!isPlainObject(condition)) {
    issues.push({ path, problem: "must be an object" });
    return;
  }
  unknownKeys(condition, CONDITION_KEYS, path, issues);
  const field = typeof condition.field === "string" ? fields.get(condition.field) : undefined;
  if (field === undefined) {
    issues.push({ path: `${path}.field`, problem: "must name a field of the schema" });
    return;
  }
  const hasEquals = condition.equals !== undefined;
  const hasMin = condition.min !== undefined;
  if (hasEquals === hasMin) {
    issues.push({ path, problem: "needs exactly one of equals, min" });
  } else if (hasEquals) {
    if (fieldProblem(field, condition.equals) !== undefined) {
      issues.push({ path: `${path}.equals`, problem: `is not a possible value of ${field.name}` });
    }
  } else if (
    (field.type !== "integer" && field.type !== "number") ||
    typeof condition.min !== "number" ||
    !Number.isFinite(condition.min)
  ) {
    issues.push({
      path: `${path}.min`,
      problem: "min needs a number and an integer or number field",
    });
  }
}

function checkRule(
  rule: unknown,
  path: string,
  fields: Map<string, FieldDefinition>,
  issues: ValidationIssue[],
): void {
  if (!isPlainObject(rule)) {
    issues.push({ path, problem: "must be an object" });
    return;
  }
  unknownKeys(rule, RULE_KEYS, path, issues);
  if (!Array.isArray(rule.when))
    issues.push({ path: `${path}.when`, problem: "must be a list of conditions" });
  else
    rule.when.forEach((c, i) => {
      checkCondition(c, `${path}.when[${i}]`, fields, issues);
    });
  const severity = rule.severity;
  if (typeof severity === "string") {
    if (!(NEGATIVE_SEVERITIES as readonly string[]).includes(severity)) {
      issues.push({
        path: `${path}.severity`,
        problem: `must be one of ${NEGATIVE_SEVERITIES.join(", ")} or {field}`,
      });
    }
  } else if (
    isPlainObject(severity) &&
    Object.keys(severity).length === 1 &&
    typeof severity.field === "string"
  ) {
    const field = fields.get(severity.field);
    const ok =
      field !== undefined &&
      field.type === "enum" &&
      field.required &&
      (field.values ?? []).every((v) => (NEGATIVE_SEVERITIES as readonly string[]).includes(v));
    if (!ok) {
      issues.push({
        path: `${path}.severity.field`,
        problem: "must name a required enum field of severity names",
      });
    }
  } else {
    issues.push({
      path: `${path}.severity`,
      problem: `must be one of ${NEGATIVE_SEVERITIES.join(", ")} or {field}`,
    });
  }
}

/** All problems of a definition (empty when it is valid). */
export function schemaDefinitionIssues(input: unknown): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  try {
    assertJsonValue(input);
  } catch (error) {
    return [{ path: "$", problem: error instanceof Error ? error.message : String(error) }];
  }
  // typed as plain data: any property may be missing or of any type
  const definition: unknown = input;
  if (!isPlainObject(definition)) return [{ path: "$", problem: "must be an object" }];
  unknownKeys(definition, DEFINITION_KEYS, "$", issues);
  const { name, category } = definition;
  if (typeof category !== "string" || !CATEGORY_PATTERN.test(category)) {
    issues.push({
      path: "$.category",
      problem: "must be dotted lowercase words, e.g. tax.payment",
    });
  }
  const versioned =
    typeof name === "string" &&
    typeof category === "string" &&
    CATEGORY_PATTERN.test(category) &&
    name.startsWith(`${category}.`) &&
    /^v[1-9][0-9]*$/.test(name.slice(category.length + 1));
  if (!versioned) {
    issues.push({ path: "$.name", problem: "must be <category>.v<N>, e.g. tax.payment.v1" });
  }
  for (const key of ["description", "source"] as const) {
    if (definition[key] !== undefined && typeof definition[key] !== "string")
      issues.push({ path: `$.${key}`, problem: "must be a string" });
  }
  if (definition.derived !== undefined && typeof definition.derived !== "boolean") {
    issues.push({ path: "$.derived", problem: "must be a boolean" });
  }
  const fields = new Map<string, FieldDefinition>();
  if (!Array.isArray(definition.fields) || definition.fields.length === 0) {
    issues.push({ path: "$.fields", problem: "must be a non-empty list" });
  } else {
    definition.fields.forEach((f, i) => {
      const field = checkField(f, `$.fields[${i}]`, issues);
      if (field === undefined) return;
      if (fields.has(field.name))
        issues.push({ path: `$.fields[${i}].name`, problem: `duplicate field ${field.name}` });
      fields.set(field.name, field);
    });
    const subject = fields.get("subject");
    if (subject === undefined || subject.type !== "hash" || !subject.required) {
      issues.push({ path: "$.fields", problem: "needs a required field subject of type hash" });
    }
  }
  if (definition.negative !== undefined) {
    if (!Array.isArray(definition.negative))
      issues.push({ path: "$.negative", problem: "must be a list of rules" });
    else
      definition.negative.forEach((r, i) => {
        checkRule(r, `$.negative[${i}]`, fields, issues);
      });
  }
  return issues;
}

function summary(issues: readonly ValidationIssue[]): string {
  const shown = issues.slice(0, 5).map((i) => `${i.path} ${i.problem}`);
  if (issues.length > shown.length) shown.push(`and ${issues.length - shown.length} more`);
  return shown.join("; ");
}

/** Throws ValidationError SCHEMA_INVALID listing every problem of the definition. */
export function validateSchemaDefinition(
  definition: unknown,
): asserts definition is SchemaDefinition {
  const issues = schemaDefinitionIssues(definition);
  if (issues.length > 0) {
    throw new ValidationError(
      ErrorCode.SCHEMA_INVALID,
      `invalid schema definition: ${summary(issues)}`,
      {
        details: { issues },
      },
    );
  }
}

/** What `IConsortium.registerSchema(categoryName, definition)` takes, and the ids it yields. */
export interface SchemaRegistration {
  categoryName: string;
  /** The canonical JSON definition. */
  definition: string;
  schemaId: Hex;
  categoryId: Hex;
}

/** Validates a definition and prepares its registration. */
export function schemaRegistration(definition: SchemaDefinition): SchemaRegistration {
  validateSchemaDefinition(definition);
  return {
    categoryName: definition.category,
    definition: schemaDefinitionString(definition),
    schemaId: schemaId(definition),
    categoryId: categoryId(definition.category),
  };
}

// ------------------------------------------------------------------------------------------------
// Records
// ------------------------------------------------------------------------------------------------

/** All problems of a record against a (valid) definition; empty when it is valid. */
export function recordIssues(definition: SchemaDefinition, record: unknown): ValidationIssue[] {
  try {
    assertJsonValue(record);
  } catch (error) {
    return [
      { path: "$", problem: error instanceof CredtrailError ? error.message : String(error) },
    ];
  }
  if (!isPlainObject(record)) return [{ path: "$", problem: "a record must be a JSON object" }];
  const issues: ValidationIssue[] = [];
  const known = new Set(definition.fields.map((f) => f.name));
  for (const key of Object.keys(record)) {
    if (!known.has(key)) issues.push({ path: key, problem: "is not a field of the schema" });
  }
  for (const field of definition.fields) {
    if (!Object.hasOwn(record, field.name)) {
      if (field.required) issues.push({ path: field.name, problem: "is required" });
      continue;
    }
    const problem = fieldProblem(field, record[field.name]);
    if (problem !== undefined) issues.push({ path: field.name, problem });
  }
  return issues;
}

/**
 * Throws ValidationError RECORD_INVALID listing every bad field (unknown field, missing required
 * field, wrong type, value not in the enum, out of range). The definition is assumed valid (check it
 * once with {@link validateSchemaDefinition}).
 */
export function validateRecord(definition: SchemaDefinition, record: unknown): void {
  const issues = recordIssues(definition, record);
  if (issues.length > 0) {
    throw new ValidationError(
      ErrorCode.RECORD_INVALID,
      `record does not match ${definition.name}: ${summary(issues)}`,
      {
        details: { schema: definition.name, issues },
      },
    );
  }
}

/** Validates a record and returns its dataHash (the hash of its canonical JSON). */
export function recordDataHash(definition: SchemaDefinition, record: unknown): Hex {
  validateRecord(definition, record);
  return hashCanonical(record);
}

function holds(condition: NegativeCondition, record: Record<string, unknown>): boolean {
  if (!Object.hasOwn(record, condition.field)) return false;
  const value = record[condition.field];
  if (condition.min !== undefined) return typeof value === "number" && value >= condition.min;
  return value === condition.equals;
}

/** The severity of a (valid) record by the schema's negative rules: None when no rule holds. */
export function recordSeverity(
  definition: SchemaDefinition,
  record: Record<string, unknown>,
): Severity {
  for (const rule of definition.negative ?? []) {
    if (!rule.when.every((c) => holds(c, record))) continue;
    const name = typeof rule.severity === "string" ? rule.severity : record[rule.severity.field];
    return severityFromName(String(name));
  }
  return Severity.None;
}

// ------------------------------------------------------------------------------------------------
// The consortium's schemas
// ------------------------------------------------------------------------------------------------

const subject: FieldDefinition = {
  name: "subject",
  type: "hash",
  required: true,
  description: "subject id: HMAC-SHA256(consortium key, USCC)",
};
const year: FieldDefinition = {
  name: "year",
  type: "integer",
  required: true,
  min: 1990,
  max: 2100,
};
const month: FieldDefinition = { name: "month", type: "integer", required: true, min: 1, max: 12 };
const cny = (name: string, required: boolean, description?: string): FieldDefinition => ({
  name,
  type: "number",
  required,
  min: 0,
  ...(description === undefined ? {} : { description }),
});

export const CATEGORIES = [
  "tax.payment",
  "tax.grade",
  "social.insurance",
  "customs.trade",
  "judicial.case",
  "judicial.enforcement",
  "judicial.dishonest",
  "admin.penalty",
  "utility.payment",
  "loan.repayment",
  "gov.subsidy",
  "carbon.emission",
  "credit.score",
] as const;

export type CategoryName = (typeof CATEGORIES)[number];

/** The current schema of every data category (amounts in CNY yuan). */
export const SCHEMAS: Readonly<Record<CategoryName, SchemaDefinition>> = {
  "tax.payment": {
    name: "tax.payment.v1",
    category: "tax.payment",
    description: "Tax paid for a period, and whether taxes were in arrears (纳税)",
    source: "tax bureau",
    fields: [
      subject,
      { name: "periodStart", type: "date", required: true },
      { name: "periodEnd", type: "date", required: true },
      {
        name: "taxType",
        type: "enum",
        required: true,
        values: ["vat", "corporate_income", "consumption", "stamp", "other"],
      },
      cny("taxPaid", true),
      { name: "arrears", type: "boolean", required: true },
      cny("arrearsAmount", false),
    ],
    negative: [{ when: [{ field: "arrears", equals: true }], severity: "general" }],
  },
  "tax.grade": {
    name: "tax.grade.v1",
    category: "tax.grade",
    description: "Annual tax credit grade (纳税信用等级)",
    source: "tax bureau",
    fields: [
      subject,
      year,
      { name: "grade", type: "enum", required: true, values: ["A", "B", "M", "C", "D"] },
    ],
    negative: [
      { when: [{ field: "grade", equals: "D" }], severity: "serious" },
      { when: [{ field: "grade", equals: "C" }], severity: "general" },
    ],
  },
  "social.insurance": {
    name: "social.insurance.v1",
    category: "social.insurance",
    description: "Monthly social-insurance contributions (社保)",
    source: "social-insurance agency",
    fields: [
      subject,
      year,
      month,
      { name: "insuredEmployees", type: "integer", required: true, min: 0 },
      cny("contributionPaid", true),
      { name: "arrears", type: "boolean", required: true },
      cny("arrearsAmount", false),
    ],
    negative: [{ when: [{ field: "arrears", equals: true }], severity: "general" }],
  },
  "customs.trade": {
    name: "customs.trade.v1",
    category: "customs.trade",
    description: "Import and export values and the customs credit rating (海关进出口)",
    source: "customs",
    fields: [
      subject,
      { name: "periodStart", type: "date", required: true },
      { name: "periodEnd", type: "date", required: true },
      cny("exportValue", true),
      cny("importValue", true),
      {
        name: "creditRating",
        type: "enum",
        required: true,
        values: ["advanced_certified", "general", "dishonest"],
        description: "高级认证 / 一般信用 / 失信",
      },
    ],
    negative: [{ when: [{ field: "creditRating", equals: "dishonest" }], severity: "serious" }],
  },
  "judicial.case": {
    name: "judicial.case.v1",
    category: "judicial.case",
    description: "A civil or commercial lawsuit the enterprise is party to (司法诉讼)",
    source: "courts",
    fields: [
      subject,
      {
        name: "caseIdHash",
        type: "hash",
        required: true,
        description: "keccak256 of the court case number",
      },
      {
        name: "role",
        type: "enum",
        required: true,
        values: ["plaintiff", "defendant", "third_party"],
      },
      cny("amount", false, "amount in dispute"),
      {
        name: "status",
        type: "enum",
        required: true,
        values: ["filed", "in_trial", "judged", "settled", "withdrawn", "dismissed"],
      },
      { name: "outcome", type: "enum", required: false, values: ["won", "lost", "partially_lost"] },
      { name: "filedDate", type: "date", required: true },
      { name: "judgedDate", type: "date", required: false },
    ],
    negative: [
      {
        when: [
          { field: "role", equals: "defendant" },
          { field: "outcome", equals: "lost" },
        ],
        severity: "minor",
      },
    ],
  },
  "judicial.enforcement": {
    name: "judicial.enforcement.v1",
    category: "judicial.enforcement",
    description: "Listed as a person subject to enforcement (被执行人)",
    source: "courts",
    fields: [
      subject,
      {
        name: "caseIdHash",
        type: "hash",
        required: true,
        description: "keccak256 of the enforcement case number",
      },
      cny("amount", true, "amount to be enforced"),
      { name: "listedDate", type: "date", required: true },
      { name: "liftedDate", type: "date", required: false },
    ],
    negative: [{ when: [], severity: "general" }],
  },
  "judicial.dishonest": {
    name: "judicial.dishonest.v1",
    category: "judicial.dishonest",
    description: "Listed as a dishonest judgment debtor (失信被执行人)",
    source: "courts",
    fields: [
      subject,
      {
        name: "caseIdHash",
        type: "hash",
        required: true,
        description: "keccak256 of the enforcement case number",
      },
      cny("amount", true, "unperformed amount"),
      {
        name: "behaviour",
        type: "enum",
        required: true,
        values: [
          "capable_but_refusing",
          "obstructing_enforcement",
          "evading_enforcement",
          "false_declaration",
          "violating_consumption_restriction",
          "other",
        ],
      },
      { name: "listedDate", type: "date", required: true },
      { name: "liftedDate", type: "date", required: false },
    ],
    negative: [{ when: [], severity: "serious" }],
  },
  "admin.penalty": {
    name: "admin.penalty.v1",
    category: "admin.penalty",
    description: "An administrative penalty decision (行政处罚)",
    source: "regulators",
    fields: [
      subject,
      {
        name: "decisionIdHash",
        type: "hash",
        required: true,
        description: "keccak256 of the decision document number",
      },
      { name: "authority", type: "string", required: true, description: "the deciding authority" },
      {
        name: "penaltyType",
        type: "enum",
        required: true,
        values: ["warning", "fine", "confiscation", "suspension", "licence_revocation", "other"],
      },
      { name: "severity", type: "enum", required: true, values: ["minor", "general", "serious"] },
      { name: "decisionDate", type: "date", required: true },
      cny("amount", false, "fine or confiscated amount"),
    ],
    negative: [{ when: [], severity: { field: "severity" } }],
  },
  "utility.payment": {
    name: "utility.payment.v1",
    category: "utility.payment",
    description: "Monthly water, electricity or gas bill and whether it was paid on time (水电气)",
    source: "utilities",
    fields: [
      subject,
      { name: "utility", type: "enum", required: true, values: ["water", "electricity", "gas"] },
      year,
      month,
      cny("amountDue", true),
      { name: "onTime", type: "boolean", required: true },
      { name: "overdueDays", type: "integer", required: false, min: 0, max: 3650 },
    ],
    negative: [{ when: [{ field: "onTime", equals: false }], severity: "minor" }],
  },
  "loan.repayment": {
    name: "loan.repayment.v1",
    category: "loan.repayment",
    description: "Monthly repayment status of a credit facility (借贷履约)",
    source: "banks",
    fields: [
      subject,
      {
        name: "facilityHash",
        type: "hash",
        required: true,
        description: "keccak256 of the lender's facility reference",
      },
      year,
      month,
      cny("outstanding", true),
      { name: "overdueDays", type: "integer", required: true, min: 0, max: 36500 },
      { name: "defaulted", type: "boolean", required: true },
    ],
    negative: [
      { when: [{ field: "defaulted", equals: true }], severity: "serious" },
      { when: [{ field: "overdueDays", min: 90 }], severity: "general" },
      { when: [{ field: "overdueDays", min: 1 }], severity: "minor" },
    ],
  },
  "gov.subsidy": {
    name: "gov.subsidy.v1",
    category: "gov.subsidy",
    description: "A government subsidy granted (政府补贴)",
    source: "government",
    fields: [
      subject,
      { name: "programme", type: "string", required: true },
      {
        name: "level",
        type: "enum",
        required: true,
        values: ["national", "provincial", "municipal", "county"],
      },
      cny("amount", true),
      { name: "grantedDate", type: "date", required: true },
    ],
  },
  "carbon.emission": {
    name: "carbon.emission.v1",
    category: "carbon.emission",
    description: "Annual verified greenhouse-gas emissions (碳排放)",
    source: "environment agency",
    fields: [
      subject,
      year,
      { name: "emissions", type: "number", required: true, min: 0, description: "tCO2e" },
      {
        name: "intensity",
        type: "number",
        required: true,
        min: 0,
        description: "tCO2e per 10,000 CNY of revenue",
      },
      { name: "verified", type: "boolean", required: true },
      {
        name: "quotaCompliant",
        type: "boolean",
        required: false,
        description: "surrendered enough allowances",
      },
    ],
    negative: [{ when: [{ field: "quotaCompliant", equals: false }], severity: "general" }],
  },
  "credit.score": {
    name: "credit.score.v1",
    category: "credit.score",
    description: "A credit score derived from a subject's active records by a registered model",
    source: "scorers",
    derived: true,
    fields: [
      subject,
      { name: "score", type: "integer", required: true, min: 0, max: 1000 },
      {
        name: "grade",
        type: "enum",
        required: true,
        values: ["AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C"],
      },
      { name: "probabilityOfDefault", type: "number", required: true, min: 0, max: 1 },
      { name: "modelHash", type: "hash", required: true },
      {
        name: "reasonCodes",
        type: "string",
        required: false,
        description: "comma-separated reason codes, strongest first",
      },
    ],
  },
};

/** The current schema of a category; throws NotFoundError SCHEMA_UNKNOWN. */
export function schemaForCategory(category: string): SchemaDefinition {
  if (!(CATEGORIES as readonly string[]).includes(category)) {
    throw new NotFoundError(`no schema for category ${JSON.stringify(category)}`, {
      code: ErrorCode.SCHEMA_UNKNOWN,
      details: { category, known: CATEGORIES },
    });
  }
  return SCHEMAS[category as CategoryName];
}
