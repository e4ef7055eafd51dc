/**
 * End to end on a real Hardhat node, the indexer in this process (`createIndexer` over
 * `createEvmLedger`, confirmations 0, following the head):
 *
 * - reorgs of depth 1 to 10: evm_snapshot, d blocks of mixed events (indexed, some batch files
 *   uploaded meanwhile), evm_revert, a different branch of d + 1 blocks; the store must digest equal
 *   to a fresh store that indexed only the canonical chain (and got the same files), and hold nothing
 *   of the dropped branch (no uid, root, block or tx hash of it in any key or value, undo log and
 *   block window included; read API lookups of its uids return nothing);
 * - bad input: a node that fails for a while (retried) or for good (a clear LedgerError, the store
 *   unchanged), truncated eth_getLogs answers, batch files whose leaves do not rebuild the anchored
 *   root (ValidationError, the store unchanged), logs of another CreditRegistry deployment with our
 *   very topics (never projected, even from a node that ignores the address filter); main.ts
 *   against a node that keeps failing (exits non-zero, store unchanged, a restart resumes) or does
 *   not answer at all.
 *
 * Reproduce a failure with the printed seed: CREDTRAIL_TEST_SEED=<seed>.
 */
import { readdir } from "node:fs/promises";

import { expect } from "chai";
import { keccak256, toUtf8Bytes } from "ethers";

import type {
  AttestationRequestInput,
  GovernanceAction,
  Hex,
  LedgerEvent,
  RecordBatch,
  RecordLeafInput,
} from "../../core/index.js";
import {
  DisputeOutcome,
  LedgerError,
  ValidationError,
  buildRecordBatch,
  isCredtrailError,
} from "../../core/index.js";
import type { Indexer, KvStore, StoredCheckpoint } from "../../indexer/index.js";
import {
  IndexerErrorCode,
  PREFIX,
  createIndexer,
  dumpStore,
  familyOf,
  silentLogger,
} from "../../indexer/index.js";
import type { EvmLedger, EvmLedgerOptions, LedgerWriter, Receipt } from "../../ledger/index.js";
import { LedgerErrorCode, createEvmLedger } from "../../ledger/index.js";
import type { TestConsortium, TestKey } from "../helpers/evmConsortium.js";
import { TEST_KEYS, deployTestConsortium } from "../helpers/evmConsortium.js";
import { deployRegistry, nodeSender, seededRandom } from "../helpers/evmWorkload.js";
import type { RpcResponseBody } from "../helpers/faultyFetch.js";
import {
  faultyFetch,
  getLogsFilter,
  jsonResponse,
  rpcError,
  single,
} from "../helpers/faultyFetch.js";
import type { HardhatNode } from "../helpers/hardhatNode.js";
import { freePort, rpc, startHardhatNode } from "../helpers/hardhatNode.js";
import type { IndexerProcessOptions } from "../helpers/indexerProcess.js";
import { inspectStore, spawnIndexer } from "../helpers/indexerProcess.js";
import { startRpcProxy } from "../helpers/rpcProxy.js";
import { tempDirs } from "./fixtures.js";

const SEED = process.env.CREDTRAIL_TEST_SEED ?? "reorg-1";
const DAY = 86_400n;
/** Deeper than any reorg here: blocks stay reorgable (with undo entries) long enough. */
const FINALITY_DEPTH = 32;
/** The first operation of the dropped branch of depth d: every kind is dropped at least once. */
const FIRST_OPS = [
  "revoke",
  "derive",
  "openDispute",
  "anchorBatch",
  "supersede",
  "requestRepair",
  "recordLeaf",
  "closeDispute",
  "decideRepair",
  "anchorScoreBatch",
];

