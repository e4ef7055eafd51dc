/**
 * Pipelined writes: while LevelDB writes a batch of blocks, the next blocks are projected over it.
 * The store must end as a block-by-block build, updates come in order once written, and a failed
 * write stops the run before anything projected on top of it is written.
 */
import { expect } from "chai";
import { Level } from "level";

import type { IndexerUpdate } from "../../indexer/index.js";
import { createIndexer } from "../../indexer/index.js";
import type { StreamItem } from "../../ledger/types.js";
import type { Chain } from "./fixtures.js";
import {
  T0,
  consortiumGenesis,
  createChain,
  fakeLedger,
  feed,
  openIndexer,
  tempDirs,
} from "./fixtures.js";
import { createWorkload } from "./workload.js";

function buildChain(seed: string, blocks: number): Chain {
  const chain = createChain(seed);
  const workload = createWorkload(seed, { maxOps: 8 });
  chain.add(consortiumGenesis());
  for (let i = 0; i < blocks; i++) chain.add(workload.next());
  return chain;
}

/** A stream of `chain`'s blocks with a finalize after every `every` blocks. */
function streamOf(chain: Chain, every: number): StreamItem[] {
  const items: StreamItem[] = [];
  chain.blocks.forEach((block, i) => {
    items.push(block);
    if ((i + 1) % every === 0) items.push({ type: "finalize", number: block.block.number });
  });
  return items;
}

type Batch = ReturnType<Level["batch"]>;

/** Makes the `failing`-th write of a chained batch of `db` fail (as a full disk would). */
function failWrite(db: Level, failing: number): void {
  const original = db.batch.bind(db) as () => Batch;
  let written = 0;
  const patched = (): Batch => {
    const batch = original();
    if (++written === failing) {
      batch.write = async () => {
        await batch.close();
        throw new Error("disk full");
      };
    }
    return batch;
  };
  (db as unknown as { batch: () => Batch }).batch = patched;
}

describe("indexer pipelined writes", () => {
  const dirs = tempDirs();
  after(() => dirs.cleanup());

  it("run(): small batches written while the next are projected end as a block-by-block build", async () => {
    const chain = buildChain("pipe", 60);
    const dir = await dirs.make();
    const indexer = await createIndexer({
      db: dir,
      ledger: fakeLedger(streamOf(chain, 7)),
      clock: () => Number(T0) * 1000,
      maxBatchEvents: 12,
      maxBatchBlocks: 4,
    });
    const { indexer: clean } = await openIndexer(dirs);
    const updates: IndexerUpdate[] = [];
    indexer.subscribe((update) => updates.push(update));
    try {
      await indexer.run();
      const status = await indexer.status();
      expect(status.checkpoint.number).to.equal(chain.head.block.number);
      expect(status.stats.batches).to.be.greaterThan(5);
      const checkpoints = updates.flatMap((u) => (u.type === "block" ? [u.checkpoint.number] : []));
      expect(checkpoints).to.deep.equal([...checkpoints].sort((a, b) => (a < b ? -1 : 1)));
      expect(new Set(checkpoints).size).to.equal(checkpoints.length);
      await feed(clean, chain.blocks);
      expect(await indexer.digest()).to.equal(await clean.digest());
    } finally {
      await indexer.close();
      await clean.close();
    }
  });

  it("a failed write ends the run; what was projected on top of it is not written", async () => {
    const chain = buildChain("fail", 60);
    const items = streamOf(chain, 5);
    const dir = await dirs.make();
    const db = new Level<string, string>(dir);
    await db.open();
    failWrite(db, 6);
    const broken = await createIndexer({
      db,
      ledger: fakeLedger(items),
      clock: () => Number(T0) * 1000,
      maxBatchEvents: 10,
      maxBatchBlocks: 3,
    });
    let thrown: unknown;
    try {
      await broken.run();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).to.be.instanceOf(Error);
    expect((thrown as Error).message).to.equal("disk full");
    const stopped = (await broken.status()).checkpoint.number;
    expect(stopped).to.be.lessThan(chain.head.block.number);
    await broken.close();
    await db.close();

    // resumed from what was written: nothing is missing
    const resumed = await createIndexer({
      db: dir,
      ledger: fakeLedger(items),
      clock: () => Number(T0) * 1000,
    });
    const { indexer: clean } = await openIndexer(dirs);
    try {
      expect((await resumed.checkpoint()).number).to.equal(stopped);
      await resumed.run();
      await feed(clean, chain.blocks);
      expect(await resumed.digest()).to.equal(await clean.digest());
    } finally {
      await resumed.close();
      await clean.close();
    }
  });
});
