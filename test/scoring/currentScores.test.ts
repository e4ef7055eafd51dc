/**
 * indexer/scoring/currentScores: the cache of current scores never answers older than the store.
 */
import { expect } from "chai";
import { Level } from "level";

import type { Hex } from "../../core/index.js";
import { createLevelStore, type KvStore } from "../../indexer/index.js";
import { encodeValue } from "../../indexer/codec.js";
import { createCurrentScores } from "../../indexer/scoring/currentScores.js";
import { scoringKeys } from "../../indexer/scoring/scoringKeys.js";
import type { StoredScore } from "../../indexer/scoring/scoreTypes.js";
import { tempDirs } from "../indexer/fixtures.js";

const A: Hex = `0x${"a1".repeat(32)}`;
const B: Hex = `0x${"b2".repeat(32)}`;

function score(subject: Hex, value: number): StoredScore {
  return { subject, seq: value, value, asOf: 1n, asOfBlock: 2n } as unknown as StoredScore;
}
const put = (s: StoredScore) => ({
  type: "put" as const,
  key: scoringKeys.current(s.subject),
  value: encodeValue(s),
});

describe("scoring: the current-score cache", () => {
  const dirs = tempDirs();
  let db: Level;
  let kv: KvStore;
  beforeEach(async () => {
    db = new Level(await dirs.make());
    kv = createLevelStore(db, "scoring");
  });
  afterEach(async () => {
    await db.close();
    await dirs.cleanup();
  });

  it("answers from memory until a write through its store touches the score", async () => {
    const current = createCurrentScores(kv);
    expect(await current.get(A)).to.equal(null);
    await current.store.batch([put(score(A, 600)), put(score(B, 700))]);
    const first = await current.get(A);
    expect(first?.value).to.equal(600);
    expect(first?.asOfBlock).to.equal(2n);
    expect(await current.get(A)).to.equal(first); // the same object: from memory
    await current.store.batch([put(score(B, 710))]);
    expect(await current.get(A)).to.equal(first);
    expect((await current.get(B))?.value).to.equal(710);
    await current.store.batch([{ type: "del", key: scoringKeys.current(A) }]);
    expect(await current.get(A)).to.equal(null);
    await current.store.clear({ gte: scoringKeys.currentPrefix, lt: "cur;" });
    await kv.batch([put(score(B, 1))]); // behind the cache's back: only clear() could show it
    expect((await current.get(B))?.value).to.equal(1);
  });

  it("does not keep a read that a write overlapped", async () => {
    const current = createCurrentScores(kv);
    await current.store.batch([put(score(A, 600))]);
    const reading = current.get(A); // reads 600 while the write below lands
    await current.store.batch([put(score(A, 650))]);
    expect((await reading)?.value).to.be.oneOf([600, 650]);
    expect((await current.get(A))?.value).to.equal(650);
  });

  it("keeps at most maxEntries scores, forgetting the least recently read", async () => {
    const current = createCurrentScores(kv, 1);
    await current.store.batch([put(score(A, 600)), put(score(B, 700))]);
    await current.get(A);
    await current.get(B);
    expect(current.size).to.equal(1);
    expect(() => createCurrentScores(kv, 0)).to.throw(RangeError);
  });
});
