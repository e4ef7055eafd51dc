/**
 * Batch files: accepted only when they rebuild the anchored root with the anchored count; projected
 * as attestations; rejected without writing anything; kept across reorgs and projected again
 * whenever the upload and the anchor both exist.
 */
import { expect } from "chai";

import type { RecordLeafInput } from "../../core/index.js";
import { ErrorCode, ValidationError, recordLeafUid } from "../../core/index.js";
import type { Indexer } from "../../indexer/index.js";
import { IndexerErrorCode, dumpStore } from "../../indexer/index.js";
import type { BlockItem, Chain } from "./fixtures.js";
import {
  KEY,
  M,
  SCHEMA,
  anchorEvent,
  attest,
  checkpointOf,
  consortiumGenesis,
  createChain,
  feed,
  h,
  leafRecordedEvent,
  openIndexer,
  rawDump,
  recordBatch,
  subject,
  tempDirs,
} from "./fixtures.js";

async function expectRejected(
  indexer: Indexer,
  root: string,
  leaves: readonly RecordLeafInput[],
  code: string,
): Promise<void> {
  const before = await rawDump(indexer);
  const digest = await indexer.digest();
  let thrown: unknown;
  try {
    await indexer.uploadBatchLeaves(root, leaves);
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `expected ${code}`).to.be.instanceOf(ValidationError);
  expect((thrown as ValidationError).code).to.equal(code);
  expect((thrown as ValidationError).message)
    .to.be.a("string")
    .and.not.equal("");
  expect(await indexer.digest()).to.equal(digest);
  expect(await rawDump(indexer)).to.deep.equal(before);
}

