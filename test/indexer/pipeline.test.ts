/**
 * Pipelined writes: while LevelDB writes a batch of blocks, the next blocks are projected over it.
 * The store must end as a block-by-block build, updates come in order once written, and a failed
 * write stops the run before anything projected on top of it is written.
 */
import { expect } from "chai";
import { Level } from "level";

import type {
  CreateIndexerOptions,
  Indexer,
  IndexerUpdate,
  KeyRange,
} from "../../indexer/index.js";
import { createIndexer, keys, silentLogger } from "../../indexer/index.js";
import type { StreamItem } from "../../ledger/types.js";
import type { Chain } from "./fixtures.js";
import {
  T0,
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

/** An indexer on `dir` that runs `items` in batches of at most 4 blocks and 12 events. */
function smallBatches(
  dir: string,
  items: StreamItem[],
  options: Partial<CreateIndexerOptions> = {},
): Promise<Indexer> {
  return createIndexer({
    db: dir,
    ledger: fakeLedger(items),
    clock: () => Number(T0) * 1000,
    maxBatchEvents: 12,
    maxBatchBlocks: 4,
    ...options,
  });
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
    const indexer = await smallBatches(dir, streamOf(chain, 7));
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

  it("finalizes that come with batches prune the window, each from where the last stopped", async () => {
    const chain = buildChain("prune", 60);
    const dir = await dirs.make();
    const indexer = await smallBatches(dir, streamOf(chain, 7), { retainBlocks: 3 });
    const cleared: KeyRange[] = [];
    const clear = indexer.store.clear.bind(indexer.store);
    indexer.store.clear = (range) => {
      cleared.push(range);
      return clear(range);
    };
    const head = chain.head.block.number;
    const lastFinal = head - (head % 7n);
    try {
      await indexer.run();
    } finally {
      await indexer.close(); // (waits for the prunes)
    }
    const blockOf = (key: string) => BigInt(key.split(":")[1]);
    for (const family of ["un", "bh"]) {
      const ranges = cleared.filter((r) => r.gte?.startsWith(`${family}:`));
      expect(ranges.length).to.be.greaterThan(3);
      expect(blockOf(ranges[0].gte as string)).to.equal(0n);
      for (let i = 1; i < ranges.length; i++) expect(ranges[i].gte).to.equal(ranges[i - 1].lt);
      expect(blockOf(ranges[ranges.length - 1].lt as string)).to.equal(lastFinal - 3n);
    }
    const db = new Level<string, string>(dir);
    const left = { un: new Set<bigint>(), bh: new Set<bigint>() };
    try {
      for await (const key of db.sublevel("indexer").keys()) {
        const family = key.split(":")[0];
        if (family === "un" || family === "bh") left[family].add(blockOf(key));
      }
    } finally {
      await db.close();
    }
    const from = (first: bigint) =>
      Array.from({ length: Number(head - first + 1n) }, (_, i) => first + BigInt(i));
    expect([...left.bh].sort((a, b) => Number(a - b))).to.deep.equal(from(lastFinal - 3n));
    expect(Math.min(...[...left.un].map(Number))).to.equal(Number(lastFinal - 3n));
  });

  it("a restarted indexer prunes the window from its start, what an earlier run left included", async () => {
    const chain = buildChain("restart", 20);
    const { indexer: first, dir } = await openIndexer(dirs, { retainBlocks: 1_000 });
    try {
      await feed(first, chain.blocks);
      await feed(first, [{ type: "finalize", number: 15n }]); // prunes nothing: 1,000 retained
    } finally {
      await first.close();
    }
    const { indexer } = await openIndexer(dirs, { dir, retainBlocks: 2 });
    try {
      await feed(indexer, [{ type: "finalize", number: 18n }]);
      const hashes = (await rawDump(indexer))
        .filter(([key]) => key.startsWith("bh:"))
        .map(([key]) => Number(key.split(":")[1]));
      expect(hashes).to.deep.equal([16, 17, 18, 19, 20, 21]);
    } finally {
      await indexer.close();
    }
  });

  it("a failed prune is logged and deletes nothing; the next finalize prunes what it left", async () => {
    const chain = buildChain("prunefail", 20);
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (message: string) => void warnings.push(message) };
    const indexer = await smallBatches(await dirs.make(), [], { retainBlocks: 2, logger });
    const clear = indexer.store.clear.bind(indexer.store);
    let failing = true;
    indexer.store.clear = (range) =>
      failing ? Promise.reject(new Error("disk full")) : clear(range);
    const hashes = async () =>
      (await rawDump(indexer))
        .filter(([key]) => key.startsWith("bh:"))
        .map(([key]) => Number(key.split(":")[1]));
    try {
      await feed(indexer, chain.blocks);
      const before = (await rawDump(indexer)).filter(([key]) => key !== keys.finalized());
      await feed(indexer, [{ type: "finalize", number: 10n }]);
      expect(warnings).to.deep.equal([
        "indexer: pruning the reorg window failed; the next finalize redoes it",
      ]);
      const after = await rawDump(indexer);
      expect(after.filter(([key]) => key !== keys.finalized())).to.deep.equal(before);
      expect((await hashes())[0]).to.equal(1);
      failing = false;
      await feed(indexer, [{ type: "finalize", number: 12n }]);
      expect(await hashes()).to.deep.equal([10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21]);
    } finally {
      await indexer.close();
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
