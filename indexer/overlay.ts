/**
 * An in-memory layer of writes over a reader (the store, or another overlay). Projections run
 * against it: every read sees the writes made so far, and at the end the overlay yields what to
 * write and, per block, the undo entries — each key the block changed with its value before the
 * block — for one atomic batch.
 *
 * Blocks are marked with {@link Overlay.mark}; the first write of a key after a mark journals the
 * key's value at that moment (known from the overlay, or fetched from the parent at commit time
 * in one getMany when the key was never read).
 */
import { encodeAttestation } from "./attestationCodec.js";
import { decodeValue, encodeValue } from "./codec.js";
import { PREFIX, SEP, prefixEnd } from "./keys.js";
import type { KeyRange, KvReader } from "./kvStore.js";

/** One key the overlay changed: its new value (undefined = deleted) and its value before. */
export interface OverlayChange {
  key: string;
  value: string | undefined;
  previous: string | undefined;
}

/** A key a marked block wrote first, and its value before that block (undefined = absent). */
export interface JournalEntry {
  key: string;
  previous: string | undefined;
}

export interface Overlay extends KvReader {
  put(key: string, value: string): void;
  del(key: string): void;
  getJson<T>(key: string): Promise<T | undefined>;
  putJson(key: string, value: unknown): void;
  /** Every key that starts with `prefix`, in key order, as the overlay sees them. */
  keysWithPrefix(prefix: string): Promise<string[]>;
  /** Reads these keys from the parent in one call, so later reads of them need no round trip. */
  prefetch(keys: readonly string[]): Promise<void>;
  /**
   * Journal the writes from now on under `tag` (a block number); `undefined`: journal nothing from
   * now on (a final block, which needs no undo entries).
   */
  mark(tag: bigint | undefined): void;
  /** The keys whose value differs from the parent's, with the parent's value. */
  changes(): Promise<OverlayChange[]>;
  /** The final value of every written key, and the journal of each marked block. */
  commit(): Promise<{
    writes: Map<string, string | undefined>;
    journals: Map<bigint, JournalEntry[]>;
  }>;
  /** How many keys were written. */
  readonly size: number;
}

function inRange(key: string, range: KeyRange): boolean {
  if (range.gt !== undefined && !(key > range.gt)) return false;
  if (range.gte !== undefined && !(key >= range.gte)) return false;
  if (range.lt !== undefined && !(key < range.lt)) return false;
  if (range.lte !== undefined && !(key <= range.lte)) return false;
  return true;
}

const ATTESTATION_KEY = PREFIX.attestation + SEP;

/**
 * A number for the family of a key (its first two characters: families have one or two letters,
 * the separator included for one-letter ones) — cheaper to index by than familyOf's string.
 * A longer family name would share its number with names of the same first two letters; range
 * reads check every candidate key anyway.
 */
function familyCode(key: string): number {
  return key.charCodeAt(0) * 65536 + key.charCodeAt(1);
}

/** How a value is stored under `key`: attestations positionally, everything else canonical JSON. */
function encodeStored(key: string, value: unknown): string {
  return (
    (key.startsWith(ATTESTATION_KEY) ? encodeAttestation(value) : undefined) ?? encodeValue(value)
  );
}

/** The previous value of a journaled key is the parent's, not known yet. */
const FROM_PARENT = Symbol("fromParent");
type Previous = string | undefined | typeof FROM_PARENT;

