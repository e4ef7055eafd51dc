/**
 * Verified-scores benchmark. Prints JSON and writes bench/results/scores.json.
 *
 *   make bench B=scores        (or: node --import tsx bench/scores.ts; BENCH_QUICK=1 for a short run)
 *
 * 1. Freshness, end to end on a local chain: a Hardhat node (child process) with the test
 *    consortium; in this process a node as gateway/main.ts runs one — indexer (head polled every
 *    100 ms), record store, scoring service anchoring with the scorer's key every
 *    BENCH_SCORES_ANCHOR_MS (5 s), gateway. For each sample a provider attests a record of a fresh
 *    subject and uploads its contents to POST /records (retrying while the attestation is not
 *    indexed); measured from before the attestation is sent until the score that counts it is
 *    readable through GraphQL (`provisional`, polled every 10 ms), and until it is verified (the
 *    service's change event for that version; its proof is in GraphQL from then on).
 * 2. Gas of every score batch those samples were anchored in (eth_getTransactionReceipt): one
 *    transaction per batch whatever its size, so gas per score is batch gas / scores in it.
 * 3. Rescoring throughput after a model change: BENCH_SCORES_SUBJECTS (100,000) synthetic subjects
 *    with 8.5 records each (bench/lib/scoreSubjects.ts) in an indexer store and the encrypted record
 *    store, then `setModel(next version)` rescores every subject (one scan of the by-subject index;
 *    read, decrypt, score, write); also the process CPU time per subject (rescoreCpuMicrosPerSubject).
 *
 * BENCH_SCORES_STORE=<dir> (development): keep the filled store of phase 3 in <dir> (one per
 * BENCH_SCORES_SUBJECTS) and rescore a copy of it on later runs, instead of filling for minutes;
 * delete it after a change to the indexer's or the record store's layout.
 *
 * BENCH_SCORES_ONLY=rescore runs phase 3 alone and prints it without writing bench/results (for
 * profiling: `node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/scores.ts`).
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

import { Wallet, keccak256, toUtf8Bytes } from "ethers";
import { Level } from "level";
import pino from "pino";
import { Registry } from "prom-client";

import type { Hex, JsonObject } from "../core/index.js";
import {
  attestationUid,
  compileModel,
  defaultScorecardModel,
  hashCanonical,
  modelRegistration,
} from "../core/index.js";
import { createAuthenticator, createLoginToken } from "../gateway/auth/index.js";
import { createGateway } from "../gateway/index.js";
import type { ScoreChange } from "../indexer/index.js";
import {
  NODE_DB_OPTIONS,
  createIndexer,
  createRecordStore,
  createScoringService,
} from "../indexer/index.js";
import { createEvmLedger } from "../ledger/index.js";
import { TEST_KEYS, deployTestConsortium } from "../test/helpers/evmConsortium.js";
import { rpc, startHardhatNode } from "../test/helpers/hardhatNode.js";
import { memoryAuditLog } from "../test/gateway/world.js";
import { percentile, round1 } from "./lib/measure.js";
import { fillSyntheticSubjects, idleLedger } from "./lib/scoreSubjects.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const QUICK = process.env.BENCH_QUICK === "1";
const SAMPLES = Number(process.env.BENCH_SCORES_SAMPLES ?? (QUICK ? 12 : 60));
const ANCHOR_MS = Number(process.env.BENCH_SCORES_ANCHOR_MS ?? 5_000);
const SUBJECTS = Number(process.env.BENCH_SCORES_SUBJECTS ?? (QUICK ? 5_000 : 100_000));
/** `rescore`: only phase 3, printed and not written to bench/results (for profiling). */
const ONLY = process.env.BENCH_SCORES_ONLY ?? "";
const POLL_MS = 100;
const AUDIENCE = "credtrail-bench-scores";
const RECORD_KEY = "5c".repeat(32);
const h = (s: string): Hex => keccak256(toUtf8Bytes(s)) as Hex;

function log(message: string): void {
  process.stderr.write(`[bench scores] ${message}\n`);
}

interface Freshness {
  provisionalMs: number[];
  verifiedMs: number[];
  batches: { tx: Hex; gas: number; count: number }[];
}

