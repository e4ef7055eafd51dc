/**
 * Crash safety end to end: a Hardhat node with a seeded history of more than 50,000 events of every
 * kind, `indexer/main.ts` backfilling it in its own process, killed with SIGKILL at 20 random points
 * and restarted each time (with varying finality depths, so some blocks are written with undo
 * entries and later finalized and pruned). Its store must end equal (digest) to the store of one
 * uninterrupted run, at the chain's head − confirmations.
 *
 * The kills land while the process indexes: most when its progress log shows the checkpoint past a
 * random point of the history (plus a random delay), some after a random delay from its start. The
 * next run's resume point (its "indexer: resuming" line, read from the store it recovers) shows
 * where each kill left the store; most must be before the end.
 *
 * Reproduce a failure with the printed seed: CREDTRAIL_TEST_SEED=<seed>.
 */
import { setTimeout as sleep } from "node:timers/promises";

import { expect } from "chai";

import type { Hex } from "../../core/index.js";
import type { TestConsortium } from "../helpers/evmConsortium.js";
import { deployTestConsortium } from "../helpers/evmConsortium.js";
import type { HardhatNode } from "../helpers/hardhatNode.js";
import { rpc, startHardhatNode } from "../helpers/hardhatNode.js";
import type { IndexerLogLine, IndexerProcessOptions } from "../helpers/indexerProcess.js";
import { inspectStore, spawnIndexer } from "../helpers/indexerProcess.js";
import type { MixedHistory } from "../helpers/evmWorkload.js";
import { generateMixedHistory, seededRandom } from "../helpers/evmWorkload.js";
import { tempDirs } from "./fixtures.js";

const SEED = process.env.CREDTRAIL_TEST_SEED ?? "crash-1";
const MIN_EVENTS = 50_000;
const KILLS = 20;
const CONFIRMATIONS = 2;
/** Events per LevelDB batch of the indexer processes (see processOptions). */
const BATCH_EVENTS = 500;

interface Kill {
  run: number;
  mode: "progress" | "delay";
  finalityDepth: number;
  /** Where the run started (its resume line). */
  resumedFrom: bigint;
  /** The checkpoint of its last progress line before the kill (committed by then). */
  reported: bigint | undefined;
  /** ms from the resume line to the kill */
  after: number;
}

const isProgress = (line: IndexerLogLine): boolean => line.message === "indexer: progress";
const checkpointOf = (line: IndexerLogLine): bigint => BigInt(String(line.checkpoint));

