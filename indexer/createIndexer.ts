/**
 * The indexer: consumes a ledger's `block | reorg | finalize` stream from its checkpoint into
 * LevelDB projections, and serves the read API over them. One place — `handle` — decides what each
 * stream item does; every write (stream items and batch-file uploads) runs one at a time.
 *
 * While backfilling, blocks the stream has already delivered are applied together, in one batch
 * (up to `maxBatchBlocks` blocks or `maxBatchEvents` events); `finalize` items that arrive with them
 * are taken first (they only name blocks already streamed), so that final blocks are written
 * without undo entries, and the finalized mark goes into the blocks' batch (a write of its own
 * would wait for the batch in flight, and the projection of the next blocks with it); the reorg
 * window is pruned once that batch is written. A `reorg` always ends such a group.
 *
 * Writes are pipelined: while LevelDB writes one batch of blocks, the next blocks are projected
 * over that batch's overlay (reads see it as written); their batch is written after it. Updates
 * are announced, and reads see a batch, only once it is written. Rollbacks, uploads, the digest
 * and `knownBlock` first wait for the batch in flight.
 */
import { setImmediate as nextMacrotask } from "node:timers/promises";

import { Level } from "level";

import type { Hex, PositionedEvent, RecordLeafInput } from "../core/index.js";
import type { BlockRef, Checkpoint, LedgerStream, StreamItem } from "../ledger/types.js";
import type { ApplyResult, BlockInput, StoreDeps } from "./applyBlock.js";
import { prepareBlocks } from "./applyBlock.js";
import { digestStore } from "./digest.js";
import { advanceFinalized, finalizeTo, pruneWindow } from "./finalize.js";
import type { KvReader, KvStore } from "./kvStore.js";
import { INDEXER_SUBLEVEL, createLevelStore } from "./kvStore.js";
import type { IndexerLogger } from "./logger.js";
import type { Overlay } from "./overlay.js";
import { silentLogger } from "./logger.js";
import type { ReadApi } from "./readModels.js";
import { createReadApi } from "./readModels.js";
import type { RollbackResult } from "./rollback.js";
import { rollbackTo } from "./rollback.js";
import { finalizedOp, isGenesis, readBlock, readState } from "./state.js";
import type { StoredCheckpoint } from "./types.js";
import type { UploadResult } from "./uploadBatchLeaves.js";
import { uploadBatchLeaves } from "./uploadBatchLeaves.js";

export interface CreateIndexerOptions {
  /** A directory for a LevelDB database the indexer opens (and closes), or an open `level` database. */
  db: string | Level;
  ledger: LedgerStream;
  logger?: IndexerLogger;
  /** Milliseconds since the epoch (default Date.now); used for `overdue` and `expired` at read time. */
  clock?: () => number;
  /** Undo entries and block hashes kept below the finalized block (default 64). */
  retainBlocks?: number;
  /** The sublevel of `db` that holds the indexer's keys (default "indexer"). */
  sublevel?: string;
  /**
   * Where an empty store starts: after this block (e.g. the contracts' deployment block − 1), so a
   * backfill skips the blocks before. Ignored once a checkpoint is stored. Default 0.
   */
  fromBlock?: bigint;
  /** At most this many delivered blocks go into one batch while backfilling (default 1,000). */
  maxBatchBlocks?: number;
  /** … and at most about this many events (default 5,000). */
  maxBatchEvents?: number;
}

/**
 * LevelDB settings of a node's database (the indexer's when it opens it itself; gateway/main.ts
 * opens the node's with them). A backfill writes hundreds of MB of randomly ordered keys (uids,
 * subjects): with LevelDB's default 4 MB write buffer and 2 MB files, compactions rewrite that
 * data again and again, and cost more CPU than the indexer. 64 MB buffers and files cut
 * compaction work by about a third (at up to ~130 MB more memory).
 */
export const NODE_DB_OPTIONS = {
  writeBufferSize: 64 * 1024 * 1024,
  maxFileSize: 64 * 1024 * 1024,
} as const;

