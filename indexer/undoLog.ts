/**
 * The undo log: for every key a block changed, its value before the block (or "absent"), under
 * `un:<block>:<seq>`. A rollback applies the entries of the dropped blocks newest first.
 * Later writes attributed to an applied block (projections of an uploaded batch file) are appended
 * to that block's entries with higher sequence numbers, so they are undone first.
 */
import { PREFIX, SEP, keys, padBlock, prefixEnd } from "./keys.js";
import type { KvOp, KvStore } from "./kvStore.js";
import type { JournalEntry, OverlayChange } from "./overlay.js";
import type { UndoEntry } from "./types.js";

/** The writes of an overlay's changes. */
export function changeOps(changes: readonly OverlayChange[]): KvOp[] {
  return changes.map((c) =>
    c.value === undefined
      ? { type: "del", key: c.key }
      : { type: "put", key: c.key, value: c.value },
  );
}

/** Undo entries for `changes`, numbered from `firstSeq` in block `block`. */
export function undoOps(
  changes: readonly (OverlayChange | JournalEntry)[],
  block: bigint,
  firstSeq: number,
): KvOp[] {
  return changes.map((c, i) => ({
    type: "put",
    key: keys.undo(block, firstSeq + i),
    value: encodeUndo({ k: c.key, v: c.previous ?? null }),
  }));
}

/**
 * An undo entry as stored: "-<key>" (the key was absent) or "+<key>\0<previous value>" — plain
 * text, so that a previous value (JSON) is not escaped again. Keys never contain NUL.
 */
export function encodeUndo(entry: UndoEntry): string {
  return entry.v === null ? `-${entry.k}` : `+${entry.k}\u0000${entry.v}`;
}

export function decodeUndo(text: string): UndoEntry {
  if (text.startsWith("-")) return { k: text.slice(1), v: null };
  const split = text.indexOf("\u0000");
  if (!text.startsWith("+") || split < 0)
    throw new Error(`malformed undo entry ${JSON.stringify(text.slice(0, 80))}`);
  return { k: text.slice(1, split), v: text.slice(split + 1) };
}

/** The next free undo sequence number of `block`. */
export async function nextUndoSeq(store: KvStore, block: bigint): Promise<number> {
  const prefix = keys.undoBlockPrefix(block);
  for await (const key of store.keys({
    gte: prefix,
    lt: prefixEnd(prefix),
    reverse: true,
    limit: 1,
  })) {
    return Number(key.slice(key.lastIndexOf(SEP) + 1)) + 1;
  }
  return 0;
}

export interface UndoPlan {
  /** The value each key gets back (null: delete it). */
  restore: Map<string, string | null>;
  /** The undo entries read (to delete). */
  entryKeys: string[];
}

/** Reads the undo entries of every block after `ancestor`, newest first, into the values to restore. */
export async function planUndo(store: KvStore, ancestor: bigint): Promise<UndoPlan> {
  const restore = new Map<string, string | null>();
  const entryKeys: string[] = [];
  const from = `${PREFIX.undo}${SEP}${padBlock(ancestor + 1n)}`;
  for await (const [key, value] of store.entries({
    gte: from,
    lt: prefixEnd(PREFIX.undo + SEP),
    reverse: true,
  })) {
    const entry = decodeUndo(value);
    // newest first: an older entry of the same key overwrites, so the oldest previous value wins
    restore.set(entry.k, entry.v);
    entryKeys.push(key);
  }
  return { restore, entryKeys };
}
