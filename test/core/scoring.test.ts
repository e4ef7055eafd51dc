import { expect } from "chai";
import fc from "fast-check";

import {
  compileFeatures,
  compileModel,
  computeFeatures,
  computeScore,
  creditScoreRecord,
  defaultScorecardModel,
  ErrorCode,
  probabilityOfDefault,
  scalingConstants,
  SCHEMAS,
  schemaDefinitionByName,
  ScoringErrorCode,
  validateRecord,
  type ScoreResult,
  type ScorecardModel,
  type ScoringInput,
} from "../../core/index.js";
import { daysFromCivil, localDayStart } from "../../core/scoring/calendar.js";
import { expectCode } from "./helpers.js";
import {
  AS_OF,
  AS_OF_DAY,
  carbon,
  changed,
  customs,
  dishonest,
  enforcement,
  feature,
  h,
  input,
  loan,
  MODEL,
  penalty,
  score,
  social,
  SUBJECT,
  subsidy,
  taxGrade,
  taxPayment,
  times,
  utility,
  variant,
} from "./scoringFixtures.js";

const sumOfPoints = (result: ScoreResult) =>
  result.features.reduce((total, f) => total + f.points, defaultScorecardModel.scaling.basePoints);

describe("core/scoring", () => {
  describe("features", () => {
    interface BinCase {
      value: number | string;
      bin: number;
      inputs: () => ScoringInput[];
    }
    const repaired = { status: "repaired" } as const;
    const countOf =
      (
        n: number,
        fractions: number,
        match: (i: number, o?: { status: "repaired" }) => ScoringInput,
        other: () => ScoringInput,
      ) =>
      () => [
        ...times(n, (i) => match(i)),
        ...times(fractions, (i) => match(n + i, repaired)),
        other(),
      ];
    const arrearsTax = (n: number, r = 0) =>
      countOf(
        n,
        r,
        (i, o) => taxPayment(i, true, o),
        () => taxPayment(20, false),
      );
    const arrearsSocial = (n: number, r = 0) =>
      countOf(
        n,
        r,
        (i, o) => social(i, 10, true, o),
        () => social(20, 10),
      );
    const exportsOf = (v: number) => () => [customs("2026-06-30", v)];
    const openAmount = (v: number) => () => [enforcement(v, "2025-01-01")];
    const penalties = (severity: string, n: number, r = 0, other = "minor") =>
      countOf(
        n,
        r,
        (_i, o) => penalty(severity, "2026-01-15", o),
        () => penalty(other, "2026-01-15"),
      );
    const lateUtility = (n: number) =>
      countOf(
        n,
        0,
        (i) => utility(i, false),
        () => utility(11, true),
      );
    const overdue = (days: number, o?: { status: "repaired" }) => () => [loan(1, days, false, o)];
    const subsidies = (v: number) => () => [subsidy(v, "2025-06-01")];
    const intensity = (v: number) => () => [carbon(2025, v)];
    const grade = (g: string) => () => [taxGrade(2025, g)];
    const rating = (r: string) => () => [customs("2026-06-30", 100, r)];
    const trend = (from: number, to: number) => () => [social(12, from), social(1, to)];

    const cases: Record<string, BinCase[]> = {
      taxGrade: ["A", "B", "M", "C", "D"].map((g, bin) => ({ value: g, bin, inputs: grade(g) })),
      taxArrears: [
        { value: 0, bin: 0, inputs: arrearsTax(0) },
        { value: 0.25, bin: 1, inputs: arrearsTax(0, 1) },
        { value: 0.5, bin: 1, inputs: arrearsTax(0, 2) },
        { value: 0.75, bin: 2, inputs: arrearsTax(0, 3) },
        { value: 1, bin: 2, inputs: arrearsTax(1) },
        { value: 1.25, bin: 3, inputs: arrearsTax(1, 1) },
        { value: 3, bin: 3, inputs: arrearsTax(3) },
        { value: 4, bin: 4, inputs: arrearsTax(4) },
      ],
      taxOnTimeMonths: [0, 5, 6, 11, 12, 23, 24].map((n, i) => ({
        value: n,
        bin: [0, 1, 2, 2, 3, 3, 4][i],
        inputs: () => (n === 0 ? [taxPayment(0, true)] : times(n, (k) => taxPayment(k, false))),
      })),
      insuredEmployeesTrend: [
        { value: -30, bin: 0, inputs: trend(100, 70) },
        { value: -29, bin: 1, inputs: trend(100, 71) },
        { value: -10, bin: 1, inputs: trend(100, 90) },
        { value: -9, bin: 2, inputs: trend(100, 91) },
        { value: 10, bin: 2, inputs: trend(100, 110) },
        { value: 11, bin: 3, inputs: trend(100, 111) },
        { value: 100, bin: 3, inputs: trend(0, 5) },
      ],
      socialInsuranceArrears: [
        { value: 0, bin: 0, inputs: arrearsSocial(0) },
        { value: 0.25, bin: 1, inputs: arrearsSocial(0, 1) },
        { value: 0.5, bin: 1, inputs: arrearsSocial(0, 2) },
        { value: 0.75, bin: 2, inputs: arrearsSocial(0, 3) },
        { value: 2, bin: 2, inputs: arrearsSocial(2) },
        { value: 3, bin: 3, inputs: arrearsSocial(3) },
      ],
      exportValue: [
        [0, 0],
        [1e6, 1],
        [1e6 + 1, 2],
        [1e7, 2],
        [1e7 + 1, 3],
        [1e8, 3],
        [1e8 + 1, 4],
      ].map(([value, bin]) => ({ value, bin, inputs: exportsOf(value) })),
      customsRating: ["advanced_certified", "general", "dishonest"].map((r, bin) => ({
        value: r,
        bin,
        inputs: rating(r),
      })),
      openEnforcementAmount: [
        { value: 0, bin: 0, inputs: () => [enforcement(500_000, "2024-01-01", "2025-01-01")] },
        { value: 100_000, bin: 1, inputs: openAmount(100_000) },
        { value: 100_001, bin: 2, inputs: openAmount(100_001) },
        { value: 1_000_000, bin: 2, inputs: openAmount(1_000_000) },
        { value: 1_000_001, bin: 3, inputs: openAmount(1_000_001) },
        {
          value: 1_100_000,
          bin: 3,
          inputs: () => [enforcement(600_000, "2025-01-01"), enforcement(500_000, "2025-02-01")],
        },
        {
          value: 100_000,
          bin: 1,
          inputs: () => [enforcement(200_000, "2024-01-01", undefined, repaired)],
        },
      ],
      dishonestListed: [
        { value: 0, bin: 0, inputs: () => [dishonest("2022-01-01", "2023-01-01")] },
        { value: 1, bin: 1, inputs: () => [dishonest("2025-01-01")] },
        { value: 2, bin: 1, inputs: () => [dishonest("2025-01-01"), dishonest("2016-01-01")] },
      ],
      dishonestLifted: [
        { value: 0, bin: 0, inputs: () => [dishonest("2025-01-01")] },
        { value: 1, bin: 1, inputs: () => [dishonest("2024-01-01", "2025-01-01")] },
        {
          value: 2,
          bin: 2,
          inputs: () => [
            dishonest("2024-01-01", "2025-01-01"),
            dishonest("2020-01-01", "2022-01-01"),
          ],
        },
      ],
      seriousPenalties: [
        { value: 0, bin: 0, inputs: penalties("serious", 0) },
        { value: 0.5, bin: 1, inputs: penalties("serious", 0, 1) },
        { value: 1, bin: 2, inputs: penalties("serious", 1) },
        { value: 1.5, bin: 3, inputs: penalties("serious", 1, 1) },
        { value: 2, bin: 3, inputs: penalties("serious", 2) },
      ],
      generalPenalties: [
        { value: 0, bin: 0, inputs: penalties("general", 0) },
        { value: 0.25, bin: 1, inputs: penalties("general", 0, 1) },
        { value: 1, bin: 1, inputs: penalties("general", 1) },
        { value: 1.25, bin: 2, inputs: penalties("general", 1, 1) },
        { value: 3, bin: 2, inputs: penalties("general", 3) },
        { value: 4, bin: 3, inputs: penalties("general", 4) },
      ],
      minorPenalties: [
        { value: 0, bin: 0, inputs: penalties("minor", 0, 0, "general") },
        { value: 2, bin: 1, inputs: penalties("minor", 2, 0, "general") },
        { value: 3, bin: 2, inputs: penalties("minor", 3, 0, "general") },
      ],
      utilityArrears: [0, 2, 3, 5, 6].map((n, i) => ({
        value: n,
        bin: [0, 1, 2, 2, 3][i],
        inputs: lateUtility(n),
      })),
      loanOverdueDays: [
        ...[0, 30, 31, 89, 90, 179, 180].map((days, i) => ({
          value: days,
          bin: [0, 1, 2, 2, 3, 3, 4][i],
          inputs: overdue(days),
        })),
        { value: 50, bin: 2, inputs: overdue(100, repaired) },
        { value: 120, bin: 3, inputs: () => [loan(1, 10), loan(2, 120), loan(3, 60)] },
      ],
      loanDefaults: [
        { value: 0, bin: 0, inputs: () => [loan(1, 0)] },
        { value: 0.5, bin: 1, inputs: () => [loan(1, 200, true, repaired)] },
        { value: 1, bin: 2, inputs: () => [loan(1, 200, true)] },
      ],
      subsidies: [
        [0, 0],
        [1e5, 1],
        [1e5 + 1, 2],
        [1e6, 2],
        [1e6 + 1, 3],
      ].map(([value, bin]) => ({ value, bin, inputs: subsidies(value) })),
      carbonIntensity: [
        ...[
          [0.5, 0],
          [0.51, 1],
          [1.5, 1],
          [3, 2],
          [3.1, 3],
        ].map(([value, bin]) => ({ value, bin, inputs: intensity(value) })),
        { value: 0.4, bin: 0, inputs: () => [carbon(2024, 5), carbon(2025, 0.4)] },
      ],
    };

    it("the test records are valid records of their schemas", () => {
      for (const list of Object.values(cases))
        for (const c of list)
          for (const i of c.inputs()) {
            const definition = schemaDefinitionByName(i.schema);
            expect(definition, i.schema).to.not.equal(undefined);
            if (definition !== undefined) validateRecord(definition, i.record);
          }
    });

    it("every feature of the default model has a case for every bin", () => {
      for (const f of defaultScorecardModel.features) {
        const bins = new Set((cases[f.id] ?? []).map((c) => c.bin));
        expect([...bins].sort(), f.id).to.deep.equal(f.bins.map((_b, i) => i));
      }
    });

    for (const f of defaultScorecardModel.features) {
      it(`${f.id}: each value falls in its bin with its points; nothing is missing`, () => {
        for (const c of cases[f.id]) {
          const result = score(c.inputs());
          const got = feature(result, f.id);
          const label = `${f.id} = ${String(c.value)}`;
          expect(got.value, label).to.equal(c.value);
          expect(got.bin, label).to.equal(c.bin);
          expect(got.points, label).to.equal(f.bins[c.bin].points);
          expect(got.uids.length, label).to.be.greaterThan(c.value === 0 ? -1 : 0);
          expect(result.points).to.equal(sumOfPoints(result));
        }
        const none = feature(score([]), f.id);
        expect(none).to.deep.include({ value: null, bin: -1, points: f.missingPoints, uids: [] });
      });
    }

    it("a change needs two periods; months are counted once", () => {
      expect(feature(score([social(1, 50)]), "insuredEmployeesTrend").value).to.equal(null);
      const midMonth = taxPayment(1, false);
      const sameMonth = [
        taxPayment(1, false),
        {
          ...midMonth,
          record: { ...midMonth.record, periodStart: "2026-10-01", periodEnd: "2026-10-15" },
        },
        taxPayment(2, false),
      ];
      expect(feature(score(sameMonth), "taxOnTimeMonths").value).to.equal(2);
    });

    it("latest picks the latest period, then the latest observation, then the smallest uid", () => {
      const older = taxGrade(2024, "A");
      const newer = taxGrade(2025, "C");
      expect(feature(score([newer, older]), "taxGrade")).to.deep.include({
        value: "C",
        uids: [newer.uid.toLowerCase()],
      });
      const first = taxGrade(2025, "B", { observedAt: 100, uid: h("b") });
      const corrected = taxGrade(2025, "M", { observedAt: 200, uid: h("a") });
      expect(feature(score([first, corrected]), "taxGrade").value).to.equal("M");
      const [x, y] = [taxGrade(2025, "B", { uid: h("x") }), taxGrade(2025, "M", { uid: h("y") })];
      const smaller = x.uid < y.uid ? x : y;
      expect(feature(score([x, y]), "taxGrade").value).to.equal(smaller.record.grade);
      expect(feature(score([y, x]), "taxGrade").value).to.equal(smaller.record.grade);
    });

    it("a change compares the latest observations of the first and last periods", () => {
      const base = social(12, 100, false, { observedAt: 100 });
      const corrected = social(12, 50, false, { observedAt: 200 });
      const latest = social(1, 60);
      const result = feature(score([corrected, latest, base]), "insuredEmployeesTrend");
      expect(result.value).to.equal(20);
      expect(result.uids).to.deep.equal([corrected.uid, latest.uid].sort());
      const [x, y] = [
        social(12, 100, false, { uid: h("x") }),
        social(12, 50, false, { uid: h("y") }),
      ];
      const smaller = x.uid < y.uid ? x : y;
      const tie = feature(score([y, latest, x]), "insuredEmployeesTrend");
      expect(tie.value).to.equal(
        ((60 - Number(smaller.record.insuredEmployees)) * 100) /
          Number(smaller.record.insuredEmployees),
      );
    });

    it("inputUids are the sorted records that counted; features name theirs", () => {
      const inputs = [
        taxGrade(2025, "A"),
        taxGrade(2024, "B"),
        ...times(3, (i) => taxPayment(i, i === 0)),
      ];
      const result = score(inputs);
      expect(result.inputUids).to.deep.equal(inputs.map((i) => i.uid.toLowerCase()).sort());
      expect(feature(result, "taxGrade").uids).to.deep.equal([inputs[0].uid]);
      expect(feature(result, "taxArrears").uids).to.deep.equal([inputs[2].uid]);
      expect(feature(result, "taxOnTimeMonths").uids).to.deep.equal(
        [inputs[3].uid, inputs[4].uid].sort(),
      );
    });
  });

  describe("which records count", () => {
    const listing = () => dishonest("2025-06-01");
    const listed = (inputs: ScoringInput[], asOf = AS_OF) =>
      feature(score(inputs, asOf), "dishonestListed");

    for (const status of ["revoked", "superseded", "stale", "expired"] as const) {
      it(`a ${status} record does not count`, () => {
        expect(listed([listing()]).points).to.equal(-100);
        const record = listing();
        const result = score([{ ...record, status }]);
        expect(feature(result, "dishonestListed").value).to.equal(null);
        expect(result.excluded).to.deep.equal([{ uid: record.uid, reason: status }]);
        expect(result.inputUids).to.deep.equal([]);
      });
    }

    it("a record expires at expiresAt", () => {
      expect(listed([dishonest("2025-06-01", undefined, { expiresAt: AS_OF })]).value).to.equal(
        null,
      );
      expect(
        listed([dishonest("2025-06-01", undefined, { expiresAt: BigInt(AS_OF + 1) })]).value,
      ).to.equal(1);
    });

    it("a disputed record counts unless the model excludes disputed records", () => {
      const record = dishonest("2025-06-01", undefined, { disputed: true });
      expect(listed([record]).value).to.equal(1);
      const strict = compileModel(variant((m) => (m.disputed = "exclude")));
      const result = strict.score([record], { asOf: AS_OF });
      expect(feature(result, "dishonestListed").value).to.equal(null);
      expect(result.excluded).to.deep.equal([{ uid: record.uid, reason: "disputed" }]);
    });

    it("records of schemas the model does not read are ignored", () => {
      const record = input("judicial.case.v1", {
        caseIdHash: h("case"),
        role: "defendant",
        status: "filed",
        filedDate: "2026-01-01",
      });
      const result = score([record]);
      expect(result.value).to.equal(550);
      expect(result.excluded).to.deep.equal([{ uid: record.uid, reason: "notInModel" }]);
    });

    it("a record stops counting 5 years after the behaviour ended (local midnight)", () => {
      const check = (decisionDate: string, lastCountingDay: [number, number, number]) => {
        const record = penalty("serious", decisionDate);
        const end = localDayStart(daysFromCivil(...lastCountingDay) + 1, 480);
        expect(feature(score([record], end - 1), "seriousPenalties").value, decisionDate).to.equal(
          1,
        );
        const after = score([record], end);
        expect(feature(after, "seriousPenalties").value, decisionDate).to.equal(null);
        expect(after.excluded).to.deep.equal([{ uid: record.uid, reason: "beyondRetention" }]);
      };
      check("2021-11-25", [2026, 11, 25]);
      check("2024-02-28", [2029, 2, 27]); // ends 2024-02-29 + 5 years → 2029-02-28 (clamped)
      check("2024-02-29", [2029, 2, 28]); // ends 2024-03-01 + 5 years → 2029-03-01
      // a tax grade's behaviour ends on 31 December of its year
      const grade = taxGrade(2021, "D");
      const newYear = localDayStart(daysFromCivil(2027, 1, 1), 480);
      expect(feature(score([grade], newYear - 1), "taxGrade").value).to.equal("D");
      expect(feature(score([grade], newYear), "taxGrade").value).to.equal(null);
    });

    it("an ongoing listing never leaves retention; a lifted one does", () => {
      expect(listed([dishonest("2010-01-01")]).value).to.equal(1);
      const lifted = dishonest("2015-01-01", "2021-06-01");
      const result = score([lifted]);
      expect(feature(result, "dishonestLifted").value).to.equal(null);
      expect(result.excluded).to.deep.equal([{ uid: lifted.uid, reason: "beyondRetention" }]);
      expect(
        feature(score([enforcement(9e6, "2012-01-01")]), "openEnforcementAmount").value,
      ).to.equal(9e6);
    });

    it("a feature window starts the same day N months before asOf", () => {
      expect(AS_OF_DAY).to.equal(daysFromCivil(2026, 11, 26));
      const inWindow = penalty("minor", "2025-11-26");
      const before = penalty("minor", "2025-11-25");
      expect(feature(score([inWindow]), "minorPenalties").value).to.equal(1);
      const result = score([before]);
      expect(feature(result, "minorPenalties").value).to.equal(null);
      expect(feature(result, "seriousPenalties").value).to.equal(0);
      // a record outside every window of its schema does not count at all
      const old = utility(13, false);
      const ignored = score([old]);
      expect(feature(ignored, "utilityArrears").value).to.equal(null);
      expect(ignored.excluded).to.deep.equal([{ uid: old.uid, reason: "unused" }]);
      expect(feature(score([utility(12, false)]), "utilityArrears").value).to.equal(1);
    });

    it("repaired negatives count as the model says", () => {
      const repairedD = taxGrade(2025, "D", { status: "repaired" });
      const a = taxGrade(2024, "A");
      expect(feature(score([repairedD, a]), "taxGrade")).to.deep.include({
        value: "A",
        uids: [a.uid],
      });
      const keepsRepaired = compileModel(variant((m) => (m.features[0].repairedWeight = 1)));
      const kept = keepsRepaired.score([repairedD, a], { asOf: AS_OF });
      expect(feature(kept, "taxGrade").value).to.equal("D");
      expect(kept.modelHash).to.not.equal(MODEL.modelHash);

      const arrears = taxPayment(2, true, { status: "repaired" });
      expect(feature(score([arrears]), "taxArrears").value).to.equal(0.25);
      const forgets = compileModel(variant((m) => (m.features[1].repairedWeight = 0)));
      const forgotten = forgets.score([arrears], { asOf: AS_OF });
      expect(feature(forgotten, "taxArrears").value).to.equal(null);
      expect(forgotten.excluded).to.deep.equal([{ uid: arrears.uid, reason: "unused" }]);

      const utilityLate = utility(1, false, { status: "repaired" });
      const u = score([utilityLate]);
      expect(feature(u, "utilityArrears").value).to.equal(null);
      expect(u.excluded).to.deep.equal([{ uid: utilityLate.uid, reason: "unused" }]);
    });
  });

  describe("scores", () => {
    it("no records: every feature missing (hand-computed)", () => {
      const result = score([]);
      // 300 + 25+15+0+5+5+0+10+30+40+20+30+20+10+5+20+15+0+0
      expect(result.points).to.equal(550);
      expect(result).to.deep.include({
        value: 550,
        grade: "B",
        pd: 0.101638,
        subject: SUBJECT,
        inputUids: [],
      });
      expect(result.reasons.map((r) => [r.code, r.pointsLost])).to.deep.equal([
        ["TAX_HISTORY", 40],
        ["TAX_GRADE", 35],
        ["EXPORTS", 30],
        ["LOAN_OVERDUE", 30],
      ]);
      expect(result.modelHash).to.equal(MODEL.modelHash);
      expect(result.asOf).to.equal(BigInt(AS_OF));
      expect(result.asOfBlock).to.equal(null);
    });

    const strong = () => [
      taxGrade(2025, "A"),
      ...times(24, (i) => taxPayment(i, false)),
      social(12, 50),
      social(1, 60),
      customs("2026-06-30", 20_000_000, "advanced_certified"),
      utility(1, true),
      loan(1, 0),
      subsidy(500_000, "2025-06-01"),
      carbon(2025, 0.4),
    ];

    it("a strong firm (hand-computed)", () => {
      const result = score(strong());
      // 300 + 60+30+40+25+20+20+30+30+40+20+30+20+10+20+50+30+10+15
      expect(result.points).to.equal(800);
      expect(result).to.deep.include({ value: 800, grade: "AAA", pd: 0.00002 });
      expect(result.reasons.map((r) => [r.code, r.pointsLost])).to.deep.equal([
        ["EXPORTS", 10],
        ["SUBSIDIES", 5],
      ]);
      expect(result.inputUids).to.have.length(32);
    });

    it("a troubled firm, clamped to the minimum (hand-computed)", () => {
      const inputs = [
        taxGrade(2025, "D"),
        taxPayment(1, true),
        taxPayment(2, true),
        ...times(3, (i) => taxPayment(3 + i, false)),
        social(12, 100),
        social(3, 80, true),
        social(2, 70, true),
        social(1, 60, true),
        enforcement(2_000_000, "2025-01-01"),
        dishonest("2025-03-01"),
        penalty("serious", "2024-05-01"),
        ...times(6, (i) => utility(i, false)),
        loan(1, 200, true),
      ];
      const result = score(inputs);
      // 300 − 40 + 0 + 10 − 20 − 15 + 0 + 10 − 60 − 100 + 20 − 10 + 20 + 10 − 20 − 80 − 60 + 0 + 0
      expect(result.points).to.equal(-35);
      expect(result).to.deep.include({ value: 300, grade: "C", pd: 0.998476 });
      expect(result.reasons.map((r) => [r.code, r.pointsLost])).to.deep.equal([
        ["DISHONEST_DEBTOR", 140],
        ["LOAN_OVERDUE", 130],
        ["TAX_GRADE", 100],
        ["ENFORCEMENT", 90],
      ]);
    });

    it("reasons: most points lost first, ties in model order, none that lost nothing", () => {
      const all = compileModel(variant((m) => (m.reasonCount = m.features.length)));
      const result = all.score([], { asOf: AS_OF });
      expect(result.reasons.map((r) => [r.code, r.feature, r.pointsLost])).to.deep.equal([
        ["TAX_HISTORY", "taxOnTimeMonths", 40],
        ["TAX_GRADE", "taxGrade", 35],
        ["EXPORTS", "exportValue", 30],
        ["LOAN_OVERDUE", "loanOverdueDays", 30],
        ["HEADCOUNT", "insuredEmployeesTrend", 20],
        ["CUSTOMS_RATING", "customsRating", 20],
        ["TAX_ARREARS", "taxArrears", 15],
        ["SOCIAL_ARREARS", "socialInsuranceArrears", 15],
        ["UTILITY_ARREARS", "utilityArrears", 15],
        ["LOAN_DEFAULT", "loanDefaults", 15],
        ["SUBSIDIES", "subsidies", 15],
        ["CARBON", "carbonIntensity", 15],
      ]);
      expect(result.reasons[0].text).to.equal("Short record of on-time tax payments");
    });

    it("clamps to the maximum and keeps reasonCount reasons", () => {
      const generous = compileModel(
        variant((m) => {
          m.scaling.basePoints = 500;
          m.reasonCount = 1;
        }),
      );
      const result = generous.score(strong(), { asOf: AS_OF });
      expect(result).to.deep.include({ points: 1000, value: 900, grade: "AAA", pd: 0.000001 });
      expect(result.reasons.map((r) => r.code)).to.deep.equal(["EXPORTS"]);
    });

    it("pd follows the points-to-double-the-odds scale", () => {
      const { scaling } = defaultScorecardModel;
      const { factor, offset } = scalingConstants(scaling);
      expect(Math.abs(factor - 20 / Math.LN2)).to.be.below(1e-12);
      for (let s = scaling.minScore; s <= scaling.maxScore; s += 37) {
        const pd = probabilityOfDefault(scaling, s);
        expect(Math.abs(offset + factor * Math.log((1 - pd) / pd) - s)).to.be.below(1e-9);
        expect(MODEL.pdTable[s - scaling.minScore]).to.equal(Math.round(pd * 1e6) / 1e6);
      }
      expect(MODEL.pdTable[600 - scaling.minScore]).to.equal(0.019608);
      expect(Math.abs(probabilityOfDefault(scaling, 620) - 1 / 101)).to.be.below(1e-15);
      for (let i = 1; i < MODEL.pdTable.length; i++)
        expect(MODEL.pdTable[i]).to.be.at.most(MODEL.pdTable[i - 1]);
      expect(MODEL.gradeTable[749 - 300]).to.equal("A");
      expect(MODEL.gradeTable[750 - 300]).to.equal("AA");
    });

    it("the same inputs in any order give the same score", () => {
      const pool = [
        ...strong(),
        taxGrade(2024, "C", { status: "repaired" }),
        taxPayment(5, true, { status: "repaired" }),
        social(6, 55, true),
        enforcement(300_000, "2025-01-01", undefined, { status: "repaired" }),
        dishonest("2025-03-01", undefined, { status: "revoked" }),
        penalty("general", "2025-05-01"),
        penalty("serious", "2025-05-01", { status: "repaired" }),
        loan(2, 45),
        loan(3, 45, false, { status: "superseded" }),
        customs("2026-03-31", 123_456.78),
        customs("2026-04-30", 0.1),
        customs("2026-05-31", 0.2),
        subsidy(0.3, "2026-01-01"),
        carbon(2024, 2.5, { expiresAt: AS_OF - 1 }),
      ];
      const canonical = (inputs: ScoringInput[]) =>
        score([...inputs].sort((a, b) => (a.uid < b.uid ? -1 : 1)));
      fc.assert(
        fc.property(fc.shuffledSubarray(pool), (inputs) => {
          expect(score(inputs)).to.deep.equal(canonical(inputs));
        }),
        { numRuns: 150 },
      );
    });

    it("makes a credit.score.v1 record", () => {
      const result = score(strong());
      const record = creditScoreRecord(result);
      validateRecord(SCHEMAS["credit.score"], record);
      expect(record).to.deep.equal({
        subject: SUBJECT,
        score: 800,
        grade: "AAA",
        probabilityOfDefault: 0.00002,
        modelHash: MODEL.modelHash,
        reasonCodes: "EXPORTS,SUBSIDIES",
      });
      const noSubject = computeScore(MODEL, [], { asOf: AS_OF });
      expect(noSubject.subject).to.equal(null);
      expectCode(() => creditScoreRecord(noSubject), ScoringErrorCode.SCORE_INPUT_INVALID);
    });
  });

  describe("input errors", () => {
    const bad = (inputs: unknown, code: string, options: object = {}) =>
      expectCode(
        () => computeScore(MODEL, inputs as ScoringInput[], { asOf: AS_OF, ...options }),
        code,
      );
    const ok = taxGrade(2025, "A");

    it("rejects a model that was not compiled", () => {
      expectCode(
        () => computeScore({ ...MODEL }, [], { asOf: AS_OF }),
        ScoringErrorCode.SCORE_INPUT_INVALID,
      );
    });

    it("computeFeatures checks asOf; compileFeatures checks the model", () => {
      expectCode(
        () => computeFeatures(MODEL.features, [], { asOf: 1.5 }),
        ScoringErrorCode.SCORE_INPUT_INVALID,
      );
      expectCode(
        () => compileFeatures(changed(["retentionYears"], 0) as ScorecardModel),
        ScoringErrorCode.MODEL_INVALID,
      );
    });

    it("rejects bad options", () => {
      bad([], ScoringErrorCode.SCORE_INPUT_INVALID, { asOf: -1 });
      bad([], ScoringErrorCode.SCORE_INPUT_INVALID, { asOf: 1.5 });
      bad([], ScoringErrorCode.SCORE_INPUT_INVALID, { asOf: 1n << 60n });
      bad([], ScoringErrorCode.SCORE_INPUT_INVALID, { asOfBlock: -1n });
      bad([], ScoringErrorCode.SCORE_INPUT_INVALID, { subject: "0x12" });
      bad("inputs", ScoringErrorCode.SCORE_INPUT_INVALID);
    });

    const malformed: [string, Partial<Record<keyof ScoringInput, unknown>>][] = [
      ["uid", { uid: "0x1234" }],
      ["uid with a control character", { uid: `0x${"0".repeat(63)}\u0010` }],
      ["schema", { schema: "" }],
      ["status", { status: "deleted" }],
      ["record", { record: [] }],
      ["observedAt", { observedAt: -5 }],
      ["expiresAt", { expiresAt: "0" }],
      ["disputed", { disputed: "no" }],
    ];
    for (const [what, change] of malformed) {
      it(`rejects an input with a bad ${what}`, () => {
        const error = bad(
          [ok, { ...taxGrade(2024, "B"), ...change }],
          ScoringErrorCode.SCORE_INPUT_INVALID,
        );
        expect(error.message).to.match(/^inputs\[1\]/);
      });
    }

    it("rejects duplicate uids and records of another subject", () => {
      bad(
        [ok, { ...taxGrade(2024, "B"), uid: ok.uid.toUpperCase().replace("0X", "0x") }],
        ScoringErrorCode.SCORE_INPUT_INVALID,
      );
      bad([ok, taxGrade(2024, "B", { subject: h("other") })], ScoringErrorCode.SCORE_INPUT_INVALID);
      bad([ok], ScoringErrorCode.SCORE_INPUT_INVALID, { subject: h("other") });
      const upper = taxGrade(2024, "B", { subject: `0x${SUBJECT.slice(2).toUpperCase()}` });
      expect(computeScore(MODEL, [ok, upper], { asOf: AS_OF }).subject).to.equal(SUBJECT);
    });

    it("rejects record fields a feature reads that are malformed", () => {
      bad([taxGrade(2025, "E")], ErrorCode.RECORD_INVALID);
      bad([input("tax.grade.v1", { year: "2025", grade: "A" })], ErrorCode.RECORD_INVALID);
      bad([penalty("serious", "2025-02-30")], ErrorCode.RECORD_INVALID);
      bad(
        [
          input("social.insurance.v1", {
            year: 2025,
            month: 13,
            insuredEmployees: 1,
            arrears: false,
          }),
        ],
        ErrorCode.RECORD_INVALID,
      );
      bad([loan(1, Number.NaN)], ErrorCode.RECORD_INVALID);
      bad(
        [input("tax.grade.v1", { year: 2025, grade: "A", subject: 7 })],
        ErrorCode.RECORD_INVALID,
      );
    });
  });
});
