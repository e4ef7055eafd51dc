/**
 * Synthetic subjects for the rescoring benchmark: an indexer store filled, without a chain, by
 * applying blocks of Attested events directly (as the stream would), and the record contents of
 * every attestation in the encrypted record store — 8.5 records per subject on average, across
 * seven schemas of the default model (tax grade and payments, social insurance, customs, utility,
 * loans, penalties).
 */
import { keccak256, toUtf8Bytes } from "ethers";

import type { Hex, JsonObject, LedgerEvent, PositionedEvent } from "../../core/index.js";
import {
  SCHEMAS,
  attestationUid,
  memberId,
  schemaRegistration,
  type CategoryName,
} from "../../core/index.js";
import type { Indexer, RecordStore } from "../../indexer/index.js";
import type { LedgerStream } from "../../ledger/types.js";

const h = (s: string): Hex => keccak256(toUtf8Bytes(s)) as Hex;

const CATEGORIES: CategoryName[] = [
  "tax.grade",
  "tax.payment",
  "social.insurance",
  "customs.trade",
  "utility.payment",
  "loan.repayment",
  "admin.penalty",
];

/** A ledger stream with nothing in it (the benchmark applies blocks itself). */
export function idleLedger(): LedgerStream {
  return {
    head: () =>
      Promise.resolve({
        number: 0n,
        hash: `0x${"0".repeat(64)}`,
        parentHash: `0x${"0".repeat(64)}`,
        timestamp: 0n,
      }),
    stream: () => ({
      [Symbol.asyncIterator]: () => ({
        next: () => Promise.resolve({ done: true as const, value: undefined }),
      }),
    }),
  };
}

const pad2 = (n: number): string => String(n).padStart(2, "0");

/** [year, month] `back` months before (year, month). */
function monthsBack(year: number, month: number, back: number): [number, number] {
  const index = year * 12 + (month - 1) - back;
  return [Math.floor(index / 12), (index % 12) + 1];
}

/** The records of subject `n` at `asOf` (unix seconds). */
export function subjectRecords(
  n: number,
  subject: Hex,
  asOf: number,
): { category: CategoryName; record: JsonObject }[] {
  const date = new Date(asOf * 1000);
  const [y, m] = [date.getUTCFullYear(), date.getUTCMonth() + 1];
  const day = (back: number): string => {
    const [yy, mm] = monthsBack(y, m, back);
    return `${yy}-${pad2(mm)}-15`;
  };
  const out: { category: CategoryName; record: JsonObject }[] = [
    {
      category: "tax.grade",
      record: { subject, year: y - 1, grade: ["A", "B", "M", "C", "D"][n % 5] },
    },
  ];
  for (let k = 1; k <= 3; k++)
    out.push({
      category: "tax.payment",
      record: {
        subject,
        periodStart: day(k).slice(0, 8) + "01",
        periodEnd: day(k),
        taxType: "vat",
        taxPaid: 10_000 + (n % 1000),
        arrears: (n + k) % 7 === 0,
      },
    });
  for (let k = 1; k <= 2; k++) {
    const [yy, mm] = monthsBack(y, m, k * 6);
    out.push({
      category: "social.insurance",
      record: {
        subject,
        year: yy,
        month: mm,
        insuredEmployees: 10 + (n % 50) + k * (n % 3),
        contributionPaid: 5_000,
        arrears: false,
      },
    });
  }
  const [uy, um] = monthsBack(y, m, 1);
  out.push({
    category: "utility.payment",
    record: {
      subject,
      utility: "electricity",
      year: uy,
      month: um,
      amountDue: 300,
      onTime: n % 9 !== 0,
    },
  });
  if (n % 2 === 0) {
    out.push({
      category: "customs.trade",
      record: {
        subject,
        periodStart: day(2).slice(0, 8) + "01",
        periodEnd: day(2),
        exportValue: (n % 10) * 1_000_000,
        importValue: 1_000,
        creditRating: n % 20 === 0 ? "advanced_certified" : "general",
      },
    });
    out.push({
      category: "loan.repayment",
      record: {
        subject,
        facilityHash: h(`facility:${n}`),
        year: uy,
        month: um,
        outstanding: 1_000_000,
        overdueDays: n % 13 === 0 ? 45 : 0,
        defaulted: false,
      },
    });
  } else {
    out.push({
      category: "admin.penalty",
      record: {
        subject,
        decisionIdHash: h(`decision:${n}`),
        authority: "Market Regulation Bureau",
        penaltyType: "fine",
        severity: n % 4 === 1 ? "general" : "minor",
        decisionDate: day(4),
        amount: 5_000,
      },
    });
  }
  return out;
}

