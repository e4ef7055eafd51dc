/**
 * The scoring service over a synthetic chain (no node): blocks are handed to the indexer directly,
 * and a fake scorer writer "mines" each anchorScoreBatch as a block with its ScoreBatchAnchored
 * event. Covers what a Hardhat node cannot easily show: a reorg dropping an anchored batch, an
 * anchor that fails, a score changed while its batch is on the way, and the anchor timer.
 */
import { expect } from "chai";
import { Level } from "level";

import type { Hex, JsonObject, LedgerEvent } from "../../core/index.js";
import {
  compileModel,
  defaultScorecardModel,
  hashCanonical,
  modelRegistration,
  scoreInputsHash,
  scoreLeafHash,
  verifyScoreProof,
} from "../../core/index.js";
import type {
  Indexer,
  RecordStore,
  ScoreChange,
  ScoringService,
  SubjectUids,
} from "../../indexer/index.js";
import {
  createIndexer,
  createLevelStore,
  createRecordStore,
  createScoringService,
  scanSubjectUids,
  subjectUids,
} from "../../indexer/index.js";
import type { Receipt } from "../../ledger/types.js";
import type { Chain } from "../indexer/fixtures.js";
import {
  DAY,
  KEY,
  M,
  SCHEMA,
  T0,
  attest,
  checkpointOf,
  consortiumGenesis,
  createChain,
  fakeLedger,
  h,
  tempDirs,
} from "../indexer/fixtures.js";

const MODEL = compileModel(defaultScorecardModel);
const DATE = (seconds: bigint): string =>
  new Date(Number(seconds) * 1000).toISOString().slice(0, 10);

