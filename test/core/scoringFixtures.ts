/**
 * Records of every category the default scorecard reads, for the scoring tests. Dates are relative
 * to AS_OF (2026-11-26, noon in China, UTC+8).
 */
import { keccak256, toUtf8Bytes } from "ethers";

import {
  compileModel,
  computeScore,
  defaultScorecardModel,
  type FeatureResult,
  type Hex,
  type ScoreResult,
  type ScorecardModel,
  type ScoringInput,
  type ScoringInputStatus,
} from "../../core/index.js";
import { daysFromCivil, localDayStart } from "../../core/scoring/calendar.js";

export const h = (s: string): Hex => keccak256(toUtf8Bytes(s)) as Hex;

export const SUBJECT = h("subject:acme");
/** Local (UTC+8) day number of 2026-11-26. */
export const AS_OF_DAY = daysFromCivil(2026, 11, 26);
/** 2026-11-26 12:00 in China. */
export const AS_OF = localDayStart(AS_OF_DAY, 480) + 12 * 3600;
export const OBSERVED_AT = 1_700_000_000;

export interface InputOptions {
  status?: ScoringInputStatus;
  expiresAt?: number | bigint;
  observedAt?: number | bigint;
  disputed?: boolean;
  uid?: string;
  subject?: string;
}

let counter = 0;

export function input(
  schema: string,
  fields: Record<string, unknown>,
  options: InputOptions = {},
): ScoringInput {
  const result: ScoringInput = {
    uid: options.uid ?? h(`uid:${counter++}`),
    schema,
    record: { subject: options.subject ?? SUBJECT, ...fields },
    observedAt: options.observedAt ?? OBSERVED_AT,
    expiresAt: options.expiresAt ?? 0,
    status: options.status ?? "active",
  };
  if (options.disputed !== undefined) result.disputed = options.disputed;
  return result;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** [year, month] of 2026-11 minus `back` months. */
export function monthBack(back: number): [number, number] {
  const total = 2026 * 12 + 10 - back;
  return [Math.floor(total / 12), (total % 12) + 1];
}

/** The last day ("YYYY-MM-DD") of 2026-11 minus `back` months. */
export function monthEnd(back: number): string {
  const [y, m] = monthBack(back);
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return `${y}-${pad(m)}-${pad(last)}`;
}

const cased = (back: number, tag: string) => h(`case:${tag}:${back}:${counter}`);

export const taxGrade = (year: number, grade: string, o?: InputOptions) =>
  input("tax.grade.v1", { year, grade }, o);

export const taxPayment = (back: number, arrears: boolean, o?: InputOptions) =>
  input(
    "tax.payment.v1",
    {
      periodStart: `${monthEnd(back).slice(0, 8)}01`,
      periodEnd: monthEnd(back),
      taxType: "vat",
      taxPaid: 10_000,
      arrears,
      ...(arrears ? { arrearsAmount: 2_000 } : {}),
    },
    o,
  );

export const social = (back: number, employees: number, arrears = false, o?: InputOptions) => {
  const [year, month] = monthBack(back);
  return input(
    "social.insurance.v1",
    { year, month, insuredEmployees: employees, contributionPaid: 50_000, arrears },
    o,
  );
};

export const customs = (
  periodEnd: string,
  exportValue: number,
  creditRating = "general",
  o?: InputOptions,
) =>
  input(
    "customs.trade.v1",
    {
      periodStart: `${periodEnd.slice(0, 8)}01`,
      periodEnd,
      exportValue,
      importValue: 1_000,
      creditRating,
    },
    o,
  );

export const enforcement = (
  amount: number,
  listedDate: string,
  liftedDate?: string,
  o?: InputOptions,
) =>
  input(
    "judicial.enforcement.v1",
    {
      caseIdHash: cased(amount, "enforcement"),
      amount,
      listedDate,
      ...(liftedDate === undefined ? {} : { liftedDate }),
    },
    o,
  );

export const dishonest = (listedDate: string, liftedDate?: string, o?: InputOptions) =>
  input(
    "judicial.dishonest.v1",
    {
      caseIdHash: cased(0, "dishonest"),
      amount: 300_000,
      behaviour: "capable_but_refusing",
      listedDate,
      ...(liftedDate === undefined ? {} : { liftedDate }),
    },
    o,
  );

export const penalty = (severity: string, decisionDate: string, o?: InputOptions) =>
  input(
    "admin.penalty.v1",
    {
      decisionIdHash: cased(0, "penalty"),
      authority: "Shenzhen Market Regulation Administration",
      penaltyType: "fine",
      severity,
      decisionDate,
      amount: 20_000,
    },
    o,
  );

export const utility = (back: number, onTime: boolean, o?: InputOptions) => {
  const [year, month] = monthBack(back);
  return input(
    "utility.payment.v1",
    {
      utility: "electricity",
      year,
      month,
      amountDue: 3_000,
      onTime,
      ...(onTime ? {} : { overdueDays: 20 }),
    },
    o,
  );
};

export const loan = (back: number, overdueDays: number, defaulted = false, o?: InputOptions) => {
  const [year, month] = monthBack(back);
  return input(
    "loan.repayment.v1",
    {
      facilityHash: h("facility:1"),
      year,
      month,
      outstanding: 1_000_000,
      overdueDays,
      defaulted,
    },
    o,
  );
};

export const subsidy = (amount: number, grantedDate: string, o?: InputOptions) =>
  input(
    "gov.subsidy.v1",
    { programme: "SME innovation fund", level: "municipal", amount, grantedDate },
    o,
  );

export const carbon = (year: number, intensity: number, o?: InputOptions) =>
  input(
    "carbon.emission.v1",
    { year, emissions: 1_200, intensity, verified: true, quotaCompliant: true },
    o,
  );

export const times = <T>(n: number, make: (i: number) => T): T[] =>
  Array.from({ length: n }, (_, i) => make(i));

/** The default model, compiled once for all scoring tests. */
export const MODEL = compileModel(defaultScorecardModel);

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export const REMOVE = Symbol("remove");

/** A copy of the default model document with the value at `path` replaced (or removed). */
export function changed(path: readonly (string | number)[], value: unknown): unknown {
  const copy = structuredClone(defaultScorecardModel) as unknown as Json;
  let node = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (value !== REMOVE) node[last] = value;
  else if (Array.isArray(node)) node.splice(last as number, 1);
  else Reflect.deleteProperty(node, last);
  return copy;
}

/** A copy of the default model document, edited. */
export function variant(edit: (model: ScorecardModel) => void): ScorecardModel {
  const copy = structuredClone(defaultScorecardModel);
  edit(copy);
  return copy;
}

/** The score of the test subject's records under the default model. */
export const score = (inputs: ScoringInput[], asOf: number = AS_OF): ScoreResult =>
  computeScore(MODEL, inputs, { asOf, subject: SUBJECT });

export const feature = (result: ScoreResult, id: string): FeatureResult => {
  const found = result.features.find((f) => f.id === id);
  if (found === undefined) throw new Error(`no feature ${id}`);
  return found;
};
