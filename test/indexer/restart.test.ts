/**
 * Idempotent re-application, restart from the checkpoint, and the run loop over a LedgerStream.
 */
import { expect } from "chai";

import type { Hex } from "../../core/index.js";
import type { IndexerUpdate } from "../../indexer/index.js";
import { dumpStore } from "../../indexer/index.js";
import type { StreamItem } from "../../ledger/types.js";
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
import { createWorkload } from "./workload.js";

function buildChain(seed: string, blocks: number): Chain {
  const chain = createChain(seed);
  const workload = createWorkload(seed);
  chain.add(consortiumGenesis());
  for (let i = 0; i < blocks; i++) chain.add(workload.next());
  return chain;
}

describe("indexer restart and idempotence", () => {
  const dirs = tempDirs();
  afterEach(() => dirs.cleanup());

  it("re-applying blocks at or below the checkpoint changes nothing", async () => {
    const chain = buildChain("idem", 20);
    const { indexer } = await openIndexer(dirs);
    try {
      await feed(indexer, chain.blocks);
      const before = await rawDump(indexer);
      const applied = (await indexer.status()).stats.blocksApplied;
      await feed(indexer, chain.blocks);
      await feed(indexer, [chain.block(5n), chain.block(21n), chain.block(1n)]);
      expect(await rawDump(indexer)).to.deep.equal(before);
      expect((await indexer.status()).stats.blocksApplied).to.equal(applied);
      const result = await indexer.applyBlock(chain.block(7n).block, chain.block(7n).events);
      expect(result.applied).to.equal(0);
    } finally {
      await indexer.close();
    }
  });

  it("close and reopen: resumes from the checkpoint and equals an uninterrupted run", async () => {
    const chain = buildChain("restart", 30);
    const { indexer: uninterrupted } = await openIndexer(dirs);
    await feed(uninterrupted, chain.blocks);
    const expected = await uninterrupted.digest();
    const expectedDump = await dumpStore(uninterrupted.store);
    await uninterrupted.close();

    const dir = await dirs.make();
    for (const stop of [5, 12, 13, 31]) {
      const { indexer } = await openIndexer(dirs, { dir });
      const from = (await indexer.checkpoint()).number;
      // a resumed stream may repeat blocks it had sent: they are skipped
      await feed(
        indexer,
        chain.blocks.filter((b) => b.block.number > from - 2n && b.block.number <= BigInt(stop)),
      );
      expect((await indexer.checkpoint()).number).to.equal(BigInt(stop));
      await indexer.close();
    }
    const { indexer: resumed } = await openIndexer(dirs, { dir });
    try {
      expect(await resumed.digest()).to.equal(expected);
      expect(await dumpStore(resumed.store)).to.deep.equal(expectedDump);
    } finally {
      await resumed.close();
    }
  });

  it("run(): streams from the stored checkpoint with knownBlock, and stops when aborted", async () => {
    const chain = buildChain("run", 10);
    const items: StreamItem[] = [...chain.blocks, { type: "finalize", number: 8n }];
    const dir = await dirs.make();
    const ledger = fakeLedger(items.slice(0, 5), chain.head.block);
    const first = await openIndexer(dirs, { dir, ledger });
    await first.indexer.run();
    expect(ledger.calls[0].from).to.deep.equal({ number: 0n, hash: `0x${"00".repeat(32)}` });
    expect((await first.indexer.checkpoint()).number).to.equal(5n);
    await first.indexer.close();

    ledger.items = items;
    const second = await openIndexer(dirs, { dir, ledger });
    const updates: IndexerUpdate[] = [];
    let finalized: () => void = () => undefined;
    const sawFinalize = new Promise<void>((resolve) => (finalized = resolve));
    const unsubscribe = second.indexer.subscribe((u) => {
      updates.push(u);
      if (u.type === "finalize") finalized();
    });
    try {
      const waited = second.indexer.waitForBlock(11n);
      second.indexer.start();
      expect((await waited).number).to.equal(11n);
      await sawFinalize;
      await second.indexer.stop();
      expect(ledger.calls[1].from).to.deep.equal(checkpointOf(chain.block(5n)));
      expect(await ledger.calls[1].knownBlock(5n)).to.equal(chain.block(5n).block.hash);
      expect(await ledger.calls[1].knownBlock(3n)).to.equal(chain.block(3n).block.hash);
      expect(await ledger.calls[1].knownBlock(99n)).to.equal(undefined);
      // the delivered blocks went into one batch, after the finalize mark that came with them
      const blockUpdates = updates.flatMap((u) => (u.type === "block" ? [u] : []));
      expect(blockUpdates.map((u) => [u.checkpoint.number, u.blocks])).to.deep.equal([[11n, 6]]);
      expect(updates[0]).to.deep.equal({ type: "finalize", number: 8n });
      const undoBlocks = new Set(
        (await rawDump(second.indexer))
          .filter(([k]) => k.startsWith("un:"))
          .map(([k]) => k.split(":")[1]),
      );
      // blocks 6…8 were final when written: no undo entries (1…5 came before, without a finalize)
      const undone = [...undoBlocks].map(Number).filter((n) => n > 5);
      expect(undone.sort((a, b) => a - b)).to.deep.equal(
        [9, 10, 11].filter((n) => chain.block(BigInt(n)).events.length > 0),
      );
      const blockUpdate = updates.find((u) => u.type === "block" && u.subjects.length > 0);
      expect(blockUpdate).to.not.equal(undefined);
      const { indexer: clean } = await openIndexer(dirs);
      await feed(clean, chain.blocks);
      expect(await second.indexer.digest()).to.equal(await clean.digest());
      await clean.close();
    } finally {
      unsubscribe();
      await second.indexer.close();
    }
  });

  it("start()/stop(): a stream error is reported by stop()", async () => {
    const chain = buildChain("err", 3);
    const ledger = fakeLedger(chain.blocks);
    ledger.stream = () =>
      (async function* () {
        yield chain.block(1n);
        await Promise.resolve();
        throw new Error("node went away");
      })();
    const { indexer } = await openIndexer(dirs, { ledger });
    try {
      indexer.start();
      await indexer.waitForBlock(1n);
      let thrown: unknown;
      try {
        await new Promise((resolve) => setTimeout(resolve, 10));
        await indexer.stop();
      } catch (error) {
        thrown = error;
      }
      expect((thrown as Error).message).to.equal("node went away");
      expect((await indexer.checkpoint()).number).to.equal(1n);
    } finally {
      await indexer.close();
    }
  });

  it("writes run one at a time: concurrent handle() calls apply in call order", async () => {
    const chain = buildChain("conc", 12);
    const { indexer } = await openIndexer(dirs);
    const { indexer: clean } = await openIndexer(dirs);
    try {
      await Promise.all(chain.blocks.map((b) => indexer.handle(b)));
      await feed(clean, chain.blocks);
      expect(await indexer.digest()).to.equal(await clean.digest());
      const subjects = new Set<Hex>();
      for (const b of chain.blocks)
        for (const e of b.events) if ("subject" in e) subjects.add(e.subject);
      expect(subjects.size).to.be.greaterThan(0);
    } finally {
      await indexer.close();
      await clean.close();
    }
  });
});