describe("indexer batch leaves", () => {
  const dirs = tempDirs();
  let indexer: Indexer;
  let chain: Chain;

  beforeEach(async () => {
    chain = createChain();
    ({ indexer } = await openIndexer(dirs));
    await add(consortiumGenesis());
  });
  afterEach(async () => {
    await indexer.close();
    await dirs.cleanup();
  });

  async function add(
    events: Parameters<Chain["add"]>[0],
    target: Indexer = indexer,
  ): Promise<BlockItem> {
    const item = chain.add(events);
    await target.handle(item);
    return item;
  }

  it("accepts the file of an anchored batch and projects every leaf as an attestation", async () => {
    const acme = subject("acme");
    const { batch, leaves, uids } = recordBatch(5, "ok", (i) =>
      i < 3 ? acme : subject(`other:${i}`),
    );
    const anchored = await add([anchorEvent(batch)]);
    const single = attest({
      subject: acme,
      label: "single",
      observedAt: leaves[1].observedAt as bigint,
    });
    await add([single]);

    const result = await indexer.uploadBatchLeaves(batch.root, leaves);
    expect(result).to.deep.include({ root: batch.root, count: 5, projected: true });
    expect(result.subjects).to.include(acme);
    for (let i = 0; i < 5; i++) {
      expect(uids[i]).to.equal(
        recordLeafUid(leaves[i], { schema: SCHEMA.tax.schemaId, provider: M.tax }),
      );
      const leaf = await indexer.getAttestation(uids[i]);
      expect(leaf).to.deep.include({
        uid: uids[i],
        schema: SCHEMA.tax.schemaId,
        category: SCHEMA.tax.categoryId,
        subject: leaves[i].subject,
        provider: M.tax,
        signer: KEY.tax,
        relayer: null,
        dataHash: leaves[i].dataHash,
        observedAt: leaves[i].observedAt,
        expiresAt: 0n,
        severity: leaves[i].severity,
        status: "active",
        stale: null,
        recordedAudit: null,
      });
      expect(leaf?.source).to.deep.equal({
        type: "batchLeaf",
        root: batch.root,
        index: i,
        recorded: false,
        batchRevoked: false,
      });
      expect(leaf?.audit.block).to.equal(anchored.block.number);
    }
    // queryable by subject like single attestations, newest first
    const bySubject = await indexer.listAttestationsBySubject(acme);
    // uids[1] and the single attestation were observed at the same time: the uid breaks the tie
    const tie = [single.uid, uids[1]].sort();
    expect(bySubject.items.map((a) => a.uid)).to.deep.equal([uids[2], ...tie, uids[0]]);
    expect(
      (await indexer.listAttestationsBySubject(acme, { source: "batchLeaf" })).items,
    ).to.have.length(3);
    expect((await indexer.listAttestationsByProvider(M.tax)).items).to.have.length(6);
    expect((await indexer.listBatchLeaves(batch.root)).items.map((a) => a.uid)).to.deep.equal(uids);
    expect((await indexer.getBatch(batch.root))?.leavesUploaded).to.equal(true);

    // the same file again: nothing to do, nothing written
    const before = await rawDump(indexer);
    const again = await indexer.uploadBatchLeaves(batch.root, leaves);
    expect(again.projected).to.equal(false);
    expect(await rawDump(indexer)).to.deep.equal(before);
  });

  it("rejects a wrong leaf, a wrong count, an unknown batch, a malformed root — writing nothing", async () => {
    const { batch, leaves } = recordBatch(4, "bad");
    await add([anchorEvent(batch)]);
    const wrongLeaf = leaves.map((l, i) => (i === 2 ? { ...l, dataHash: h("tampered") } : l));
    await expectRejected(indexer, batch.root, wrongLeaf, IndexerErrorCode.BATCH_ROOT_MISMATCH);
    await expectRejected(
      indexer,
      batch.root,
      leaves.slice(0, 3),
      IndexerErrorCode.BATCH_COUNT_MISMATCH,
    );
    await expectRejected(
      indexer,
      batch.root,
      [...leaves, leaves[0]],
      IndexerErrorCode.BATCH_COUNT_MISMATCH,
    );
    await expectRejected(indexer, batch.root, [], IndexerErrorCode.BATCH_COUNT_MISMATCH);
    const other = recordBatch(4, "never anchored");
    await expectRejected(indexer, other.batch.root, other.leaves, IndexerErrorCode.BATCH_UNKNOWN);
    await expectRejected(indexer, "0x1234", leaves, ErrorCode.HEX_INVALID);
    // a file of another (anchored) batch with the same count
    const second = recordBatch(4, "second");
    await add([anchorEvent(second.batch)]);
    await expectRejected(indexer, batch.root, second.leaves, IndexerErrorCode.BATCH_ROOT_MISMATCH);
    // malformed or duplicate leaves
    await expectRejected(
      indexer,
      batch.root,
      [leaves[0], leaves[0], leaves[1], leaves[2]],
      ErrorCode.MERKLE_INVALID,
    );
    await expectRejected(
      indexer,
      batch.root,
      leaves.map((l, i) => (i === 0 ? { ...l, severity: 9 } : l)),
      ErrorCode.MERKLE_INVALID,
    );
    expect((await indexer.getBatch(batch.root))?.leavesUploaded).to.equal(false);
  });

  it("a LeafRecorded event creates the attestation from its payload; the file later fills in the index", async () => {
    const { batch, leaves, uids } = recordBatch(3, "rec");
    await add([anchorEvent(batch)]);
    const recorded = await add([leafRecordedEvent(batch, 1)]);
    const fromEvent = await indexer.getAttestation(uids[1]);
    expect(fromEvent?.source).to.deep.equal({
      type: "batchLeaf",
      root: batch.root,
      index: null,
      recorded: true,
      batchRevoked: false,
    });
    expect(fromEvent?.recordedAudit?.block).to.equal(recorded.block.number);
    await indexer.uploadBatchLeaves(batch.root, leaves);
    const merged = await indexer.getAttestation(uids[1]);
    expect(merged?.source).to.deep.equal({
      type: "batchLeaf",
      root: batch.root,
      index: 1,
      recorded: true,
      batchRevoked: false,
    });
    expect(merged?.recordedAudit).to.deep.equal(fromEvent?.recordedAudit);
    expect((await indexer.listBatchLeaves(batch.root)).items.map((a) => a.uid)).to.deep.equal(uids);
  });

  it("upload-then-record and record-then-upload end in the same store", async () => {
    const { batch, leaves } = recordBatch(3, "order");
    const anchorItem = chain.add([anchorEvent(batch)]);
    const recordItem = chain.add([leafRecordedEvent(batch, 0), leafRecordedEvent(batch, 2)]);
    const { indexer: other } = await openIndexer(dirs);
    try {
      await feed(indexer, [chain.block(1n), anchorItem]);
      await indexer.uploadBatchLeaves(batch.root, leaves);
      await feed(indexer, [recordItem]);
      await feed(other, [chain.block(1n), anchorItem, recordItem]);
      await other.uploadBatchLeaves(batch.root, leaves);
      expect(await dumpStore(indexer.store)).to.deep.equal(await dumpStore(other.store));
    } finally {
      await other.close();
    }
  });

  describe("across reorgs", () => {
    it("the block the upload was written with is dropped, the anchor survives: leaves are projected again at once", async () => {
      const { batch, leaves, uids } = recordBatch(3, "survive");
      await add([anchorEvent(batch)]); // block 2
      await add([attest({ subject: subject(1), label: "x" })]); // block 3
      await indexer.uploadBatchLeaves(batch.root, leaves); // written with block 3
      const fork = chain.fork(2n, "fork");
      fork.add([attest({ subject: subject(2), label: "y" })]);
      fork.add([leafRecordedEvent(batch, 0)]);
      await feed(indexer, [
        {
          type: "reorg",
          ancestor: checkpointOf(chain.block(2n)),
          dropped: checkpointOf(chain.head),
        },
      ]);
      expect((await indexer.getAttestation(uids[2]))?.source).to.deep.include({ index: 2 });
      await feed(indexer, fork.blocks.slice(2));

      const { indexer: clean } = await openIndexer(dirs);
      try {
        await feed(clean, fork.blocks.slice(0, 2));
        await clean.uploadBatchLeaves(batch.root, leaves);
        await feed(clean, fork.blocks.slice(2));
        expect(await dumpStore(indexer.store)).to.deep.equal(await dumpStore(clean.store));
        expect(await indexer.digest()).to.equal(await clean.digest());
      } finally {
        await clean.close();
      }
    });

    it("the anchor is dropped: leaves go with it, the file stays, and a re-anchor projects it again", async () => {
      const { batch, leaves, uids } = recordBatch(3, "again");
      await add([attest({ subject: subject(1), label: "x" })]); // block 2
      await add([anchorEvent(batch)]); // block 3
      await indexer.uploadBatchLeaves(batch.root, leaves);
      await feed(indexer, [
        {
          type: "reorg",
          ancestor: checkpointOf(chain.block(2n)),
          dropped: checkpointOf(chain.head),
        },
      ]);
      expect(await indexer.getBatch(batch.root)).to.equal(null);
      for (const uid of uids) expect(await indexer.getAttestation(uid)).to.equal(null);
      const raw = await rawDump(indexer);
      expect(raw.some(([k]) => k === `up:${batch.root}`)).to.equal(true);

      // the store equals a clean one that never saw the branch (uploaded files are not in the digest)
      const fork = chain.fork(2n, "fork");
      const { indexer: clean } = await openIndexer(dirs);
      try {
        await feed(clean, fork.blocks);
        expect(await indexer.digest()).to.equal(await clean.digest());

        // the new branch anchors the same root a block later: the stored file is projected with it
        const reanchor = fork.add([
          attest({ subject: subject(3), label: "z" }),
          anchorEvent(batch, "s3://again"),
        ]);
        await feed(indexer, [reanchor]);
        await feed(clean, [reanchor]);
        const leaf = await indexer.getAttestation(uids[0]);
        expect(leaf?.source).to.deep.include({ index: 0, recorded: false });
        expect(leaf?.audit.block).to.equal(reanchor.block.number);
        expect(await clean.getAttestation(uids[0])).to.equal(null);
        await clean.uploadBatchLeaves(batch.root, leaves);
        expect(await dumpStore(indexer.store)).to.deep.equal(await dumpStore(clean.store));
      } finally {
        await clean.close();
      }
    });

    it("a revoked batch: leaves projected after the revocation are revoked too", async () => {
      const { batch, leaves, uids } = recordBatch(2, "late");
      await add([anchorEvent(batch)]);
      await add([
        {
          kind: "BatchRevoked",
          root: batch.root,
          provider: M.tax,
          reasonHash: h("r"),
          signer: KEY.tax,
        },
      ]);
      await indexer.uploadBatchLeaves(batch.root, leaves);
      for (const uid of uids) {
        const leaf = await indexer.getAttestation(uid);
        expect(leaf?.status).to.equal("revoked");
        expect(leaf?.revocation?.batchRoot).to.equal(batch.root);
        expect(leaf?.source).to.deep.include({ batchRevoked: true });
      }
    });
  });
});
