/**
 * The chain the indexer benchmark reads: a Hardhat node in a child process (test/helpers), the test
 * consortium deployed on it, and a deterministic mix of ledger operations submitted through the
 * EVM ledger's writers — mostly attestations through `attestMany`, plus record batches and leaves,
 * derived records (lineage), revocations (some of derived records' inputs: stale propagation),
 * supersessions, disputes (opened, answered, withdrawn), repairs (requested, decided), score
 * batches and governance proposals (created, approved, executed).
 *
 * The work goes in rounds: each round adds its share of attestations, then its share of every other
 * operation on records of earlier rounds, so the kinds are interleaved along the chain.
 */
import type { AttestationRequestInput, Hex, RecordLeafInput } from "../../core/index.js";
import {
  DisputeOutcome,
  Role,
  Severity,
  attestationUid,
  buildRecordBatch,
} from "../../core/index.js";
import type { EvmLedger, LedgerWriter, Receipt } from "../../ledger/index.js";
import { createEvmLedger } from "../../ledger/index.js";
import type { TestConsortium, TestKey } from "../../test/helpers/evmConsortium.js";
import { TEST_KEYS, deployTestConsortium } from "../../test/helpers/evmConsortium.js";
import type { HardhatNode } from "../../test/helpers/hardhatNode.js";
import { startHardhatNode } from "../../test/helpers/hardhatNode.js";

/** How much of each operation the chain gets (attestations count records, the rest operations). */
export interface Workload {
  attestations: number;
  /** records per attestMany transaction */
  perTransaction: number;
  subjects: number;
  batches: number;
  leavesPerBatch: number;
  recordedLeavesPerBatch: number;
  derives: number;
  revokes: number;
  supersedes: number;
  disputes: number;
  repairs: number;
  scoreBatches: number;
  proposals: number;
  rounds: number;
}

export const DEFAULT_WORKLOAD: Workload = {
  attestations: 100_000,
  perTransaction: 200,
  subjects: 20_000,
  batches: 40,
  leavesPerBatch: 64,
  recordedLeavesPerBatch: 4,
  derives: 800,
  revokes: 800,
  supersedes: 200,
  disputes: 400,
  repairs: 200,
  scoreBatches: 40,
  proposals: 10,
  rounds: 10,
};

/** The default workload with every count scaled (development runs on smaller chains). */
export function scaledWorkload(scale: number): Workload {
  if (scale === 1) return DEFAULT_WORKLOAD;
  const scaled = (n: number): number => Math.max(1, Math.round(n * scale));
  const w = DEFAULT_WORKLOAD;
  return {
    ...w,
    attestations: scaled(w.attestations),
    batches: scaled(w.batches),
    derives: scaled(w.derives),
    revokes: scaled(w.revokes),
    supersedes: scaled(w.supersedes),
    disputes: scaled(w.disputes),
    repairs: scaled(w.repairs),
    scoreBatches: scaled(w.scoreBatches),
    proposals: scaled(w.proposals),
  };
}

/** What the measuring process needs to know of the chain (JSON-safe). */
export interface ChainInfo {
  url: string;
  /** The node's process id (its CPU time is read from /proc during the backfill). */
  nodePid?: number;
  chainId: string;
  addresses: { consortium: string; registry: string };
  deployBlock: number;
  /** The last block of the generated history. */
  head: number;
  /** The tax bureau's member id and its tax.payment schema (the head-lag attestations). */
  taxMember: Hex;
  taxPaymentSchema: Hex;
}

export function chainInfo(chain: BenchChain): ChainInfo {
  const c = chain.consortium;
  return {
    url: chain.url,
    nodePid: chain.nodePid,
    chainId: c.chainId.toString(),
    addresses: c.addresses,
    deployBlock: c.deployBlock,
    head: Number(chain.head),
    taxMember: c.ids.tax,
    taxPaymentSchema: c.schemas.taxPayment,
  };
}

export interface BenchChain {
  url: string;
  nodePid: number;
  consortium: TestConsortium;
  /** Operations submitted, by kind. */
  operations: Record<string, number>;
  /** Events the contracts emitted (counted from the receipts). */
  events: number;
  eventsByKind: Record<string, number>;
  /** The last block of the generated history. */
  head: bigint;
  /** Seconds the generation took. */
  seconds: number;
  /** Ends the node (when this process started it). */
  stop(): Promise<void>;
}

/** mulberry32 */
function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A bytes32 that looks random (as ids, hashes and subjects are), from a tag and a number:
 * deterministic, cheap (no hashing), never zero.
 */
function word(tag: number, n: number): Hex {
  const next = rng(Math.imul(tag, 0x9e3779b1) ^ Math.imul(n + 1, 0x85ebca6b));
  let text = "0x";
  for (let i = 0; i < 8; i++)
    text += Math.floor(next() * 0x1_0000_0000)
      .toString(16)
      .padStart(8, "0");
  return (text === `0x${"0".repeat(64)}` ? `0x${"0".repeat(63)}1` : text) as Hex;
}