export interface SyntheticStore {
  subjects: number;
  records: number;
  /** Timestamp of the last block applied. */
  asOf: number;
}

/**
 * Fills `indexer` (and `records`) with `count` subjects: the schemas registered, then blocks of
 * Attested events (5,000 per block), the contents stored encrypted.
 */
export async function fillSyntheticSubjects(
  indexer: Indexer,
  records: RecordStore,
  count: number,
  asOf: number,
  log: (message: string) => void,
): Promise<SyntheticStore> {
  const provider = memberId("Synthetic Provider");
  const schemas = new Map<CategoryName, Hex>();
  const registrations: LedgerEvent[] = CATEGORIES.map((category, i) => {
    const r = schemaRegistration(SCHEMAS[category]);
    schemas.set(category, r.schemaId);
    return {
      kind: "SchemaRegistered",
      schema: r.schemaId,
      category: r.categoryId,
      index: i + 1,
      categoryName: r.categoryName,
      definition: r.definition,
      registrant: provider,
    };
  });
  let number = 0n;
  let parentHash: Hex = `0x${"0".repeat(64)}`;
  const apply = async (events: LedgerEvent[]): Promise<void> => {
    number++;
    const hash = h(`synthetic:block:${number}`);
    const positioned: PositionedEvent[] = events.map((event, logIndex) => ({
      ...event,
      position: {
        blockNumber: number,
        blockHash: hash,
        txHash: h(`${hash}:${logIndex}`),
        logIndex,
        txIndex: logIndex,
      },
    }));
    await indexer.applyBlocks([
      { block: { number, hash, parentHash, timestamp: BigInt(asOf) }, events: positioned },
    ]);
    parentHash = hash;
  };
  await apply(registrations);
  let events: LedgerEvent[] = [];
  let contents: { uid: Hex; record: JsonObject }[] = [];
  let total = 0;
  const flush = async (): Promise<void> => {
    if (events.length === 0) return;
    await Promise.all([apply(events), records.putMany(contents)]);
    events = [];
    contents = [];
  };
  for (let n = 0; n < count; n++) {
    const subject = h(`synthetic:subject:${n}`);
    const list = subjectRecords(n, subject, asOf);
    for (let k = 0; k < list.length; k++) {
      const { category, record } = list[k];
      const fields = {
        schema: schemas.get(category) as Hex,
        subject,
        dataHash: `0x${n.toString(16).padStart(56, "0")}${k.toString(16).padStart(8, "0")}` as Hex,
        provider,
        observedAt: BigInt(asOf - 86_400 * (k + 1)),
        expiresAt: 0n,
        severity: 0,
      };
      const uid = attestationUid(fields);
      events.push({
        kind: "Attested",
        uid,
        ...fields,
        signer: "0x0000000000000000000000000000000000000001",
        relayer: "0x0000000000000000000000000000000000000000",
      });
      contents.push({ uid, record });
      total++;
    }
    if (events.length >= 5_000) await flush();
    if ((n + 1) % 20_000 === 0) log(`${n + 1} subjects, ${total} records`);
  }
  await flush();
  return { subjects: count, records: total, asOf };
}
