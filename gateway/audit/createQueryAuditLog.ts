/**
 * The query audit log: every read of a subject's data is recorded durably in the node's LevelDB
 * (sublevel "audit", apart from the indexer's keys), listed newest first, and anchored periodically
 * on the ledger as the Merkle root of the entries not yet anchored.
 *
 * Keys of the sublevel (ids are fixed width, so text order is time order):
 *   e:<id>             the entry (JSON, `at` as a decimal string)
 *   s:<subject>:<id>   by subject (value empty)
 *   m:<member>:<id>    by member (value empty)
 *   u:<id>             not yet anchored (value empty)
 *   r:<id>             its anchor reference {root, proof, txHash}
 *   a:<root>           the anchor {root, count, fromId, toId, fromTime, toTime, txHash}
 */
import type { Hex } from "../../core/index.js";
import {
  createMerkleBuilder,
  merkleLeafHash,
  toAddress,
  toBytes32,
  toUint64,
  ValidationError,
  ErrorCode,
} from "../../core/index.js";
import type { IndexerLogger } from "../../indexer/index.js";
import { silentLogger } from "../../indexer/index.js";
import type { QueryAuditAnchorRef, QueryAuditEntry, QueryAuditLog } from "../types.js";
import { AUDIT_LEAF_TYPES, auditLeaf, cachedPurposeHash } from "./auditLeaf.js";

/** The sublevel the audit log keeps its keys in. */
export const AUDIT_SUBLEVEL = "audit";

interface Range {
  gt?: string;
  gte?: string;
  lt?: string;
  lte?: string;
  reverse?: boolean;
  limit?: number;
}

type AuditOp = { type: "put"; key: string; value: string } | { type: "del"; key: string };

/** What the log uses of its sublevel (a `level` sublevel with utf8 keys and values). */
export interface AuditStore {
  get(key: string): Promise<string | undefined>;
  getMany(keys: string[]): Promise<(string | undefined)[]>;
  batch(ops: AuditOp[]): Promise<void>;
  keys(range: Range): AsyncIterable<string>;
  iterator(range: Range): AsyncIterable<[string, string]>;
}

/** A `level` database or one of its sublevels: the log keeps its keys in its sublevel "audit". */
export interface AuditDb {
  sublevel(name: string, options: { keyEncoding: "utf8"; valueEncoding: "utf8" }): AuditStore;
}

/** Submits an anchor to the ledger (the node wires LedgerWriter.anchorAuditLog). Times: unix seconds. */
export type AnchorAuditRoot = (
  root: Hex,
  count: number,
  fromTime: bigint,
  toTime: bigint,
) => Promise<{ txHash: Hex }>;

export type AuditLogger = IndexerLogger;

export interface QueryAuditLogOptions {
  /** The node's LevelDB (or a sublevel of it); the log uses its sublevel "audit". */
  db: AuditDb;
  /** Milliseconds since the epoch (entry ids). */
  clock: () => number;
  anchor: AnchorAuditRoot;
  /** Period of the anchoring runs between start() and stop(). Default 60,000 ms. */
  intervalMs?: number;
  logger?: AuditLogger;
  /**
   * Most entries one run anchors (the oldest pending first; the rest go into the next run, which
   * then starts at once rather than a period later), which bounds the memory of a run. Default
   * 100,000.
   */
  maxEntriesPerAnchor?: number;
}

/** What `a:<root>` holds. */
export interface QueryAuditAnchor {
  root: Hex;
  count: number;
  /** First and last entry id in the anchor. */
  fromId: string;
  toId: string;
  /** Unix seconds: the entries' earliest and latest `at`. */
  fromTime: bigint;
  toTime: bigint;
  txHash: Hex;
}

/** The audit log plus reads of its anchors. */
export interface QueryAuditLogStore extends QueryAuditLog {
  getAnchor(root: string): Promise<QueryAuditAnchor | null>;
  /** How many entries are not anchored yet. */
  pendingCount(): Promise<number>;
}

/** Entries an anchoring run handles between two turns of the event loop. */
const SLICE = 500;

