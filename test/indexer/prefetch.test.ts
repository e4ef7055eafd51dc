/**
 * Applying a block reads every key its events will read before projecting them
 * (projection/prefetch.ts): those the events name with one getMany, those that only this read
 * names with a second. A key read on its own instead waits for LevelDB's thread pool — behind the
 * batch being written during a backfill — while the projection stands still.
 */
import { expect } from "chai";

import type { LedgerEvent } from "../../core/index.js";
import { prepareBlocks } from "../../indexer/applyBlock.js";
import type { Indexer } from "../../indexer/index.js";
import type { KvReader } from "../../indexer/kvStore.js";
import { silentLogger } from "../../indexer/logger.js";
import { readState } from "../../indexer/state.js";
import type { Chain } from "./fixtures.js";
import {
  KEY,
  M,
  T0,
  attest,
  consortiumGenesis,
  createChain,
  derive,
  h,
  openIndexer,
  subject,
  tempDirs,
} from "./fixtures.js";
import { createWorkload } from "./workload.js";

describe("indexer prefetch", () => {
  const dirs = tempDirs();
  let indexer: Indexer;
  let chain: Chain;
  const s = subject("acme");
  const a = attest({ subject: s, label: "a" });
  const b = attest({ subject: s, label: "b" });
  const c = attest({ subject: s, label: "c" });
  const d1 = derive({ subject: s, inputs: [a.uid, b.uid], label: "d1" });

  beforeEach(async () => {
    chain = createChain();
    ({ indexer } = await openIndexer(dirs));
    for (const events of [consortiumGenesis(), [a, b, c], [d1]])
      await indexer.handle(chain.add(events));
  });
  afterEach(async () => {
    await indexer.close();
    await dirs.cleanup();
  });

  /** Projects the next block with `events` over the store (writing nothing): the keys read one at a time. */
  async function singleReads(events: LedgerEvent[]): Promise<string[]> {
    const { store } = indexer;
    const gets: string[] = [];
    const reader: KvReader = {
      get: (key) => {
        gets.push(key);
        return store.get(key);
      },
      getMany: (list) => store.getMany(list),
      keys: (range) => store.keys(range),
    };
    const state = await readState(store);
    const prepared = await prepareBlocks(
      { store, logger: silentLogger, state },
      [chain.add(events)],
      reader,
      state.checkpoint,
    );
    expect(prepared?.result.events).to.equal(events.length);
    return gets;
  }

  it("reads what new records and derived records need with the prefetch", async () => {
    // a derived record inherits its inputs' stale marks: the inputs are read (a stale one, too)
    await indexer.handle(
      chain.add([
        { kind: "Revoked", uid: c.uid, owner: M.tax, reasonHash: h("x"), signer: KEY.tax },
      ]),
    );
    const d2 = derive({ subject: s, inputs: [d1.uid, c.uid], label: "d2", observedAt: T0 + 2n });
    const more = attest({ subject: subject("other"), label: "more" });
    expect(await singleReads([more, d2])).to.deep.equal([]);
  });

  it("projects a workload of every kind of event without reading a key on its own", async () => {
    const workload = createWorkload("prefetch", { maxOps: 3 });
    const kinds = new Set<string>();
    const gets: string[] = [];
    for (let i = 0; i < 400; i++) {
      const events = workload.next();
      for (const event of events) kinds.add(event.kind);
      gets.push(...(await singleReads(events)));
      // (then applied, for the next blocks to build on)
      await indexer.handle(chain.head);
    }
    expect(gets).to.deep.equal([]);
    // the events whose reads depend on other events' values are among them
    for (const kind of ["Derived", "Revoked", "Superseded", "RepairDecided", "DisputeAnswered"])
      expect(kinds).to.include(kind);
  });
});
