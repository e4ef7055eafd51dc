import { expect } from "chai";
import fc from "fast-check";
import { keccak256, toUtf8Bytes } from "ethers";

import {
  CATEGORIES,
  categoryId,
  ErrorCode,
  hashCanonical,
  isIsoDate,
  NotFoundError,
  recordDataHash,
  recordSeverity,
  schemaDefinitionIssues,
  schemaForCategory,
  schemaId,
  schemaRegistration,
  SCHEMAS,
  Severity,
  validateRecord,
  validateSchemaDefinition,
  type CategoryName,
  type FieldDefinition,
  type SchemaDefinition,
  type ValidationIssue,
} from "../../core/index.js";
import { expectCode } from "./helpers.js";

const h = (s: string) => keccak256(toUtf8Bytes(s));
const SUBJECT = h("subject:acme");

/** One valid record per category. */
const SAMPLES: Record<CategoryName, Record<string, unknown>> = {
  "tax.payment": {
    subject: SUBJECT,
    periodStart: "2025-10-01",
    periodEnd: "2025-12-31",
    taxType: "vat",
    taxPaid: 125_000.5,
    arrears: false,
  },
  "tax.grade": { subject: SUBJECT, year: 2024, grade: "A" },
  "social.insurance": {
    subject: SUBJECT,
    year: 2025,
    month: 3,
    insuredEmployees: 120,
    contributionPaid: 98_000,
    arrears: false,
  },
  "customs.trade": {
    subject: SUBJECT,
    periodStart: "2025-01-01",
    periodEnd: "2025-03-31",
    exportValue: 1e7,
    importValue: 2.5e6,
    creditRating: "advanced_certified",
  },
  "judicial.case": {
    subject: SUBJECT,
    caseIdHash: h("(2024)京0105民初12345号"),
    role: "defendant",
    status: "judged",
    outcome: "lost",
    filedDate: "2024-02-29",
    amount: 50_000,
  },
  "judicial.enforcement": {
    subject: SUBJECT,
    caseIdHash: h("case"),
    amount: 80_000,
    listedDate: "2024-06-01",
  },
  "judicial.dishonest": {
    subject: SUBJECT,
    caseIdHash: h("case"),
    amount: 80_000,
    behaviour: "capable_but_refusing",
    listedDate: "2024-06-01",
    liftedDate: "2025-01-15",
  },
  "admin.penalty": {
    subject: SUBJECT,
    decisionIdHash: h("decision"),
    authority: "深圳市市场监督管理局",
    penaltyType: "fine",
    severity: "general",
    decisionDate: "2025-05-20",
    amount: 20_000,
  },
  "utility.payment": {
    subject: SUBJECT,
    utility: "electricity",
    year: 2025,
    month: 7,
    amountDue: 3_400.2,
    onTime: true,
  },
  "loan.repayment": {
    subject: SUBJECT,
    facilityHash: h("facility"),
    year: 2025,
    month: 8,
    outstanding: 1e6,
    overdueDays: 0,
    defaulted: false,
  },
  "gov.subsidy": {
    subject: SUBJECT,
    programme: "高新技术企业补贴",
    level: "municipal",
    amount: 300_000,
    grantedDate: "2025-04-01",
  },
  "carbon.emission": {
    subject: SUBJECT,
    year: 2024,
    emissions: 15_230.5,
    intensity: 0.42,
    verified: true,
    quotaCompliant: true,
  },
  "credit.score": {
    subject: SUBJECT,
    score: 712,
    grade: "AA",
    probabilityOfDefault: 0.0123,
    modelHash: h("model"),
    reasonCodes: "TAX_GRADE_A,NO_ENFORCEMENT",
  },
};

function issuesOf(fn: () => unknown): ValidationIssue[] {
  const error = expectCode(fn, ErrorCode.RECORD_INVALID);
  return error.details?.issues as ValidationIssue[];
}

/** An arbitrary valid value of a field. */
function valueOf(field: FieldDefinition): fc.Arbitrary<unknown> {
  switch (field.type) {
    case "string":
      return fc.string({ minLength: 1, maxLength: 20 });
    case "boolean":
      return fc.boolean();
    case "date":
      return fc
        .date({
          min: new Date("1990-01-01T00:00:00Z"),
          max: new Date("2100-12-31T00:00:00Z"),
          noInvalidDate: true,
        })
        .map((d) => d.toISOString().slice(0, 10));
    case "hash":
      return fc
        .uint8Array({ minLength: 32, maxLength: 32 })
        .map((b) => `0x${Buffer.from(b).toString("hex")}`);
    case "enum":
      return fc.constantFrom(...(field.values ?? []));
    case "integer":
      return fc.integer({ min: field.min ?? -1e9, max: field.max ?? 1e9 });
    case "number":
      return fc.double({
        min: field.min ?? -1e12,
        max: field.max ?? 1e12,
        noNaN: true,
        noDefaultInfinity: true,
      });
  }
}

