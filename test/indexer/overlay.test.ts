/**
 * Range reads through the overlay (indexer/overlay.ts): the parent's keys merged with the overlay's
 * writes and deletes, whether a key was written before or after the first range read of its
 * family, and in a family the projection never reads by range as well.
 */
import { expect } from "chai";

import type { KeyRange, KvReader } from "../../indexer/kvStore.js";
import { createOverlay } from "../../indexer/overlay.js";

/** A reader over a fixed map of keys (what the overlay sees of the store). */
function mapReader(entries: Record<string, string>): KvReader {
  const sorted = Object.keys(entries).sort();
  const inRange = (key: string, r: KeyRange): boolean =>
    (r.gt === undefined || key > r.gt) &&
    (r.gte === undefined || key >= r.gte) &&
    (r.lt === undefined || key < r.lt) &&
    (r.lte === undefined || key <= r.lte);
  return {
    get: (key) => Promise.resolve(entries[key]),
    getMany: (keys) => Promise.resolve(keys.map((key) => entries[key])),
    keys(range) {
      const found = sorted.filter((key) => inRange(key, range));
      if (range.reverse === true) found.reverse();
      const out = range.limit === undefined ? found : found.slice(0, range.limit);
      return {
        [Symbol.asyncIterator]: () => {
          let i = 0;
          return {
            next: () =>
              Promise.resolve(
                i < out.length
                  ? { done: false as const, value: out[i++] }
                  : { done: true as const, value: undefined },
              ),
          };
        },
      };
    },
  };
}

async function collect(iterable: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const key of iterable) out.push(key);
  return out;
}

describe("indexer overlay: range reads", () => {
  const parent = mapReader({
    "ld:a:1": "",
    "ld:a:3": "",
    "ld:b:1": "",
    "at:x": "{}",
  });

  it("merges writes and deletes made before and after the first range read of a family", async () => {
    const overlay = createOverlay(parent);
    overlay.put("ld:a:2", "");
    overlay.del("ld:a:3");
    overlay.put("at:y", "{}");
    expect(await overlay.keysWithPrefix("ld:a:")).to.deep.equal(["ld:a:1", "ld:a:2"]);
    // after the family was read once: later writes and deletes are seen as well
    overlay.put("ld:a:0", "");
    overlay.put("ld:a:3", "");
    overlay.del("ld:a:1");
    overlay.put("ld:b:2", "");
    expect(await overlay.keysWithPrefix("ld:a:")).to.deep.equal(["ld:a:0", "ld:a:2", "ld:a:3"]);
    expect(await overlay.keysWithPrefix("ld:b:")).to.deep.equal(["ld:b:1", "ld:b:2"]);
    // a family first read late, with writes from before and after other families' reads
    overlay.put("at:z", "{}");
    overlay.del("at:x");
    expect(await overlay.keysWithPrefix("at:")).to.deep.equal(["at:y", "at:z"]);
  });

  it("honours reverse, limit and exclusive bounds", async () => {
    const overlay = createOverlay(parent);
    overlay.put("ld:a:2", "");
    expect(
      await collect(overlay.keys({ gt: "ld:a:1", lt: "ld:a:;", reverse: true })),
    ).to.deep.equal(["ld:a:3", "ld:a:2"]);
    expect(await collect(overlay.keys({ gte: "ld:a:", lt: "ld:a:;", limit: 2 }))).to.deep.equal([
      "ld:a:1",
      "ld:a:2",
    ]);
    // with no lower bound every written key is a candidate
    expect(await collect(overlay.keys({ lt: "ld:a:2" }))).to.deep.equal(["at:x", "ld:a:1"]);
  });
});
