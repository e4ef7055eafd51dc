/**
 * A node follows the head for months: run() must not keep the stream items it is done with. (It
 * once raced every read against one promise of the whole run, and each race left a reaction on
 * that promise holding its item: every block ever read stayed in memory.)
 */
import { setImmediate as nextMacrotask, setTimeout as sleep } from "node:timers/promises";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

import { expect } from "chai";

import type { Hex } from "../../core/index.js";
import type { IndexerUpdate } from "../../indexer/index.js";
import type { LedgerStream, StreamItem } from "../../ledger/types.js";
import { T0, h, openIndexer, tempDirs } from "./fixtures.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/**
 * A stream of `count` empty blocks made as they are read, a millisecond apart (nothing else holds them; a WeakRef to
 * each is kept), that then waits for the run to be stopped, as a stream at the head waits.
 */
function trackedStream(count: number): { ledger: LedgerStream; refs: WeakRef<StreamItem>[] } {
  const refs: WeakRef<StreamItem>[] = [];
  const ledger: LedgerStream = {
    head: () => Promise.reject(new Error("not asked in this test")),
    stream(options) {
      return (async function* () {
        let parentHash: Hex = `0x${"0".repeat(64)}`;
        for (let number = 1n; number <= BigInt(count); number++) {
          const hash = h(`tracked:${number}`);
          const item: StreamItem = {
            type: "block",
            block: { number, hash, parentHash, timestamp: T0 + number },
            events: [],
          };
          parentHash = hash;
          refs.push(new WeakRef(item));
          // one at a time, as blocks come at the head (ready items would go into one group)
          await sleep(1);
          yield item;
        }
        const { signal } = options;
        if (signal === undefined) throw new Error("the test stops the run with a signal");
        await new Promise<void>((resolve) => {
          signal.addEventListener(
            "abort",
            () => {
              resolve();
            },
            { once: true },
          );
        });
      })();
    },
  };
  return { ledger, refs };
}

describe("indexer run() memory", () => {
  const dirs = tempDirs();
  after(() => dirs.cleanup());

  it("keeps none of the stream items it has written while it waits at the head", async () => {
    const count = 200;
    const { ledger, refs } = trackedStream(count);
    const { indexer } = await openIndexer(dirs, { ledger });
    const stop = new AbortController();
    const reached = new Promise<void>((resolve) => {
      indexer.subscribe((update: IndexerUpdate) => {
        if (update.type === "block" && update.checkpoint.number === BigInt(count)) resolve();
      });
    });
    const running = indexer.run({ signal: stop.signal });
    try {
      await reached;
      expect(refs).to.have.length(count);
      for (let i = 0; i < 3; i++) {
        await nextMacrotask();
        gc();
      }
      const alive = refs.filter((ref) => ref.deref() !== undefined).length;
      // the last group may still be referenced by the loop's locals; nothing older
      expect(alive, `${alive} of ${count} items still in memory`).to.be.lessThan(5);
    } finally {
      stop.abort();
      await running;
      await indexer.close();
    }
  });
});