/** An arbitrary valid record of a schema (optional fields sometimes absent). */
function recordOf(definition: SchemaDefinition): fc.Arbitrary<Record<string, unknown>> {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const field of definition.fields) model[field.name] = valueOf(field);
  const required = definition.fields.filter((f) => f.required).map((f) => f.name);
  return fc.record(model, { requiredKeys: required });
}

/** A value of the wrong type for a field. */
function wrongValue(field: FieldDefinition): unknown {
  return field.type === "string" ||
    field.type === "enum" ||
    field.type === "date" ||
    field.type === "hash"
    ? 12
    : "x";
}

describe("core/schemas", () => {
  it("has a schema for every DOMAIN.md category and credit.score", () => {
    expect(CATEGORIES).to.deep.equal([
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
    ]);
    for (const category of CATEGORIES) {
      const def = SCHEMAS[category];
      expect(def.category).to.equal(category);
      expect(def.name).to.equal(`${category}.v1`);
      expect(schemaDefinitionIssues(def), category).to.deep.equal([]);
      expect(def.fields[0]).to.deep.include({ name: "subject", type: "hash", required: true });
      expect(schemaForCategory(category)).to.equal(def);
    }
    expect(SCHEMAS["credit.score"].derived).to.equal(true);
  });

  it("schema ids are distinct and registration carries the canonical definition", () => {
    const ids = new Set(CATEGORIES.map((c) => schemaId(SCHEMAS[c])));
    expect(ids.size).to.equal(CATEGORIES.length);
    const registration = schemaRegistration(SCHEMAS["tax.payment"]);
    expect(registration.categoryName).to.equal("tax.payment");
    expect(registration.schemaId).to.equal(keccak256(toUtf8Bytes(registration.definition)));
    expect(registration.categoryId).to.equal(categoryId("tax.payment"));
    expect(JSON.parse(registration.definition)).to.deep.equal(SCHEMAS["tax.payment"]);
    expectCode(
      () => schemaRegistration({ ...SCHEMAS["tax.payment"], name: "tax.payment" }),
      ErrorCode.SCHEMA_INVALID,
    );
  });

  it("SCHEMA_UNKNOWN for an unknown category", () => {
    expectCode(() => schemaForCategory("tax.refund"), ErrorCode.SCHEMA_UNKNOWN, NotFoundError);
  });

  it("accepts a valid record of every category and hashes it canonically", () => {
    for (const category of CATEGORIES) {
      validateRecord(SCHEMAS[category], SAMPLES[category]);
      expect(recordDataHash(SCHEMAS[category], SAMPLES[category])).to.equal(
        hashCanonical(SAMPLES[category]),
      );
    }
  });

  it("RECORD_INVALID lists every bad field", () => {
    const record = {
      subject: SUBJECT.toUpperCase().replace("0X", "0x"),
      periodStart: "2023-02-29",
      taxType: "income",
      taxPaid: -1,
      arrears: "no",
      arrearsAmount: null,
      note: "x",
    };
    const issues = issuesOf(() => {
      validateRecord(SCHEMAS["tax.payment"], record);
    });
    expect(issues).to.deep.equal([
      { path: "note", problem: "is not a field of the schema" },
      { path: "subject", problem: "must be 0x and 64 lowercase hex digits" },
      { path: "periodStart", problem: "must be a date YYYY-MM-DD" },
      { path: "periodEnd", problem: "is required" },
      {
        path: "taxType",
        problem: "must be one of vat, corporate_income, consumption, stamp, other",
      },
      { path: "taxPaid", problem: "must be at least 0" },
      { path: "arrears", problem: "must be a boolean" },
      { path: "arrearsAmount", problem: "must be a finite number" },
    ]);
    const error = expectCode(() => {
      validateRecord(SCHEMAS["tax.payment"], record);
    }, ErrorCode.RECORD_INVALID);
    expect(error.message).to.include("tax.payment.v1").and.include("and 3 more");
    expect(error.details?.schema).to.equal("tax.payment.v1");
  });

  it("RECORD_INVALID for ranges, integers, empty strings and non-objects", () => {
    expect(
      issuesOf(() => {
        validateRecord(SCHEMAS["social.insurance"], {
          ...SAMPLES["social.insurance"],
          month: 13,
          insuredEmployees: 1.5,
        });
      }),
    ).to.deep.equal([
      { path: "month", problem: "must be at most 12" },
      { path: "insuredEmployees", problem: "must be an integer" },
    ]);
    expect(
      issuesOf(() => {
        validateRecord(SCHEMAS["gov.subsidy"], { ...SAMPLES["gov.subsidy"], programme: "" });
      }),
    ).to.have.length(1);
    expect(
      issuesOf(() => {
        validateRecord(SCHEMAS["credit.score"], {
          ...SAMPLES["credit.score"],
          probabilityOfDefault: 1.01,
        });
      }),
    ).to.have.length(1);
    for (const notARecord of [null, [], "x", 5]) {
      expect(
        issuesOf(() => {
          validateRecord(SCHEMAS["tax.grade"], notARecord);
        })[0].path,
      ).to.equal("$");
    }
    expect(
      issuesOf(() => {
        validateRecord(SCHEMAS["tax.grade"], { ...SAMPLES["tax.grade"], year: Number.NaN });
      })[0].path,
    ).to.equal("$");
    expectCode(
      () => recordDataHash(SCHEMAS["tax.grade"], { subject: SUBJECT }),
      ErrorCode.RECORD_INVALID,
    );
  });

  it("isIsoDate knows the calendar", () => {
    for (const ok of ["2024-02-29", "2000-02-29", "2025-12-31", "1990-01-01"])
      expect(isIsoDate(ok), ok).to.equal(true);
    for (const bad of [
      "2023-02-29",
      "1900-02-29",
      "2025-04-31",
      "2025-13-01",
      "2025-00-10",
      "2025-1-01",
      "2025-01-01T00:00:00Z",
      20250101,
    ]) {
      expect(isIsoDate(bad), String(bad)).to.equal(false);
    }
  });

  describe("recordSeverity follows each schema's negative rules", () => {
    const cases: [CategoryName, Record<string, unknown>, Severity][] = [
      ["tax.payment", {}, Severity.None],
      ["tax.payment", { arrears: true, arrearsAmount: 5_000 }, Severity.General],
      ["tax.grade", { grade: "D" }, Severity.Serious],
      ["tax.grade", { grade: "C" }, Severity.General],
      ["tax.grade", { grade: "M" }, Severity.None],
      ["customs.trade", { creditRating: "dishonest" }, Severity.Serious],
      ["judicial.case", {}, Severity.Minor],
      ["judicial.case", { role: "plaintiff" }, Severity.None],
      ["judicial.case", { outcome: "won" }, Severity.None],
      ["judicial.enforcement", {}, Severity.General],
      ["judicial.dishonest", {}, Severity.Serious],
      ["admin.penalty", { severity: "minor" }, Severity.Minor],
      ["admin.penalty", { severity: "serious" }, Severity.Serious],
      ["utility.payment", {}, Severity.None],
      ["utility.payment", { onTime: false, overdueDays: 12 }, Severity.Minor],
      ["loan.repayment", {}, Severity.None],
      ["loan.repayment", { overdueDays: 1 }, Severity.Minor],
      ["loan.repayment", { overdueDays: 90 }, Severity.General],
      ["loan.repayment", { overdueDays: 200, defaulted: true }, Severity.Serious],
      ["gov.subsidy", {}, Severity.None],
      ["carbon.emission", { quotaCompliant: false }, Severity.General],
      ["credit.score", {}, Severity.None],
    ];
    for (const [category, override, severity] of cases) {
      it(`${category} ${JSON.stringify(override)} → ${severity}`, () => {
        const record = { ...SAMPLES[category], ...override };
        validateRecord(SCHEMAS[category], record);
        expect(recordSeverity(SCHEMAS[category], record)).to.equal(severity);
      });
    }
    it("an absent optional field never satisfies a condition", () => {
      const { outcome: _outcome, ...record } = SAMPLES["judicial.case"];
      expect(recordSeverity(SCHEMAS["judicial.case"], record)).to.equal(Severity.None);
    });
  });

  describe("SCHEMA_INVALID lists every problem of a definition", () => {
    const base = SCHEMAS["loan.repayment"];
    const cases: [string, unknown, string[]][] = [
      ["not an object", [], ["$"]],
      ["not JSON", { ...base, extra: undefined }, ["$"]],
      ["unknown property", { ...base, owner: "x" }, ["$.owner"]],
      [
        "bad category and name",
        { ...base, category: "Loan", name: "loan.v1" },
        ["$.category", "$.name"],
      ],
      ["name of another category", { ...base, name: "loan.repayments.v1" }, ["$.name"]],
      ["version 0", { ...base, name: "loan.repayment.v0" }, ["$.name"]],
      ["no fields", { ...base, fields: [], negative: [] }, ["$.fields"]],
      ["no subject", { ...base, fields: base.fields.slice(1), negative: [] }, ["$.fields"]],
      [
        "optional subject",
        { ...base, fields: [{ ...base.fields[0], required: false }, ...base.fields.slice(1)] },
        ["$.fields"],
      ],
      [
        "duplicate field",
        { ...base, fields: [...base.fields, base.fields[2]] },
        ["$.fields[7].name"],
      ],
      [
        "bad field",
        {
          ...base,
          fields: [
            ...base.fields,
            { name: "Bad-Name", type: "text", required: "yes", description: 1, colour: "red" },
          ],
        },
        [
          "$.fields[7].colour",
          "$.fields[7].name",
          "$.fields[7].type",
          "$.fields[7].required",
          "$.fields[7].description",
        ],
      ],
      [
        "enum without values",
        { ...base, fields: [...base.fields, { name: "e", type: "enum", required: true }] },
        ["$.fields[7].values"],
      ],
      [
        "enum with duplicate values",
        {
          ...base,
          fields: [...base.fields, { name: "e", type: "enum", required: true, values: ["a", "a"] }],
        },
        ["$.fields[7].values"],
      ],
      [
        "values on a string",
        {
          ...base,
          fields: [...base.fields, { name: "s", type: "string", required: true, values: ["a"] }],
        },
        ["$.fields[7].values"],
      ],
      [
        "bounds on a boolean",
        {
          ...base,
          fields: [...base.fields, { name: "b", type: "boolean", required: true, min: 0 }],
        },
        ["$.fields[7].min"],
      ],
      [
        "fractional integer bound",
        {
          ...base,
          fields: [...base.fields, { name: "i", type: "integer", required: true, max: 1.5 }],
        },
        ["$.fields[7].max"],
      ],
      [
        "min above max",
        {
          ...base,
          fields: [...base.fields, { name: "n", type: "number", required: true, min: 2, max: 1 }],
        },
        ["$.fields[7].min"],
      ],
      [
        "rule on an unknown field",
        { ...base, negative: [{ when: [{ field: "nope", equals: true }], severity: "minor" }] },
        ["$.negative[0].when[0].field"],
      ],
      [
        "rule with a wrong value",
        {
          ...base,
          negative: [{ when: [{ field: "defaulted", equals: "yes" }], severity: "minor" }],
        },
        ["$.negative[0].when[0].equals"],
      ],
      [
        "rule with equals and min",
        {
          ...base,
          negative: [{ when: [{ field: "overdueDays", equals: 1, min: 1 }], severity: "minor" }],
        },
        ["$.negative[0].when[0]"],
      ],
      [
        "min on a boolean",
        { ...base, negative: [{ when: [{ field: "defaulted", min: 1 }], severity: "minor" }] },
        ["$.negative[0].when[0].min"],
      ],
      [
        "bad severity",
        { ...base, negative: [{ when: [], severity: "fatal" }] },
        ["$.negative[0].severity"],
      ],
      [
        "severity from a non-enum",
        { ...base, negative: [{ when: [], severity: { field: "overdueDays" } }] },
        ["$.negative[0].severity.field"],
      ],
      ["rule without when", { ...base, negative: [{ severity: "minor" }] }, ["$.negative[0].when"]],
      ["negative not a list", { ...base, negative: {} }, ["$.negative"]],
      [
        "bad derived and description",
        { ...base, derived: "yes", description: 5 },
        ["$.description", "$.derived"],
      ],
    ];
    for (const [name, definition, paths] of cases) {
      it(name, () => {
        const error = expectCode(() => {
          validateSchemaDefinition(definition);
        }, ErrorCode.SCHEMA_INVALID);
        const issues = error.details?.issues as ValidationIssue[];
        expect(issues.map((i) => i.path)).to.deep.equal(paths);
      });
    }
  });

  describe("properties", () => {
    for (const category of CATEGORIES) {
      it(`${category}: generated valid records pass; one wrong field is reported by name`, () => {
        const def = SCHEMAS[category];
        fc.assert(
          fc.property(recordOf(def), fc.nat(), (record, pick) => {
            validateRecord(def, record);
            const field = def.fields[pick % def.fields.length];
            const issues = issuesOf(() => {
              validateRecord(def, { ...record, [field.name]: wrongValue(field) });
            });
            expect(issues.map((i) => i.path)).to.deep.equal([field.name]);
          }),
          { numRuns: 60 },
        );
      });
    }
  });
});
