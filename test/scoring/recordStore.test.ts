/** The record-contents store: AES-256-GCM at rest, bound to its uid, guarded by the record key. */
import { expect } from "chai";
import { Level } from "level";

import type { Hex } from "../../core/index.js";
import { createLevelStore, createRecordStore, parseRecordKey } from "../../indexer/index.js";
import { h, tempDirs } from "../indexer/fixtures.js";

const KEY = "ab".repeat(32);

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

describe("record store", () => {
  const dirs = tempDirs();
  let db: Level;

  beforeEach(async () => {
    db = new Level(await dirs.make());
    await db.open();
  });
  afterEach(async () => {
    await db.close();
  });
  after(() => dirs.cleanup());

  it("keeps contents encrypted and reads them back", async () => {
    const store = await createRecordStore({ db, key: `0x${KEY}` });
    const uid = h("uid:1");
    const record = { subject: h("subject"), grade: "A", year: 2025 };
    await store.putMany([{ uid, record }]);
    expect(await store.get(uid)).to.deep.equal(record);
    expect(await store.getMany([uid, h("uid:2")])).to.deep.equal([record, undefined]);
    expect(await store.has(uid)).to.equal(true);
    expect(await store.count()).to.equal(1);
    const raw = await createLevelStore(db, "records").get(`rc:${uid}`);
    expect(raw).to.not.include("grade");
    expect(raw).to.not.include(record.subject.slice(2));
  });

  it("refuses contents moved to another uid", async () => {
    const store = await createRecordStore({ db, key: KEY });
    const kv = createLevelStore(db, "records");
    const [a, b] = [h("uid:a"), h("uid:b")] as Hex[];
    await store.putMany([{ uid: a, record: { subject: h("s") } }]);
    await kv.batch([{ type: "put", key: `rc:${b}`, value: (await kv.get(`rc:${a}`)) as string }]);
    expect(await codeOf(store.get(b))).to.equal("RECORD_CORRUPT");
  });

  it("refuses to open with another key, or without one over stored contents", async () => {
    const store = await createRecordStore({ db, key: KEY });
    await store.putMany([{ uid: h("uid"), record: { subject: h("s") } }]);
    expect(await codeOf(createRecordStore({ db, key: "cd".repeat(32) }))).to.equal(
      "RECORD_KEY_MISMATCH",
    );
    expect(await codeOf(createRecordStore({ db }))).to.equal("RECORD_KEY_MISSING");
    expect(await codeOf(createRecordStore({ db, key: "12" }))).to.equal("RECORD_KEY_INVALID");
    expect(() => parseRecordKey("zz".repeat(32))).to.throw(/32 bytes/);
  });

  it("without a key, stores nothing", async () => {
    const store = await createRecordStore({ db });
    expect(store.enabled).to.equal(false);
    expect(await codeOf(store.putMany([{ uid: h("uid"), record: {} }]))).to.equal(
      "RECORD_KEY_MISSING",
    );
    expect(await store.get(h("uid"))).to.equal(undefined);
  });
});
