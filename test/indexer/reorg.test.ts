/**
 * Reorgs: apply a chain, roll back to an ancestor, apply another branch — the store must equal a
 * fresh store fed only the canonical branch (digest and every key), with nothing of the dropped
 * branch left anywhere (undo log and block window included).
 */
import { expect } from "chai";

import type { Hex } from "../../core/index.js";
import { CredtrailError } from "../../core/index.js";
import type { Indexer } from "../../indexer/index.js";
import type { StreamItem } from "../../ledger/types.js";
import { IndexerErrorCode, dumpStore } from "../../indexer/index.js";
import type { Chain } from "./fixtures.js";
import {
  checkpointOf,
  consortiumGenesis,
  createChain,
  fakeLedger,
  feed,
  openIndexer,
  rawDump,
  tempDirs,
} from "./fixtures.js";
import type { Workload } from "./workload.js";
import { createWorkload } from "./workload.js";

/** Block 1: the consortium; blocks 2…n+1: the workload of `seed`. */
function buildChain(seed: string, blocks: number): { chain: Chain; workload: Workload } {
  const chain = createChain(seed);
  const workload = createWorkload(seed);
  chain.add(consortiumGenesis());
  for (let i = 0; i < blocks; i++) chain.add(workload.next());
  return { chain, workload };
}

/** The chain of `seed` up to block `at`, then `extra` blocks of another branch. */
function forkChain(seed: string, at: bigint, branch: string, extra: number): Chain {
  const { chain, workload } = buildChain(seed, Number(at) - 1);
  const fork = chain.fork(at, branch);
  workload.reseed(branch);
  for (let i = 0; i < extra; i++) fork.add(workload.next());
  return fork;
}

async function expectSameStore(actual: Indexer, expected: Indexer): Promise<void> {
  const [a, e] = [await dumpStore(actual.store), await dumpStore(expected.store)];
  expect(a.map(([k]) => k)).to.deep.equal(e.map(([k]) => k));
  expect(a).to.deep.equal(e);
  expect(await actual.digest()).to.equal(await expected.digest());
}

async function expectNoTrace(indexer: Indexer, dropped: readonly Hex[]): Promise<void> {
  const raw = await rawDump(indexer);
  for (const hash of dropped) {
    const hit = raw.find(([k, v]) => k.includes(hash) || v.includes(hash));
    expect(hit, `dropped block ${hash} still referenced`).to.equal(undefined);
  }
}