/** A batch of blocks LevelDB is writing. */
interface Inflight {
  /** What the batch writes, over the store; undefined once written (or failed). */
  overlay: Overlay | undefined;
  checkpoint: StoredCheckpoint;
  written: Promise<void>;
}

/** Batches written one after the other, each projected over the one before (see startApply). */
interface WriteSession {
  /** The first write of the session that failed. */
  failure?: { error: unknown };
}

/**
 * Reads through the overlay of a batch while it is being written, through the store once it is:
 * the next batch's overlay sits on this, so overlays never pile up in a chain.
 */
function readThrough(entry: Inflight, store: KvReader): KvReader {
  const current = (): KvReader => entry.overlay ?? store;
  return {
    get: (key) => current().get(key),
    getMany: (keys) => current().getMany(keys),
    keys: (range) => current().keys(range),
  };
}

/** What subscribers hear after each committed change. */
export type IndexerUpdate =
  | { type: "block"; checkpoint: StoredCheckpoint; blocks: number; events: number; subjects: Hex[] }
  | { type: "reorg"; ancestor: Checkpoint; droppedBlocks: number; subjects: Hex[] }
  | { type: "finalize"; number: bigint }
  | { type: "upload"; root: Hex; count: number; subjects: Hex[] };

export interface IndexerStats {
  blocksApplied: number;
  eventsApplied: number;
  /** Batches written for blocks (one per block, or per range while backfilling). */
  batches: number;
  reorgs: number;
  blocksRolledBack: number;
  uploads: number;
}

export interface IndexerStatus {
  checkpoint: StoredCheckpoint;
  finalized: bigint;
  /** The ledger's newest block; null when the ledger could not be asked (see headError). */
  head: BlockRef | null;
  headError: string | null;
  blocksBehind: bigint;
  /** head timestamp − checkpoint block timestamp (0 when caught up or unknown). */
  secondsBehind: number;
  running: boolean;
  stats: IndexerStats;
}

export interface Indexer extends ReadApi {
  readonly store: KvStore;
  /** The one place a stream item is handled. */
  handle(item: StreamItem): Promise<void>;
  /** Handles items in order, applying consecutive blocks in one batch. */
  handleMany(items: readonly StreamItem[]): Promise<void>;
  applyBlock(block: BlockRef, events: readonly PositionedEvent[]): Promise<ApplyResult>;
  /** Applies consecutive blocks in one batch. */
  applyBlocks(blocks: readonly BlockInput[]): Promise<ApplyResult>;
  rollbackTo(ancestor: Checkpoint): Promise<RollbackResult>;
  finalize(number: bigint): Promise<void>;
  /** Accepts the leaves of an anchored batch (see uploadBatchLeaves.ts); ValidationError otherwise. */
  uploadBatchLeaves(root: string, leaves: readonly RecordLeafInput[]): Promise<UploadResult>;
  /** The hash of an applied block still in the window (what the stream asks to find an ancestor). */
  knownBlock(number: bigint): Promise<Hex | undefined>;
  /** Consumes the stream from the checkpoint until it ends or `signal` aborts. */
  run(options?: { signal?: AbortSignal }): Promise<void>;
  /** Runs in the background; errors go to the logger and to `stop()`. */
  start(): void;
  /** Stops a background run and waits for it; rethrows the error that ended it, if any. */
  stop(): Promise<void>;
  status(): Promise<IndexerStatus>;
  digest(): Promise<Hex>;
  subscribe(listener: (update: IndexerUpdate) => void): () => void;
  /** Resolves once the checkpoint reaches `number`. */
  waitForBlock(number: bigint, options?: { signal?: AbortSignal }): Promise<StoredCheckpoint>;
  /** Stops, then closes the database if the indexer opened it. */
  close(): Promise<void>;
}

function positiveInteger(
  value: number | undefined,
  fallback: number,
  name: string,
  minimum: number,
): number {
  const n = value ?? fallback;
  if (!Number.isSafeInteger(n) || n < minimum)
    throw new RangeError(`${name} must be an integer ≥ ${minimum}`);
  return n;
}

