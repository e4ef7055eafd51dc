/**
 * Synthetic demo data for the local consortium: enterprises with valid USCCs and records of every
 * data category, realistic enough that scores spread over the grades — most enterprises pay
 * their taxes and their staff, some trade abroad, a few have enforcement cases, dishonest-debtor
 * listings, penalties, utility arrears or overdue loans. Deterministic for a seed: the same seed
 * gives the same enterprises and records (so a demo is reproducible).
 *
 * Pure: no I/O. The loader (loadDemo.ts) puts the records on the ledger.
 */
import { keccak256, toUtf8Bytes } from "ethers";

import type { CategoryName, ConsortiumKey, Hex } from "../../core/index.js";
import {
  SCHEMAS,
  completeUscc,
  recordDataHash,
  recordSeverity,
  subjectId,
  validateRecord,
} from "../../core/index.js";

export type Profile = "sound" | "average" | "risky";

export interface DemoEnterprise {
  uscc: string;
  name: string;
  subject: Hex;
  profile: Profile;
}

export interface DemoRecord {
  category: CategoryName;
  subject: Hex;
  record: Record<string, unknown>;
  dataHash: Hex;
  /** unix seconds */
  observedAt: bigint;
  /** unix seconds; 0 when it does not expire */
  expiresAt: bigint;
  severity: number;
}

export interface DemoData {
  enterprises: DemoEnterprise[];
  records: DemoRecord[];
}