async function freshness(): Promise<Freshness> {
  const node = await startHardhatNode();
  const dir = await mkdtemp(path.join(tmpdir(), "credtrail-bench-scores-"));
  const db = new Level(dir, NODE_DB_OPTIONS);
  try {
    const c = await deployTestConsortium(node.url);
    const ledger = await createEvmLedger({
      rpcUrl: node.url,
      addresses: c.addresses,
      pollIntervalMs: POLL_MS,
    });
    const tax = ledger.writer(TEST_KEYS.tax);
    const scorer = ledger.writer(TEST_KEYS.scorer);
    const registration = modelRegistration(defaultScorecardModel);
    await scorer.registerModel(registration.modelHash, "credtrail://models/credtrail.sme/1");
    const indexer = await createIndexer({ db, ledger, fromBlock: BigInt(c.deployBlock - 1) });
    const records = await createRecordStore({ db, key: RECORD_KEY });
    const scoring = await createScoringService({
      indexer,
      db,
      records,
      model: compileModel(defaultScorecardModel),
      writer: scorer,
      anchorIntervalMs: ANCHOR_MS,
    });
    await scoring.start();
    indexer.start();
    await indexer.waitForBlock((await ledger.head()).number);
    const gateway = createGateway({
      indexer,
      authenticator: createAuthenticator({
        reads: indexer,
        chainId: c.chainId,
        audience: AUDIENCE,
        clock: Date.now,
      }),
      auditLog: memoryAuditLog(),
      logger: pino({ level: "silent" }),
      metrics: new Registry(),
      recordUploads: {
        records,
        onStored: (subjects) => {
          scoring.touch(subjects);
        },
      },
      scores: scoring,
      config: {
        host: "127.0.0.1",
        port: 0,
        production: true,
        maxLagSeconds: 30,
        rateLimit: { perMinute: 1_000_000 },
        maxBodyBytes: 64 * 1024,
      },
    });
    const { url } = await gateway.start();
    const base = url.replace(/\/graphql$/, "");
    const token = async (member: "tax" | "regulator"): Promise<string> =>
      createLoginToken(new Wallet(TEST_KEYS[member]), {
        chainId: c.chainId,
        member: c.ids[member],
        audience: AUDIENCE,
        lifetimeSeconds: 3_600,
        now: BigInt(Math.floor(Date.now() / 1000)),
      });
    const taxToken = await token("tax");
    const regulatorToken = await token("regulator");

    const provisionalMs: number[] = [];
    const verifiedMs: number[] = [];
    const waiting = new Map<Hex, { uid: Hex; t0: number }>();
    const batchTxs = new Set<Hex>();
    const unwatch = scoring.watch(null, (change: ScoreChange) => {
      if (change.type !== "verified") return;
      const proof = change.score.proof;
      if (proof !== null) batchTxs.add(proof.batchTx);
      const wait = waiting.get(change.score.subject);
      if (wait !== undefined && change.score.inputs.includes(wait.uid)) {
        verifiedMs.push(performance.now() - wait.t0);
        waiting.delete(change.score.subject);
      }
    });

    const query = `query S($id: ID!) { subject(subjectId: $id) { score { inputs verified } } }`;
    const now = (await ledger.head()).timestamp;
    for (let i = 0; i < SAMPLES; i++) {
      const subject = h(`bench:scores:subject:${i}`);
      const record: JsonObject = { subject, year: 2025, grade: ["A", "B", "M"][i % 3] };
      const request = {
        schema: c.schemas.taxGrade,
        subject,
        dataHash: hashCanonical(record),
        observedAt: now - 3_600n,
        expiresAt: 0n,
        severity: 0,
      };
      const uid = attestationUid({ ...request, provider: c.ids.tax });
      const t0 = performance.now();
      waiting.set(subject, { uid, t0 });
      await tax.attest(request);
      for (;;) {
        const response = await fetch(`${base}/records`, {
          method: "POST",
          headers: { authorization: `Bearer ${taxToken}`, "content-type": "application/x-ndjson" },
          body: `${JSON.stringify({ uid, record })}\n`,
        });
        if (response.status === 200) break;
        if (response.status !== 404) throw new Error(`upload: ${await response.text()}`);
        await sleep(10);
      }
      for (;;) {
        const response = await fetch(url, {
          method: "POST",
          headers: {
            authorization: `Bearer ${regulatorToken}`,
            "content-type": "application/json",
          },
          body: JSON.stringify({ query, variables: { id: subject } }),
        });
        const body = (await response.json()) as {
          data?: { subject: { score: { inputs: string[] } | null } };
        };
        if (body.data?.subject.score?.inputs.includes(uid) === true) break;
        await sleep(10);
      }
      provisionalMs.push(performance.now() - t0);
      // spread the samples over the anchor interval
      await sleep(Math.floor(Math.random() * (ANCHOR_MS / 5)));
    }
    const by = Date.now() + 4 * ANCHOR_MS + 30_000;
    while (waiting.size > 0 && Date.now() < by) await sleep(50);
    if (waiting.size > 0) throw new Error(`${waiting.size} scores not verified in time`);
    unwatch();

    const batches: Freshness["batches"] = [];
    for (const tx of batchTxs) {
      const receipt = await rpc<{ gasUsed: string; logs: unknown[] }>(
        node.url,
        "eth_getTransactionReceipt",
        [tx],
      );
      const batch = (await indexer.listScoreBatches({ first: 1000 })).items.find(
        (b) => b.audit.tx === tx,
      );
      batches.push({ tx, gas: Number(BigInt(receipt.gasUsed)), count: batch?.count ?? 0 });
    }
    await gateway.stop();
    await indexer.stop();
    await scoring.stop();
    await indexer.close();
    ledger.close();
    return { provisionalMs, verifiedMs, batches };
  } finally {
    await db.close().catch(() => undefined);
    await node.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

interface Rescore {
  subjects: number;
  records: number;
  evaluations: number;
  seconds: number;
  /** CPU time of the process (every thread: main, LevelDB's, GC) per subject rescored, µs. */
  cpuMicrosPerSubject: number;
  fillSeconds: number;
}

/** What a kept store (BENCH_SCORES_STORE) holds besides the database: the fill's figures. */
const STORE_INFO = "bench-store.json";

/**
 * A copy of the filled store kept in BENCH_SCORES_STORE (filled there first when it holds none of
 * this size), or undefined without it. Development aid: the fill takes minutes.
 */
async function keptStore(
  dir: string,
): Promise<{ records: number; fillSeconds: number } | undefined> {
  const kept = process.env.BENCH_SCORES_STORE;
  if (kept === undefined || kept === "") return undefined;
  const info = path.join(kept, `${SUBJECTS}`, STORE_INFO);
  let stored: { records: number; fillSeconds: number } | undefined;
  try {
    stored = JSON.parse(await readFile(info, "utf8")) as { records: number; fillSeconds: number };
  } catch (error) {
    // none kept yet: fill one (anything else — a broken info file — is for the developer to see)
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  if (stored === undefined) {
    const fillDir = path.join(kept, `${SUBJECTS}`, "db");
    await rm(fillDir, { recursive: true, force: true });
    await mkdir(fillDir, { recursive: true });
    const db = new Level(fillDir, NODE_DB_OPTIONS);
    try {
      stored = await fill(db);
    } finally {
      await db.close();
    }
    await writeFile(info, JSON.stringify(stored));
  }
  await cp(path.join(kept, `${SUBJECTS}`, "db"), dir, { recursive: true });
  log(`copied the kept store of ${SUBJECTS} subjects from ${kept}`);
  return stored;
}

/** Fills the indexer store and the record store with the synthetic subjects. */
async function fill(db: Level): Promise<{ records: number; fillSeconds: number }> {
  const indexer = await createIndexer({ db, ledger: idleLedger() });
  const records = await createRecordStore({ db, key: RECORD_KEY });
  const asOf = Math.floor(Date.now() / 1000);
  const filled = performance.now();
  const store = await fillSyntheticSubjects(indexer, records, SUBJECTS, asOf, log);
  const fillSeconds = (performance.now() - filled) / 1000;
  log(`filled ${store.subjects} subjects, ${store.records} records in ${round1(fillSeconds)} s`);
  await indexer.close();
  return { records: store.records, fillSeconds };
}

async function rescore(): Promise<Rescore> {
  const dir = await mkdtemp(path.join(tmpdir(), "credtrail-bench-rescore-"));
  const kept = await keptStore(dir);
  const db = new Level(dir, NODE_DB_OPTIONS);
  try {
    const store = kept ?? (await fill(db));
    const { fillSeconds } = store;
    const indexer = await createIndexer({ db, ledger: idleLedger() });
    const records = await createRecordStore({ db, key: RECORD_KEY });
    const scoring = await createScoringService({
      indexer,
      db,
      records,
      model: compileModel(defaultScorecardModel),
    });
    const first = performance.now();
    await scoring.start(); // scores every subject once under v1
    log(`first scoring of every subject: ${round1((performance.now() - first) / 1000)} s`);
    const next = compileModel({
      ...defaultScorecardModel,
      version: defaultScorecardModel.version + 1,
    });
    const began = performance.now();
    const cpu = process.cpuUsage();
    const result = await scoring.setModel(next);
    const used = process.cpuUsage(cpu);
    const seconds = (performance.now() - began) / 1000;
    const cpuMicrosPerSubject = (used.user + used.system) / Math.max(1, result.subjects);
    log(
      `model change: ${result.subjects} subjects, ${result.evaluations} records in ${round1(seconds)} s (${Math.round(result.subjects / seconds)} subjects/s, ${round1(cpuMicrosPerSubject)} µs CPU per subject)`,
    );
    await scoring.stop();
    await indexer.close();
    return {
      subjects: result.subjects,
      records: store.records,
      evaluations: result.evaluations,
      seconds,
      cpuMicrosPerSubject,
      fillSeconds,
    };
  } finally {
    await db.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (ONLY === "rescore") {
    log(`rescoring only: ${SUBJECTS} subjects (not written to bench/results)`);
    const r = await rescore();
    const only = {
      rescoreSubjectsPerSec: Math.round(r.subjects / r.seconds),
      rescoreSeconds: round1(r.seconds),
      rescoreCpuMicrosPerSubject: round1(r.cpuMicrosPerSubject),
      rescoreSubjects: r.subjects,
      rescoreEvaluations: r.evaluations,
    };
    process.stdout.write(`${JSON.stringify(only, null, 2)}\n`);
    return;
  }
  if (ONLY !== "") throw new Error(`BENCH_SCORES_ONLY must be "rescore" or unset`);
  log(`freshness: ${SAMPLES} samples, anchor every ${ANCHOR_MS} ms`);
  const f = await freshness();
  log(`rescoring: ${SUBJECTS} subjects`);
  const r = await rescore();
  const gas = f.batches.map((b) => b.gas);
  const scores = f.batches.reduce((n, b) => n + b.count, 0);
  const totalGas = gas.reduce((n, g) => n + g, 0);
  const result = {
    provisionalP50Ms: round1(percentile(f.provisionalMs, 50)),
    provisionalP99Ms: round1(percentile(f.provisionalMs, 99)),
    verifiedP99Ms: round1(percentile(f.verifiedMs, 99)),
    anchorIntervalMs: ANCHOR_MS,
    rescoreSubjectsPerSec: Math.round(r.subjects / r.seconds),
    gasPerScoreBatch: Math.round(percentile(gas, 50)),
    gasPerScore: Math.round(totalGas / Math.max(1, scores)),
    details: {
      quick: QUICK,
      samples: f.provisionalMs.length,
      provisionalMaxMs: round1(Math.max(...f.provisionalMs)),
      verifiedP50Ms: round1(percentile(f.verifiedMs, 50)),
      verifiedMaxMs: round1(Math.max(...f.verifiedMs)),
      headPollMs: POLL_MS,
      scoreBatches: f.batches.length,
      scoresAnchored: scores,
      batchGas: gas,
      /** The batch gas does not depend on its size: one batch of every rescored subject. */
      gasPerScoreInABatchOfRescoreSubjects: round1(percentile(gas, 50) / Math.max(1, SUBJECTS)),
      rescoreSubjects: r.subjects,
      rescoreRecords: r.records,
      rescoreEvaluations: r.evaluations,
      rescoreSeconds: round1(r.seconds),
      rescoreEvaluationsPerSec: Math.round(r.evaluations / r.seconds),
      rescoreCpuMicrosPerSubject: round1(r.cpuMicrosPerSubject),
      /** At this rate, the seed platform's 850,000 daily evaluations (one per enterprise). */
      secondsFor850kSubjects: round1((850_000 * r.seconds) / r.subjects),
      syntheticFillSeconds: round1(r.fillSeconds),
      goals: {
        provisionalP99Under1s: percentile(f.provisionalMs, 99) < 1_000,
        verifiedP99WithinIntervalAndABlock: percentile(f.verifiedMs, 99) <= ANCHOR_MS + 1_000,
        // the seed platform's 850,000 daily evaluations are subject scorings (one per enterprise)
        rescore850kSubjectsIn5min: r.subjects / r.seconds >= 850_000 / 300,
      },
      machine: { cpus: availableParallelism(), model: cpus()[0]?.model ?? "unknown" },
    },
  };
  const text = JSON.stringify(result, null, 2);
  process.stdout.write(`${text}\n`);
  await mkdir(path.join(HERE, "results"), { recursive: true });
  await writeFile(path.join(HERE, "results", "scores.json"), `${text}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `[bench scores] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