/**
 * The value of a promise if it fulfils within one turn of the event loop; undefined if not yet (or
 * if it rejects: the caller meets the error when it awaits the promise itself).
 */
async function ifReady<T>(promise: Promise<T>): Promise<{ value: T } | undefined> {
  let settled: { value: T } | undefined;
  promise.then(
    (value) => (settled = { value }),
    () => undefined,
  );
  await nextMacrotask();
  return settled;
}

export async function createIndexer(options: CreateIndexerOptions): Promise<Indexer> {
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? Date.now;
  const retainBlocks = positiveInteger(options.retainBlocks, 64, "retainBlocks", 0);
  const maxBatchBlocks = positiveInteger(options.maxBatchBlocks, 1_000, "maxBatchBlocks", 1);
  const maxBatchEvents = positiveInteger(options.maxBatchEvents, 5_000, "maxBatchEvents", 1);
  const ownsDb = typeof options.db === "string";
  const db = typeof options.db === "string" ? new Level(options.db, NODE_DB_OPTIONS) : options.db;
  await db.open();
  const store = createLevelStore(db, options.sublevel ?? INDEXER_SUBLEVEL);
  const deps: StoreDeps = { store, logger, state: await readState(store) };
  const { ledger } = options;

  const stats: IndexerStats = {
    blocksApplied: 0,
    eventsApplied: 0,
    batches: 0,
    reorgs: 0,
    blocksRolledBack: 0,
    uploads: 0,
  };
  const listeners = new Set<(update: IndexerUpdate) => void>();
  let queue: Promise<unknown> = Promise.resolve();
  let background:
    { controller: AbortController; done: Promise<void>; error: Error | undefined } | undefined;
  let closed = false;

  /** Runs writes one at a time, in call order. */
  function exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const result = queue.then(fn);
    queue = result.catch(() => undefined);
    return result;
  }

  function emit(update: IndexerUpdate): void {
    for (const listener of listeners) {
      try {
        listener(update);
      } catch (error) {
        logger.error("indexer: a subscriber failed", {
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
  }

  /**
   * The batch of blocks LevelDB is writing, if any. The next blocks are projected over its overlay
   * meanwhile (projection and the write overlap) and written after it; every other write waits
   * for it ({@link writesSettled}).
   */
  let inflight: Inflight | undefined;

  /**
   * The prunes of the reorg window, one after another. A batch's write does not wait for them:
   * they delete only keys below the window, which nothing else reads or writes. A failed one is
   * logged and redone by the next (pruning is idempotent, and `prunedBelow` stays put).
   */
  let pruning: Promise<void> = Promise.resolve();

  /** Prunes after the prunes already started; resolves once this one is done (or has failed). */
  function prune(): Promise<void> {
    pruning = pruning.then(() =>
      pruneWindow(deps, retainBlocks).catch((error: unknown) => {
        logger.warn("indexer: pruning the reorg window failed; the next finalize redoes it", {
          error: error instanceof Error ? error.message : String(error),
        });
      }),
    );
    return pruning;
  }

  /**
   * Resolves once no batch of blocks is being written (whether it was written or failed) and the
   * prunes they started are done.
   */
  async function writesSettled(): Promise<void> {
    while (inflight !== undefined) await inflight.written.catch(() => undefined);
    await pruning;
  }

  /**
   * Projects `blocks` in the write queue, hands their batch to LevelDB (after the batch in flight)
   * and leaves the queue; `committed` settles once the batch is written and announced.
   * `finalized`: a `finalize` that came with the blocks (it names blocks already streamed). It is
   * taken before they are projected — final blocks need no undo entries —, recorded in their batch
   * and announced before them once written; the window is pruned after that, while the next
   * blocks are being projected and written ({@link prune}).
   */
  function startApply(
    blocks: readonly BlockInput[],
    session: WriteSession,
    finalized?: bigint,
  ): Promise<{ committed: Promise<ApplyResult> }> {
    return exclusive(async () => {
      // After a failed write, later batches of the same session may have been projected on top of
      // it: none of them may be written (the next session starts from the written checkpoint).
      if (session.failure !== undefined) throw session.failure.error;
      /** The finalized block to record and announce (undefined: none, or not above the mark). */
      const final =
        finalized !== undefined && advanceFinalized(deps.state, finalized) ? finalized : undefined;
      const previous = inflight;
      const prepared = await prepareBlocks(
        deps,
        blocks,
        previous === undefined ? store : readThrough(previous, store),
        previous?.checkpoint ?? deps.state.checkpoint,
      );
      if (prepared === undefined) {
        const nothing = async (): Promise<ApplyResult> => {
          await writesSettled();
          if (final !== undefined) {
            await store.batch([finalizedOp(final)]);
            emit({ type: "finalize", number: final });
            await prune();
          }
          return {
            applied: 0,
            events: 0,
            writes: 0,
            subjects: [],
            checkpoint: deps.state.checkpoint,
          };
        };
        return { committed: nothing() };
      }
      const { ops, result } = prepared;
      if (final !== undefined) ops.push(finalizedOp(final));
      const written = (previous?.written ?? Promise.resolve()).then(async () => {
        await store.batch(ops);
        deps.state.checkpoint = result.checkpoint;
        stats.blocksApplied += result.applied;
        stats.eventsApplied += result.events;
        stats.batches++;
        if (final !== undefined) emit({ type: "finalize", number: final });
        emit({
          type: "block",
          checkpoint: result.checkpoint,
          blocks: result.applied,
          events: result.events,
          subjects: result.subjects,
        });
        if (final !== undefined) void prune();
      });
      const entry: Inflight = { overlay: prepared.overlay, checkpoint: result.checkpoint, written };
      inflight = entry;
      const done = (): void => {
        entry.overlay = undefined; // readers go to the store from now on
        if (inflight === entry) inflight = undefined;
      };
      written.then(done, (error: unknown) => {
        session.failure ??= { error };
        done();
      });
      return { committed: written.then(() => result) };
    });
  }

  async function doApply(blocks: readonly BlockInput[]): Promise<ApplyResult> {
    return (await startApply(blocks, {})).committed;
  }

  function doRollback(ancestor: Checkpoint): Promise<RollbackResult> {
    return exclusive(async () => {
      await writesSettled();
      const result = await rollbackTo(deps, ancestor);
      if (result.droppedBlocks > 0 || result.restored > 0) {
        stats.reorgs++;
        stats.blocksRolledBack += result.droppedBlocks;
        logger.info("indexer: rolled back", {
          ancestor: ancestor.number.toString(),
          droppedBlocks: result.droppedBlocks,
          restoredKeys: result.restored,
          reprojectedUploads: result.reprojected,
        });
        emit({
          type: "reorg",
          ancestor,
          droppedBlocks: result.droppedBlocks,
          subjects: result.subjects,
        });
      }
      return result;
    });
  }

  /**
   * Needs no wait for a batch in flight: it prunes only below the written checkpoint, and a
   * finalized mark above the written checkpoint is harmless (those blocks are final).
   */
  function doFinalize(number: bigint): Promise<void> {
    return exclusive(async () => {
      if (!(await finalizeTo(deps, number))) return;
      emit({ type: "finalize", number });
      await prune();
    });
  }

  async function handle(item: StreamItem): Promise<void> {
    switch (item.type) {
      case "block":
        await doApply([item]);
        return;
      case "reorg":
        await doRollback(item.ancestor);
        return;
      case "finalize":
        await doFinalize(item.number);
        return;
    }
  }

  /** The highest `finalize` among `items` from `start` up to the next reorg. */
  function finalizeAhead(items: readonly StreamItem[], start: number): bigint | undefined {
    let finalized: bigint | undefined;
    for (let i = start; i < items.length; i++) {
      const item = items[i];
      if (item.type === "reorg") break;
      if (item.type === "finalize" && (finalized === undefined || item.number > finalized))
        finalized = item.number;
    }
    return finalized;
  }

  /**
   * Handles items in order, consecutive blocks in batches; resolves once the last batch is handed
   * to LevelDB, with `written`, which settles when every batch is written.
   */
  async function startMany(
    items: readonly StreamItem[],
    session: WriteSession,
  ): Promise<{ written: Promise<unknown> }> {
    let blocks: BlockInput[] = [];
    let events = 0;
    const writes: Promise<ApplyResult>[] = [];
    // A finalize names blocks already streamed (in this group or before): recorded before any of
    // them is written, final blocks need no undo entries. A reorg ends such a run of items.
    let finalized = finalizeAhead(items, 0);
    const flush = async (): Promise<void> => {
      if (blocks.length > 0) {
        const { committed } = await startApply(blocks, session, finalized);
        // A failed write may reject this before the group is handed over (the run meets the
        // error through `written`, and the session's failure, then): not an unhandled rejection.
        committed.catch(() => undefined);
        writes.push(committed);
      } else if (finalized !== undefined) await doFinalize(finalized);
      finalized = undefined;
      blocks = [];
      events = 0;
    };
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (item.type === "block") {
        blocks.push(item);
        events += item.events.length;
        if (blocks.length >= maxBatchBlocks || events >= maxBatchEvents) await flush();
      } else if (item.type === "reorg") {
        await flush();
        await handle(item);
        finalized = finalizeAhead(items, i + 1);
      }
    }
    await flush();
    return { written: Promise.all(writes) };
  }

  async function handleMany(items: readonly StreamItem[]): Promise<void> {
    await (
      await startMany(items, {})
    ).written;
  }

  async function knownBlock(number: bigint): Promise<Hex | undefined> {
    await writesSettled();
    const checkpoint = deps.state.checkpoint;
    if (number === checkpoint.number) return checkpoint.hash;
    if (number > checkpoint.number) return undefined;
    return (await readBlock(store, number))?.hash;
  }

  async function run(runOptions: { signal?: AbortSignal } = {}): Promise<void> {
    const { signal } = runOptions;
    const checkpoint = deps.state.checkpoint;
    const fromBlock = options.fromBlock ?? 0n;
    const from: Checkpoint =
      isGenesis(checkpoint) && fromBlock > 0n
        ? { number: fromBlock, hash: checkpoint.hash }
        : { number: checkpoint.number, hash: checkpoint.hash };
    logger.info("indexer: resuming", { from: from.number.toString(), hash: from.hash });
    const iterator = ledger.stream({ from, knownBlock, signal })[Symbol.asyncIterator]();
    // While a group's batches are written, the next group is read and projected. A failed write
    // ends the run at once (the wait for the next item rejects), and the run ends only once every
    // write settled.
    const session: WriteSession = {};
    let written: Promise<unknown> = Promise.resolve();
    let failure: { error: Error } | undefined;
    let interrupt: ((error: Error) => void) | undefined;
    const fail = (error: unknown): void => {
      failure ??= { error: error instanceof Error ? error : new Error(String(error)) };
      interrupt?.(failure.error);
    };
    // The next stream item, or the write failure if one comes first. (Not Promise.race with one
    // promise of the whole run: every race would leave a reaction on it holding its item, and a
    // node following the head would keep every block it ever read.)
    const nextOrFailure = (
      next: Promise<IteratorResult<StreamItem>>,
    ): Promise<IteratorResult<StreamItem>> =>
      new Promise<IteratorResult<StreamItem>>((resolve, reject) => {
        if (failure !== undefined) {
          reject(failure.error);
          return;
        }
        interrupt = reject;
        next.then(resolve, reject);
      }).finally(() => {
        interrupt = undefined;
      });
    try {
      let next = iterator.next();
      for (;;) {
        const first = await nextOrFailure(next);
        if (first.done === true) break;
        next = iterator.next();
        const group: StreamItem[] = [first.value];
        let events = first.value.type === "block" ? first.value.events.length : 0;
        let ended = false;
        // take what the stream has delivered already, up to a reorg; past the limits only to
        // reach the `finalize` that follows a range of blocks (see startMany), within bounds
        while (first.value.type !== "reorg") {
          const full = group.length >= maxBatchBlocks || events >= maxBatchEvents;
          if (
            full &&
            (group[group.length - 1].type === "finalize" ||
              group.length >= 4 * maxBatchBlocks ||
              events >= 4 * maxBatchEvents)
          )
            break;
          const ready = await ifReady(next);
          if (ready === undefined) break;
          if (ready.value.done === true) {
            ended = true;
            break;
          }
          next = iterator.next();
          group.push(ready.value.value);
          const item = ready.value.value;
          if (item.type === "reorg") break;
          if (item.type === "block") events += item.events.length;
        }
        ({ written } = await startMany(group, session));
        written.catch(fail);
        if (ended || signal?.aborted === true) break;
      }
    } catch (error) {
      if (signal?.aborted !== true) throw error;
    } finally {
      await iterator.return?.();
      // (a pending write still settles before the run ends; an error is thrown on already)
      await written.catch(() => undefined);
    }
    if (signal?.aborted === true) return;
    await written;
    if (session.failure !== undefined) throw session.failure.error;
  }

  const readApi = createReadApi({ store, clock });

  const indexer: Indexer = {
    ...readApi,
    store,
    handle,
    handleMany,
    applyBlock: (block, events) => doApply([{ block, events }]),
    applyBlocks: doApply,
    rollbackTo: doRollback,
    finalize: doFinalize,
    uploadBatchLeaves: (root, leaves) =>
      exclusive(async () => {
        await writesSettled();
        const result = await uploadBatchLeaves(deps, root, leaves);
        if (result.projected) {
          stats.uploads++;
          emit({
            type: "upload",
            root: result.root,
            count: result.count,
            subjects: result.subjects,
          });
        }
        return result;
      }),
    knownBlock,
    run,
    start() {
      if (background !== undefined) return;
      const controller = new AbortController();
      const state: { controller: AbortController; done: Promise<void>; error: Error | undefined } =
        {
          controller,
          error: undefined,
          done: Promise.resolve(),
        };
      state.done = run({ signal: controller.signal }).catch((error: unknown) => {
        state.error = error instanceof Error ? error : new Error(String(error));
        logger.error("indexer: stream ended with an error", { error: state.error.message });
      });
      background = state;
    },
    async stop() {
      const current = background;
      if (current === undefined) return;
      current.controller.abort();
      await current.done;
      background = undefined;
      if (current.error !== undefined) throw current.error;
    },
    async status() {
      const { checkpoint, finalized } = deps.state;
      let head: BlockRef | null = null;
      let headError: string | null = null;
      try {
        head = await ledger.head();
      } catch (error) {
        headError = error instanceof Error ? error.message : String(error);
      }
      const blocksBehind =
        head !== null && head.number > checkpoint.number ? head.number - checkpoint.number : 0n;
      const secondsBehind =
        head !== null && blocksBehind > 0n && head.timestamp > checkpoint.timestamp
          ? Number(head.timestamp - checkpoint.timestamp)
          : 0;
      return {
        checkpoint,
        finalized,
        head,
        headError,
        blocksBehind,
        secondsBehind,
        running: background !== undefined,
        stats: { ...stats },
      };
    },
    digest: () =>
      exclusive(async () => {
        await writesSettled();
        return digestStore(store);
      }),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    waitForBlock(number, waitOptions = {}) {
      const reached = deps.state.checkpoint;
      if (reached.number >= number) return Promise.resolve(reached);
      return new Promise<StoredCheckpoint>((resolve, reject) => {
        const { signal } = waitOptions;
        const onAbort = (): void => {
          unsubscribe();
          reject(
            signal?.reason instanceof Error ? signal.reason : new Error("waitForBlock aborted"),
          );
        };
        const unsubscribe = indexer.subscribe((update) => {
          if (update.type === "block" && update.checkpoint.number >= number) {
            unsubscribe();
            signal?.removeEventListener("abort", onAbort);
            resolve(update.checkpoint);
          }
        });
        signal?.addEventListener("abort", onAbort, { once: true });
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await indexer.stop();
      } finally {
        await queue;
        await writesSettled();
        if (ownsDb) await db.close();
      }
    },
  };
  return indexer;
}
