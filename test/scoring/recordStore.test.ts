/**
 * The record-contents store: AES-256-GCM at rest, one value per subject bound to its key, guarded
 * by the record key; a store of layout version 1 (one value per record) migrated on open.
 */
import { createCipheriv, randomBytes } from "node:crypto";

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
    const raw = await createLevelStore(db, "records").get(`rs:${record.subject}`);
    expect(raw).to.be.a("string");
    expect(raw).to.not.include("grade");
    expect(raw).to.not.include(record.subject.slice(2));
    expect(raw).to.not.include(uid.slice(2));
  });

  it("keeps a subject's records together, adding to them", async () => {
    const store = await createRecordStore({ db, key: KEY });
    const [s1, s2] = [h("subject:1"), h("subject:2")] as Hex[];
    const r = (subject: Hex, n: number) => ({ subject, n });
    await store.putMany([
      { uid: h("uid:1"), record: r(s1, 1) },
      { uid: h("uid:2"), record: r(s2, 2) },
    ]);
    // concurrent uploads of one subject both land
    await Promise.all([
      store.putMany([{ uid: h("uid:3"), record: r(s1, 3) }]),
      store.putMany([{ uid: h("uid:4"), record: r(s1, 4) }]),
    ]);
    const [one, two, none] = await store.getBySubjects([s1, s2, h("subject:3")]);
    expect([...one.entries()]).to.have.deep.members([
      [h("uid:1"), r(s1, 1)],
      [h("uid:3"), r(s1, 3)],
      [h("uid:4"), r(s1, 4)],
    ]);
    expect([...two.entries()]).to.deep.equal([[h("uid:2"), r(s2, 2)]]);
    expect(none.size).to.equal(0);
    expect(await store.getMany([h("uid:4"), h("uid:2"), h("uid:5")])).to.deep.equal([
      r(s1, 4),
      r(s2, 2),
      undefined,
    ]);
    expect(await store.count()).to.equal(4);
    expect(await codeOf(store.putMany([{ uid: h("uid:6"), record: { n: 6 } }]))).to.equal(
      "RECORD_SUBJECT_MISSING",
    );
  });

  it("refuses contents moved to another subject or record", async () => {
    const store = await createRecordStore({ db, key: KEY });
    const kv = createLevelStore(db, "records");
    const [a, b] = [h("uid:a"), h("uid:b")] as Hex[];
    const [s, t] = [h("s"), h("t")] as Hex[];
    await store.putMany([
      { uid: a, record: { subject: s } },
      { uid: b, record: { subject: t } },
    ]);
    // another subject's value under this subject's key does not decrypt
    await kv.batch([{ type: "put", key: `rs:${t}`, value: (await kv.get(`rs:${s}`)) as string }]);
    expect(await codeOf(store.get(b))).to.equal("RECORD_CORRUPT");
    expect(await codeOf(store.getBySubjects([t]))).to.equal("RECORD_CORRUPT");
    // a record pointed at a subject whose value does not hold it
    await kv.batch([{ type: "put", key: `ru:${b}`, value: s }]);
    expect(await codeOf(store.get(b))).to.equal("RECORD_CORRUPT");
    expect(await store.get(a)).to.deep.equal({ subject: s });
  });

  it("migrates a store of layout version 1 (one value per record), and refuses a later layout", async () => {
    await createRecordStore({ db, key: KEY }); // the key check
    const kv = createLevelStore(db, "records");
    const v1 = (uid: Hex, record: object): string => {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", Buffer.from(KEY, "hex"), iv);
      cipher.setAAD(Buffer.from(`rc:${uid}`, "utf8"));
      const body = Buffer.concat([cipher.update(JSON.stringify(record), "utf8"), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64");
    };
    const subjects = [h("s:1"), h("s:2")] as Hex[];
    const old = Array.from({ length: 5 }, (_, i) => ({
      uid: h(`uid:${i}`),
      record: { subject: subjects[i % 2], i },
    }));
    await kv.batch([
      { type: "del", key: "m:version" },
      ...old.map(({ uid, record }) => ({
        type: "put" as const,
        key: `rc:${uid}`,
        value: v1(uid, record),
      })),
    ]);
    // the wrong key is still refused before anything is touched
    expect(await codeOf(createRecordStore({ db, key: "cd".repeat(32) }))).to.equal(
      "RECORD_KEY_MISMATCH",
    );
    expect(await kv.get(`rc:${old[0].uid}`)).to.be.a("string");

    const store = await createRecordStore({ db, key: KEY });
    expect(await store.getMany(old.map((o) => o.uid))).to.deep.equal(old.map((o) => o.record));
    const [first] = await store.getBySubjects([subjects[0]]);
    expect([...first.keys()].sort()).to.deep.equal([old[0].uid, old[2].uid, old[4].uid].sort());
    expect(await store.count()).to.equal(5);
    const left: string[] = [];
    for await (const key of kv.keys({ gte: "rc:", lt: "rc;" })) left.push(key);
    expect(left).to.deep.equal([]);
    expect(await kv.get("m:version")).to.equal("2");
    // reopening a migrated store changes nothing: the same contents, the same layout
    const reopened = await createRecordStore({ db, key: KEY });
    expect(await reopened.getMany(old.map((o) => o.uid))).to.deep.equal(old.map((o) => o.record));
    expect(await reopened.count()).to.equal(5);
    expect(await kv.get("m:version")).to.equal("2");

    await kv.batch([{ type: "put", key: "m:version", value: "3" }]);
    expect(await codeOf(createRecordStore({ db, key: KEY }))).to.equal("RECORD_STORE_VERSION");
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
