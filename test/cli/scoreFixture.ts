/**
 * A real verified score on a Hardhat node, for the `credtrail verify` tests: the test consortium,
 * the default scorecard registered by the scorer, three records of one subject attested by the tax
 * bureau (two one at a time, one as an unrecorded leaf of an anchored batch), the subject's score
 * and another subject's in one score batch anchored by the scorer — and the GraphQL score response
 * a gateway would serve for it, with the records a lender holding their contents would pass.
 */
import {
  attestationUid,
  buildRecordBatch,
  buildScoreBatch,
  compileModel,
  defaultScorecardModel,
  modelHash,
  recordDataHash,
  recordLeafUid,
  recordSeverity,
  schemaDefinitionByName,
  scoreInputsHash,
  scoreLeafOf,
  type Hex,
  type ScoringInput,
  type VerifyInputRecord,
} from "../../core/index.js";
import { createEvmLedger, type EvmLedger, type Receipt } from "../../ledger/index.js";
import { deployTestConsortium, TEST_KEYS, type TestConsortium } from "../helpers/evmConsortium.js";
import { startHardhatNode, type HardhatNode } from "../helpers/hardhatNode.js";

export const SUBJECT = "0x" + "ab".repeat(32);
export const OTHER_SUBJECT = "0x" + "cd".repeat(32);

export interface ScoreScenario {
  node: HardhatNode;
  consortium: TestConsortium;
  ledger: EvmLedger;
  /** The untampered GraphQL Score object (BigInts as decimal strings). */
  response: Record<string, unknown>;
  records: VerifyInputRecord[];
  model: unknown;
  /** A transaction that anchored nothing (an attestation). */
  otherTx: Hex;
  /** The uid of a stored input (for revocation tests). */
  storedUid: Hex;
  stop(): Promise<void>;
}

const pad = (n: number) => String(n).padStart(2, "0");

function monthsBefore(timestamp: number, back: number): { start: string; end: string } {
  const d = new Date(timestamp * 1000);
  const first = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - back, 1));
  const last = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0));
  const fmt = (x: Date) =>
    `${x.getUTCFullYear()}-${pad(x.getUTCMonth() + 1)}-${pad(x.getUTCDate())}`;
  return { start: fmt(first), end: fmt(last) };
}