describe("scoring service (synthetic chain)", function () {
  this.timeout(60_000);
  const dirs = tempDirs();
  let db: Level;
  let chain: Chain;
  let indexer: Indexer;
  let records: RecordStore;
  let scoring: ScoringService;
  let failNext: Error | undefined;
  let duringAnchor: (() => Promise<void>) | undefined;
  let counter = 0;

  async function mine(events: LedgerEvent[], timestamp?: bigint) {
    const last = chain.blocks.at(-1)?.block.timestamp ?? T0;
    const item = chain.add(events, { timestamp: timestamp ?? last + 12n });
    await indexer.handle(item);
    return item;
  }

  const writer = {
    async anchorScoreBatch(
      root: Hex,
      modelHash: Hex,
      count: number,
      asOfBlock: bigint,
    ): Promise<Receipt> {
      if (failNext !== undefined) {
        const error = failNext;
        failNext = undefined;
        throw error;
      }
      if (duringAnchor !== undefined) {
        const hook = duringAnchor;
        duringAnchor = undefined;
        await hook();
      }
      const item = await mine([
        {
          kind: "ScoreBatchAnchored",
          root,
          scorer: M.scorer,
          modelHash,
          count,
          asOfBlock,
          signer: KEY.scorer,
        },
      ]);
      const position = item.events[0].position;
      return {
        txHash: position.txHash,
        blockNumber: position.blockNumber,
        blockHash: position.blockHash,
        events: [],
      };
    },
  };

  /** A tax payment of `subject` (its contents stored), in arrears or not. */
  async function taxPayment(subject: Hex, arrears: boolean): Promise<Hex> {
    const at = chain.head.block.timestamp;
    const record: JsonObject = {
      subject,
      periodStart: DATE(at - 40n * DAY),
      periodEnd: DATE(at - 10n * DAY),
      taxType: "vat",
      taxPaid: 1_000 + counter++,
      arrears,
    };
    const event = attest({ subject, dataHash: hashCanonical(record), observedAt: at - DAY });
    await records.putMany([{ uid: event.uid, record }]);
    await mine([event]);
    await scoring.idle();
    return event.uid;
  }

  async function open(
    options: { anchorIntervalMs?: number; clock?: () => number } = {},
  ): Promise<void> {
    scoring = await createScoringService({
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      indexer,
      db,
      records,
      model: MODEL,
      writer,
      anchorIntervalMs: options.anchorIntervalMs ?? 3_600_000,
    });
    await scoring.start();
  }

  beforeEach(async () => {
    db = new Level(await dirs.make());
    chain = createChain("main");
    indexer = await createIndexer({ db, ledger: fakeLedger([]) });
    records = await createRecordStore({ db, key: "77".repeat(32) });
    await mine(
      [
        ...consortiumGenesis(),
        {
          kind: "ModelRegistered",
          modelHash: modelRegistration(defaultScorecardModel).modelHash,
          scorer: M.scorer,
          uri: "credtrail://models/default",
        },
      ],
      T0,
    );
    await open();
  });

  afterEach(async () => {
    await scoring?.stop();
    await indexer.close();
    await db.close();
  });

  after(() => dirs.cleanup());

  it("scores every subject by one scan of the index exactly as subject by subject", async () => {
    const subjects = Array.from({ length: 5 }, (_, i) => h(`subject:scan:${i}`));
    for (const [i, subject] of subjects.entries())
      for (let k = 0; k <= i % 3; k++) await taxPayment(subject, (i + k) % 2 === 0);
    // a record that could count but whose contents this node does not hold, and an expired one
    const at = chain.head.block.timestamp;
    await mine([
      attest({ subject: subjects[1], observedAt: at - 2n * DAY, label: "scan:missing" }),
      attest({ subject: subjects[3], observedAt: at - 3n * DAY, expiresAt: at + 1n }),
    ]);
    await mine([], at + 60n);
    // the by-subject index read in one scan (chunks of 2) or subject by subject: the same uids
    const scanned: SubjectUids[] = [];
    for await (const chunk of scanSubjectUids(indexer.store, 2)) {
      expect(chunk.length).to.be.at.most(2);
      scanned.push(...chunk);
    }
    expect(scanned.map((g) => g.subject)).to.deep.equal([...subjects].sort());
    for (const group of scanned)
      expect(group.uids).to.deep.equal(await subjectUids(indexer.store, group.subject));

    const service = (name: string) =>
      createScoringService({ indexer, db: createLevelStore(db, name), records, model: MODEL });
    const [byScan, bySubject] = [await service("scoring-scan"), await service("scoring-each")];
    const all = await byScan.rescoreAll();
    const each = await bySubject.rescore(subjects);
    expect(all).to.deep.include({ subjects: 5, changed: 5 });
    expect(each).to.deep.include({ subjects: 5, changed: 5, evaluations: all.evaluations });
    for (const subject of subjects) {
      const [a, b] = [await byScan.getScore(subject), await bySubject.getScore(subject)];
      expect(a).to.not.equal(null);
      expect({ ...a, changedAt: 0 }).to.deep.equal({ ...b, changedAt: 0 });
    }
    expect((await byScan.getScore(subjects[1]))?.missingContents).to.have.length(1);
    // nine payments and the expired record (left out by the score); not the one without contents
    expect(all.evaluations).to.equal(10);
  });

  it("verifies a batch with a proof against the anchored root", async () => {
    const subject = h("subject:proof");
    const uid = await taxPayment(subject, false);
    const result = await scoring.anchorNow();
    const score = await scoring.getScore(subject);
    const proof = score?.proof;
    if (score === null || proof === null || proof === undefined) throw new Error("not verified");
    expect(proof.root).to.equal(result?.root);
    expect(proof.inputs).to.deep.equal([uid]);
    const leaf = {
      subject,
      score: score.value,
      grade: score.grade,
      modelHash: proof.modelHash,
      inputsHash: scoreInputsHash(proof.inputs),
      asOfBlock: score.asOfBlock,
    };
    expect(scoreLeafHash(leaf)).to.equal(proof.leaf);
    expect(verifyScoreProof(leaf, proof.path, proof.root)).to.equal(true);
    expect((await indexer.getScoreBatch(proof.root))?.asOfBlock).to.equal(score.asOfBlock);
  });

  it("unverifies the scores of a batch a reorg dropped, and anchors them again", async () => {
    const subject = h("subject:reorg");
    await taxPayment(subject, false);
    const before = chain.head;
    const first = await scoring.anchorNow();
    expect((await scoring.getScore(subject))?.proof?.root).to.equal(first?.root);
    const changes: ScoreChange[] = [];
    scoring.watch(subject, (c) => changes.push(c));
    // the anchoring block is replaced by an empty one on another branch
    const dropped = chain.head;
    chain = chain.fork(before.block.number, "other");
    const replacement = chain.add([], { timestamp: dropped.block.timestamp });
    await indexer.handle({
      type: "reorg",
      ancestor: checkpointOf(before),
      dropped: checkpointOf(dropped),
    });
    await indexer.handle(replacement);
    await scoring.idle();
    const after = await scoring.getScore(subject);
    expect(after?.proof).to.equal(null);
    expect(scoring.status().pending).to.equal(1);
    expect(changes.map((c) => c.type)).to.deep.equal(["scored"]);
    const second = await scoring.anchorNow();
    expect(second?.verified).to.equal(1);
    expect((await scoring.getScore(subject))?.proof?.root).to.equal(second?.root);
  });

  it("retries a failed anchor at the next interval and says why meanwhile", async () => {
    const subject = h("subject:failure");
    await taxPayment(subject, true);
    failNext = new Error("connection refused");
    let error: unknown;
    try {
      await scoring.anchorNow();
    } catch (e) {
      error = e;
    }
    expect((error as Error).message).to.equal("connection refused");
    const pending = await scoring.getScore(subject);
    expect(scoring.provisionalReason(pending as NonNullable<typeof pending>)).to.match(
      /last anchor failed \(connection refused\)/,
    );
    const result = await scoring.anchorNow();
    expect(result?.verified).to.equal(1);
    const verified = await scoring.getScore(subject);
    expect(scoring.provisionalReason(verified as NonNullable<typeof verified>)).to.equal(null);
  });

  it("keeps a score changed while its batch was on the way provisional", async () => {
    const subject = h("subject:race");
    await taxPayment(subject, false);
    const batched = await scoring.getScore(subject);
    duringAnchor = async () => {
      await taxPayment(subject, true);
    };
    const result = await scoring.anchorNow();
    expect(result?.verified).to.equal(0);
    const current = await scoring.getScore(subject);
    expect(current?.seq).to.equal((batched?.seq ?? 0) + 1);
    expect(current?.proof).to.equal(null);
    expect(scoring.status().pending).to.equal(1);
    // the batched version is verified in the history
    const history = await scoring.listHistory(subject, { first: 10 });
    const version = history.items.find((v) => v.seq === batched?.seq);
    expect(version?.proof?.root).to.equal(result?.root);
    const next = await scoring.anchorNow();
    expect(next?.verified).to.equal(1);
  });

  it("anchors on its own every interval", async () => {
    await scoring.stop();
    await open({ anchorIntervalMs: 300 });
    const subject = h("subject:timer");
    await taxPayment(subject, false);
    const by = Date.now() + 10_000;
    while ((await scoring.getScore(subject))?.proof === null) {
      if (Date.now() > by) throw new Error("not anchored in time");
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(scoring.status().lastAnchor?.count).to.equal(1);
  });

  it("rescores a subject at the first block after an input expires", async () => {
    const subject = h("subject:expiry");
    const at = chain.head.block.timestamp;
    const record: JsonObject = {
      subject,
      decisionIdHash: h("decision"),
      authority: "Bureau",
      penaltyType: "fine",
      severity: "serious",
      decisionDate: DATE(at - 10n * DAY),
    };
    const event = attest({
      subject,
      provider: "court",
      schema: SCHEMA.penalty.schemaId,
      dataHash: hashCanonical(record),
      observedAt: at - DAY,
      expiresAt: at + 100n,
      severity: 3,
    });
    await records.putMany([{ uid: event.uid, record }]);
    await mine([event]);
    await scoring.idle();
    const listed = await scoring.getScore(subject);
    expect(listed?.inputs).to.deep.equal([event.uid]);
    expect(listed?.nextExpiry).to.equal(at + 100n);
    await mine([], at + 50n);
    await scoring.idle();
    expect((await scoring.getScore(subject))?.seq).to.equal(listed?.seq);
    await mine([], at + 101n);
    await scoring.idle();
    const expired = await scoring.getScore(subject);
    expect(expired?.inputs).to.deep.equal([]);
    expect(expired?.value).to.be.greaterThan(listed?.value ?? 0);
    expect(expired?.nextExpiry).to.equal(null);
  });

  it("rescores every subject on the first block of a new day (windows move)", async () => {
    await scoring.stop();
    // the node's clock follows the chain here, so the chain's head is "now"
    await open({ clock: () => Number(chain.head.block.timestamp) * 1000 });
    const subject = h("subject:window");
    const at = chain.head.block.timestamp;
    const record: JsonObject = {
      subject,
      decisionIdHash: h("decision:window"),
      authority: "Bureau",
      penaltyType: "warning",
      severity: "minor",
      decisionDate: DATE(at - 360n * DAY),
    };
    const event = attest({
      subject,
      provider: "court",
      schema: SCHEMA.penalty.schemaId,
      dataHash: hashCanonical(record),
      observedAt: at - DAY,
      severity: 1,
    });
    await records.putMany([{ uid: event.uid, record }]);
    await mine([event]);
    await scoring.idle();
    const inWindow = await scoring.getScore(subject);
    expect(inWindow?.inputs).to.deep.equal([event.uid]);
    // ten days later the decision is more than 12 months old: out of the minor-penalty window
    await mine([], at + 10n * DAY);
    await scoring.idle();
    const later = await scoring.getScore(subject);
    expect(later?.seq).to.equal((inWindow?.seq ?? 0) + 1);
    // minorPenalties (12 months) no longer sees it: 10 points instead of 5
    expect(later?.value).to.equal((inWindow?.value ?? 0) + 5);
  });
});
