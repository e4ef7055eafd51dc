/**
 * The query audit log: durable records, newest-first listing with cursors and filters, Merkle
 * anchoring (proofs a regulator verifies), failure and concurrency handling, periodic runs and
 * persistence — over a real LevelDB, with a fake `anchor`.
 */
import { setTimeout as sleep } from "node:timers/promises";

import { expect } from "chai";
import { Level } from "level";

import type { Hex } from "../../core/index.js";
import { CredtrailError, ZERO_BYTES32 } from "../../core/index.js";
import type {
  AnchorAuditRoot,
  AuditDb,
  AuditLogger,
  AuditStore,
  QueryAuditLogStore,
} from "../../gateway/audit/index.js";
import {
  AUDIT_ID_PATTERN,
  AUDIT_LEAF_TYPES,
  auditLeaf,
  createQueryAuditLog,
  verifyAuditEntry,
} from "../../gateway/audit/index.js";
import type { QueryAuditEntry } from "../../gateway/types.js";
import { KEY, M, T0, h, subject, tempDirs } from "../indexer/fixtures.js";

const T0_MS = Number(T0) * 1000;

interface AnchorCall {
  root: Hex;
  count: number;
  fromTime: bigint;
  toTime: bigint;
}

/** A fake ledger anchor that records its calls; `fail` makes the next calls throw. */
function fakeAnchor(): AnchorAuditRoot & { calls: AnchorCall[]; fail: boolean } {
  const fn = Object.assign(
    (root: Hex, count: number, fromTime: bigint, toTime: bigint) => {
      if (fn.fail) return Promise.reject(new Error("ledger unavailable"));
      fn.calls.push({ root, count, fromTime, toTime });
      return Promise.resolve({ txHash: h(`tx:${root}`) });
    },
    { calls: [] as AnchorCall[], fail: false },
  );
  return fn;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const entry = (
  n: number,
  over: Partial<Omit<QueryAuditEntry, "id">> = {},
): Omit<QueryAuditEntry, "id"> => ({
  member: M.bank,
  key: KEY.bank,
  subject: subject(n % 3),
  purpose: "credit-assessment",
  operation: "subject.score",
  at: BigInt(T0_MS + n * 1000),
  ...over,
});

/** The log's store over `db`, with its batches going through `batch` (to count or fail them). */
function interceptBatches(
  db: AuditDb,
  batch: (ops: Parameters<AuditStore["batch"]>[0], store: AuditStore) => Promise<void>,
): AuditDb {
  return {
    sublevel(name, options) {
      const store = db.sublevel(name, options);
      return {
        get: (key) => store.get(key),
        getMany: (keys) => store.getMany(keys),
        keys: (range) => store.keys(range),
        iterator: (range) => store.iterator(range),
        batch: (ops) => batch(ops, store),
      };
    },
  };
}

/** A logger that keeps what is logged as an error. */
function errorCollector(): AuditLogger & { errors: { message: string; fields: unknown }[] } {
  const errors: { message: string; fields: unknown }[] = [];
  return {
    errors,
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: (message, fields) => errors.push({ message, fields }),
  };
}

describe("gateway audit log", () => {
  const dirs = tempDirs();
  let db: Level;
  let dir: string;
  let nowMs: number;
  const logs: (QueryAuditLogStore & { anchorFn: ReturnType<typeof fakeAnchor> })[] = [];

  const open = (
    options: {
      anchor?: AnchorAuditRoot;
      intervalMs?: number;
      logger?: AuditLogger;
      maxEntriesPerAnchor?: number;
    } = {},
  ): QueryAuditLogStore & { anchorFn: ReturnType<typeof fakeAnchor> } => {
    const anchorFn = fakeAnchor();
    const log = Object.assign(
      createQueryAuditLog({
        db,
        clock: () => nowMs,
        anchor: options.anchor ?? anchorFn,
        intervalMs: options.intervalMs,
        logger: options.logger,
        maxEntriesPerAnchor: options.maxEntriesPerAnchor,
      }),
      { anchorFn },
    );
    logs.push(log);
    return log;
  };

  beforeEach(async () => {
    nowMs = T0_MS;
    dir = await dirs.make();
    db = new Level(dir);
    await db.open();
  });
  afterEach(async () => {
    await Promise.all(logs.splice(0).map((l) => l.stop()));
    await db.close();
    await dirs.cleanup();
  });

  it("records entries with fixed-width increasing ids, only under its own sublevel", async () => {
    const log = open();
    const a = await log.record(entry(1));
    const b = await log.record(entry(2)); // same millisecond
    nowMs += 5;
    const c = await log.record(entry(3, { key: KEY.bank.toLowerCase() }));
    nowMs -= 1000; // the clock steps back: ids still increase
    const d = await log.record(entry(4));
    for (const e of [a, b, c, d]) expect(e.id).to.match(AUDIT_ID_PATTERN);
    expect(a.id).to.equal(`${T0_MS}-00000000`);
    expect(b.id).to.equal(`${T0_MS}-00000001`);
    expect(c.id).to.equal(`${T0_MS + 5}-00000000`);
    expect(d.id).to.equal(`${T0_MS + 5}-00000001`);
    expect(c.key).to.equal(KEY.bank); // normalised
    expect(c).to.include({ member: M.bank, subject: subject(0), operation: "subject.score" });
    for await (const key of db.keys()) expect(key.startsWith("!audit!")).to.equal(true);
  });

  it("writes records that arrive together in one batch; a failed batch fails each of them", async () => {
    // the store as the log sees it, counting (and failing) batches
    let batches = 0;
    let fail = false;
    const counting = interceptBatches(db, (ops, store) => {
      batches++;
      return fail ? Promise.reject(new Error("disk full")) : store.batch(ops);
    });
    const log = createQueryAuditLog({ db: counting, clock: () => nowMs, anchor: fakeAnchor() });
    logs.push(Object.assign(log, { anchorFn: fakeAnchor() }));
    await log.record(entry(0));
    expect(batches).to.equal(1);
    // the first goes alone; the others arrive while it is written and go together
    const recorded = await Promise.all(Array.from({ length: 20 }, (_, i) => log.record(entry(i))));
    expect(batches).to.equal(3);
    const ids = recorded.map((e) => e.id);
    expect([...ids].sort()).to.deep.equal(ids);
    // each is readable once its record() resolved
    expect((await log.list({ first: 100 })).items).to.have.length(21);

    fail = true;
    const outcomes = await Promise.allSettled([log.record(entry(30)), log.record(entry(31))]);
    expect(outcomes.map((o) => o.status)).to.deep.equal(["rejected", "rejected"]);
    fail = false;
    expect((await log.list({ first: 100 })).items).to.have.length(21);
    await log.record(entry(32));
    expect((await log.list({ first: 100 })).items).to.have.length(22);
  });

  it("works over a sublevel of the node's database too", async () => {
    const log = createQueryAuditLog({
      db: db.sublevel("node"),
      clock: () => nowMs,
      anchor: fakeAnchor(),
    });
    const recorded = await log.record(entry(1));
    expect((await log.list({})).items.map((e) => e.id)).to.deep.equal([recorded.id]);
    for await (const key of db.keys()) expect(key.startsWith("!node!!audit!")).to.equal(true);
  });

  it("rejects malformed entries and list arguments", async () => {
    const log = open();
    const bad: Partial<Omit<QueryAuditEntry, "id">>[] = [
      { member: "0x1234" },
      { subject: "acme" as Hex },
      { key: "0xnot" },
      { purpose: "" },
      { operation: "" },
      { at: -1n },
    ];
    for (const over of bad) {
      let error: unknown;
      try {
        await log.record(entry(1, over));
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(Object.keys(over))).to.be.instanceOf(CredtrailError);
    }
    for (const filter of [
      { first: 0 },
      { first: 101 },
      { after: "nope" },
      { subject: "x" as Hex },
    ]) {
      let error: unknown;
      try {
        await log.list(filter);
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(CredtrailError);
    }
    expect((await log.list({})).items).to.deep.equal([]);
  });

  it("lists newest first with cursor pagination and subject / member filters", async () => {
    const log = open();
    const recorded: QueryAuditEntry[] = [];
    for (let i = 0; i < 25; i++) {
      nowMs = T0_MS + i;
      const member = i % 2 === 0 ? M.bank : M.operator;
      recorded.push(await log.record(entry(i, { member })));
    }
    const newest = [...recorded].reverse();

    const page1 = await log.list({ first: 10 });
    expect(page1.items.map((e) => e.id)).to.deep.equal(newest.slice(0, 10).map((e) => e.id));
    expect(page1.items[0]).to.deep.equal({ ...newest[0], anchor: null });
    expect(page1.nextCursor).to.equal(newest[9].id);
    const page2 = await log.list({ first: 10, after: page1.nextCursor ?? "" });
    expect(page2.items.map((e) => e.id)).to.deep.equal(newest.slice(10, 20).map((e) => e.id));
    const page3 = await log.list({ first: 10, after: page2.nextCursor ?? "" });
    expect(page3.items.map((e) => e.id)).to.deep.equal(newest.slice(20).map((e) => e.id));
    expect(page3.nextCursor).to.equal(null);
    expect((await log.list({ first: 5, after: newest[19].id })).nextCursor).to.equal(null);
    expect((await log.list({})).items).to.have.length(20); // default page size

    const bySubject = newest.filter((e) => e.subject === subject(1));
    const s1 = await log.list({ subject: subject(1), first: 4 });
    expect(s1.items.map((e) => e.id)).to.deep.equal(bySubject.slice(0, 4).map((e) => e.id));
    const s2 = await log.list({ subject: subject(1), first: 100, after: s1.nextCursor ?? "" });
    expect(s2.items.map((e) => e.id)).to.deep.equal(bySubject.slice(4).map((e) => e.id));
    expect(s2.nextCursor).to.equal(null);

    const byMember = newest.filter((e) => e.member === M.operator);
    const m = await log.list({ member: M.operator.toUpperCase().replace("0X", "0x") as Hex });
    expect(m.items.map((e) => e.id)).to.deep.equal(byMember.map((e) => e.id));

    const both = newest.filter((e) => e.member === M.bank && e.subject === subject(2));
    const b1 = await log.list({ member: M.bank, subject: subject(2), first: 2 });
    expect(b1.items.map((e) => e.id)).to.deep.equal(both.slice(0, 2).map((e) => e.id));
    const b2 = await log.list({
      member: M.bank,
      subject: subject(2),
      first: 100,
      after: b1.nextCursor ?? "",
    });
    expect(b2.items.map((e) => e.id)).to.deep.equal(both.slice(2).map((e) => e.id));
    expect((await log.list({ subject: h("nobody") })).items).to.deep.equal([]);
  });

  it("anchors pending entries as one Merkle root whose every proof verifies", async () => {
    const log = open();
    expect(await log.anchorNow()).to.equal(null);
    expect(log.anchorFn.calls).to.have.length(0);
    for (let i = 0; i < 7; i++) {
      nowMs = T0_MS + i;
      await log.record(entry(i, { at: BigInt(T0_MS + i * 61_000) }));
    }
    expect(await log.pendingCount()).to.equal(7);
    const result = await log.anchorNow();
    expect(result).to.not.equal(null);
    const { root, count, txHash } = result ?? {
      root: ZERO_BYTES32,
      count: 0,
      txHash: ZERO_BYTES32,
    };
    expect(count).to.equal(7);
    expect(txHash).to.equal(h(`tx:${root}`));
    expect(log.anchorFn.calls).to.deep.equal([
      { root, count: 7, fromTime: T0, toTime: T0 + (6n * 61_000n) / 1000n },
    ]);
    expect(await log.pendingCount()).to.equal(0);

    const { items } = await log.list({ first: 100 });
    expect(items).to.have.length(7);
    for (const item of items) {
      expect(item.anchor?.root).to.equal(root);
      expect(item.anchor?.txHash).to.equal(txHash);
      const { anchor, ...plain } = item;
      expect(verifyAuditEntry(plain, anchor ?? { root, proof: [] })).to.equal(true);
    }
    const stored = await log.getAnchor(root);
    expect(stored).to.deep.equal({
      root,
      count: 7,
      fromId: items[6].id,
      toId: items[0].id,
      fromTime: T0,
      toTime: T0 + 366n,
      txHash,
    });
    expect(await log.getAnchor(h("other"))).to.equal(null);

    // nothing pending: no second anchor
    expect(await log.anchorNow()).to.equal(null);
    expect(log.anchorFn.calls).to.have.length(1);
  });

  it("anchors at most maxEntriesPerAnchor entries per run, oldest first", async () => {
    const log = open({ maxEntriesPerAnchor: 2 });
    const recorded: QueryAuditEntry[] = [];
    for (let i = 0; i < 5; i++) recorded.push(await log.record(entry(i)));
    expect((await log.anchorNow())?.count).to.equal(2);
    expect(await log.pendingCount()).to.equal(3);
    const first = (await log.list({ first: 100 })).items.filter((e) => e.anchor !== null);
    expect(first.map((e) => e.id).sort()).to.deep.equal(recorded.slice(0, 2).map((e) => e.id));
    expect((await log.anchorNow())?.count).to.equal(2);
    expect((await log.anchorNow())?.count).to.equal(1);
    expect(await log.anchorNow()).to.equal(null);
  });

  it("fails verification when any field of an entry is tampered with", async () => {
    const log = open();
    for (let i = 0; i < 4; i++) await log.record(entry(i));
    await log.anchorNow();
    const [item] = (await log.list({ first: 1 })).items;
    const { anchor, ...plain } = item;
    const ref = anchor ?? { root: ZERO_BYTES32, proof: [] };
    expect(verifyAuditEntry(plain, ref)).to.equal(true);
    const tampered: Partial<QueryAuditEntry>[] = [
      { id: `${T0_MS}-00000099` },
      { member: M.operator },
      { key: KEY.operator },
      { subject: subject(99) },
      { purpose: "marketing" },
      { operation: "subject.attestations" },
      { at: plain.at + 1n },
    ];
    for (const change of tampered) {
      expect(verifyAuditEntry({ ...plain, ...change }, ref), Object.keys(change)[0]).to.equal(
        false,
      );
    }
    // a proof of another leaf, or another root, fails too
    const other = (await log.list({ first: 2 })).items[1];
    expect(verifyAuditEntry(plain, { root: ref.root, proof: other.anchor?.proof ?? [] })).to.equal(
      false,
    );
    expect(verifyAuditEntry(plain, { root: h("another root"), proof: ref.proof })).to.equal(false);
    expect(AUDIT_LEAF_TYPES).to.have.length(auditLeaf(plain).length);
  });

  it("leaves entries pending when the anchor fails, and anchors them at the next success", async () => {
    const log = open();
    for (let i = 0; i < 3; i++) await log.record(entry(i));
    log.anchorFn.fail = true;
    let error: unknown;
    try {
      await log.anchorNow();
    } catch (e) {
      error = e;
    }
    expect((error as Error).message).to.equal("ledger unavailable");
    expect(await log.pendingCount()).to.equal(3);
    for (const item of (await log.list({})).items) expect(item.anchor).to.equal(null);

    await log.record(entry(3));
    log.anchorFn.fail = false;
    const result = await log.anchorNow();
    expect(result?.count).to.equal(4);
    expect(await log.pendingCount()).to.equal(0);
    for (const item of (await log.list({})).items) expect(item.anchor?.root).to.equal(result?.root);
  });

  it("puts entries recorded while an anchor is in flight into the next one, one run at a time", async () => {
    const gate = deferred();
    let inFlight = 0;
    let maxInFlight = 0;
    const calls: AnchorCall[] = [];
    const anchor: AnchorAuditRoot = async (root, count, fromTime, toTime) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      calls.push({ root, count, fromTime, toTime });
      if (calls.length === 1) await gate.promise;
      inFlight--;
      return { txHash: h(`tx:${root}`) };
    };
    const log = open({ anchor });
    for (let i = 0; i < 5; i++) await log.record(entry(i));
    const first = log.anchorNow();
    await sleep(20);
    expect(calls).to.have.length(1);
    nowMs += 1;
    const late = await log.record(entry(100)); // while the anchor is in flight
    const second = log.anchorNow(); // waits for the first run
    await sleep(20);
    expect(calls).to.have.length(1);
    expect((await log.list({ first: 1 })).items[0]).to.include({ id: late.id, anchor: null });
    gate.resolve();
    const [r1, r2] = await Promise.all([first, second]);
    expect(r1?.count).to.equal(5);
    expect(r2?.count).to.equal(1);
    expect(maxInFlight).to.equal(1);
    const items = (await log.list({})).items;
    expect(items[0].anchor?.root).to.equal(r2?.root);
    expect(items.slice(1).every((e) => e.anchor?.root === r1?.root)).to.equal(true);
    const { anchor: lateRef, ...lateEntry } = items[0];
    expect(verifyAuditEntry(lateEntry, lateRef ?? { root: ZERO_BYTES32, proof: [] })).to.equal(
      true,
    );
  });

  it("anchors periodically between start() and stop(); stop waits for a run in flight", async () => {
    let release = deferred();
    let runs = 0;
    let finished = 0;
    const anchor: AnchorAuditRoot = async (root) => {
      runs++;
      await release.promise;
      finished++;
      return { txHash: h(`tx:${root}`) };
    };
    const log = open({ anchor, intervalMs: 20 });
    await log.record(entry(1));
    log.start();
    log.start(); // idempotent
    while (runs === 0) await sleep(5);
    const stopped = log.stop();
    await sleep(30);
    expect(finished).to.equal(0);
    release.resolve();
    await stopped;
    expect(finished).to.equal(1);
    expect(await log.pendingCount()).to.equal(0);

    // started again: keeps anchoring new entries, and survives a failing run
    release = deferred();
    release.resolve();
    let failNext = true;
    const logger = errorCollector();
    const flaky = open({
      logger,
      intervalMs: 15,
      anchor: (root, count, from, to) =>
        failNext
          ? ((failNext = false), Promise.reject(new Error("down")))
          : anchor(root, count, from, to),
    });
    flaky.start();
    await flaky.record(entry(2));
    await flaky.record(entry(3));
    for (let i = 0; i < 200 && (await flaky.pendingCount()) > 0; i++) await sleep(10);
    expect(await flaky.pendingCount()).to.equal(0);
    expect(failNext).to.equal(false);
    expect(logger.errors.map((e) => e.message)).to.deep.equal([
      "audit anchoring run failed; retrying at the next interval",
    ]);
    await flaky.record(entry(4));
    for (let i = 0; i < 200 && (await flaky.pendingCount()) > 0; i++) await sleep(10);
    expect(await flaky.pendingCount()).to.equal(0);
    await flaky.stop();
    await flaky.record(entry(5));
    await sleep(50);
    expect(await flaky.pendingCount()).to.equal(1);
  });

  it("starts the next run at once when a run was full, so a backlog does not wait a period per run", async () => {
    const runs: number[] = [];
    const anchor: AnchorAuditRoot = (root, count) => {
      runs.push(count);
      return Promise.resolve({ txHash: h(`tx:${root}`) });
    };
    const intervalMs = 1_000;
    const log = open({ anchor, intervalMs, maxEntriesPerAnchor: 2 });
    for (let i = 0; i < 5; i++) await log.record(entry(i));
    log.start();
    while (runs.length === 0) await sleep(5);
    // the first run took 2 of 5: the other two runs follow without waiting another period
    const firstDone = Date.now();
    while ((await log.pendingCount()) > 0 && Date.now() - firstDone < intervalMs) await sleep(5);
    expect(runs).to.deep.equal([2, 2, 1]);
    expect(await log.pendingCount()).to.equal(0);
    // the last run was not full: the one after it waits a period
    await log.record(entry(9));
    await sleep(100);
    expect(runs).to.have.length(3);
  });

  it("records a large anchor in slices; a failed slice leaves its entries (and the later ones) pending for the next run", async () => {
    const ids: string[] = [];
    const base = open();
    for (let i = 0; i < 1_200; i++) {
      nowMs += 1;
      ids.push((await base.record(entry(i))).id);
    }
    await base.stop();
    // the same store, whose second batch of anchor references fails (a full disk)
    let refBatches = 0;
    const failing = interceptBatches(db, (ops, store) =>
      ops.some((op) => op.key.startsWith("r:")) && ++refBatches === 2
        ? Promise.reject(new Error("disk full"))
        : store.batch(ops),
    );
    const logger = errorCollector();
    const { errors } = logger;
    const calls: number[] = [];
    const log = createQueryAuditLog({
      db: failing,
      clock: () => nowMs,
      logger,
      anchor: (root, count) => {
        calls.push(count);
        return Promise.resolve({ txHash: h(`tx:${root}`) });
      },
    });
    const error = await log.anchorNow().catch((e: unknown) => e);
    expect((error as Error).message).to.equal("disk full");
    expect(calls).to.deep.equal([1_200]);
    expect(errors).to.have.length(1);
    expect(errors[0].fields).to.include({ count: 1_200, recorded: 500 });
    // the first slice is anchored (with a proof that verifies), the rest is pending
    expect(await log.pendingCount()).to.equal(700);
    const firstRoot = await log.getAnchor((await readRef(ids[0])).root);
    expect(firstRoot).to.include({ count: 1_200, fromId: ids[0], toId: ids[1_199] });
    // the next run anchors the 700 under a root of their own
    const next = await log.anchorNow();
    expect(next?.count).to.equal(700);
    expect(await log.pendingCount()).to.equal(0);
    expect((await readRef(ids[499])).root).to.equal(firstRoot?.root);
    expect((await readRef(ids[500])).root).to.equal(next?.root);
    await log.stop();

    async function readRef(id: string): Promise<{ root: Hex }> {
      const text = await db.sublevel("audit").get(`r:${id}`);
      if (text === undefined) throw new Error(`no anchor reference for ${id}`);
      return JSON.parse(text) as { root: Hex };
    }
  });

  it("persists entries, anchors and pending state across close and reopen", async () => {
    const log = open();
    const anchored = [await log.record(entry(1)), await log.record(entry(2))];
    const result = await log.anchorNow();
    nowMs += 10;
    const pending = await log.record(entry(3));
    await log.stop();
    await db.close();

    db = new Level(dir);
    await db.open();
    nowMs = T0_MS; // the clock is behind the stored ids: new ids still sort after them
    const reopened = open();
    const items = (await reopened.list({})).items;
    expect(items.map((e) => e.id)).to.deep.equal([pending.id, anchored[1].id, anchored[0].id]);
    expect(items[0].anchor).to.equal(null);
    for (const item of items.slice(1)) {
      const { anchor, ...plain } = item;
      expect(anchor?.root).to.equal(result?.root);
      expect(verifyAuditEntry(plain, anchor ?? { root: ZERO_BYTES32, proof: [] })).to.equal(true);
    }
    expect(await reopened.pendingCount()).to.equal(1);
    const next = await reopened.record(entry(4));
    expect(next.id > pending.id).to.equal(true);
    expect((await reopened.anchorNow())?.count).to.equal(2);
    expect((await reopened.getAnchor(result?.root ?? ZERO_BYTES32))?.count).to.equal(2);
  });
});
