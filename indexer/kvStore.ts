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
  return {
    async get(key) {
      const value: string | undefined = await sub.get(key);
      return value;
    },
    async getMany(keys) {
      if (keys.length === 0) return [];
      const values: (string | undefined)[] = await sub.getMany([...keys]);
      return values;
    },
    keys(range) {
      return sub.keys(definedRange(range));
    },
    entries(range) {
      return sub.iterator(definedRange(range));
    },
    async batch(ops) {
      if (ops.length === 0) return;
      await sub.batch(
        ops.map((op) =>
          op.type === "put"
            ? { type: "put", key: op.key, value: op.value }
            : { type: "del", key: op.key },
        ),
      );
    },
    async clear(range) {
      await sub.clear(definedRange(range));
    },
  };
}
