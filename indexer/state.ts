/**
 * The indexer's own state: checkpoint, finalized block, the block-hash window. Stored in the store
 * (and written in the same batch as what they describe); the indexer, the only writer, keeps a copy
 * in memory so that applying a block needs no read for them.
 */
import type { Hex } from "../core/index.js";
import { ZERO_BYTES32 } from "../core/index.js";
import { decodeValue, encodeValue } from "./codec.js";
import { PREFIX, SEP, keys, prefixEnd } from "./keys.js";
import type { KvOp, KvReader } from "./kvStore.js";
import type { StoredBlock, StoredCheckpoint } from "./types.js";

/** The checkpoint before anything is applied. */
export const GENESIS_CHECKPOINT: StoredCheckpoint = {
  number: 0n,
  hash: ZERO_BYTES32,
  timestamp: 0n,
};

/** What the indexer knows of itself; updated after each committed batch. */
export interface IndexerState {
  checkpoint: StoredCheckpoint;
  /** The highest block the stream said is final (0 when none). */
  finalized: bigint;
  /**
   * Whether a batch file was ever stored (`up:` keys). Until then no record can exist before its
   * own `Attested` event (only a leaf of an uploaded file can), so projections need not look.
   */
  batchFiles: boolean;
  /**
   * Blocks below this have no undo entries or block hashes left (in memory only: 0 after a start,
   * until the first prune). Each prune deletes from here, not from the start of the families: the
   * keys it deleted before linger in LevelDB as tombstones until a compaction, and a delete over a
   * range steps over every one of them.
   */
  prunedBelow: bigint;
}

export async function readCheckpoint(store: KvReader): Promise<StoredCheckpoint> {
  const text = await store.get(keys.checkpoint());
  return text === undefined ? GENESIS_CHECKPOINT : decodeValue<StoredCheckpoint>(text);
}

export function checkpointOp(checkpoint: StoredCheckpoint): KvOp {
  return { type: "put", key: keys.checkpoint(), value: encodeValue(checkpoint) };
}

export async function readFinalized(store: KvReader): Promise<bigint> {
  const text = await store.get(keys.finalized());
  return text === undefined ? 0n : decodeValue<bigint>(text);
}

export function finalizedOp(number: bigint): KvOp {
  return { type: "put", key: keys.finalized(), value: encodeValue(number) };
}

/** Whether the store holds a batch file. */
export async function hasBatchFiles(store: KvReader): Promise<boolean> {
  const prefix = PREFIX.upload + SEP;
  for await (const key of store.keys({ gte: prefix, lt: prefixEnd(prefix), limit: 1 }))
    return key.startsWith(prefix);
  return false;
}

export async function readState(store: KvReader): Promise<IndexerState> {
  return {
    checkpoint: await readCheckpoint(store),
    finalized: await readFinalized(store),
    batchFiles: await hasBatchFiles(store),
    prunedBelow: 0n,
  };
}

export async function readBlock(store: KvReader, number: bigint): Promise<StoredBlock | undefined> {
  const text = await store.get(keys.blockHash(number));
  return text === undefined ? undefined : decodeValue<StoredBlock>(text);
}

export function isGenesis(checkpoint: { number: bigint; hash: Hex }): boolean {
  return checkpoint.number === 0n && checkpoint.hash === ZERO_BYTES32;
}