function yieldToRequests(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** `<13-digit ms>-<8-digit sequence>`. */
export const AUDIT_ID_PATTERN = /^\d{13}-\d{8}$/;
const ID_LENGTH = 22;
const MAX_MS = 9_999_999_999_999;
const MAX_SEQ = 99_999_999;
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

interface StoredEntry {
  id: string;
  member: Hex;
  key: string;
  subject: Hex;
  purpose: string;
  operation: string;
  at: string;
}

interface StoredAnchor extends Omit<QueryAuditAnchor, "fromTime" | "toTime"> {
  fromTime: string;
  toTime: string;
}

function formatId(ms: number, seq: number): string {
  return `${ms.toString().padStart(13, "0")}-${seq.toString().padStart(8, "0")}`;
}

function fromStored(stored: StoredEntry): QueryAuditEntry {
  return { ...stored, at: BigInt(stored.at) };
}

function argError(message: string, details: Record<string, unknown>): ValidationError {
  return new ValidationError(ErrorCode.PARAMETER_INVALID, message, { details });
}

/** How many checked member keys an audit log remembers (the checksum hashes: keccak). */
const NORMALIZED_CACHE_SIZE = 1024;

/** `normalize(value)`, remembered for the last NORMALIZED_CACHE_SIZE values that passed. */
function memoized(normalize: (value: string) => string): (value: string) => string {
  const seen = new Map<string, string>();
  return (value) => {
    const known = seen.get(value);
    if (known !== undefined) return known;
    const normalized = normalize(value);
    if (seen.size >= NORMALIZED_CACHE_SIZE) seen.clear();
    seen.set(value, normalized);
    return normalized;
  };
}

/** Checks and normalises an entry to record (lowercase bytes32, checksummed key). */
function createNormalizeEntry(): (
  entry: Omit<QueryAuditEntry, "id">,
) => Omit<QueryAuditEntry, "id"> {
  // the same few member keys come with every read: checksum each once
  const checksummed = memoized((key) => toAddress(key, "key"));
  return (entry) => {
    // throws NAME_INVALID on an empty purpose; the hash is remembered for the leaf (auditLeaf)
    cachedPurposeHash(entry.purpose);
    if (typeof entry.operation !== "string" || entry.operation.length === 0) {
      throw argError("operation must be a non-empty string", { field: "operation" });
    }
    return {
      member: toBytes32(entry.member, "member"),
      key: checksummed(entry.key),
      subject: toBytes32(entry.subject, "subject"),
      purpose: entry.purpose,
      operation: entry.operation,
      at: toUint64(entry.at, "at"),
    };
  };
}

/** Builds the query audit log over the node's LevelDB. */
export function createQueryAuditLog(options: QueryAuditLogOptions): QueryAuditLogStore {
  const db = options.db.sublevel(AUDIT_SUBLEVEL, {
    keyEncoding: "utf8",
    valueEncoding: "utf8",
  });
  const { clock, anchor } = options;
  const logger = options.logger ?? silentLogger;
  const intervalMs = options.intervalMs ?? 60_000;
  if (!Number.isSafeInteger(intervalMs) || intervalMs <= 0) {
    throw new RangeError("intervalMs must be a positive integer");
  }
  const maxEntries = options.maxEntriesPerAnchor ?? 100_000;
  if (!Number.isSafeInteger(maxEntries) || maxEntries <= 0) {
    throw new RangeError("maxEntriesPerAnchor must be a positive integer");
  }

  // Ids strictly increase, even when the clock steps back or the log is reopened.
  let lastMs = -1;
  let lastSeq = 0;
  const ready: Promise<void> = (async () => {
    for await (const key of db.keys({ gte: "e:", lt: "e;", reverse: true, limit: 1 })) {
      const id = key.slice(2);
      lastMs = Number(id.slice(0, 13));
      lastSeq = Number(id.slice(14));
    }
  })();
  ready.catch(() => undefined); // awaited (and its error seen) by every operation

  function nextId(): string {
    let ms = Math.min(Math.max(Math.floor(clock()), 0), MAX_MS);
    if (ms <= lastMs) {
      ms = lastMs;
      lastSeq += 1;
      if (lastSeq > MAX_SEQ) {
        ms = lastMs + 1;
        lastSeq = 0;
      }
    } else {
      lastSeq = 0;
    }
    lastMs = ms;
    return formatId(ms, lastSeq);
  }

  // ---------------------------------------------------------------------------------- writing
  // Group commit: records that arrive while a batch is being written go together into the next
  // one. Each record() resolves only once the batch holding it is written (or rejects with its
  // error), so an entry is durable before the read it logs returns; batches are written one after
  // another, in id order.
  let pendingOps: AuditOp[] = [];
  let pendingWaiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  let writing = false;

  async function drain(): Promise<void> {
    writing = true;
    while (pendingOps.length > 0) {
      const ops = pendingOps;
      const waiters = pendingWaiters;
      pendingOps = [];
      pendingWaiters = [];
      try {
        await db.batch(ops);
        for (const w of waiters) w.resolve();
      } catch (error) {
        for (const w of waiters) w.reject(error);
      }
    }
    writing = false;
  }

  function write(ops: AuditOp[]): Promise<void> {
    return new Promise((resolve, reject) => {
      for (const op of ops) pendingOps.push(op);
      pendingWaiters.push({ resolve, reject });
      if (!writing) void drain();
    });
  }

  const normalizeEntry = createNormalizeEntry();

  async function readRefs(ids: readonly string[]): Promise<(QueryAuditAnchorRef | null)[]> {
    if (ids.length === 0) return [];
    const refs = await db.getMany(ids.map((id) => `r:${id}`));
    return refs.map((text) =>
      text === undefined ? null : (JSON.parse(text) as QueryAuditAnchorRef),
    );
  }

  // ---------------------------------------------------------------------------------- anchoring
  async function anchorPending(): Promise<{ root: Hex; count: number; txHash: Hex } | null> {
    await ready;
    const ids: string[] = [];
    for await (const key of db.keys({ gte: "u:", lt: "u;", limit: maxEntries })) {
      ids.push(key.slice(2));
    }
    if (ids.length === 0) return null;
    // read in slices too: one getMany of 100,000 values holds the event loop while it is answered
    const texts: (string | undefined)[] = [];
    for (let i = 0; i < ids.length; i += SLICE * 4)
      texts.push(...(await db.getMany(ids.slice(i, i + SLICE * 4).map((id) => `e:${id}`))));
    // a run covers a minute of reads: the per-entry work goes in slices, letting requests through
    const entries: QueryAuditEntry[] = [];
    const leafHashes: Hex[] = [];
    for (let i = 0; i < texts.length; i++) {
      const text = texts[i];
      if (text === undefined) throw new Error(`audit entry ${ids[i]} is missing`);
      const entry = fromStored(JSON.parse(text) as StoredEntry);
      entries.push(entry);
      leafHashes.push(merkleLeafHash(AUDIT_LEAF_TYPES, auditLeaf(entry)));
      if (i % SLICE === SLICE - 1) await yieldToRequests();
    }
    // the tree, a slice of nodes at a time (100,000 entries are 100,000 node hashes)
    const tree = createMerkleBuilder(leafHashes);
    while (!tree.step(SLICE * 4)) await yieldToRequests();
    let fromAt = entries[0].at;
    let toAt = entries[0].at;
    for (const e of entries) {
      if (e.at < fromAt) fromAt = e.at;
      if (e.at > toAt) toAt = e.at;
    }
    const fromTime = fromAt / 1000n;
    const toTime = toAt / 1000n;
    const count = entries.length;
    // If this throws, nothing is marked: the entries go into the next run.
    const { txHash } = await anchor(tree.root, count, fromTime, toTime);
    const record: StoredAnchor = {
      root: tree.root,
      count,
      fromId: ids[0],
      toId: ids[ids.length - 1],
      fromTime: fromTime.toString(),
      toTime: toTime.toString(),
      txHash,
    };
    // Recorded in slices (a minute of reads is 200,000 writes: one batch would stop the node while
    // LevelDB takes it). Each slice is atomic for its entries — an entry's anchor reference lands
    // with its removal from the pending ones — and the anchor itself comes with the first.
    let ops: AuditOp[] = [{ type: "put", key: `a:${tree.root}`, value: JSON.stringify(record) }];
    let recorded = 0;
    try {
      for (let i = 0; i < ids.length; i++) {
        const ref: QueryAuditAnchorRef = { root: tree.root, proof: tree.proof(i), txHash };
        ops.push({ type: "put", key: `r:${ids[i]}`, value: JSON.stringify(ref) });
        ops.push({ type: "del", key: `u:${ids[i]}` });
        if (i % SLICE === SLICE - 1 || i === ids.length - 1) {
          await db.batch(ops);
          recorded = i + 1;
          ops = [];
        }
      }
    } catch (error) {
      // The root is on the ledger but not recorded here for every entry: those not recorded stay
      // pending and are anchored again (under another root) by the next run. Say so, with what an
      // operator needs to match.
      logger.error("audit root anchored on the ledger but not recorded locally for every entry", {
        root: tree.root,
        count,
        recorded,
        txHash,
        error: error instanceof Error ? error.message : String(error),
      });
      throw error;
    }
    logger.info("audit log anchored", { root: tree.root, count, txHash });
    return { root: tree.root, count, txHash };
  }

  // One anchoring run at a time: each call runs after the previous one settled.
  let tail: Promise<unknown> = Promise.resolve();
  function anchorNow(): Promise<{ root: Hex; count: number; txHash: Hex } | null> {
    const run = tail.then(anchorPending, anchorPending);
    tail = run.catch(() => undefined);
    return run;
  }

  // ---------------------------------------------------------------------------------- periodic
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  function schedule(delayMs = intervalMs): void {
    timer = setTimeout(() => {
      timer = undefined;
      let full = false;
      anchorNow()
        .then((anchored) => {
          // a full run left entries pending (reads come faster than one run a period takes):
          // the next run starts at once, so the backlog does not grow
          full = anchored !== null && anchored.count >= maxEntries;
        })
        .catch((error: unknown) => {
          // The entries stay pending and go into the next run.
          logger.error("audit anchoring run failed; retrying at the next interval", {
            error: error instanceof Error ? error.message : String(error),
          });
        })
        .finally(() => {
          if (running) schedule(full ? 0 : intervalMs);
        });
    }, delayMs);
    timer.unref();
  }

  return {
    async record(input) {
      const entry = normalizeEntry(input);
      await ready;
      const id = nextId();
      const stored: StoredEntry = { id, ...entry, at: entry.at.toString() };
      await write([
        { type: "put", key: `e:${id}`, value: JSON.stringify(stored) },
        { type: "put", key: `s:${entry.subject}:${id}`, value: "" },
        { type: "put", key: `m:${entry.member}:${id}`, value: "" },
        { type: "put", key: `u:${id}`, value: "" },
      ]);
      return { id, ...entry };
    },

    async list(filter) {
      const first = filter.first ?? DEFAULT_PAGE_SIZE;
      if (!Number.isSafeInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
        throw argError(`first must be an integer 1…${MAX_PAGE_SIZE}`, { first });
      }
      if (filter.after !== undefined && !AUDIT_ID_PATTERN.test(filter.after)) {
        throw argError("after is not a cursor of this list", { after: filter.after });
      }
      const subject =
        filter.subject === undefined ? undefined : toBytes32(filter.subject, "subject");
      const member = filter.member === undefined ? undefined : toBytes32(filter.member, "member");
      await ready;
      // Walk the narrowest index, newest first; with both filters, check the member on the entry.
      const prefix =
        subject !== undefined ? `s:${subject}:` : member !== undefined ? `m:${member}:` : "e:";
      const lt = filter.after === undefined ? `${prefix.slice(0, -1)};` : prefix + filter.after;
      const entries: QueryAuditEntry[] = [];
      let more = false;
      for await (const [key, value] of db.iterator({ gte: prefix, lt, reverse: true })) {
        let entry: QueryAuditEntry;
        if (prefix === "e:") {
          entry = fromStored(JSON.parse(value) as StoredEntry);
        } else {
          const text = await db.get(`e:${key.slice(-ID_LENGTH)}`);
          if (text === undefined) continue;
          entry = fromStored(JSON.parse(text) as StoredEntry);
        }
        if (subject !== undefined && member !== undefined && entry.member !== member) continue;
        if (entries.length === first) {
          more = true;
          break;
        }
        entries.push(entry);
      }
      const refs = await readRefs(entries.map((e) => e.id));
      return {
        items: entries.map((e, i) => ({ ...e, anchor: refs[i] })),
        nextCursor: more ? entries[entries.length - 1].id : null,
      };
    },

    anchorNow,

    start() {
      if (running) return;
      running = true;
      schedule();
    },

    async stop() {
      running = false;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      await tail;
    },

    async getAnchor(root) {
      const text = await db.get(`a:${toBytes32(root, "root")}`);
      if (text === undefined) return null;
      const stored = JSON.parse(text) as StoredAnchor;
      return { ...stored, fromTime: BigInt(stored.fromTime), toTime: BigInt(stored.toTime) };
    },

    async pendingCount() {
      await ready;
      let n = 0;
      for await (const _key of db.keys({ gte: "u:", lt: "u;" })) n++;
      return n;
    },
  };
}
