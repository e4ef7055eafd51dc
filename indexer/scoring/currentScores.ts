/**
 * Current scores kept decoded in memory: a lender's score query reads one with every request. The
 * scoring sublevel is wrapped so that every write (all go through `batch`) forgets the current
 * scores it touches, before and after it lands, and a read that a write overlapped is not kept —
 * so a cached score is never older than what the store holds. Bounded: the least recently read go
 * first. Callers share the values and must not mutate them.
 */
import type { Hex } from "../../core/index.js";
import type { KvOp, KvStore } from "../kvStore.js";
import { decodeValue } from "../codec.js";
import type { StoredScore } from "./scoreTypes.js";
import { scoringKeys } from "./scoringKeys.js";

export interface CurrentScores {
  /** The store to write through (its batches keep the cache right). */
  store: KvStore;
  /** The subject's current score (subject in lowercase), or null. */
  get(subject: Hex): Promise<StoredScore | null>;
  readonly size: number;
}

export function createCurrentScores(kv: KvStore, maxEntries = 20_000): CurrentScores {
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1)
    throw new RangeError("maxEntries must be a positive integer");
  const cache = new Map<string, StoredScore | null>();
  /** Bumped by every write that touches a current score. */
  let generation = 0;

  const forget = (ops: readonly KvOp[]): void => {
    let touched = false;
    for (const op of ops) {
      if (op.key.startsWith(scoringKeys.currentPrefix)) {
        cache.delete(op.key);
        touched = true;
      }
    }
    if (touched) generation++;
  };

  const store: KvStore = {
    get: (key) => kv.get(key),
    getMany: (keys) => kv.getMany(keys),
    keys: (range) => kv.keys(range),
    entries: (range) => kv.entries(range),
    clear: async (range) => {
      cache.clear();
      generation++;
      try {
        await kv.clear(range);
      } finally {
        cache.clear();
        generation++;
      }
    },
    batch: async (ops) => {
      forget(ops);
      try {
        await kv.batch(ops);
      } finally {
        forget(ops);
      }
    },
  };

  return {
    store,
    async get(subject) {
      const key = scoringKeys.current(subject);
      const kept = cache.get(key);
      if (kept !== undefined) {
        cache.delete(key);
        cache.set(key, kept);
        return kept;
      }
      const seen = generation;
      const value = await kv.get(key);
      const score = value === undefined ? null : decodeValue<StoredScore>(value);
      if (seen === generation) {
        if (cache.size >= maxEntries) {
          const oldest = cache.keys().next();
          if (oldest.done !== true) cache.delete(oldest.value);
        }
        cache.set(key, score);
      }
      return score;
    },
    get size() {
      return cache.size;
    },
  };
}
