/**
 * The small key-value interface the indexer needs, and its LevelDB implementation over one
 * sublevel of a `level` database. Keys and values are strings; a batch is atomic.
 */
import type { Level } from "level";

export interface KeyRange {
  gt?: string;
  gte?: string;
  lt?: string;
  lte?: string;
  reverse?: boolean;
  limit?: number;
}

export type KvOp = { type: "put"; key: string; value: string } | { type: "del"; key: string };

export interface KvReader {
  get(key: string): Promise<string | undefined>;
  getMany(keys: readonly string[]): Promise<(string | undefined)[]>;
  /** Keys in `range`, in key order (or reversed). */
  keys(range: KeyRange): AsyncIterable<string>;
}

export interface KvStore extends KvReader {
  entries(range: KeyRange): AsyncIterable<[string, string]>;
  /** Applies every operation or none. */
  batch(ops: readonly KvOp[]): Promise<void>;
  /** Deletes the keys in a range (not atomic with anything else; used for pruning only). */
  clear(range: KeyRange): Promise<void>;
}

/** getMany reads lists of at least twice this many keys in parallel, in up to GET_MANY_THREADS parts. */
const GET_MANY_CHUNK = 500;
const GET_MANY_THREADS = 3;

/** Leading characters of a key that {@link localityOrder} groups by (7 bits each: 49 bits). */
const LOCALITY_CHARS = 7;

/**
 * `items` grouped by the first seven characters of their keys, groups in key order (within a
 * group, in the order given): nearly sorted, at a fraction of a sort's cost. LevelDB puts each key
 * of a batch into its memtable, a skip list; inserts one after another near the same place find
 * their way through nodes still in the cache, inserts all over it do not — a batch of a backfill
 * (hash keys in random order) costs LevelDB about a quarter less CPU this way. For batches of
 * distinct keys only: the order of two writes of one key would matter.
 */
export function localityOrder<T extends { key: string }>(items: readonly T[]): T[] {
  const groups = new Map<number, T[]>();
  for (const item of items) {
    const { key } = item;
    let code = 0;
    // (keys are ASCII; a shorter key's missing characters — NaN & 127 — count as 0, before any other)
    for (let i = 0; i < LOCALITY_CHARS; i++) code = code * 128 + (key.charCodeAt(i) & 127);
    const group = groups.get(code);
    if (group === undefined) groups.set(code, [item]);
    else group.push(item);
  }
  const ordered: T[] = [];
  for (const code of Float64Array.from(groups.keys()).sort())
    for (const item of groups.get(code) as T[]) ordered.push(item);
  return ordered;
}

/** The name of the sublevel the indexer keeps its keys in. */
export const INDEXER_SUBLEVEL = "indexer";

/** `range` without undefined bounds (level reads a present-but-undefined bound as a bound). */
function definedRange(range: KeyRange): KeyRange {
  const out: KeyRange = {};
  if (range.gt !== undefined) out.gt = range.gt;
  if (range.gte !== undefined) out.gte = range.gte;
  if (range.lt !== undefined) out.lt = range.lt;
  if (range.lte !== undefined) out.lte = range.lte;
  if (range.reverse !== undefined) out.reverse = range.reverse;
  if (range.limit !== undefined) out.limit = range.limit;
  return out;
}

/** A KvStore over the sublevel `name` of `db` (utf8 keys and values). */
export function createLevelStore(db: Level, name: string = INDEXER_SUBLEVEL): KvStore {
  const sub = db.sublevel(name, { keyEncoding: "utf8", valueEncoding: "utf8" });
  /** Batch operations of the database that go into the sublevel (prefixed, its encodings). */
  const into = { sublevel: sub };
  return {
    async get(key) {
      const value: string | undefined = await sub.get(key);
      return value;
    },
    async getMany(keys) {
      if (keys.length === 0) return [];
      if (keys.length < 2 * GET_MANY_CHUNK) {
        const values: (string | undefined)[] = await sub.getMany([...keys]);
        return values;
      }
      // LevelDB reads one getMany's keys one after another, in one thread: a long list is split
      // so that threads of the pool read it in parallel
      const chunks: string[][] = [];
      const size = Math.ceil(
        keys.length / Math.min(GET_MANY_THREADS, Math.floor(keys.length / GET_MANY_CHUNK)),
      );
      for (let i = 0; i < keys.length; i += size) chunks.push(keys.slice(i, i + size));
      const parts: (string | undefined)[][] = await Promise.all(
        chunks.map((chunk) => sub.getMany(chunk)),
      );
      return parts.flat();
    },
    keys(range) {
      return sub.keys(definedRange(range));
    },
    entries(range) {
      return sub.iterator(definedRange(range));
    },
    async batch(ops) {
      if (ops.length === 0) return;
      // A chained batch of the database itself hands each operation to LevelDB's write batch at
      // once (a sublevel's chained batch, like an array batch, copies every operation twice more).
      // (It does not wait for the database to open, as other calls do.)
      if (db.status === "opening") await db.open();
      const batch = db.batch();
      try {
        for (const op of ops) {
          if (op.type === "put") batch.put(op.key, op.value, into);
          else batch.del(op.key, into);
        }
      } catch (error) {
        await batch.close();
        throw error;
      }
      await batch.write();
    },
    async clear(range) {
      await sub.clear(definedRange(range));
    },
  };
}