const TAG = { subject: 1, data: 2, reason: 3, root: 4, leafData: 5, score: 6, derived: 7 };

type Owner = "tax" | "court";

interface RecordRef {
  uid: Hex;
  owner: Owner;
  severity: number;
  active: boolean;
  disputed: boolean;
  repairPending: boolean;
}

/** Runs `tasks` with at most `limit` in flight. */
async function pool<T>(limit: number, tasks: (() => Promise<T>)[]): Promise<T[]> {
  const results = new Array<T>(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

/** Starts a node, deploys the test consortium, and submits `workload`. */
export async function buildBenchChain(
  workload: Workload = DEFAULT_WORKLOAD,
  log: (message: string) => void = () => undefined,
): Promise<BenchChain> {
  const started = performance.now();
  const node: HardhatNode = await startHardhatNode();
  try {
    return await generate(node, workload, log, started);
  } catch (error) {
    await node.stop();
    throw error;
  }
}

async function generate(
  node: HardhatNode,
  workload: Workload,
  log: (message: string) => void,
  started: number,
): Promise<BenchChain> {
  const c = await deployTestConsortium(node.url);
  const ledger: EvmLedger = await createEvmLedger({ rpcUrl: node.url, addresses: c.addresses });
  const w = {} as Record<TestKey, LedgerWriter>;
  for (const key of Object.keys(TEST_KEYS) as TestKey[]) w[key] = ledger.writer(TEST_KEYS[key]);
  const random = rng(20_240_601);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const now = (await ledger.head()).timestamp;
  const year = 365n * 86_400n;

  const operations: Record<string, number> = {};
  const eventsByKind: Record<string, number> = {};
  let events = 0;
  const count = (operation: string, receipt: Receipt): Receipt => {
    operations[operation] = (operations[operation] ?? 0) + 1;
    for (const event of receipt.events) {
      eventsByKind[event.kind] = (eventsByKind[event.kind] ?? 0) + 1;
      events++;
    }
    return receipt;
  };

  const records: RecordRef[] = [];
  const live = (filter: (r: RecordRef) => boolean): RecordRef[] => records.filter(filter);
  const writerOf = (owner: Owner): LedgerWriter =>
    owner === "court" ? w.court : random() < 0.5 ? w.tax : w.taxAlt;
  let serial = 0;

  /** One attestation request of `owner`, with its uid. */
  const request = (owner: Owner): { input: AttestationRequestInput; ref: RecordRef } => {
    const n = serial++;
    const severity = owner === "court" ? 1 + Math.floor(random() * 3) : 0;
    const schema =
      owner === "court"
        ? severity === Severity.Minor
          ? c.schemas.adminPenalty
          : c.schemas.judicialEnforcement
        : random() < 0.7
          ? c.schemas.taxPayment
          : c.schemas.taxGrade;
    const observedAt = now - BigInt(Math.floor(random() * 3 * 365 * 86_400));
    const input: AttestationRequestInput = {
      schema,
      subject: word(TAG.subject, Math.floor(random() * workload.subjects)),
      dataHash: word(TAG.data, n),
      observedAt,
      expiresAt: random() < 0.2 ? observedAt + 5n * year : 0n,
      severity,
    };
    const uid = attestationUid({ ...input, provider: owner === "court" ? c.ids.court : c.ids.tax });
    return {
      input,
      ref: { uid, owner, severity, active: true, disputed: false, repairPending: false },
    };
  };

  const share = (total: number, round: number): number =>
    Math.floor((total * (round + 1)) / workload.rounds) -
    Math.floor((total * round) / workload.rounds);

  let batchSerial = 0;
  let scoreSerial = 0;
  let proposalSerial = 0;
  const batches: { leaves: RecordLeafInput[]; proofs: ReturnType<typeof buildRecordBatch> }[] = [];

  for (let round = 0; round < workload.rounds; round++) {
    // ---- attestations: attestMany transactions, a few in flight
    const perRound = share(workload.attestations, round);
    const txs: (() => Promise<Receipt>)[] = [];
    for (let done = 0; done < perRound; done += workload.perTransaction) {
      const owner: Owner = random() < 0.75 ? "tax" : "court";
      const made = Array.from({ length: Math.min(workload.perTransaction, perRound - done) }, () =>
        request(owner),
      );
      records.push(...made.map((m) => m.ref));
      const writer = writerOf(owner);
      txs.push(async () => count("attestMany", await writer.attestMany(made.map((m) => m.input))));
    }
    await pool(6, txs);

    // ---- everything else, on records of this and earlier rounds (batches of earlier rounds)
    const anchored = batches.length;
    const ops: (() => Promise<unknown>)[] = [];
    for (let i = 0; i < share(workload.batches, round); i++) {
      const b = batchSerial++;
      const leaves: RecordLeafInput[] = Array.from({ length: workload.leavesPerBatch }, (_, j) => ({
        subject: word(TAG.subject, Math.floor(random() * workload.subjects)),
        dataHash: word(TAG.leafData, b * 10_000 + j),
        observedAt: now - BigInt(Math.floor(random() * 365 * 86_400)),
        expiresAt: 0n,
        severity: 0,
      }));
      const built = buildRecordBatch(leaves);
      batches.push({ leaves, proofs: built });
      ops.push(async () => {
        count(
          "anchorBatch",
          await w.tax.anchorBatch(
            c.schemas.taxPayment,
            built.root,
            built.length,
            `s3://bench/${b}`,
          ),
        );
        for (let j = 0; j < workload.recordedLeavesPerBatch; j++)
          count("recordLeaf", await w.lenderA.recordLeaf(built.leafProof(j)));
      });
    }
    // revokes and supersedes take records nobody else touches in this round
    const spare = live((r) => r.active && !r.disputed && !r.repairPending);
    const take = (n: number): RecordRef[] => {
      const out: RecordRef[] = [];
      while (out.length < n && spare.length > 0) {
        const i = Math.floor(random() * spare.length);
        out.push(spare[i]);
        spare[i] = spare[spare.length - 1];
        spare.pop();
      }
      return out;
    };
    for (const r of take(share(workload.revokes, round))) {
      r.active = false;
      ops.push(async () =>
        count("revoke", await writerOf(r.owner).revoke(r.uid, word(TAG.reason, 1))),
      );
    }
    for (const r of take(share(workload.supersedes, round))) {
      r.active = false;
      const replacement = request(r.owner);
      records.push(replacement.ref);
      ops.push(async () =>
        count("supersede", await writerOf(r.owner).supersede(r.uid, replacement.input)),
      );
    }
    for (const r of take(share(workload.disputes, round))) {
      r.disputed = true;
      const fate = random();
      ops.push(async () => {
        count("openDispute", await w.lenderA.openDispute(r.uid, word(TAG.reason, 2)));
        if (fate < 0.6)
          count(
            "answerDispute",
            await writerOf(r.owner).answerDispute(
              r.uid,
              fate < 0.3 ? DisputeOutcome.Upheld : DisputeOutcome.Corrected,
              word(TAG.reason, 3),
            ),
          );
        else if (fate < 0.85) count("withdrawDispute", await w.lenderA.withdrawDispute(r.uid));
      });
    }
    const negative = take(share(workload.repairs, round) * 4).filter((r) => r.severity > 0);
    for (const r of negative.slice(0, share(workload.repairs, round))) {
      r.repairPending = true;
      ops.push(async () => {
        count("requestRepair", await w.lenderA.requestRepair(r.uid, word(TAG.reason, 4)));
        if (random() < 0.8)
          count(
            "decideRepair",
            await w.repairAuthority.decideRepair(
              r.uid,
              r.severity === Severity.Minor,
              word(TAG.reason, 5),
            ),
          );
      });
    }
    // derived records use records that stay active in this round (and may be revoked later)
    for (let i = 0; i < share(workload.derives, round); i++) {
      const inputs = Array.from({ length: 2 + Math.floor(random() * 3) }, () => pick(spare)).map(
        (r) => r.uid,
      );
      const unique = [...new Set(inputs)];
      const leafInputs =
        anchored > 0 && random() < 0.25
          ? [
              batches[Math.floor(random() * anchored)].proofs.leafProof(
                workload.recordedLeavesPerBatch,
              ),
            ]
          : [];
      const s = scoreSerial++;
      ops.push(async () =>
        count(
          "derive",
          await w.scorer.derive({
            schema: c.schemas.creditScore,
            subject: word(TAG.subject, Math.floor(random() * workload.subjects)),
            dataHash: word(TAG.derived, s),
            modelHash: c.model,
            observedAt: now,
            inputs: unique,
            leafInputs,
          }),
        ),
      );
    }
    for (let i = 0; i < share(workload.scoreBatches, round); i++) {
      const s = scoreSerial++;
      ops.push(async () => {
        const head = (await ledger.head()).number;
        count(
          "anchorScoreBatch",
          await w.scorer.anchorScoreBatch(word(TAG.score, s), c.model, 1_000, head),
        );
      });
    }
    // one writer per key: operations of one key may run concurrently (the writer is nonce-safe)
    await pool(16, ops);

    // ---- governance, one proposal at a time (each changes lenderB's roles)
    for (let i = 0; i < share(workload.proposals, round); i++) {
      const p = proposalSerial++;
      const proposal = await w.operator.propose({
        kind: "SetRoles",
        member: c.ids.lenderB,
        roles: p % 2 === 0 ? Role.LENDER | Role.REGULATOR : Role.LENDER,
      });
      count("propose", proposal);
      count("approve", await w.regulator.approve(proposal.proposalId));
    }
    log(
      `round ${round + 1}/${workload.rounds}: ${events} events, ${records.length} records, ${((performance.now() - started) / 1000).toFixed(0)} s`,
    );
  }
  const head = (await ledger.head()).number;
  ledger.close();
  return {
    url: node.url,
    nodePid: node.pid,
    consortium: c,
    operations,
    events,
    eventsByKind,
    head,
    seconds: (performance.now() - started) / 1000,
    stop: () => node.stop(),
  };
}