export async function buildScoreScenario(): Promise<ScoreScenario> {
  const node = await startHardhatNode();
  const consortium = await deployTestConsortium(node.url);
  const ledger = await createEvmLedger({ rpcUrl: node.url, addresses: consortium.addresses });
  const tax = ledger.writer(TEST_KEYS.tax);
  const scorer = ledger.writer(TEST_KEYS.scorer);
  const model = defaultScorecardModel;
  const hash = modelHash(model);
  await scorer.registerModel(hash, "credtrail://models/sme-v1");

  const now = Number((await ledger.head()).timestamp);
  const year = new Date(now * 1000).getUTCFullYear() - 1;
  const observedAt = BigInt(now - 86_400);
  const records: VerifyInputRecord[] = [];

  const attest = async (schemaName: string, record: Record<string, unknown>) => {
    const definition = schemaDefinitionByName(schemaName);
    if (definition === undefined) throw new Error(schemaName);
    const schema =
      consortium.schemas[schemaName.startsWith("tax.grade") ? "taxGrade" : "taxPayment"];
    const dataHash = recordDataHash(definition, record);
    const severity = recordSeverity(definition, record);
    const request = { schema, subject: SUBJECT, dataHash, observedAt, expiresAt: 0n, severity };
    const receipt: Receipt = await tax.attest(request);
    const uid = attestationUid({ ...request, provider: consortium.ids.tax });
    records.push({
      uid,
      schema: schemaName,
      record,
      provider: consortium.ids.tax,
      observedAt: observedAt.toString(),
      expiresAt: "0",
    });
    return { uid, receipt };
  };
  const grade = await attest("tax.grade.v1", { subject: SUBJECT, year, grade: "B" });
  const p1 = monthsBefore(now, 2);
  await attest("tax.payment.v1", {
    subject: SUBJECT,
    periodStart: p1.start,
    periodEnd: p1.end,
    taxType: "vat",
    taxPaid: 12_000,
    arrears: false,
  });

  // a batch of two payment records; the subject's leaf is never recorded on its own
  const p2 = monthsBefore(now, 3);
  const paymentDefinition = schemaDefinitionByName("tax.payment.v1");
  if (paymentDefinition === undefined) throw new Error("tax.payment.v1");
  const batchRecords = [
    {
      subject: SUBJECT,
      periodStart: p2.start,
      periodEnd: p2.end,
      taxType: "vat",
      taxPaid: 9_000,
      arrears: false,
    },
    {
      subject: OTHER_SUBJECT,
      periodStart: p2.start,
      periodEnd: p2.end,
      taxType: "vat",
      taxPaid: 1_000,
      arrears: false,
    },
  ];
  const leaves = batchRecords.map((record) => ({
    subject: record.subject,
    dataHash: recordDataHash(paymentDefinition, record),
    observedAt,
    expiresAt: 0n,
    severity: 0,
  }));
  const batch = buildRecordBatch(leaves);
  await tax.anchorBatch(consortium.schemas.taxPayment, batch.root, leaves.length, "file://batch");
  const leafUid = recordLeafUid(leaves[0], {
    schema: consortium.schemas.taxPayment,
    provider: consortium.ids.tax,
  });
  records.push({
    uid: leafUid,
    schema: "tax.payment.v1",
    record: batchRecords[0],
    provider: consortium.ids.tax,
    observedAt: observedAt.toString(),
    expiresAt: "0",
    batch: { root: batch.root, proof: batch.proof(0) },
  });

  // score as of the current block
  const asOfHead = await ledger.head();
  const asOfBlock = asOfHead.number;
  const asOfTimestamp = asOfHead.timestamp;
  const compiled = compileModel(model);
  const inputs: ScoringInput[] = records.map((r) => ({
    uid: r.uid,
    schema: r.schema,
    record: r.record,
    observedAt: BigInt(r.observedAt),
    expiresAt: 0n,
    status: "active",
  }));
  const result = compiled.score(inputs, { asOf: asOfTimestamp, asOfBlock, subject: SUBJECT });
  const other = compiled.score([], { asOf: asOfTimestamp, asOfBlock, subject: OTHER_SUBJECT });
  const scoreBatch = buildScoreBatch([scoreLeafOf(result), scoreLeafOf(other)]);
  const anchor = await scorer.anchorScoreBatch(
    scoreBatch.root,
    scoreBatch.modelHash,
    scoreBatch.count,
    scoreBatch.asOfBlock,
  );
  const index = scoreBatch.indexOfSubject(SUBJECT);
  if (scoreInputsHash(result.inputUids) !== scoreBatch.leaves[index].inputsHash)
    throw new Error("fixture: inputs hash");

  const response = {
    subject: SUBJECT,
    value: result.value,
    grade: result.grade,
    pd: result.pd,
    reasons: result.reasons.map((r) => r.code),
    reasonDetails: result.reasons.map((r) => ({ ...r })),
    model: hash,
    asOf: asOfTimestamp.toString(),
    asOfBlock: asOfBlock.toString(),
    inputs: result.inputUids,
    verified: true,
    provisionalSince: null,
    provisionalReason: null,
    missingContents: [],
    proof: {
      leaf: scoreBatch.leafHash(index),
      path: scoreBatch.proof(index),
      root: scoreBatch.root,
      batchTx: anchor.txHash,
      blockNumber: anchor.blockNumber.toString(),
      blockHash: anchor.blockHash,
      modelHash: hash,
      inputs: result.inputUids,
    },
  };
  if (result.inputUids.length !== 3) throw new Error("fixture: every record should count");
  return {
    node,
    consortium,
    ledger,
    response,
    records,
    model,
    otherTx: grade.receipt.txHash,
    storedUid: grade.uid,
    async stop() {
      ledger.close();
      await node.stop();
    },
  };
}