describe("indexer crash safety: kill -9 during a backfill of 50,000+ events (indexer/main.ts)", function () {
  this.timeout(600_000);
  const dirs = tempDirs();
  let node: HardhatNode;
  let c: TestConsortium;
  let history: MixedHistory;
  /** Events the deployment emitted before the history. */
  let setupEvents: number;
  /** head − confirmations once the history is mined: where every run must end. */
  let target: { number: bigint; hash: Hex };
  let clean: { digest: Hex; events: number; ms: number };

  const processOptions = (db: string): IndexerProcessOptions => ({
    db,
    rpc: node.url,
    addresses: c.addresses,
    fromBlock: c.deployBlock - 1,
    confirmations: CONFIRMATIONS,
    progressMs: 50,
    // small batches: a commit every few blocks, so that kills leave the store at many points of
    // the backfill (with the default 5,000 events, ranges of the stream are written whole, one
    // after the other, and a kill nearly always lands at the end of one)
    maxBatchEvents: BATCH_EVENTS,
  });
  const reachedTarget = (line: IndexerLogLine): boolean =>
    isProgress(line) && checkpointOf(line) >= target.number;

  before(async () => {
    console.log(`      seed ${SEED} (CREDTRAIL_TEST_SEED=${SEED} replays it)`);
    node = await startHardhatNode();
    c = await deployTestConsortium(node.url);
    const before = BigInt(await rpc<string>(node.url, "eth_blockNumber"));
    const logs = await rpc<unknown[]>(node.url, "eth_getLogs", [
      {
        fromBlock: `0x${c.deployBlock.toString(16)}`,
        toBlock: `0x${before.toString(16)}`,
        address: [c.addresses.consortium, c.addresses.registry],
      },
    ]);
    setupEvents = logs.length;
    const began = Date.now();
    history = await generateMixedHistory(node.url, c, { seed: SEED, minEvents: MIN_EVENTS });
    for (let i = 0; i < CONFIRMATIONS; i++) await rpc(node.url, "evm_mine");
    const head = BigInt(await rpc<string>(node.url, "eth_blockNumber"));
    const block = await rpc<{ hash: Hex }>(node.url, "eth_getBlockByNumber", [
      `0x${(head - BigInt(CONFIRMATIONS)).toString(16)}`,
      false,
    ]);
    target = { number: head - BigInt(CONFIRMATIONS), hash: block.hash };
    console.log(
      `      history: ${history.events} events in ${history.transactions} transactions, blocks ${c.deployBlock}…${target.number} (${Date.now() - began} ms)`,
    );
  });

  after(async () => {
    await node?.stop();
    await dirs.cleanup();
  });

  it("mines more than 50,000 events of every kind", () => {
    expect(history.events).to.be.at.least(MIN_EVENTS);
    for (const kind of [
      "Attested",
      "BatchAnchored",
      "LeafRecorded",
      "BatchRevoked",
      "Derived",
      "Revoked",
      "Superseded",
      "DisputeOpened",
      "DisputeAnswered",
      "DisputeWithdrawn",
      "RepairRequested",
      "RepairDecided",
      "ScoreBatchAnchored",
      "ProposalCreated",
      "ProposalApproved",
      "ProposalExecuted",
      "ProposalCancelled",
    ]) {
      expect(history.byKind[kind] ?? 0, kind).to.be.greaterThan(0);
    }
    expect(history.byKind.Attested / history.events).to.be.greaterThan(0.9);
  });

  it("builds the reference store in one uninterrupted run, to head − confirmations", async () => {
    const dir = await dirs.make();
    const run = spawnIndexer(processOptions(dir));
    const resumed = await run.waitFor((line) => line.message === "indexer: resuming");
    const began = Date.now();
    const done = await run.waitFor(reachedTarget, 300_000);
    const ms = Date.now() - began;
    expect((await run.kill("SIGTERM")).code, run.tail()).to.equal(0);
    expect(BigInt(String(resumed.from))).to.equal(BigInt(c.deployBlock - 1));
    expect(checkpointOf(done)).to.equal(target.number);
    expect(done.events).to.equal(setupEvents + history.events);
    const store = await inspectStore(dir);
    expect(store.checkpoint.number).to.equal(target.number);
    expect(store.checkpoint.hash).to.equal(target.hash);
    clean = { digest: store.digest, events: Number(done.events), ms };
    console.log(`      clean backfill: ${clean.events} events in ${ms} ms`);
  });

  it("survives SIGKILL at 20 random points of the backfill and ends in the same store", async () => {
    expect(clean, "the reference store").to.not.equal(undefined);
    const random = seededRandom(`${SEED}:kills`);
    const dir = await dirs.make();
    const start = BigInt(c.deployBlock - 1);
    const span = Number(target.number - start);
    // progress points of the history, in order: each run is killed past its own point
    const points = Array.from({ length: KILLS }, () => 0.03 + random() * 0.9).sort((a, b) => a - b);
    const kills: Kill[] = [];
    let resumedFrom = start;
    for (let run = 0; run < KILLS; run++) {
      const finalityDepth = [CONFIRMATIONS, 6, 64][Math.floor(random() * 3)];
      const child = spawnIndexer({ ...processOptions(dir), finalityDepth });
      const resumed = await child.waitFor((line) => line.message === "indexer: resuming");
      const from = BigInt(String(resumed.from));
      // nothing a previous run committed was lost
      expect(
        from >= resumedFrom,
        `run ${run} resumes from ${from}, before ${resumedFrom}`,
      ).to.equal(true);
      const previous = kills.at(-1);
      if (previous?.reported !== undefined)
        expect(
          from >= previous.reported,
          `run ${run} resumes before a reported checkpoint`,
        ).to.equal(true);
      resumedFrom = from;
      const began = Date.now();
      const mode = random() < 0.3 ? "delay" : "progress";
      // delays scale with what is left of the backfill (at the clean run's speed), so that the
      // kills land inside it however fast this machine and the indexer are
      const left = (clean.ms * Number(target.number - from)) / span;
      const point = start + BigInt(Math.ceil(points[run] * span));
      const reachedPoint = (): Promise<unknown> =>
        child.waitFor(
          (line) => isProgress(line) && (checkpointOf(line) >= point || reachedTarget(line)),
          300_000,
        );
      if (mode === "delay") {
        // a random delay, but never past this run's point: on a loaded machine the clean run's
        // speed says little about this run's, which could otherwise finish the backfill
        const reached = reachedPoint().catch(() => undefined); // rejects once killed
        await Promise.race([sleep(Math.floor(random() * 0.8 * left)), reached]);
      } else {
        await reachedPoint();
        await sleep(Math.floor(random() * Math.min(200, 0.2 * left)));
      }
      const last = child.lastProgress();
      const exit = await child.kill("SIGKILL");
      expect(exit.signal, `run ${run} was still running when killed:\n${child.tail()}`).to.equal(
        "SIGKILL",
      );
      kills.push({
        run,
        mode,
        finalityDepth,
        resumedFrom: from,
        reported: last === undefined ? undefined : checkpointOf(last),
        after: Date.now() - began,
      });
    }

    // the last run: to the end, then a clean stop
    const final = spawnIndexer(processOptions(dir));
    const resumed = await final.waitFor((line) => line.message === "indexer: resuming");
    const lastFrom = BigInt(String(resumed.from));
    await final.waitFor(reachedTarget, 300_000);
    expect((await final.kill("SIGTERM")).code, final.tail()).to.equal(0);

    // where each kill left the store: the next run's resume point
    const leftAt = kills.map((_, i) =>
      i + 1 < kills.length ? kills[i + 1].resumedFrom : lastFrom,
    );
    console.log(
      `      kills (run mode depth resumed→left after): ${kills
        .map(
          (k, i) =>
            `${k.run}:${k.mode[0]}${k.finalityDepth}:${k.resumedFrom}→${leftAt[i]}/${k.after}ms`,
        )
        .join(" ")}; target ${target.number}`,
    );
    const midway = leftAt.filter((n) => n < target.number).length;
    expect(midway, "kills that left the backfill unfinished").to.be.at.least(KILLS - 4);
    const inside = new Set(leftAt.filter((n) => n > start && n < target.number));
    expect(
      inside.size,
      "distinct points inside the backfill where kills left the store",
    ).to.be.at.least(5);

    const store = await inspectStore(dir);
    expect(store.checkpoint.number).to.equal(target.number);
    expect(store.checkpoint.hash).to.equal(target.hash);
    expect(store.digest).to.equal(clean.digest);
  });
});