export function createOverlay(parent: KvReader): Overlay {
  /** written values; undefined = deleted */
  const writes = new Map<string, string | undefined>();
  /** values read from the parent (the value of a key before any write here) */
  const reads = new Map<string, string | undefined>();
  /** decoded JSON of values read from the parent (they never change; values read are not mutated) */
  const decoded = new Map<string, unknown>();
  /**
   * Written keys of the families range reads asked for (by familyCode): a family's set is built on
   * its first range read, and kept up to date from then on. Most writes are of families the
   * projection never reads by range (records and their indexes), and cost nothing here.
   */
  const families = new Map<number, Set<string>>();
  /** per marked block: first-written keys and their previous values */
  const journals = new Map<bigint, Map<string, Previous>>();
  let current: Map<string, Previous> | undefined;

  function familyKeys(family: number): Set<string> {
    let set = families.get(family);
    if (set === undefined) {
      set = new Set();
      for (const key of writes.keys()) if (familyCode(key) === family) set.add(key);
      families.set(family, set);
    }
    return set;
  }

  function record(key: string): void {
    if (families.size > 0) families.get(familyCode(key))?.add(key);
    if (current !== undefined && !current.has(key)) {
      current.set(
        key,
        writes.has(key) ? writes.get(key) : reads.has(key) ? reads.get(key) : FROM_PARENT,
      );
    }
  }

  function write(key: string, value: string | undefined): void {
    record(key);
    writes.set(key, value);
  }

  /** The decoded value of `text`. */
  function decode(text: string | undefined): unknown {
    return text === undefined ? undefined : decodeValue<unknown>(text);
  }

  /** The decoded value of `key` as read from the parent (`text`), cached. */
  function decodeRead(key: string, text: string | undefined): unknown {
    if (text === undefined) return undefined;
    const value = decodeValue<unknown>(text);
    decoded.set(key, value);
    return value;
  }

  async function get(key: string): Promise<string | undefined> {
    if (writes.has(key)) return writes.get(key);
    if (reads.has(key)) return reads.get(key);
    const value = await parent.get(key);
    reads.set(key, value);
    return value;
  }

  async function mergedKeys(range: KeyRange): Promise<string[]> {
    const found = new Set<string>();
    for await (const key of parent.keys({
      gt: range.gt,
      gte: range.gte,
      lt: range.lt,
      lte: range.lte,
    }))
      found.add(key);
    const bound = range.gte ?? range.gt;
    const candidates = bound !== undefined ? familyKeys(familyCode(bound)) : writes.keys();
    for (const key of candidates) {
      if (!inRange(key, range)) continue;
      if (writes.get(key) === undefined) found.delete(key);
      else found.add(key);
    }
    const sorted = [...found].sort();
    if (range.reverse === true) sorted.reverse();
    return range.limit !== undefined && range.limit >= 0 ? sorted.slice(0, range.limit) : sorted;
  }

  async function fillReads(keys: readonly string[]): Promise<void> {
    const wanted = [...new Set(keys)].filter((key) => !reads.has(key));
    if (wanted.length === 0) return;
    const values = await parent.getMany(wanted);
    wanted.forEach((key, i) => reads.set(key, values[i]));
  }

  return {
    get,
    async getMany(keys) {
      await fillReads(keys.filter((key) => !writes.has(key)));
      return keys.map((key) => (writes.has(key) ? writes.get(key) : reads.get(key)));
    },
    keys(range) {
      return {
        async *[Symbol.asyncIterator]() {
          yield* await mergedKeys(range);
        },
      };
    },
    put: (key, value) => {
      write(key, value);
    },
    del: (key) => {
      write(key, undefined);
    },
    getJson<T>(key: string): Promise<T | undefined> {
      // No async frame when the value is here (nearly always: keys are prefetched). A value
      // written here is decoded afresh (seldom read again), one read from the parent once.
      // (The caller names the type it stored under that key.)
      let value: unknown;
      if (writes.has(key)) value = decode(writes.get(key));
      else if (decoded.has(key)) value = decoded.get(key);
      else if (reads.has(key)) value = decodeRead(key, reads.get(key));
      else
        return get(key).then(
          (text) =>
            (writes.has(key) ? decode(writes.get(key)) : decodeRead(key, text)) as T | undefined,
        );
      return Promise.resolve(value as T | undefined);
    },
    putJson(key, value) {
      // not kept decoded: most written values are not read again here (and so die young)
      write(key, encodeStored(key, value));
    },
    keysWithPrefix(prefix) {
      return mergedKeys({ gte: prefix, lt: prefixEnd(prefix) });
    },
    prefetch(keys) {
      return fillReads(keys.filter((key) => !writes.has(key)));
    },
    mark(tag) {
      if (tag === undefined) {
        current = undefined;
        return;
      }
      current = journals.get(tag);
      if (current === undefined) {
        current = new Map();
        journals.set(tag, current);
      }
    },
    async changes() {
      await fillReads([...writes.keys()]);
      const out: OverlayChange[] = [];
      for (const [key, value] of writes) {
        const before = reads.get(key);
        if (before !== value) out.push({ key, value, previous: before });
      }
      return out;
    },
    async commit() {
      const pending: string[] = [];
      for (const journal of journals.values())
        for (const [key, previous] of journal) if (previous === FROM_PARENT) pending.push(key);
      await fillReads(pending);
      const resolved = new Map<bigint, JournalEntry[]>();
      for (const [tag, journal] of journals) {
        resolved.set(
          tag,
          [...journal].map(([key, previous]) => ({
            key,
            previous: previous === FROM_PARENT ? reads.get(key) : previous,
          })),
        );
      }
      return { writes, journals: resolved };
    },
    get size() {
      return writes.size;
    },
  };
}