function h(label: string): Hex {
  return keccak256(toUtf8Bytes(label)) as Hex;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

// ------------------------------------------------------------------------------------------------
// A model of the ledger's state, so that every transaction of a branch is valid
// ------------------------------------------------------------------------------------------------

type Owner = "tax" | "court" | "scorer";

interface RecordModel {
  uid: Hex;
  owner: Owner;
  severity: number;
  derived: boolean;
  active: boolean;
  disputeOpen: boolean;
  opener: "lenderA" | "lenderB" | null;
  repairPending: boolean;
  repaired: boolean;
  batchRoot: Hex | null;
  /** An input of some derived record (revoking it makes that one stale). */
  input: boolean;
}

interface BatchModel {
  batch: RecordBatch;
  leaves: RecordLeafInput[];
  uids: Hex[];
  recorded: number[];
  revoked: boolean;
  /**
   * Whether its file gets uploaded. Uploaded batches are never revoked here: the stale marks a
   * batch revocation leaves depend on whether the file was uploaded before or after it (see
   * indexer/projection/stale.ts), so a store that got the file early and a rebuild that gets it at
   * the end would differ for a reason that has nothing to do with reorgs.
   */
  uploadable: boolean;
}

interface LedgerModel {
  records: RecordModel[];
  batches: BatchModel[];
  open: { id: bigint; proposer: TestKey }[];
}

function cloneModel(m: LedgerModel): LedgerModel {
  return {
    records: m.records.map((r) => ({ ...r })),
    batches: m.batches.map((b) => ({ ...b, recorded: [...b.recorded] })),
    open: m.open.map((p) => ({ ...p })),
  };
}

const OWNER_KEYS: Record<Owner, TestKey[]> = {
  tax: ["tax", "taxAlt"],
  court: ["court"],
  scorer: ["scorer"],
};

/** What a branch put on the chain. */
interface BranchLog {
  receipts: Receipt[];
  /** uids, batch roots and score-batch roots it created. */
  created: Hex[];
  /** records it changed that existed before it (revoked, disputed, …). */
  touched: Hex[];
  /** batch files uploaded while it was canonical. */
  uploaded: Hex[];
}

describe("indexer end to end on a Hardhat node: reorgs and bad input", function () {
  this.timeout(300_000);
  const dirs = tempDirs();
  let node: HardhatNode;
  let c: TestConsortium;
  let ledger: EvmLedger;
  let indexer: Indexer;
  let now: bigint;
  let model: LedgerModel = { records: [], batches: [], open: [] };
  /** Every batch file uploaded to the main indexer (uploads survive reorgs: they are input). */
  const uploads = new Map<Hex, RecordLeafInput[]>();
  const fromBlock = (): bigint => BigInt(c.deployBlock - 1);
  /** What the main indexer logged about its rollbacks. */
  const rollbacks: Record<string, unknown>[] = [];
  /** What the dropped branches exercised. */
  const coverage = {
    kinds: new Set<string>(),
    noticedBeforeNewBranch: 0,
    uploadsOfDroppedBatches: 0,
    uploadsOfKeptBatches: 0,
  };

  const ledgerWith = (options: Partial<EvmLedgerOptions> = {}): Promise<EvmLedger> =>
    createEvmLedger({
      rpcUrl: node.url,
      addresses: c.addresses,
      confirmations: 0,
      finalityDepth: FINALITY_DEPTH,
      pollIntervalMs: 20,
      retryDelayMs: 5,
      ...options,
    });

  /** Fresh writers: after evm_revert the old ones' nonces belong to the dropped branch. */
  const writers = (): Record<TestKey, LedgerWriter> =>
    Object.fromEntries(
      (Object.keys(TEST_KEYS) as TestKey[]).map((key) => [
        key,
        ledger.writer(TEST_KEYS[key]) as LedgerWriter,
      ]),
    ) as Record<TestKey, LedgerWriter>;

  const head = async (): Promise<{ number: bigint; hash: Hex }> => {
    const block = await ledger.head();
    return { number: block.number, hash: block.hash };
  };

  /** Waits until `ix` has applied block `number`; names the stream's error if it died. */
  async function caughtUp(
    ix: Indexer,
    number: bigint,
    timeoutMs = 60_000,
  ): Promise<StoredCheckpoint> {
    try {
      return await ix.waitForBlock(number, { signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      const status = await ix.status();
      await ix.stop(); // rethrows the error that ended the stream, if any
      throw new Error(
        `indexer did not reach block ${number} (checkpoint ${status.checkpoint.number}): ${String(error)}`,
      );
    }
  }

  /** A fresh store that indexed the chain from scratch (with the batch files that apply to it). */
  async function rebuild(
    target: { number: bigint; hash: Hex },
    withLedger: EvmLedger = ledger,
    withUploads = true,
  ): Promise<Indexer> {
    const fresh = await createIndexer({
      db: await dirs.make(),
      ledger: withLedger,
      fromBlock: fromBlock(),
    });
    fresh.start();
    const checkpoint = await caughtUp(fresh, target.number);
    expect(checkpoint.hash, "the fresh store is on the canonical chain").to.equal(target.hash);
    for (const [root, leaves] of withUploads ? uploads : []) {
      try {
        await fresh.uploadBatchLeaves(root, leaves);
      } catch (error) {
        if (!isCredtrailError(error, IndexerErrorCode.BATCH_UNKNOWN)) throw error;
      }
    }
    return fresh;
  }

  /** The digest-covered entries where two stores differ (a readable failure message). */
  async function storeDiff(a: Indexer, b: Indexer): Promise<string> {
    const [left, right] = [new Map(await dumpStore(a.store)), new Map(await dumpStore(b.store))];
    const lines: string[] = [];
    for (const key of new Set([...left.keys(), ...right.keys()])) {
      if (left.get(key) !== right.get(key))
        lines.push(
          `${key}\n  store:   ${left.get(key) ?? "(absent)"}\n  rebuild: ${right.get(key) ?? "(absent)"}`,
        );
    }
    return lines.slice(0, 12).join("\n");
  }

  async function expectSameStore(a: Indexer, b: Indexer, what: string): Promise<void> {
    const [da, db] = [await a.digest(), await b.digest()];
    if (da !== db) expect.fail(`${what}: digests differ\n${await storeDiff(a, b)}`);
  }

  async function rawDump(store: KvStore): Promise<[string, string][]> {
    const out: [string, string][] = [];
    for await (const entry of store.entries({})) out.push(entry);
    return out;
  }

  // ----------------------------------------------------------------------------------------------
  // Branches of mixed operations, one transaction (one block) each
  // ----------------------------------------------------------------------------------------------

  function branch(label: string, w: Record<TestKey, LedgerWriter>) {
    const random = seededRandom(`${SEED}:${label}`);
    const int = (n: number): number => Math.floor(random() * n);
    const pickOf = <T>(items: readonly T[]): T => items[int(items.length)];
    let counter = 0;
    const fresh = (what: string): Hex => h(`${SEED}:${label}:${what}:${++counter}`);
    const log: BranchLog = { receipts: [], created: [], touched: [], uploaded: [] };
    const pick = (test: (r: RecordModel) => boolean): RecordModel | undefined => {
      const matching = model.records.filter(test);
      // half the time an input of a derived record, when there is one
      const inputs = matching.filter((r) => r.input);
      return inputs.length > 0 && random() < 0.5
        ? pickOf(inputs)
        : matching.length > 0
          ? pickOf(matching)
          : undefined;
    };
    const request = (owner: "tax" | "court"): AttestationRequestInput & { severity: number } => ({
      schema: owner === "tax" ? c.schemas.taxPayment : c.schemas.adminPenalty,
      subject: h(`subject:${int(6)}`),
      dataHash: fresh("data"),
      observedAt: now - 400n * DAY - BigInt(int(100)) * DAY,
      expiresAt: 0n,
      severity: owner === "tax" ? 0 : 1 + int(3),
    });
    const add = (uid: Hex, owner: Owner, severity: number, extra: Partial<RecordModel> = {}) => {
      model.records.push({
        uid,
        owner,
        severity,
        derived: false,
        active: true,
        disputeOpen: false,
        opener: null,
        repairPending: false,
        repaired: false,
        batchRoot: null,
        input: false,
        ...extra,
      });
    };
    const createdBy = (events: LedgerEvent[]): void => {
      for (const e of events) {
        if (e.kind === "Attested" || e.kind === "Derived") log.created.push(e.uid);
        // a leaf's uid exists once its batch file is uploaded: recording it only changes it
        if (e.kind === "LeafRecorded") log.touched.push(e.uid);
        if (e.kind === "BatchAnchored" || e.kind === "ScoreBatchAnchored") log.created.push(e.root);
      }
    };
    const keyOf = (r: RecordModel): TestKey => pickOf(OWNER_KEYS[r.owner]);
    const liveBatches = () => model.batches.filter((b) => !b.revoked);

    /** Each returns the receipt of its one transaction, or undefined when it does not apply now. */
    /** Set while a forced operation runs (a forced batch is one whose file gets uploaded). */
    let forcing = false;
    const ops: Record<string, () => Promise<Receipt | undefined>> = {
      async attestMany() {
        const owner = pickOf(["tax", "court"] as const);
        const requests = Array.from({ length: 2 + int(4) }, () => request(owner));
        const receipt =
          await w[owner === "tax" ? pickOf(["tax", "taxAlt"] as const) : "court"].attestMany(
            requests,
          );
        receipt.events.forEach((e, i) => {
          if (e.kind === "Attested") add(e.uid, owner, requests[i].severity);
        });
        return receipt;
      },
      async revoke() {
        const r = pick((x) => x.active);
        if (r === undefined) return undefined;
        const receipt = await w[keyOf(r)].revoke(r.uid, fresh("reason"));
        r.active = false;
        log.touched.push(r.uid);
        return receipt;
      },
      async supersede() {
        const r = pick((x) => x.active && !x.derived);
        if (r === undefined || r.owner === "scorer") return undefined;
        const replacement = request(r.owner);
        const receipt = await w[keyOf(r)].supersede(r.uid, replacement);
        r.active = false;
        log.touched.push(r.uid);
        for (const e of receipt.events)
          if (e.kind === "Attested") add(e.uid, r.owner, replacement.severity);
        return receipt;
      },
      async derive() {
        const inputs = new Set<RecordModel>();
        for (let i = 1 + int(3); i > 0; i--) {
          const r = pick((x) => x.active);
          if (r !== undefined) inputs.add(r);
        }
        const batch = liveBatches().find((b) => b.uids.some((_, i) => !b.recorded.includes(i)));
        const leafIndex = batch?.uids.findIndex((_, i) => !batch.recorded.includes(i)) ?? -1;
        const leaf = batch !== undefined && leafIndex >= 0 && random() < 0.5 ? batch : undefined;
        if (inputs.size === 0 && leaf === undefined) return undefined;
        const receipt = await w.scorer.derive({
          schema: c.schemas.creditScore,
          subject: h(`subject:${int(6)}`),
          dataHash: fresh("score"),
          modelHash: c.model,
          observedAt: now,
          inputs: [...inputs].map((r) => r.uid),
          leafInputs: leaf === undefined ? [] : [leaf.batch.leafProof(leafIndex)],
        });
        for (const r of inputs) {
          r.input = true;
          log.touched.push(r.uid);
        }
        for (const e of receipt.events)
          if (e.kind === "Derived") add(e.uid, "scorer", 0, { derived: true });
        return receipt;
      },
      async openDispute() {
        const r = pick((x) => x.active && !x.disputeOpen);
        if (r === undefined) return undefined;
        const opener = pickOf(["lenderA", "lenderB"] as const);
        const receipt = await w[opener].openDispute(r.uid, fresh("dispute"));
        r.disputeOpen = true;
        r.opener = opener;
        log.touched.push(r.uid);
        return receipt;
      },
      async closeDispute() {
        const r = pick((x) => x.disputeOpen);
        if (r === undefined || r.opener === null) return undefined;
        const receipt =
          random() < 0.6
            ? await w[keyOf(r)].answerDispute(
                r.uid,
                random() < 0.5 ? DisputeOutcome.Upheld : DisputeOutcome.Corrected,
                fresh("answer"),
              )
            : await w[r.opener].withdrawDispute(r.uid);
        r.disputeOpen = false;
        log.touched.push(r.uid);
        return receipt;
      },
      async requestRepair() {
        const r = pick((x) => x.active && x.severity > 0 && !x.repaired && !x.repairPending);
        if (r === undefined) return undefined;
        const receipt = await w.lenderA.requestRepair(r.uid, fresh("evidence"));
        r.repairPending = true;
        log.touched.push(r.uid);
        return receipt;
      },
      async decideRepair() {
        const r = pick((x) => x.repairPending && x.active && !x.repaired);
        if (r === undefined) return undefined;
        const approved = random() < 0.7;
        const receipt = await w.repairAuthority.decideRepair(r.uid, approved, fresh("decision"));
        r.repairPending = false;
        r.repaired = approved;
        log.touched.push(r.uid);
        return receipt;
      },
      async anchorBatch() {
        const leaves: RecordLeafInput[] = Array.from({ length: 3 + int(5) }, () => ({
          subject: h(`subject:${int(6)}`),
          dataHash: fresh("leaf"),
          observedAt: now - 400n * DAY,
          expiresAt: 0n,
          severity: int(4),
        }));
        const batch = buildRecordBatch(leaves);
        const receipt = await w.tax.anchorBatch(
          c.schemas.taxPayment,
          batch.root,
          batch.length,
          `s3://reorg/${label}/${counter}`,
        );
        model.batches.push({
          batch,
          leaves,
          uids: leaves.map((_, i) =>
            batch.leafUid(i, { schema: c.schemas.taxPayment, provider: c.ids.tax }),
          ),
          recorded: [],
          revoked: false,
          uploadable: forcing || random() < 0.6,
        });
        return receipt;
      },
      async recordLeaf() {
        const b = liveBatches().find((x) => x.recorded.length < x.uids.length);
        if (b === undefined) return undefined;
        const index = b.uids.findIndex((_, i) => !b.recorded.includes(i));
        const receipt = await w[pickOf(["lenderA", "lenderB"] as const)].recordLeaf(
          b.batch.leafProof(index),
        );
        b.recorded.push(index);
        add(b.uids[index], "tax", b.batch.leaves[index].severity, { batchRoot: b.batch.root });
        return receipt;
      },
      async revokeBatch() {
        const live = liveBatches().filter((b) => !b.uploadable);
        if (live.length === 0) return undefined;
        const b = pickOf(live);
        const receipt = await w.taxAlt.revokeBatch(b.batch.root, fresh("batch"));
        b.revoked = true;
        for (const r of model.records) {
          if (r.batchRoot === b.batch.root) {
            r.active = false;
            log.touched.push(r.uid);
          }
        }
        return receipt;
      },
      async anchorScoreBatch() {
        const at = (await ledger.head()).number;
        return w.scorer.anchorScoreBatch(fresh("scores"), c.model, 1 + int(100), at);
      },
      async propose() {
        const proposer = pickOf(["operator", "regulator", "lenderA"] as const);
        const action: GovernanceAction =
          random() < 0.5
            ? { kind: "SetParameter", name: "votingPeriod", value: (7n + BigInt(int(7))) * DAY }
            : { kind: "SetThreshold", threshold: 2 };
        const receipt = await w[proposer].propose(action);
        model.open.push({ id: receipt.proposalId, proposer });
        return receipt;
      },
      async approve() {
        const proposal = model.open.shift();
        if (proposal === undefined) return undefined;
        const voter = proposal.proposer === "operator" ? "regulator" : "operator";
        return random() < 0.3
          ? w[proposal.proposer].cancel(proposal.id)
          : w[voter].approve(proposal.id);
      },
    };
    const names = Object.keys(ops);

    return {
      log,
      /**
       * `blocks` transactions: first the `forced` kinds, then random ones (attestMany when a kind
       * does not apply now).
       */
      async mine(blocks: number, forced: readonly string[] = []): Promise<void> {
        for (let i = 0; i < blocks; i++) {
          forcing = i < forced.length;
          const op = forcing ? ops[forced[i]] : ops[pickOf(names)];
          const receipt = (await op()) ?? (await ops.attestMany());
          if (receipt === undefined) throw new Error("attestMany applies always");
          createdBy(receipt.events);
          log.receipts.push(receipt);
        }
      },
      /**
       * Uploads (to the main indexer) files of uploadable batches that have none yet: each with
       * probability `share`, so some wait, and are uploaded while a later branch is canonical.
       */
      async upload(share: number): Promise<void> {
        for (const b of model.batches) {
          if (!b.uploadable || uploads.has(b.batch.root) || random() >= share) continue;
          await indexer.uploadBatchLeaves(b.batch.root, b.leaves);
          uploads.set(b.batch.root, b.leaves);
          log.uploaded.push(b.batch.root);
        }
      },
    };
  }

  before(async () => {
    console.log(`      seed ${SEED} (CREDTRAIL_TEST_SEED=${SEED} replays it)`);
    node = await startHardhatNode();
    c = await deployTestConsortium(node.url);
    ledger = await ledgerWith();
    now = (await ledger.head()).timestamp;
    indexer = await createIndexer({
      db: await dirs.make(),
      ledger,
      fromBlock: fromBlock(),
      logger: {
        ...silentLogger,
        info(message, fields) {
          if (message === "indexer: rolled back") rollbacks.push(fields ?? {});
        },
      },
    });
    indexer.start();
    // a base history the branches can build on: records of both providers, batches, derivations,
    // an open dispute, a pending repair, an open proposal
    const base = branch("base", writers());
    await base.mine(24, [
      "anchorBatch",
      "anchorBatch",
      "attestMany",
      "attestMany",
      "recordLeaf",
      "derive",
      "derive",
      "openDispute",
      "openDispute",
      "openDispute",
      "requestRepair",
      "requestRepair",
      "requestRepair",
      "propose",
      "propose",
    ]);
    await caughtUp(indexer, (await head()).number);
    await base.upload(0); // their files come while the first dropped branch is canonical
  });

  after(async () => {
    await indexer?.close();
    ledger?.close();
    await node?.stop();
    await dirs.cleanup();
  });

  describe("reorgs of depth 1 to 10 (evm_snapshot, evm_revert, a longer branch)", () => {
    for (let depth = 1; depth <= 10; depth++) {
      it(`depth ${depth}: the store equals a rebuild of the canonical chain, nothing of the dropped branch remains`, async () => {
        const random = seededRandom(`${SEED}:timing:${depth}`);
        const ancestor = await head();
        await caughtUp(indexer, ancestor.number);
        const reorgsBefore = (await indexer.status()).stats.reorgs;
        const kept = cloneModel(model);
        const snapshot = await rpc<string>(node.url, "evm_snapshot");

        // the branch that will be dropped: mined, indexed, some of its batch files uploaded
        const dropped = branch(`d${depth}:dropped`, writers());
        await dropped.mine(depth, [FIRST_OPS[(depth - 1) % FIRST_OPS.length]]);
        const droppedTip = await head();
        expect(droppedTip.number).to.equal(ancestor.number + BigInt(depth));
        expect((await caughtUp(indexer, droppedTip.number)).hash).to.equal(droppedTip.hash);
        const earlier = new Set(kept.batches.map((b) => b.batch.root));
        await dropped.upload(1);
        for (const root of dropped.log.uploaded) {
          if (earlier.has(root)) coverage.uploadsOfKeptBatches++;
          else coverage.uploadsOfDroppedBatches++;
        }
        for (const r of dropped.log.receipts) for (const e of r.events) coverage.kinds.add(e.kind);
        const seen = await indexer.getAttestations(
          dropped.log.created.filter((uid) => model.records.some((r) => r.uid === uid)),
        );
        expect(
          seen.every((a) => a !== null),
          "the dropped branch was indexed",
        ).to.equal(true);

        // revert, and mine a different, longer branch (sometimes after the indexer noticed)
        expect(await rpc<boolean>(node.url, "evm_revert", [snapshot])).to.equal(true);
        model = kept;
        if (random() < 0.5) {
          const deadline = Date.now() + 30_000;
          while ((await indexer.status()).stats.reorgs === reorgsBefore) {
            if (Date.now() > deadline) throw new Error("the indexer did not notice the revert");
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
          expect((await indexer.checkpoint()).hash).to.equal(ancestor.hash);
          coverage.noticedBeforeNewBranch++;
        }
        const canonical = branch(`d${depth}:canonical`, writers());
        // attestMany first: fresh data, so the new branch differs from its first block on
        await canonical.mine(depth + 1, ["attestMany"]);
        const tip = await head();
        expect(tip.number).to.equal(ancestor.number + BigInt(depth) + 1n);
        expect((await caughtUp(indexer, tip.number)).hash).to.equal(tip.hash);
        const status = await indexer.status();
        expect(status.stats.reorgs).to.equal(reorgsBefore + 1);
        expect(rollbacks.at(-1)?.droppedBlocks, "blocks rolled back").to.equal(depth);
        expect(status.checkpoint.hash).to.equal(tip.hash);
        await canonical.upload(0.5);

        // the same store as a rebuild of the canonical chain
        const fresh = await rebuild(tip);
        try {
          await expectSameStore(indexer, fresh, `after the reorg of depth ${depth}`);
          // read API: the dropped branch's objects are gone, what it changed is as on the chain
          for (const id of dropped.log.created) {
            expect(await indexer.getAttestation(id), `attestation ${id}`).to.equal(null);
            expect(await indexer.getBatch(id), `batch ${id}`).to.equal(null);
            expect(await indexer.getScoreBatch(id), `score batch ${id}`).to.equal(null);
          }
          for (const uid of new Set(dropped.log.touched)) {
            expect(await indexer.getAttestation(uid)).to.deep.equal(
              await fresh.getAttestation(uid),
            );
            expect(await indexer.getDispute(uid)).to.deep.equal(await fresh.getDispute(uid));
            expect(await indexer.getRepair(uid)).to.deep.equal(await fresh.getRepair(uid));
            expect(await indexer.lineage(uid, { direction: "dependents" })).to.deep.equal(
              await fresh.lineage(uid, { direction: "dependents" }),
            );
          }
        } finally {
          await fresh.close();
        }

        // no key or value (undo log and block window included) names the dropped branch; uploaded
        // files stay (input, outside the undo log), but nothing projected from them
        // (a transaction both branches made alike, e.g. the same approval, is not a leftover)
        const needles = new Set<string>(dropped.log.created.map((x) => x.slice(2)));
        for (const r of dropped.log.receipts) {
          needles.add(r.blockHash.slice(2));
          needles.add(r.txHash.slice(2));
        }
        for (const r of canonical.log.receipts) needles.delete(r.txHash.slice(2));
        const leftovers: string[] = [];
        for (const [key, value] of await rawDump(indexer.store)) {
          const family = familyOf(key);
          if (family === PREFIX.upload || family === PREFIX.uploadLeaf) continue;
          for (const needle of needles)
            if (key.includes(needle) || value.includes(needle))
              leftovers.push(`${key} ∋ ${needle}`);
        }
        expect(leftovers, "keys or values naming the dropped branch").to.deep.equal([]);
      });
    }

    it("covered every kind of change in the dropped branches, and batch files across reorgs", () => {
      for (const kind of [
        "Attested",
        "Revoked",
        "Superseded",
        "Derived",
        "DisputeOpened",
        "RepairRequested",
        "BatchAnchored",
        "LeafRecorded",
        "ScoreBatchAnchored",
      ])
        expect(coverage.kinds.has(kind), `a dropped branch with ${kind}`).to.equal(true);
      expect(
        coverage.kinds.has("DisputeAnswered") || coverage.kinds.has("DisputeWithdrawn"),
      ).to.equal(true);
      expect(coverage.kinds.has("RepairDecided")).to.equal(true);
      expect(coverage.noticedBeforeNewBranch, "reorgs noticed before the new branch").to.be.within(
        1,
        9,
      );
      expect(coverage.uploadsOfDroppedBatches, "files of dropped batches").to.be.greaterThan(0);
      expect(coverage.uploadsOfKeptBatches, "files uploaded on a dropped branch").to.be.greaterThan(
        0,
      );
      expect(
        rollbacks.some((r) => Number(r.reprojectedUploads) > 0),
        "an upload re-projected after a rollback",
      ).to.equal(true);
    });
  });

  describe("bad input", () => {
    let tip: { number: bigint; hash: Hex };
    let reference: Hex;

    before(async () => {
      // new blocks of every kind since the last reorg, then the reference digest of the chain
      const more = branch("bad-input", writers());
      await more.mine(12);
      tip = await head();
      await caughtUp(indexer, tip.number);
      await more.upload(1);
      const fresh = await rebuild(tip);
      reference = await fresh.digest();
      try {
        await expectSameStore(indexer, fresh, "after the reorgs");
      } finally {
        await fresh.close();
      }
    });

    it("retries a node that answers errors for a while, and indexes everything", async () => {
      // the first 10 distinct requests fail once each (HTTP 503 or a JSON-RPC error); the ledger
      // retries each up to 4 times
      const failedOnce = new Set<string>();
      let failing = false;
      let failures = 0;
      const flaky = faultyFetch((exchange) => {
        if (!failing || failures >= 10) return undefined;
        const calls = Array.isArray(exchange.body) ? exchange.body : [exchange.body];
        const key = JSON.stringify(calls.map((call) => [call.method, call.params]));
        if (failedOnce.has(key)) return undefined;
        failedOnce.add(key);
        failures++;
        return failures % 2 === 0
          ? new Response("upstream busy", { status: 503 })
          : rpcError(single(exchange)?.id ?? 0, -32603, "internal error");
      });
      const warnings: string[] = [];
      const flakyLedger = await ledgerWith({
        fetch: flaky.fetch,
        retries: 4,
        logger: { warn: (message) => warnings.push(message) },
      });
      failing = true;
      try {
        const fresh = await rebuild(tip, flakyLedger);
        const digest = await fresh.digest();
        await fresh.close();
        expect(digest).to.equal(reference);
      } finally {
        flakyLedger.close();
      }
      expect(failures).to.equal(10);
      expect(
        warnings.some((w) => /retrying/.test(w)),
        warnings.join("\n"),
      ).to.equal(true);
    });

    it("fails with a clear LedgerError when the node keeps failing, and leaves the store unchanged", async () => {
      // a store at the tip, then more blocks it has not seen
      const dir = await dirs.make();
      const behind = await createIndexer({ db: dir, ledger, fromBlock: fromBlock() });
      behind.start();
      await caughtUp(behind, tip.number);
      await behind.close();
      const more = branch("unseen", writers());
      await more.mine(3);
      const newTip = await head();

      const broken = faultyFetch((exchange) =>
        getLogsFilter(exchange) === undefined
          ? undefined
          : new Response("upstream busy", { status: 503 }),
      );
      const brokenLedger = await ledgerWith({ fetch: broken.fetch, retries: 2 });
      const stuck = await createIndexer({ db: dir, ledger: brokenLedger, fromBlock: fromBlock() });
      try {
        const before = await rawDump(stuck.store);
        const digest = await stuck.digest();
        const error = await rejection(stuck.run());
        expect(error).to.be.instanceOf(LedgerError);
        expect(isCredtrailError(error, LedgerErrorCode.UNAVAILABLE)).to.equal(true);
        expect((error as LedgerError).message).to.match(
          new RegExp(
            `reading blocks ${tip.number + 1n}…\\d+ failed after 3 attempts: eth_getLogs: HTTP 503`,
          ),
        );
        expect(await stuck.digest()).to.equal(digest);
        expect(await rawDump(stuck.store)).to.deep.equal(before);
        expect((await stuck.checkpoint()).hash).to.equal(tip.hash);
      } finally {
        await stuck.close();
        brokenLedger.close();
      }

      // the node recovers: the same store catches up, equal to a rebuild
      const resumed = await createIndexer({ db: dir, ledger, fromBlock: fromBlock() });
      resumed.start();
      await caughtUp(resumed, newTip.number);
      await caughtUp(indexer, newTip.number);
      const fresh = await rebuild(newTip);
      try {
        for (const [root, leaves] of uploads) {
          try {
            await resumed.uploadBatchLeaves(root, leaves);
          } catch (error) {
            if (!isCredtrailError(error, IndexerErrorCode.BATCH_UNKNOWN)) throw error;
          }
        }
        expect(await resumed.digest()).to.equal(await fresh.digest());
        expect(await indexer.digest()).to.equal(await fresh.digest());
      } finally {
        await fresh.close();
        await resumed.close();
      }
      tip = newTip;
      reference = await indexer.digest();
    });

    it("catches eth_getLogs answers cut at a size limit, and indexes everything", async () => {
      let cut = 0;
      const capped = faultyFetch(async (exchange) => {
        if (getLogsFilter(exchange) === undefined) return undefined;
        const answer = (await exchange.forward()) as RpcResponseBody;
        const logs = answer.result as unknown[];
        if (logs.length <= 40) return undefined;
        cut++;
        return jsonResponse({ ...answer, result: logs.slice(0, 40) });
      });
      const cappedLedger = await ledgerWith({ fetch: capped.fetch, maxBlockRange: 500 });
      try {
        const fresh = await rebuild(tip, cappedLedger);
        const digest = await fresh.digest();
        await fresh.close();
        expect(digest).to.equal(reference);
      } finally {
        cappedLedger.close();
      }
      expect(cut, "answers were cut").to.be.greaterThan(0);
    });

    it("does not project logs of another CreditRegistry deployment with the same topics", async () => {
      // an impostor registry over the same consortium: the tax keys may attest on it
      const impostorAddress = await deployRegistry(node.url, "deployer", c.addresses.consortium);
      expect(impostorAddress.toLowerCase()).to.not.equal(c.addresses.registry.toLowerCase());
      const impostor = nodeSender(node.url, {
        ...c,
        addresses: { ...c.addresses, registry: impostorAddress },
      });
      const request = (label: string) => ({
        schema: c.schemas.taxPayment,
        subject: h("subject:impostor"),
        dataHash: h(`${SEED}:impostor:${label}`),
        observedAt: now - DAY,
        expiresAt: 0n,
        severity: 0,
      });
      // the same record on both registries: the impostor revokes its copy and disputes nothing
      const shared = request("shared");
      const ours = await writers().tax.attest(shared);
      const sharedUid = ours.events[0].kind === "Attested" ? ours.events[0].uid : undefined;
      if (sharedUid === undefined) throw new Error("no Attested event");
      await impostor.send("tax", "registry", "attest", [shared]);
      await impostor.send("tax", "registry", "revoke", [sharedUid, h("impostor")]);
      const only = await impostor.send("tax", "registry", "attest", [request("only")]);
      const onlyUid = only.logs[0].topics[1];
      const foreignBatch = buildRecordBatch([
        {
          subject: h("subject:impostor"),
          dataHash: h("impostor:leaf"),
          observedAt: now - DAY,
          expiresAt: 0n,
          severity: 0,
        },
      ]);
      await impostor.send("tax", "registry", "anchorBatch", [
        c.schemas.taxPayment,
        foreignBatch.root,
        1,
        "s3://impostor",
      ]);
      expect(only.logs[0].topics[0]).to.equal(
        (
          await rpc<{ topics: string[] }[]>(node.url, "eth_getLogs", [
            { blockHash: ours.blockHash },
          ])
        )[0].topics[0],
      );
      const last = await writers().court.attest({
        ...request("after"),
        schema: c.schemas.adminPenalty,
      });
      const newTip = await head();
      expect(newTip.hash).to.equal(last.blockHash);

      // a node that honours the address filter, and one that ignores it
      let foreign = 0;
      const leaky = faultyFetch(async (exchange) => {
        const call = single(exchange);
        if (call?.method !== "eth_getLogs") return undefined;
        const filter = { ...(call.params[0] as Record<string, unknown>) };
        delete filter.address;
        const answer = (await exchange.forward()) as RpcResponseBody;
        const all = await rpc<unknown[]>(node.url, "eth_getLogs", [filter]);
        foreign += all.length - (answer.result as unknown[]).length;
        return jsonResponse({ ...answer, result: all });
      });
      const leakyLedger = await ledgerWith({ fetch: leaky.fetch });
      await caughtUp(indexer, newTip.number);
      const fresh = await rebuild(newTip);
      const fromLeaky = await rebuild(newTip, leakyLedger);
      try {
        expect(foreign, "the impostor's logs reached the parser").to.be.greaterThan(0);
        for (const ix of [indexer, fresh, fromLeaky]) {
          expect((await ix.getAttestation(sharedUid))?.status).to.equal("active");
          expect((await ix.getAttestation(sharedUid))?.audit.tx).to.equal(ours.txHash);
          expect(await ix.getAttestation(onlyUid)).to.equal(null);
          expect(await ix.getBatch(foreignBatch.root)).to.equal(null);
        }
        const digest = await fresh.digest();
        expect(await fromLeaky.digest()).to.equal(digest);
        expect(await indexer.digest()).to.equal(digest);
      } finally {
        await fromLeaky.close();
        await fresh.close();
        leakyLedger.close();
      }
    });

    it("rejects batch files whose leaves do not rebuild the anchored root, and writes nothing", async () => {
      const leaves = Array.from({ length: 6 }, (_, i) => ({
        subject: h(`subject:${i % 3}`),
        dataHash: h(`${SEED}:file:${i}`),
        observedAt: now - 30n * DAY,
        expiresAt: 0n,
        severity: i % 4,
      }));
      const batch = buildRecordBatch(leaves);
      const anchored = await writers().tax.anchorBatch(
        c.schemas.taxPayment,
        batch.root,
        batch.length,
        "s3://bad-file",
      );
      await caughtUp(indexer, anchored.blockNumber);
      const before = await rawDump(indexer.store);
      const digest = await indexer.digest();
      const other = buildRecordBatch([{ ...leaves[0], dataHash: h("another batch") }]);

      const cases: [string, string, string, RecordLeafInput[]][] = [
        [
          "a leaf's data hash changed",
          IndexerErrorCode.BATCH_ROOT_MISMATCH,
          "rebuild root",
          leaves.map((l, i) => (i === 2 ? { ...l, dataHash: h("tampered") } : l)),
        ],
        [
          "a leaf's severity changed",
          IndexerErrorCode.BATCH_ROOT_MISMATCH,
          "rebuild root",
          leaves.map((l, i) => (i === 4 ? { ...l, severity: (l.severity + 1) % 4 } : l)),
        ],
        [
          "a leaf of another file",
          IndexerErrorCode.BATCH_ROOT_MISMATCH,
          "rebuild root",
          [...leaves.slice(0, 5), other.leaves[0]],
        ],
        [
          "a leaf missing",
          IndexerErrorCode.BATCH_COUNT_MISMATCH,
          "anchored with 6 leaves, the file has 5",
          leaves.slice(1),
        ],
        [
          "a leaf too many",
          IndexerErrorCode.BATCH_COUNT_MISMATCH,
          "anchored with 6 leaves, the file has 7",
          [...leaves, other.leaves[0]],
        ],
        ["a leaf twice", "MERKLE_INVALID", "identical", [...leaves.slice(0, 5), leaves[0]]],
      ];
      for (const [what, code, message, file] of cases) {
        const error = await rejection(indexer.uploadBatchLeaves(batch.root, file));
        expect(error, what).to.be.instanceOf(ValidationError);
        expect((error as ValidationError).code, what).to.equal(code);
        expect((error as ValidationError).message, what).to.include(message);
        expect(await rawDump(indexer.store), what).to.deep.equal(before);
      }
      const unknown = await rejection(indexer.uploadBatchLeaves(other.root, other.leaves));
      expect(isCredtrailError(unknown, IndexerErrorCode.BATCH_UNKNOWN)).to.equal(true);
      expect((unknown as Error).message).to.include(other.root);
      expect(await rawDump(indexer.store)).to.deep.equal(before);
      expect(await indexer.digest()).to.equal(digest);
      expect((await indexer.getBatch(batch.root))?.leavesUploaded).to.equal(false);

      // the real file is accepted, and its leaves are queryable by subject
      const accepted = await indexer.uploadBatchLeaves(batch.root, leaves);
      expect(accepted.projected).to.equal(true);
      const uid = batch.leafUid(3, { schema: c.schemas.taxPayment, provider: c.ids.tax });
      const page = await indexer.listAttestationsBySubject(leaves[3].subject, { first: 1000 });
      const leaf = page.items.find((a) => a.uid === uid);
      expect(leaf?.source).to.deep.equal({
        type: "batchLeaf",
        root: batch.root,
        index: 3,
        recorded: false,
        batchRevoked: false,
      });
    });

    it("main.ts exits non-zero when the node keeps failing, its store unchanged, and resumes once it recovers", async () => {
      const dir = await dirs.make();
      const behind = await createIndexer({ db: dir, ledger, fromBlock: fromBlock() });
      behind.start();
      const at = await caughtUp(behind, (await head()).number);
      await behind.close();
      const stored = await inspectStore(dir);
      const more = branch("while-down", writers());
      await more.mine(3);
      const newTip = await head();

      const proxy = await startRpcProxy(node.url);
      try {
        proxy.intercept = (calls) =>
          calls.some((call) => call.method === "eth_getLogs")
            ? { status: 503, body: "upstream busy" }
            : undefined;
        const options = { db: dir, rpc: proxy.url, addresses: c.addresses };
        const failing = spawnIndexer(options);
        const exit = await failing.exited;
        expect(exit.code, failing.tail()).to.equal(1);
        expect(failing.lines.at(-1)?.message).to.match(
          new RegExp(
            `^indexer: reading blocks ${at.number + 1n}…\\d+ failed after 5 attempts: eth_getLogs: HTTP 503 upstream busy`,
          ),
        );
        expect(proxy.intercepted).to.equal(5);
        expect(await inspectStore(dir)).to.deep.equal(stored);

        // the node is back: a restart resumes from the checkpoint and catches up
        proxy.intercept = () => undefined;
        const restarted = spawnIndexer(options);
        const resumed = await restarted.waitFor((line) => line.message === "indexer: resuming");
        expect(resumed.from).to.equal(at.number.toString());
        await restarted.waitFor(
          (line) =>
            line.message === "indexer: progress" &&
            BigInt(String(line.checkpoint)) >= newTip.number,
        );
        expect((await restarted.kill("SIGTERM")).code, restarted.tail()).to.equal(0);
      } finally {
        await proxy.close();
      }
      const fresh = await rebuild(newTip, ledger, false);
      try {
        const store = await inspectStore(dir);
        expect(store.checkpoint.hash).to.equal(newTip.hash);
        expect(store.digest).to.equal(await fresh.digest());
      } finally {
        await fresh.close();
      }
      await caughtUp(indexer, newTip.number);
    });

    it("main.ts exits non-zero with a clear error when the node does not answer, and creates no store", async () => {
      const dir = await dirs.make();
      const child = spawnIndexer({
        db: dir,
        rpc: `http://127.0.0.1:${await freePort()}`,
        addresses: c.addresses,
      });
      const exit = await child.exited;
      expect(exit.code, child.tail()).to.equal(1);
      const last = child.lines.at(-1);
      expect(last?.level).to.equal("error");
      expect(last?.message).to.match(
        /^indexer: the node at http:\/\/127\.0\.0\.1:\d+ does not answer/,
      );
      expect(await readdir(dir)).to.deep.equal([]);
    });

    it("main.ts refuses bad --max-batch-events and --progress-ms before it connects, and creates no store", async () => {
      const cases: [Partial<IndexerProcessOptions>, RegExp][] = [
        ...[0, 2.5, 1e20].map((bad): [Partial<IndexerProcessOptions>, RegExp] => [
          { maxBatchEvents: bad },
          /^indexer: --max-batch-events must be an integer of at least 1, got /,
        ]),
        [{ progressMs: 2.5 }, /^indexer: --progress-ms must be a non-negative integer, got 2\.5/],
      ];
      for (const [options, message] of cases) {
        const dir = await dirs.make();
        const child = spawnIndexer({
          db: dir,
          rpc: `http://127.0.0.1:${await freePort()}`,
          addresses: c.addresses,
          ...options,
        });
        const exit = await child.exited;
        expect(exit.code, child.tail()).to.equal(1);
        const last = child.lines.at(-1);
        expect(last?.level).to.equal("error");
        expect(last?.message, JSON.stringify(options)).to.match(message);
        expect(await readdir(dir)).to.deep.equal([]);
      }
    });
  });
});
