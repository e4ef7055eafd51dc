/**
 * Stale propagation: a revoked, superseded or repaired input (or a revoked batch) marks every
 * derived record depending on it stale, transitively, in the same block.
 */
import { expect } from "chai";

import type { Indexer } from "../../indexer/index.js";
import type { BlockItem, Chain } from "./fixtures.js";
import {
  KEY,
  M,
  T0,
  anchorEvent,
  attest,
  consortiumGenesis,
  createChain,
  derive,
  h,
  leafRecordedEvent,
  openIndexer,
  recordBatch,
  subject,
  tempDirs,
} from "./fixtures.js";

describe("indexer stale propagation", () => {
  const dirs = tempDirs();
  let indexer: Indexer;
  let chain: Chain;
  const s = subject("acme");
  // a, b, c: attestations; d1 = derive(a, b); d2 = derive(d1, c); d3 = derive(c)
  const a = attest({ subject: s, label: "a", severity: 1 });
  const b = attest({ subject: s, label: "b" });
  const c = attest({ subject: s, label: "c" });
  const d1 = derive({ subject: s, inputs: [a.uid, b.uid], label: "d1" });
  const d2 = derive({ subject: s, inputs: [d1.uid, c.uid], label: "d2", observedAt: T0 + 2n });
  const d3 = derive({ subject: s, inputs: [c.uid], label: "d3" });

  beforeEach(async () => {
    chain = createChain();
    ({ indexer } = await openIndexer(dirs));
    await add(consortiumGenesis());
    await add([a, b, c]);
    await add([d1, d3]);
    await add([d2]);
  });
  afterEach(async () => {
    await indexer.close();
    await dirs.cleanup();
  });

  async function add(events: Parameters<Chain["add"]>[0]): Promise<BlockItem> {
    const item = chain.add(events);
    await indexer.handle(item);
    return item;
  }

  async function staleOf(uid: string): Promise<unknown> {
    return (await indexer.getAttestation(uid))?.stale ?? null;
  }

  it("revoking an input marks both levels of derivation stale, and nothing else", async () => {
    const item = await add([
      { kind: "Revoked", uid: a.uid, owner: M.tax, reasonHash: h("x"), signer: KEY.tax },
    ]);
    const audit = {
      block: item.block.number,
      blockHash: item.block.hash,
      tx: item.events[0].position.txHash,
      logIndex: 0,
      sender: KEY.tax,
    };
    expect(await staleOf(d1.uid)).to.deep.equal({ reason: "revoked", trigger: a.uid, audit });
    expect(await staleOf(d2.uid)).to.deep.equal({ reason: "revoked", trigger: a.uid, audit });
    expect(await staleOf(d3.uid)).to.equal(null);
    expect(await staleOf(b.uid)).to.equal(null);
    const staleScores = await indexer.listAttestationsBySubject(s, { stale: true });
    expect(staleScores.items.map((x) => x.uid)).to.have.members([d1.uid, d2.uid]);
    const lineage = await indexer.lineage(a.uid, { direction: "dependents" });
    expect(
      lineage.nodes.map((n) => [n.uid, n.depth, n.attestation?.stale?.reason ?? null]),
    ).to.deep.equal([
      [a.uid, 0, null],
      [d1.uid, 1, "revoked"],
      [d2.uid, 2, "revoked"],
    ]);
    expect(lineage.edges).to.deep.equal([
      { derived: d1.uid, input: a.uid },
      { derived: d2.uid, input: d1.uid },
    ]);
    const inputs = await indexer.lineage(d2.uid, { direction: "inputs", depth: 1 });
    expect(inputs.nodes.map((n) => n.uid)).to.deep.equal([d2.uid, d1.uid, c.uid]);
    expect(inputs.truncated).to.equal(true);
    const full = await indexer.lineage(d2.uid, { direction: "inputs" });
    expect(full.nodes.map((n) => n.uid)).to.deep.equal([d2.uid, d1.uid, c.uid, a.uid, b.uid]);
    expect(full.nodes.find((n) => n.uid === a.uid)?.attestation?.status).to.equal("revoked");
    expect(full.truncated).to.equal(false);
  });

  it("superseding an input marks its dependents stale (reason superseded)", async () => {
    const replacement = attest({ subject: s, label: "c2" });
    await add([
      replacement,
      { kind: "Superseded", uid: c.uid, newUid: replacement.uid, owner: M.tax, signer: KEY.tax },
    ]);
    expect(await staleOf(d2.uid)).to.deep.include({ reason: "superseded", trigger: c.uid });
    expect(await staleOf(d3.uid)).to.deep.include({ reason: "superseded", trigger: c.uid });
    expect(await staleOf(d1.uid)).to.equal(null);
  });

  it("an approved repair marks dependents stale; a rejected one does not", async () => {
    await add([
      {
        kind: "RepairRequested",
        uid: a.uid,
        requester: M.bank,
        evidenceHash: h("e"),
        requestedAt: T0,
        signer: KEY.bank,
      },
    ]);
    await add([
      {
        kind: "RepairDecided",
        uid: a.uid,
        authority: M.repair,
        approved: false,
        decisionHash: h("no"),
        signer: KEY.repair,
      },
    ]);
    expect(await staleOf(d1.uid)).to.equal(null);
    await add([
      {
        kind: "RepairRequested",
        uid: a.uid,
        requester: M.bank,
        evidenceHash: h("e2"),
        requestedAt: T0,
        signer: KEY.bank,
      },
    ]);
    await add([
      {
        kind: "RepairDecided",
        uid: a.uid,
        authority: M.repair,
        approved: true,
        decisionHash: h("yes"),
        signer: KEY.repair,
      },
    ]);
    expect(await staleOf(d1.uid)).to.deep.include({ reason: "repaired", trigger: a.uid });
    expect(await staleOf(d2.uid)).to.deep.include({ reason: "repaired", trigger: a.uid });
  });

  it("a record keeps its earliest stale mark; records derived from stale ones inherit it", async () => {
    await add([{ kind: "Revoked", uid: b.uid, owner: M.tax, reasonHash: h("x"), signer: KEY.tax }]);
    const fromB = await staleOf(d1.uid);
    expect(fromB).to.deep.include({ reason: "revoked", trigger: b.uid });
    // d2 is stale through d1; d4, derived from it afterwards, is stale from the start, same mark
    const d4 = derive({ subject: s, inputs: [d2.uid], label: "d4" });
    await add([d4]);
    expect(await staleOf(d4.uid)).to.deep.equal(fromB);
    await add([{ kind: "Revoked", uid: a.uid, owner: M.tax, reasonHash: h("y"), signer: KEY.tax }]);
    expect(await staleOf(d1.uid)).to.deep.equal(fromB);
    expect(await staleOf(d4.uid)).to.deep.equal(fromB);
    // the walk goes through stale records: c's dependents d2 (stale) and d3 (not yet)
    await add([{ kind: "Revoked", uid: c.uid, owner: M.tax, reasonHash: h("z"), signer: KEY.tax }]);
    expect(await staleOf(d3.uid)).to.deep.include({ reason: "revoked", trigger: c.uid });
    expect(await staleOf(d4.uid)).to.deep.equal(fromB);
  });

  it("derivation and revocation in the same block: the new edge is seen", async () => {
    const e = attest({ subject: s, label: "e" });
    const d5 = derive({ subject: s, inputs: [e.uid], label: "d5" });
    const d6 = derive({ subject: s, inputs: [d5.uid], label: "d6" });
    await add([
      e,
      d5,
      d6,
      { kind: "Revoked", uid: e.uid, owner: M.tax, reasonHash: h("z"), signer: KEY.tax },
    ]);
    expect(await staleOf(d5.uid)).to.deep.include({ reason: "revoked", trigger: e.uid });
    expect(await staleOf(d6.uid)).to.deep.include({ reason: "revoked", trigger: e.uid });
  });

  it("a revoked batch marks what depends on its recorded and uploaded leaves stale", async () => {
    const { batch, leaves, uids } = recordBatch(3, "sk", () => s);
    await add([anchorEvent(batch), leafRecordedEvent(batch, 1)]);
    await indexer.uploadBatchLeaves(batch.root, leaves);
    const fromRecorded = derive({ subject: s, inputs: [uids[1]], label: "fromRecorded" });
    const fromUploaded = derive({ subject: s, inputs: [uids[2]], label: "fromUploaded" });
    await add([fromRecorded, fromUploaded]);
    await add([
      {
        kind: "BatchRevoked",
        root: batch.root,
        provider: M.tax,
        reasonHash: h("bad"),
        signer: KEY.tax,
      },
    ]);
    expect(await staleOf(fromRecorded.uid)).to.deep.include({
      reason: "batchRevoked",
      trigger: uids[1],
    });
    expect(await staleOf(fromUploaded.uid)).to.deep.include({
      reason: "batchRevoked",
      trigger: uids[2],
    });
    expect(
      (await indexer.listBatchLeaves(batch.root, { status: "revoked" })).items.map((a) => a.uid),
    ).to.deep.equal(uids);
  });

  it("a revoked batch marks what depends on its leaves stale, also when the file comes later", async () => {
    const { batch, leaves, uids } = recordBatch(3, "sb", () => s);
    await add([anchorEvent(batch)]);
    const fromLeaf = derive({ subject: s, inputs: [uids[0]], label: "fromLeaf" });
    const onTop = derive({ subject: s, inputs: [fromLeaf.uid], label: "onTop" });
    await add([fromLeaf, onTop]);
    await add([
      {
        kind: "BatchRevoked",
        root: batch.root,
        provider: M.tax,
        reasonHash: h("bad"),
        signer: KEY.tax,
      },
    ]);
    // the leaf was unknown (no file, no own record): nothing to walk from yet
    expect(await staleOf(fromLeaf.uid)).to.equal(null);
    await indexer.uploadBatchLeaves(batch.root, leaves);
    expect((await indexer.getAttestation(uids[0]))?.status).to.equal("revoked");
    expect(await staleOf(fromLeaf.uid)).to.deep.include({
      reason: "batchRevoked",
      trigger: uids[0],
    });
    expect(await staleOf(onTop.uid)).to.deep.include({ reason: "batchRevoked", trigger: uids[0] });
  });

  it("marks do not depend on when the batch file arrives: earliest event in chain order wins", async () => {
    const { batch, leaves, uids } = recordBatch(4, "so", () => s);
    const x = attest({ subject: s, label: "x" });
    // fromLeaves uses two leaves of the batch and x; onTop is derived from it after the batch is
    // revoked (the chain allows it: fromLeaves is active on chain, stale only in the indexer)
    const fromLeaves = derive({ subject: s, inputs: [uids[3], uids[1], x.uid], label: "fl" });
    const onTop = derive({ subject: s, inputs: [fromLeaves.uid], label: "ot" });
    const revokeBatch = {
      kind: "BatchRevoked" as const,
      root: batch.root,
      provider: M.tax,
      reasonHash: h("bad"),
      signer: KEY.tax,
    };
    const revokeX = {
      kind: "Revoked" as const,
      uid: x.uid,
      owner: M.tax,
      reasonHash: h("x"),
      signer: KEY.tax,
    };
    const blocks = [[anchorEvent(batch), x], [fromLeaves], [revokeBatch], [onTop], [revokeX]];
    const firstLeaf = uids[1] < uids[3] ? uids[1] : uids[3];
    const digests: string[] = [];
    // the file uploaded after each block (the first anchors the batch)
    for (let uploadAfter = 0; uploadAfter < blocks.length; uploadAfter++) {
      const other = createChain();
      const { indexer: ix } = await openIndexer(dirs);
      try {
        await ix.handle(other.add(consortiumGenesis()));
        await ix.handle(other.add([a, b, c]));
        for (let i = 0; i < blocks.length; i++) {
          const item = other.add(blocks[i]);
          await ix.handle(item);
          if (i === uploadAfter) await ix.uploadBatchLeaves(batch.root, leaves);
        }
        const revokedAt = other.blocks[4].block.number;
        for (const uid of [fromLeaves.uid, onTop.uid]) {
          const mark = (await ix.getAttestation(uid))?.stale;
          expect(mark, `${uid} uploaded after ${uploadAfter}`).to.deep.include({
            reason: "batchRevoked",
            trigger: firstLeaf,
          });
          expect(mark?.audit.block).to.equal(revokedAt);
        }
        digests.push(await ix.digest());
      } finally {
        await ix.close();
      }
    }
    expect(new Set(digests).size, "digests of the stores").to.equal(1);
  });
});
