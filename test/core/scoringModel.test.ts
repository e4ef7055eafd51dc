import { expect } from "chai";
import fc from "fast-check";
import { keccak256 } from "ethers";

import {
  compileModel,
  defaultScorecardModel,
  modelHash,
  modelRegistration,
  SCHEMAS,
  SCORE_GRADES,
  ScoringErrorCode,
  scorecardModelIssues,
  validateScorecardModel,
} from "../../core/index.js";
import {
  addMonths,
  civilFromDays,
  daysFromCivil,
  parseIsoDay,
} from "../../core/scoring/calendar.js";
import { expectCode } from "./helpers.js";
import { AS_OF, changed, type Json, MODEL, REMOVE, SUBJECT } from "./scoringFixtures.js";

describe("core/scoring model", () => {
  describe("calendar", () => {
    it("day numbers agree with Date.UTC both ways", () => {
      fc.assert(
        fc.property(fc.integer({ min: -200_000, max: 200_000 }), (days) => {
          const [y, m, d] = civilFromDays(days);
          expect(Date.UTC(y, m - 1, d) / 86_400_000).to.equal(days);
          expect(daysFromCivil(y, m, d)).to.equal(days);
        }),
      );
    });

    it("adds months clamping the day to the month's length", () => {
      const day = (y: number, m: number, d: number) => daysFromCivil(y, m, d);
      expect(addMonths(day(2024, 1, 31), 1)).to.equal(day(2024, 2, 29));
      expect(addMonths(day(2023, 1, 31), 1)).to.equal(day(2023, 2, 28));
      expect(addMonths(day(2024, 2, 29), 12)).to.equal(day(2025, 2, 28));
      expect(addMonths(day(2026, 1, 15), -2)).to.equal(day(2025, 11, 15));
      expect(addMonths(day(2026, 3, 31), -60)).to.equal(day(2021, 3, 31));
    });

    it("parses only real YYYY-MM-DD days", () => {
      expect(parseIsoDay("2024-02-29")).to.equal(daysFromCivil(2024, 2, 29));
      for (const bad of [
        "2023-02-29",
        "2024-13-01",
        "2024-00-10",
        "2024-2-01",
        "2024/02/01",
        "2024-02-1x",
        20240201,
        "２０２４-02-01",
      ])
        expect(parseIsoDay(bad), String(bad)).to.equal(undefined);
    });
  });

  describe("model", () => {
    it("the default model is valid and its grades are credit.score's grades", () => {
      expect(scorecardModelIssues(defaultScorecardModel)).to.deep.equal([]);
      const grade = SCHEMAS["credit.score"].fields.find((f) => f.name === "grade");
      expect(grade?.values).to.deep.equal([...SCORE_GRADES]);
      expect(defaultScorecardModel.grades.map((g) => g.grade)).to.deep.equal([...SCORE_GRADES]);
    });

    it("is identified by the hash of its canonical JSON, which a SCORER registers", () => {
      const registration = modelRegistration(defaultScorecardModel);
      expect(registration.modelHash).to.equal(modelHash(defaultScorecardModel));
      expect(keccak256(Buffer.from(registration.document, "utf8"))).to.equal(
        registration.modelHash,
      );
      expect(MODEL.modelHash).to.equal(registration.modelHash);
      expect(JSON.parse(registration.document)).to.deep.equal(defaultScorecardModel);
    });

    it("any change to any value of the document changes the hash", () => {
      const original = modelHash(defaultScorecardModel);
      const seen = new Set([original]);
      let leaves = 0;
      const walk = (node: Json, path: (string | number)[]): void => {
        if (node !== null && typeof node === "object") {
          for (const [key, child] of Object.entries(node))
            walk(child, [...path, Array.isArray(node) ? Number(key) : key]);
          return;
        }
        leaves++;
        const next =
          typeof node === "number"
            ? node + 1
            : typeof node === "boolean"
              ? !node
              : `${String(node)}x`;
        const hash = modelHash(changed(path, next));
        expect(seen.has(hash), path.join(".")).to.equal(false);
        seen.add(hash);
      };
      walk(defaultScorecardModel as unknown as Json, []);
      expect(leaves).to.be.greaterThan(200);
    });

    it("compiling freezes a copy: later edits of the document change nothing", () => {
      const document = structuredClone(defaultScorecardModel);
      const compiled = compileModel(document);
      document.scaling.basePoints = 0;
      document.features[0].bins[0].points = 0;
      expect(compiled.modelHash).to.equal(MODEL.modelHash);
      expect(Object.isFrozen(compiled.model.features[0].bins[0])).to.equal(true);
      expect(compiled.score([], { asOf: AS_OF, subject: SUBJECT }).value).to.equal(550);
    });

    const invalid: [string, readonly (string | number)[], unknown, string][] = [
      ["format", ["format"], "scorecard", "$.format"],
      ["name", ["name"], " ", "$.name"],
      ["version 0", ["version"], 0, "$.version"],
      ["fractional version", ["version"], 1.5, "$.version"],
      ["no description", ["description"], REMOVE, "$.description"],
      ["unknown property", ["weights"], [], "$.weights"],
      ["no scaling", ["scaling"], REMOVE, "$.scaling"],
      ["baseScore", ["scaling", "baseScore"], -1, "$.scaling.baseScore"],
      ["baseOdds 0", ["scaling", "baseOdds"], 0, "$.scaling.baseOdds"],
      ["baseOdds text", ["scaling", "baseOdds"], "50", "$.scaling.baseOdds"],
      ["pdo 0", ["scaling", "pdo"], 0, "$.scaling.pdo"],
      ["negative pdo", ["scaling", "pdo"], -20, "$.scaling.pdo"],
      ["basePoints", ["scaling", "basePoints"], 0.5, "$.scaling.basePoints"],
      ["minScore ≥ maxScore", ["scaling", "minScore"], 900, "$.scaling.minScore"],
      ["maxScore above 1000", ["scaling", "maxScore"], 1001, "$.scaling.maxScore"],
      ["pdDecimals", ["scaling", "pdDecimals"], 0, "$.scaling.pdDecimals"],
      ["scaling property", ["scaling", "intercept"], 1, "$.scaling.intercept"],
      ["no grades", ["grades"], [], "$.grades"],
      ["grade twice", ["grades", 1, "grade"], "AAA", "$.grades[1].grade"],
      ["grade unknown", ["grades", 0, "grade"], "D", "$.grades[0].grade"],
      ["grade order", ["grades", 1, "minScore"], 800, "$.grades[1].minScore"],
      ["grades not covering minScore", ["grades", 8, "minScore"], 350, "$.grades[8].minScore"],
      ["retentionYears", ["retentionYears"], 0, "$.retentionYears"],
      ["dayOffsetMinutes", ["dayOffsetMinutes"], 1000, "$.dayOffsetMinutes"],
      ["disputed", ["disputed"], "ignore", "$.disputed"],
      ["reasonCount above features", ["reasonCount"], 19, "$.reasonCount"],
      ["negative reasonCount", ["reasonCount"], -1, "$.reasonCount"],
      [
        "unknown schema",
        ["schemas", "tax.grade.v9"],
        { dating: { year: "year" } },
        '$.schemas["tax.grade.v9"]',
      ],
      [
        "derived schema",
        ["schemas", "credit.score.v1"],
        { dating: { year: "score" } },
        '$.schemas["credit.score.v1"]',
      ],
      [
        "schema read by no feature",
        ["schemas", "judicial.case.v1"],
        { dating: { date: "filedDate" } },
        '$.schemas["judicial.case.v1"]',
      ],
      [
        "schema property",
        ["schemas", "tax.grade.v1", "window"],
        1,
        '$.schemas["tax.grade.v1"].window',
      ],
      [
        "dating on a non-date",
        ["schemas", "tax.grade.v1", "dating"],
        { date: "year" },
        '$.schemas["tax.grade.v1"].dating.date',
      ],
      [
        "dating without a field",
        ["schemas", "tax.grade.v1", "dating"],
        {},
        '$.schemas["tax.grade.v1"].dating',
      ],
      [
        "optional date without ifMissing",
        ["schemas", "judicial.enforcement.v1", "dating"],
        { date: "liftedDate" },
        '$.schemas["judicial.enforcement.v1"].dating.ifMissing',
      ],
      [
        "required date with ifMissing",
        ["schemas", "admin.penalty.v1", "dating"],
        { date: "decisionDate", ifMissing: "ongoing" },
        '$.schemas["admin.penalty.v1"].dating.ifMissing',
      ],
      [
        "month not a required integer",
        ["schemas", "social.insurance.v1", "dating", "month"],
        "arrearsAmount",
        '$.schemas["social.insurance.v1"].dating.month',
      ],
      ["no features", ["features"], [], "$.features"],
      ["feature id", ["features", 0, "id"], "Tax-grade", "$.features[0].id"],
      ["feature id twice", ["features", 1, "id"], "taxGrade", "$.features[1].id"],
      ["feature description", ["features", 0, "description"], "", "$.features[0].description"],
      ["feature property", ["features", 0, "weight"], 2, "$.features[0].weight"],
      ["undeclared schema", ["features", 0, "schema"], "tax.grade.v2", "$.features[0].schema"],
      ["aggregate", ["features", 0, "aggregate"], "median", "$.features[0].aggregate"],
      ["field on a count", ["features", 1, "field"], "arrears", "$.features[1].field"],
      ["no field on a max", ["features", 14, "field"], REMOVE, "$.features[14].field"],
      ["max of a boolean", ["features", 14, "field"], "defaulted", "$.features[14].field"],
      ["latest of a hash", ["features", 0, "field"], "subject", "$.features[0].field"],
      [
        "sum of an optional field without a guard",
        ["features", 1],
        { ...defaultScorecardModel.features[1], aggregate: "sum", field: "arrearsAmount" },
        "$.features[1].field",
      ],
      ["where not a list", ["features", 1, "where"], {}, "$.features[1].where"],
      [
        "where on an unknown field",
        ["features", 1, "where", 0, "field"],
        "late",
        "$.features[1].where[0].field",
      ],
      [
        "where equals an impossible value",
        ["features", 1, "where", 0, "equals"],
        "yes",
        "$.features[1].where[0].equals",
      ],
      [
        "where with two tests",
        ["features", 1, "where", 0],
        { field: "arrears", equals: true, present: true },
        "$.features[1].where[0]",
      ],
      [
        "where min on a boolean",
        ["features", 1, "where", 0],
        { field: "arrears", min: 1 },
        "$.features[1].where[0].min",
      ],
      [
        "where present not boolean",
        ["features", 8, "where", 0, "present"],
        "no",
        "$.features[8].where[0].present",
      ],
      [
        "where present on a required field",
        ["features", 1, "where", 0],
        { field: "taxPaid", present: true },
        "$.features[1].where[0].present",
      ],
      ["windowMonths 0", ["features", 1, "windowMonths"], 0, "$.features[1].windowMonths"],
      [
        "change without a window",
        ["features", 3, "windowMonths"],
        REMOVE,
        "$.features[3].windowMonths",
      ],
      [
        "distinctMonths over ongoing records",
        ["features", 8, "aggregate"],
        "distinctMonths",
        "$.features[8].aggregate",
      ],
      [
        "repairedWeight missing",
        ["features", 1, "repairedWeight"],
        REMOVE,
        "$.features[1].repairedWeight",
      ],
      [
        "repairedWeight above 1",
        ["features", 1, "repairedWeight"],
        1.5,
        "$.features[1].repairedWeight",
      ],
      [
        "fractional repairedWeight on latest",
        ["features", 0, "repairedWeight"],
        0.5,
        "$.features[0].repairedWeight",
      ],
      [
        "repairedWeight on a schema without negatives",
        ["features", 16, "repairedWeight"],
        0,
        "$.features[16].repairedWeight",
      ],
      [
        "fractional repairedWeight on distinctMonths",
        ["features", 2, "repairedWeight"],
        0.5,
        "$.features[2].repairedWeight",
      ],
      ["no bins", ["features", 1, "bins"], [], "$.features[1].bins"],
      ["bins not ascending", ["features", 1, "bins", 1, "max"], 0, "$.features[1].bins[1].max"],
      ["last bin with a max", ["features", 1, "bins", 4, "max"], 10, "$.features[1].bins[4].max"],
      [
        "inner bin without a max",
        ["features", 1, "bins", 2, "max"],
        REMOVE,
        "$.features[1].bins[2].max",
      ],
      [
        "fractional points",
        ["features", 1, "bins", 0, "points"],
        1.5,
        "$.features[1].bins[0].points",
      ],
      [
        "points out of range",
        ["features", 1, "bins", 0, "points"],
        5000,
        "$.features[1].bins[0].points",
      ],
      ["category without a bin", ["features", 0, "bins", 4], REMOVE, "$.features[0].bins"],
      [
        "category in two bins",
        ["features", 0, "bins", 1, "values"],
        ["A"],
        "$.features[0].bins[1].values",
      ],
      [
        "not a category",
        ["features", 0, "bins", 1, "values"],
        ["E"],
        "$.features[0].bins[1].values",
      ],
      [
        "max on a categorical bin",
        ["features", 0, "bins", 1, "max"],
        3,
        "$.features[0].bins[1].max",
      ],
      ["no missingPoints", ["features", 0, "missingPoints"], REMOVE, "$.features[0].missingPoints"],
      ["reason code", ["features", 0, "reason", "code"], "tax grade", "$.features[0].reason.code"],
      [
        "reason code twice",
        ["features", 1, "reason", "code"],
        "TAX_GRADE",
        "$.features[1].reason.code",
      ],
      ["reason text", ["features", 0, "reason", "text"], "", "$.features[0].reason.text"],
      ["not JSON", ["features", 0, "missingPoints"], Number.NaN, "$"],
    ];
    for (const [what, path, value, issuePath] of invalid) {
      it(`rejects a model with a bad ${what} (${issuePath})`, () => {
        const document = changed(path, value);
        const error = expectCode(() => {
          validateScorecardModel(document);
        }, ScoringErrorCode.MODEL_INVALID);
        const issues = (error.details?.issues ?? []) as { path: string; problem: string }[];
        expect(
          issues.map((i) => i.path),
          error.message,
        ).to.include(issuePath);
        expect(error.message).to.include(issuePath);
        expectCode(() => compileModel(document), ScoringErrorCode.MODEL_INVALID);
      });
    }

    it("rejects what is not an object", () => {
      for (const document of [null, "model", [defaultScorecardModel]])
        expectCode(() => {
          validateScorecardModel(document);
        }, ScoringErrorCode.MODEL_INVALID);
    });
  });
});