describe("indexer reorgs", () => {
  const dirs = tempDirs();
  afterEach(() => dirs.cleanup());

  const N = 14;

  for (let depth = 1; depth <= 10; depth++) {
    it(`depth ${depth}: rollback + new branch equals a clean build of the canonical chain`, async () => {
      const { chain: original } = buildChain("main", N);
      const ancestor = original.head.block.number - BigInt(depth);
      const canonical = forkChain("main", ancestor, `branch-${depth}`, depth + 2);
      const droppedBlocks = original.blocks.filter((b) => b.block.number > ancestor);
      // the dropped branch really made records the new one does not have
      const droppedUids = droppedBlocks.flatMap((b) =>
        b.events.flatMap((e) => (e.kind === "Attested" || e.kind === "Derived" ? [e.uid] : [])),
      );
      expect(droppedUids).to.not.be.empty;

      const { indexer } = await openIndexer(dirs);
      const { indexer: clean } = await openIndexer(dirs);
      try {
        await feed(indexer, original.blocks);
        await feed(indexer, [
          {
            type: "reorg",
            ancestor: checkpointOf(original.block(ancestor)),
            dropped: checkpointOf(original.head),
          },
        ]);
        expect((await indexer.checkpoint()).number).to.equal(ancestor);
        expect(await indexer.knownBlock(ancestor + 1n)).to.equal(undefined);
        expect(await indexer.knownBlock(ancestor)).to.equal(original.block(ancestor).block.hash);
        await feed(
          indexer,
          canonical.blocks.filter((b) => b.block.number > ancestor),
        );

        await feed(clean, canonical.blocks);
        await expectSameStore(indexer, clean);
        await expectNoTrace(
          indexer,
          droppedBlocks.map((b) => b.block.hash),
        );
        for (const uid of droppedUids)
          expect(await indexer.getAttestation(uid), uid).to.equal(null);
        expect((await indexer.status()).stats.blocksRolledBack).to.equal(depth);
      } finally {
        await indexer.close();
        await clean.close();
      }
    });
  }

  it("blocks written in one batch per range roll back block by block", async () => {
    const { chain: original } = buildChain("ranges", N);
    const canonical = forkChain("ranges", 9n, "ranges-b", 8);
    const { indexer } = await openIndexer(dirs, { ledger: fakeLedger([]) });
    const { indexer: clean } = await openIndexer(dirs);
    try {
      await indexer.handleMany(original.blocks);
      expect((await indexer.status()).stats.batches).to.equal(1);
      // per-block undo entries and block hashes, although one batch wrote them all
      for (const b of original.blocks)
        expect(await indexer.knownBlock(b.block.number)).to.equal(b.block.hash);
      // two rollbacks in steps, then the new branch, again in one batch
      await indexer.rollbackTo(checkpointOf(original.block(12n)));
      await indexer.rollbackTo(checkpointOf(original.block(9n)));
      await indexer.handleMany(canonical.blocks.filter((b) => b.block.number > 9n));
      await feed(clean, canonical.blocks);
      await expectSameStore(indexer, clean);
    } finally {
      await indexer.close();
      await clean.close();
    }
  });

  it("run(): a stream with a reorg in the middle ends like a clean build", async () => {
    const { chain: original } = buildChain("stream", N);
    const canonical = forkChain("stream", 8n, "stream-b", 9);
    const items: StreamItem[] = [
      ...original.blocks,
      { type: "finalize", number: 5n },
      {
        type: "reorg",
        ancestor: checkpointOf(original.block(8n)),
        dropped: checkpointOf(original.head),
      },
      ...canonical.blocks.filter((b) => b.block.number > 8n),
      { type: "finalize", number: 12n },
    ];
    const ledger = fakeLedger(items);
    ledger.stream = () =>
      (async function* () {
        for (const item of items) yield item;
        await Promise.resolve();
      })();
    const { indexer } = await openIndexer(dirs, { ledger });
    const { indexer: clean } = await openIndexer(dirs);
    try {
      await indexer.run();
      const status = await indexer.status();
      expect(status.stats.reorgs).to.equal(1);
      expect(status.stats.batches).to.be.lessThan(status.stats.blocksApplied);
      expect(status.finalized).to.equal(12n);
      await feed(clean, canonical.blocks);
      await expectSameStore(indexer, clean);
      await expectNoTrace(
        indexer,
        original.blocks.filter((b) => b.block.number > 8n).map((b) => b.block.hash),
      );
    } finally {
      await indexer.close();
      await clean.close();
    }
  });

  it("rollback alone (no new branch yet) equals a store that stopped at the ancestor", async () => {
    const { chain } = buildChain("solo", N);
    const ancestor = 6n;
    const { indexer } = await openIndexer(dirs);
    const { indexer: clean } = await openIndexer(dirs);
    try {
      await feed(indexer, chain.blocks);
      await indexer.rollbackTo(checkpointOf(chain.block(ancestor)));
      await feed(
        clean,
        chain.blocks.filter((b) => b.block.number <= ancestor),
      );
      await expectSameStore(indexer, clean);
      // the same blocks again: back where it was
      await feed(
        indexer,
        chain.blocks.filter((b) => b.block.number > ancestor),
      );
      const { indexer: full } = await openIndexer(dirs);
      try {
        await feed(full, chain.blocks);
        await expectSameStore(indexer, full);
      } finally {
        await full.close();
      }
    } finally {
      await indexer.close();
      await clean.close();
    }
  });

  it("a reorg of a reorg (two branches dropped in turn)", async () => {
    const { chain: first } = buildChain("r", 10);
    const second = forkChain("r", 7n, "r2", 5);
    const third = second.fork(9n, "r3");
    // continue r2's state after block 9 with a third seed
    const { indexer } = await openIndexer(dirs);
    const { indexer: clean } = await openIndexer(dirs);
    try {
      const w = createWorkload("r");
      // rebuild r2's workload state up to block 9 for the third branch
      for (let i = 0; i < 6; i++) w.next();
      w.reseed("r2");
      for (let i = 0; i < 2; i++) w.next();
      w.reseed("r3");
      for (let i = 0; i < 4; i++) third.add(w.next());

      await feed(indexer, first.blocks);
      await feed(indexer, [
        {
          type: "reorg",
          ancestor: checkpointOf(first.block(7n)),
          dropped: checkpointOf(first.head),
        },
      ]);
      await feed(
        indexer,
        second.blocks.filter((b) => b.block.number > 7n),
      );
      await feed(indexer, [
        {
          type: "reorg",
          ancestor: checkpointOf(second.block(9n)),
          dropped: checkpointOf(second.head),
        },
      ]);
      await feed(
        indexer,
        third.blocks.filter((b) => b.block.number > 9n),
      );
      await feed(clean, third.blocks);
      await expectSameStore(indexer, clean);
      await expectNoTrace(indexer, [
        ...first.blocks.filter((b) => b.block.number > 7n).map((b) => b.block.hash),
        ...second.blocks.filter((b) => b.block.number > 9n).map((b) => b.block.hash),
      ]);
    } finally {
      await indexer.close();
      await clean.close();
    }
  });

  it("finalize prunes the window; a reorg below the finalized block is refused", async () => {
    const { chain } = buildChain("fin", 12);
    const { indexer } = await openIndexer(dirs, { retainBlocks: 2 });
    const { indexer: clean } = await openIndexer(dirs);
    try {
      await feed(indexer, chain.blocks);
      await feed(indexer, [{ type: "finalize", number: 8n }]);
      await feed(clean, chain.blocks);
      await expectSameStore(indexer, clean); // pruning does not change the digest
      const raw = await rawDump(indexer);
      const undoBlocks = new Set(
        raw.filter(([k]) => k.startsWith("un:")).map(([k]) => BigInt(k.split(":")[1])),
      );
      expect(Math.min(...[...undoBlocks].map(Number))).to.be.at.least(6);
      expect(await indexer.knownBlock(5n)).to.equal(undefined);
      expect(await indexer.knownBlock(6n)).to.equal(chain.block(6n).block.hash);
      let thrown: unknown;
      try {
        await indexer.rollbackTo(checkpointOf(chain.block(7n)));
      } catch (error) {
        thrown = error;
      }
      expect(thrown).to.be.instanceOf(CredtrailError);
      expect((thrown as CredtrailError).code).to.equal(IndexerErrorCode.REORG_TOO_DEEP);
      // a reorg at or above the finalized block still works
      await indexer.rollbackTo(checkpointOf(chain.block(10n)));
      expect((await indexer.checkpoint()).number).to.equal(10n);
    } finally {
      await indexer.close();
      await clean.close();
    }
  });

  it("blocks after the finalized mark are applied without undo entries; the digest is unaffected", async () => {
    const { chain } = buildChain("fast", 8);
    const { indexer } = await openIndexer(dirs);
    const { indexer: clean } = await openIndexer(dirs);
    try {
      await feed(indexer, [{ type: "finalize", number: 100n }]);
      await feed(indexer, chain.blocks);
      expect((await rawDump(indexer)).filter(([k]) => k.startsWith("un:"))).to.deep.equal([]);
      await feed(clean, chain.blocks);
      await expectSameStore(indexer, clean);
    } finally {
      await indexer.close();
      await clean.close();
    }
  });

  it("a block that does not build on the checkpoint is refused until a reorg comes", async () => {
    const { chain } = buildChain("x", 4);
    const other = forkChain("x", 3n, "y", 3);
    const { indexer } = await openIndexer(dirs);
    try {
      await feed(indexer, chain.blocks);
      const before = await rawDump(indexer);
      for (const item of [other.block(4n), other.block(5n)]) {
        let thrown: unknown;
        try {
          await indexer.handle(item);
        } catch (error) {
          thrown = error;
        }
        // block 4: same number as an applied block, another hash; block 5: parent is not the checkpoint
        expect((thrown as CredtrailError).code).to.equal(IndexerErrorCode.STREAM_INCONSISTENT);
      }
      expect(await rawDump(indexer)).to.deep.equal(before);
      let thrown: unknown;
      try {
        await indexer.rollbackTo({ number: 3n, hash: other.block(4n).block.hash });
      } catch (error) {
        thrown = error;
      }
      expect((thrown as CredtrailError).code).to.equal(IndexerErrorCode.STREAM_INCONSISTENT);
    } finally {
      await indexer.close();
    }
  });
});