/** A small deterministic PRNG (mulberry32) seeded from a string. */
export function seededRandom(seed: string): () => number {
  let state = Number.parseInt(keccak256(toUtf8Bytes(seed)).slice(2, 10), 16) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const DIVISIONS = ["110108", "310115", "440300", "330106", "510107", "420106", "320583", "370202"];
const CITIES = [
  "Beijing",
  "Shanghai",
  "Shenzhen",
  "Hangzhou",
  "Chengdu",
  "Wuhan",
  "Kunshan",
  "Qingdao",
];
const TRADES = [
  "Precision Machinery",
  "Textiles",
  "Logistics",
  "Software",
  "Food Processing",
  "Electronics",
  "Chemicals",
  "Construction",
  "Solar Equipment",
  "Medical Devices",
];
const ORG_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY";

const pad = (n: number) => String(n).padStart(2, "0");

/** "YYYY-MM-DD" of a unix time (UTC date). */
function isoDate(seconds: number): string {
  const d = new Date(seconds * 1000);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** [year, month] `back` months before the month of `seconds`. */
function monthBefore(seconds: number, back: number): [number, number] {
  const d = new Date(seconds * 1000);
  const total = d.getUTCFullYear() * 12 + d.getUTCMonth() - back;
  return [Math.floor(total / 12), (total % 12) + 1];
}

/** Unix seconds at the end (last day, noon UTC) of a month. */
function monthEndSeconds(year: number, month: number): number {
  return Date.UTC(year, month, 0, 12) / 1000;
}

const DAY = 86_400;
const YEAR = 365 * DAY;

/**
 * `count` enterprises (about 60 % sound, 30 % average, 10 % risky) and their records, as of
 * `asOf` (unix seconds).
 */
export function generateDemo(options: {
  seed: string;
  count: number;
  consortiumKey: ConsortiumKey;
  asOf: number;
}): DemoData {
  const random = seededRandom(options.seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const chance = (p: number) => random() < p;
  const hash = (label: string) => keccak256(toUtf8Bytes(label)) as Hex;
  const { asOf } = options;

  const enterprises: DemoEnterprise[] = [];
  const records: DemoRecord[] = [];
  const usccs = new Set<string>();
  const add = (
    enterprise: DemoEnterprise,
    category: CategoryName,
    fields: Record<string, unknown>,
    observedAt: number,
    expiresAt = 0,
  ) => {
    const schema = SCHEMAS[category];
    const record = { subject: enterprise.subject, ...fields };
    validateRecord(schema, record);
    records.push({
      category,
      subject: enterprise.subject,
      record,
      dataHash: recordDataHash(schema, record),
      observedAt: BigInt(Math.min(observedAt, asOf - 60)),
      expiresAt: BigInt(expiresAt),
      severity: recordSeverity(schema, record),
    });
  };

  for (let i = 0; i < options.count; i++) {
    let uscc: string;
    do {
      const org = Array.from({ length: 9 }, () =>
        ORG_ALPHABET.charAt(Math.floor(random() * ORG_ALPHABET.length)),
      ).join("");
      uscc = completeUscc(`91${pick(DIVISIONS)}${org}`);
    } while (usccs.has(uscc));
    usccs.add(uscc);
    const r = random();
    const profile: Profile = r < 0.6 ? "sound" : r < 0.9 ? "average" : "risky";
    const city = CITIES[DIVISIONS.indexOf(uscc.slice(2, 8))];
    const e: DemoEnterprise = {
      uscc,
      name: `${city} ${pick(TRADES)} Co., Ltd. #${i + 1}`,
      subject: subjectId(options.consortiumKey, uscc),
      profile,
    };
    enterprises.push(e);
    const risky = profile === "risky";
    const average = profile === "average";

    // tax grade of last year, and the last four quarters of VAT
    const [lastYear] = monthBefore(asOf, 12);
    const grade = risky
      ? pick(["C", "D", "M"])
      : average
        ? pick(["B", "M", "B"])
        : pick(["A", "A", "B"]);
    add(e, "tax.grade", { year: lastYear, grade }, Date.UTC(lastYear + 1, 3, 1) / 1000);
    for (let q = 1; q <= 4; q++) {
      const [y, m] = monthBefore(asOf, q * 3);
      const start = Date.UTC(y, m - 1, 1) / 1000;
      const end = Date.UTC(y, m + 2, 0, 12) / 1000; // the last day of the quarter's third month
      const arrears = risky ? chance(0.5) : average ? chance(0.1) : false;
      add(
        e,
        "tax.payment",
        {
          periodStart: isoDate(start),
          periodEnd: isoDate(end),
          taxType: "vat",
          taxPaid: int(20, 900) * 1_000,
          arrears,
          ...(arrears ? { arrearsAmount: int(5, 200) * 1_000 } : {}),
        },
        end + 15 * DAY,
      );
    }
    // social insurance: the last three months, headcount trend by profile
    let staff = int(8, 400);
    for (let back = 3; back >= 1; back--) {
      const [y, m] = monthBefore(asOf, back);
      staff = Math.max(1, staff + (risky ? -int(0, 6) : int(-2, 5)));
      const arrears = risky ? chance(0.4) : false;
      add(
        e,
        "social.insurance",
        {
          year: y,
          month: m,
          insuredEmployees: staff,
          contributionPaid: staff * int(900, 1_600),
          arrears,
          ...(arrears ? { arrearsAmount: staff * int(100, 500) } : {}),
        },
        monthEndSeconds(y, m) + 10 * DAY,
      );
    }
    // customs: a third of the enterprises trade abroad
    if (chance(0.33)) {
      const [y, m] = monthBefore(asOf, 6);
      const start = Date.UTC(y, m - 1, 1) / 1000;
      add(
        e,
        "customs.trade",
        {
          periodStart: isoDate(start),
          periodEnd: isoDate(start + 180 * DAY),
          exportValue: int(100, 50_000) * 1_000,
          importValue: int(50, 20_000) * 1_000,
          creditRating:
            risky && chance(0.3) ? "dishonest" : chance(0.3) ? "advanced_certified" : "general",
        },
        start + 190 * DAY,
      );
    }
    // court: enforcement and dishonest-debtor listings for risky enterprises
    if (risky || (average && chance(0.05))) {
      const listed = asOf - int(30, 700) * DAY;
      const lifted = chance(0.3) ? { liftedDate: isoDate(listed + int(10, 25) * DAY) } : {};
      add(
        e,
        "judicial.enforcement",
        {
          caseIdHash: hash(`case:${uscc}:enf`),
          amount: int(50, 5_000) * 1_000,
          listedDate: isoDate(listed),
          ...lifted,
        },
        listed,
      );
      if (risky && chance(0.4)) {
        const dishonest = listed + int(30, 90) * DAY;
        add(
          e,
          "judicial.dishonest",
          {
            caseIdHash: hash(`case:${uscc}:dishonest`),
            amount: int(50, 5_000) * 1_000,
            behaviour: pick([
              "capable_but_refusing",
              "evading_enforcement",
              "obstructing_enforcement",
            ]),
            listedDate: isoDate(Math.min(dishonest, asOf - DAY)),
          },
          Math.min(dishonest, asOf - DAY),
        );
      }
    }
    // market regulation: penalties, mostly minor
    if (risky ? chance(0.7) : average ? chance(0.15) : chance(0.02)) {
      const decided = asOf - int(20, 900) * DAY;
      const severity = risky ? pick(["general", "serious", "minor"]) : "minor";
      add(
        e,
        "admin.penalty",
        {
          decisionIdHash: hash(`penalty:${uscc}`),
          authority: `${city} Administration for Market Regulation`,
          penaltyType: severity === "minor" ? "warning" : "fine",
          severity,
          decisionDate: isoDate(decided),
          ...(severity === "minor" ? {} : { amount: int(10, 500) * 1_000 }),
        },
        decided,
        decided + 3 * YEAR,
      );
    }
    // utilities: the last month's electricity
    {
      const [y, m] = monthBefore(asOf, 1);
      const onTime = risky ? chance(0.4) : average ? chance(0.9) : true;
      add(
        e,
        "utility.payment",
        {
          utility: "electricity",
          year: y,
          month: m,
          amountDue: int(2, 300) * 1_000,
          onTime,
          ...(onTime ? {} : { overdueDays: int(5, 120) }),
        },
        monthEndSeconds(y, m) + 5 * DAY,
      );
    }
    // banks: loan repayment status of last month for half of the enterprises
    if (chance(0.5)) {
      const [y, m] = monthBefore(asOf, 1);
      const overdueDays = risky ? pick([0, 15, 45, 120]) : average ? pick([0, 0, 0, 7]) : 0;
      add(
        e,
        "loan.repayment",
        {
          facilityHash: hash(`loan:${uscc}`),
          year: y,
          month: m,
          outstanding: int(100, 20_000) * 1_000,
          overdueDays,
          defaulted: overdueDays >= 120 && chance(0.5),
        },
        monthEndSeconds(y, m) + 3 * DAY,
      );
    }
    // subsidies and carbon for some
    if (!risky && chance(0.15)) {
      const granted = asOf - int(30, 600) * DAY;
      add(
        e,
        "gov.subsidy",
        {
          programme: pick(["SME innovation fund", "Export development", "Green manufacturing"]),
          level: pick(["national", "provincial", "municipal"]),
          amount: int(50, 2_000) * 1_000,
          grantedDate: isoDate(granted),
        },
        granted,
      );
    }
    if (chance(0.2)) {
      add(
        e,
        "carbon.emission",
        {
          year: lastYear,
          emissions: int(100, 90_000),
          intensity: Math.round(random() * 2_000) / 1_000,
          verified: true,
          quotaCompliant: !(risky && chance(0.5)),
        },
        Date.UTC(lastYear + 1, 4, 1) / 1000,
      );
    }
  }
  return { enterprises, records };
}
