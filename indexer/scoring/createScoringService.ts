/**
 * The scoring service inside a node (ARCHITECTURE "Verified scores"). It listens to the indexer:
 * every committed block, reorg or batch-file upload names the subjects it touched, and those are
 * rescored at once — a provisional score, readable within a second of the block. Every
 * `anchorIntervalMs` the scores changed since the last anchor go into one score batch (core
 * buildScoreBatch: one leaf per subject, one model, one as-of block), anchored with one
 * `anchorScoreBatch` transaction of the node's SCORER key; once the indexer has the batch, each
 * score still equal to its leaf is verified and gets its proof.
 *
 * State lives in the sublevel `scoring` of the node's database (scoringKeys.ts), outside the
 * indexer's undo log: a restart resumes the pending set and finishes a batch that was sent.
 * Expiry: each score remembers its inputs' next expiry; the first block at or after it rescores
 * the subject. A new model (at start, or setModel) rescores every subject.
 */
import { setImmediate as nextMacrotask } from "node:timers/promises";

import type { Level } from "level";

import type { CompiledScorecard, Hex, ScoreBatchTree } from "../../core/index.js";
import { CredtrailError, buildScoreBatch } from "../../core/index.js";
import type { LedgerWriter } from "../../ledger/types.js";
import { decodeValue, encodeValue } from "../codec.js";
import type { IndexerUpdate } from "../createIndexer.js";
import { prefixEnd } from "../keys.js";
import type { KvOp, KvStore } from "../kvStore.js";
import { createLevelStore } from "../kvStore.js";
import type { IndexerLogger } from "../logger.js";
import { silentLogger } from "../logger.js";
import type { Page, PageArgs } from "../pagination.js";
import { paginate } from "../pagination.js";
import type { ReadApi } from "../readModels.js";
import type { RecordStore } from "../records/recordStore.js";
import type { SchemaDefinitions } from "../records/schemaDefinitions.js";
import { createSchemaDefinitions } from "../records/schemaDefinitions.js";
import type { StoredCheckpoint } from "../types.js";
import { computeSubjectScore, sameScore, storedScoreOf } from "./scoreSubject.js";
import type { ScoreChange, ScoringStatus, StoredScore, StoredScoreProof } from "./scoreTypes.js";
import type { SubjectUids } from "./scoringInputs.js";
import {
  readAttestations,
  scanSubjectUids,
  schemaNames,
  scoringInputs,
  subjectUids,
} from "./scoringInputs.js";
import type { AnchoredBatch, ScoringMeta, SentBatch } from "./scoringKeys.js";
import { SCORING_SUBLEVEL, scoringKeys } from "./scoringKeys.js";
import { createCurrentScores } from "./currentScores.js";
import { expiredSubjects, moveExpiry, putScore, readCurrent, treeOf } from "./scoreStore.js";

export const ScoringErrorCodes = {
  /** The model's hash is not registered on the ledger: scores are not anchored. */
  MODEL_NOT_REGISTERED: "MODEL_NOT_REGISTERED",
  /** This node has no scorer key. */
  NO_SCORER_KEY: "NO_SCORER_KEY",
} as const;

/** The indexer as the service uses it. */
export interface ScoringIndexer extends Pick<
  ReadApi,
  "listAttestationsBySubject" | "getSchema" | "getModel" | "getScoreBatch" | "checkpoint"
> {
  /** The indexer's own store (subjects are enumerated from its by-subject index). */
  readonly store: Pick<KvStore, "keys" | "getMany">;
  subscribe(listener: (update: IndexerUpdate) => void): () => void;
  waitForBlock(number: bigint, options?: { signal?: AbortSignal }): Promise<StoredCheckpoint>;
}

export interface CreateScoringServiceOptions {
  indexer: ScoringIndexer;
  /** The node's database (the service keeps its state in the sublevel `scoring`), or a KvStore. */
  db: Level | KvStore;
  records: RecordStore;
  model: CompiledScorecard;
  /** A writer with a SCORER key; absent: scores stay provisional. */
  writer?: Pick<LedgerWriter, "anchorScoreBatch"> | null;
  /** Default 60 s. */
  anchorIntervalMs?: number;
  /** Milliseconds since the epoch (provisionalSince, batch times). Default Date.now. */
  clock?: () => number;
  logger?: IndexerLogger;
  /** Subjects read and scored together (default 200). */
  chunkSize?: number;
}

export interface AnchorResult {
  root: Hex;
  count: number;
  txHash: Hex;
  blockNumber: bigint;
  /** Scores verified by this batch (the others changed meanwhile and stay pending). */
  verified: number;
}

export interface RescoreResult {
  subjects: number;
  /** Records evaluated (the inputs of every subject scored). */
  evaluations: number;
  /** Subjects whose score changed (a new version). */
  changed: number;
  ms: number;
}

export interface ScoringService {
  readonly model: CompiledScorecard;
  /** Scores subjects the store has not seen under this model, then follows the indexer. */
  start(): Promise<void>;
  stop(): Promise<void>;
  getScore(subject: string): Promise<StoredScore | null>;
  /** Versions of a subject's score, newest first. */
  listHistory(subject: string, args?: PageArgs): Promise<Page<StoredScore>>;
  /** Why a score is not verified (null once it is). */
  provisionalReason(score: StoredScore): string | null;
  /** Calls `listener` for each change of the subject's score (every subject when null). */
  watch(subject: string | null, listener: (change: ScoreChange) => void): () => void;
  /** Marks subjects for rescoring (e.g. their record contents arrived); returns at once. */
  touch(subjects: readonly string[]): void;
  /** Rescores these subjects now and resolves when done. */
  rescore(subjects: readonly string[]): Promise<RescoreResult>;
  /** Rescores every subject the indexer knows. */
  rescoreAll(): Promise<RescoreResult>;
  /** Switches to another model (a new version) and rescores every subject. */
  setModel(model: CompiledScorecard): Promise<RescoreResult>;
  /** Anchors the pending scores now (what the timer does); null when there was nothing to do. */
  anchorNow(): Promise<AnchorResult | null>;
  /** Resolves once every update heard so far is scored. */
  idle(): Promise<void>;
  status(): ScoringStatus;
}

function isKvStore(db: Level | KvStore): db is KvStore {
  return typeof (db as Level).sublevel !== "function";
}

const DAY_MS = 86_400_000;

const errorText = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

export async function createScoringService(
  options: CreateScoringServiceOptions,
): Promise<ScoringService> {
  const { indexer, records } = options;
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? Date.now;
  const writer = options.writer ?? null;
  const anchorIntervalMs = options.anchorIntervalMs ?? 60_000;
  const chunkSize = options.chunkSize ?? 200;
  if (!Number.isSafeInteger(anchorIntervalMs) || anchorIntervalMs < 1)
    throw new RangeError("anchorIntervalMs must be a positive integer");
  const currentScores = createCurrentScores(
    isKvStore(options.db) ? options.db : createLevelStore(options.db, SCORING_SUBLEVEL),
  );
  // every write goes through the cache's store, which keeps getScore's cached scores right
  const store = currentScores.store;
  const schemas: SchemaDefinitions = createSchemaDefinitions(indexer);
  let model = options.model;

  const storedMeta = await store.get(scoringKeys.meta());
  const meta: ScoringMeta =
    storedMeta === undefined
      ? { modelHash: model.modelHash, scoredBlock: -1n }
      : decodeValue<ScoringMeta>(storedMeta);
  const pending = new Set<Hex>();
  for await (const key of store.keys({
    gte: scoringKeys.pendingPrefix,
    lt: prefixEnd(scoringKeys.pendingPrefix),
  }))
    pending.add(key.slice(scoringKeys.pendingPrefix.length) as Hex);

  const listeners = new Map<string, Set<(change: ScoreChange) => void>>();
  const everyListener = new Set<(change: ScoreChange) => void>();
  const dirty = new Set<Hex>();
  let draining: Promise<void> | undefined;
  let expiryDue: bigint | undefined;
  /** A block of a new calendar day was heard: every subject is rescored. */
  let dayDue = false;
  /** The lowest reorg ancestor heard since the last check of anchored batches. */
  let reorgedTo: bigint | undefined;
  /** The last block (or reorg ancestor) an indexer update was heard for. */
  let heardBlock: bigint | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  let unsubscribe: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  let anchoring: Promise<AnchorResult | null> | undefined;
  const stopController = new AbortController();
  let modelRegistered: boolean | null = null;
  let lastAnchor: ScoringStatus["lastAnchor"] = null;
  let lastAnchorError: string | null = null;
  let inflight: { root: Hex; seqs: Map<Hex, number> } | undefined;

  /** Rescoring and the two store-side halves of an anchor run one at a time. */
  function exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const result = queue.then(fn);
    queue = result.catch(() => undefined);
    return result;
  }

  function emit(change: ScoreChange): void {
    const notify = (listener: (change: ScoreChange) => void): void => {
      try {
        listener(change);
      } catch (error) {
        logger.error("scoring: a listener failed", { error: errorText(error) });
      }
    };
    for (const listener of listeners.get(change.score.subject) ?? []) notify(listener);
    for (const listener of everyListener) notify(listener);
  }

  /** Scores `subjects` at the indexer's checkpoint; writes new versions in one batch per chunk. */
  function scoreSubjects(listed: readonly Hex[]): Promise<RescoreResult> {
    // (chunks are read ahead of the writes of the previous one: a subject must be in one chunk)
    const subjects = [...new Set(listed)];
    return scoreChunks(
      (async function* () {
        for (let start = 0; start < subjects.length; start += chunkSize) {
          const chunk = subjects.slice(start, start + chunkSize);
          yield Promise.all(
            chunk.map(async (subject) => ({
              subject,
              uids: await subjectUids(indexer.store, subject),
            })),
          );
        }
      })(),
    );
  }

  /**
   * Scores chunks of subjects (with their attestations' uids) at the indexer's checkpoint; writes
   * new versions in one batch per chunk.
   */
  async function scoreChunks(
    source: AsyncIterable<SubjectUids[] | Promise<SubjectUids[]>>,
  ): Promise<RescoreResult> {
    const began = clock();
    let subjectCount = 0;
    let evaluations = 0;
    let changed = 0;
    // The reads of the next chunk (LevelDB's threads, decryption) run while this one is scored
    // and written: chunks are disjoint sets of subjects.
    const load = async (groups: readonly SubjectUids[]) => {
      const chunk = groups.map((g) => g.subject);
      const [attestations, currents, contents] = await Promise.all([
        readAttestations(indexer.store, groups),
        readCurrent(store, chunk),
        records.getBySubjects(chunk),
      ]);
      // read after the records: a change after this block rescores the subject again
      const checkpoint = await indexer.checkpoint();
      const names = await schemaNames(schemas, attestations);
      const inputs = chunk.map((subject, i) =>
        scoringInputs(model, subject, attestations[i], contents[i], names, checkpoint.timestamp),
      );
      return { chunk, currents, checkpoint, inputs };
    };
    const iterator = source[Symbol.asyncIterator]();
    const prefetch = async () => {
      const step = await iterator.next();
      if (step.done === true) return undefined;
      return load(await step.value);
    };
    let next: ReturnType<typeof prefetch> | undefined = prefetch();
    let writing: Promise<void> | undefined;
    try {
      for (;;) {
        const loaded = await next;
        next = undefined;
        if (loaded === undefined) break;
        next = prefetch();
        next.catch(() => undefined); // awaited above; no unhandled rejection meanwhile
        const { chunk, currents, checkpoint, inputs } = loaded;
        subjectCount += chunk.length;
        const ops: KvOp[] = [];
        const changes: ScoreChange[] = [];
        const now = clock();
        for (let i = 0; i < chunk.length; i++) {
          const subject = chunk[i];
          const current = currents[i];
          if (inputs[i].records === 0) {
            // no records (any more: a reorg dropped them): no score; the history stays
            if (current !== undefined) {
              ops.push({ type: "del", key: scoringKeys.current(subject) });
              ops.push({ type: "del", key: scoringKeys.pending(subject) });
              if (current.nextExpiry !== null)
                ops.push({ type: "del", key: scoringKeys.expiry(current.nextExpiry, subject) });
              pending.delete(subject);
            }
            continue;
          }
          evaluations += inputs[i].inputs.length;
          const computed = computeSubjectScore(
            model,
            subject,
            inputs[i].inputs,
            checkpoint.timestamp,
            checkpoint.number,
          );
          if (computed.invalid.length > 0)
            logger.warn("scoring: records left out (malformed for the model)", {
              subject,
              uids: computed.invalid,
            });
          const next = storedScoreOf(subject, computed, inputs[i], (current?.seq ?? 0) + 1, now);
          if (current !== undefined && sameScore(current, next)) {
            if (current.nextExpiry !== next.nextExpiry) {
              moveExpiry(ops, current, next);
              putScore(ops, { ...current, nextExpiry: next.nextExpiry });
            }
            continue;
          }
          moveExpiry(ops, current, next);
          putScore(ops, next);
          ops.push({ type: "put", key: scoringKeys.pending(subject), value: "" });
          changes.push({ type: "scored", score: next });
        }
        // the next chunk is scored while this one is written (its changes told once written)
        const written = store.batch(ops).then(() => {
          for (const change of changes) {
            pending.add(change.score.subject);
            emit(change);
          }
        });
        written.catch(() => undefined); // awaited below; no unhandled rejection meanwhile
        await writing;
        writing = written;
        changed += changes.length;
      }
      await writing;
    } finally {
      // a failed chunk: the reads and the write already under way end before the source is closed
      await next?.catch(() => undefined);
      await writing?.catch(() => undefined);
      await iterator.return?.();
    }
    return { subjects: subjectCount, evaluations, changed, ms: clock() - began };
  }

  /**
   * After a reorg to `ancestor`: a batch anchored above it that the indexer no longer holds no
   * longer verifies anything — the versions it verified lose their proof and are pending again; a
   * batch the new branch anchored again (same root) keeps its proofs, with the new block.
   */
  async function checkAnchoredAfter(ancestor: bigint): Promise<void> {
    const entries: AnchoredBatch[] = [];
    for await (const [, value] of store.entries({
      gte: scoringKeys.anchoredAfter(ancestor),
      lt: scoringKeys.anchoredEnd,
    }))
      entries.push(decodeValue<AnchoredBatch>(value));
    for (const entry of entries) {
      const batch = await indexer.getScoreBatch(entry.root);
      if (batch !== null && batch.audit.block === entry.block) continue;
      const ops: KvOp[] = [{ type: "del", key: scoringKeys.anchored(entry.block, entry.root) }];
      const fix = (score: StoredScore): StoredScore | undefined => {
        if (score.proof?.root !== entry.root) return undefined;
        if (batch === null) return { ...score, proof: null };
        const { tx, block, blockHash } = batch.audit;
        return { ...score, proof: { ...score.proof, batchTx: tx, blockNumber: block, blockHash } };
      };
      const currents = await readCurrent(store, entry.subjects);
      const histories = await store.getMany(
        entry.subjects.map((s, i) => scoringKeys.history(s, entry.seqs[i])),
      );
      const unverified: StoredScore[] = [];
      for (let i = 0; i < entry.subjects.length; i++) {
        const history = histories[i];
        const fixedHistory =
          history === undefined ? undefined : fix(decodeValue<StoredScore>(history));
        if (fixedHistory !== undefined)
          ops.push({
            type: "put",
            key: scoringKeys.history(entry.subjects[i], fixedHistory.seq),
            value: encodeValue(fixedHistory),
          });
        const current = currents[i];
        const fixed = current === undefined ? undefined : fix(current);
        if (fixed === undefined) continue;
        ops.push({
          type: "put",
          key: scoringKeys.current(fixed.subject),
          value: encodeValue(fixed),
        });
        if (fixed.proof === null) {
          ops.push({ type: "put", key: scoringKeys.pending(fixed.subject), value: "" });
          unverified.push(fixed);
        }
      }
      if (batch !== null)
        ops.push({
          type: "put",
          key: scoringKeys.anchored(batch.audit.block, entry.root),
          value: encodeValue({ ...entry, block: batch.audit.block }),
        });
      await store.batch(ops);
      for (const score of unverified) {
        pending.add(score.subject);
        emit({ type: "scored", score });
      }
      logger.warn("scoring: a reorg moved or dropped a score batch", {
        root: entry.root,
        dropped: batch === null,
        unverified: unverified.length,
      });
    }
  }

  async function saveMeta(scoredBlock: bigint): Promise<void> {
    if (scoredBlock === meta.scoredBlock && meta.modelHash === model.modelHash) return;
    meta.scoredBlock = scoredBlock;
    meta.modelHash = model.modelHash;
    await store.batch([{ type: "put", key: scoringKeys.meta(), value: encodeValue(meta) }]);
  }

  /**
   * Scores what is dirty (and subjects whose inputs expired by the last block) in the queue: every
   * subject an update named is then either scored or still in `dirty`.
   */
  async function scoreDirty(): Promise<void> {
    if (dayDue) {
      dayDue = false;
      logger.info("scoring: a new day: scoring every subject", {});
      await scoreAll();
    }
    if (reorgedTo !== undefined) {
      const ancestor = reorgedTo;
      reorgedTo = undefined;
      await checkAnchoredAfter(ancestor);
    }
    const heard = heardBlock;
    const due = expiryDue;
    expiryDue = undefined;
    if (due !== undefined) for (const s of await expiredSubjects(store, due)) dirty.add(s);
    const subjects = [...dirty];
    dirty.clear();
    if (subjects.length > 0) await scoreSubjects(subjects);
    if (heard !== undefined) await saveMeta(heard);
  }

  function drain(): Promise<void> {
    draining ??= (async () => {
      try {
        while (
          dirty.size > 0 ||
          dayDue ||
          expiryDue !== undefined ||
          reorgedTo !== undefined ||
          (heardBlock !== undefined && heardBlock !== meta.scoredBlock)
        )
          await exclusive(scoreDirty);
      } catch (error) {
        logger.error("scoring: rescoring failed", { error: errorText(error) });
      } finally {
        draining = undefined;
      }
    })();
    return draining;
  }

  /**
   * (In the queue.) Scores everything heard so far and returns a checkpoint up to which every
   * update is scored: the as-of block of a batch.
   */
  async function settle(): Promise<StoredCheckpoint> {
    for (;;) {
      await scoreDirty();
      const checkpoint = await indexer.checkpoint();
      // an update committed meanwhile has been heard by the next turn of the event loop
      await nextMacrotask();
      const expired = await expiredSubjects(store, checkpoint.timestamp);
      for (const s of expired) dirty.add(s);
      if (dirty.size === 0) return checkpoint;
    }
  }

  function onUpdate(update: IndexerUpdate): void {
    if (update.type === "finalize") return;
    for (const subject of update.subjects) dirty.add(subject);
    if (update.type === "block") {
      expiryDue = update.checkpoint.timestamp;
      // (near the head only: a backfill through history does not rescore everyone every day)
      const at = update.checkpoint.timestamp;
      if (meta.day !== undefined && dayOf(at) > meta.day && Number(at) * 1000 > clock() - DAY_MS)
        dayDue = true;
      heardBlock = update.checkpoint.number;
    } else if (update.type === "reorg") {
      heardBlock = update.ancestor.number;
      if (reorgedTo === undefined || update.ancestor.number < reorgedTo)
        reorgedTo = update.ancestor.number;
    }
    void drain();
  }

  /** (In the queue.) Every subject, at the current checkpoint. */
  async function scoreAll(): Promise<RescoreResult> {
    const checkpoint = await indexer.checkpoint();
    dirty.clear();
    // one ordered scan of the by-subject index (its snapshot); updates heard meanwhile are dirty
    const result = await scoreChunks(scanSubjectUids(indexer.store, chunkSize));
    heardBlock ??= checkpoint.number;
    meta.day = dayOf(checkpoint.timestamp);
    meta.scoredBlock = -1n; // written below
    await saveMeta(heardBlock > checkpoint.number ? heardBlock : checkpoint.number);
    return result;
  }

  function rescoreAll(): Promise<RescoreResult> {
    return exclusive(scoreAll);
  }

  // ---------------------------------------------------------------------------------------------
  // Anchoring
  // ---------------------------------------------------------------------------------------------

  /** The model's calendar day of a time (features and retention count in days). */
  function dayOf(seconds: bigint): bigint {
    return (seconds + BigInt(model.model.dayOffsetMinutes) * 60n) / 86_400n;
  }

  interface Prepared {
    tree: ScoreBatchTree;
    sent: SentBatch;
  }

  /** Picks the pending scores and builds their batch at the last scored block (in the queue). */
  async function prepareBatch(): Promise<Prepared | null> {
    if (pending.size === 0) return null;
    const registered = await indexer.getModel(model.modelHash);
    modelRegistered = registered !== null;
    if (registered === null)
      throw new CredtrailError(
        ScoringErrorCodes.MODEL_NOT_REGISTERED,
        `model ${model.modelHash} is not registered on the ledger: a SCORER must register it (registerModel) before its scores are anchored`,
      );
    const checkpoint = await settle();
    let subjects = [...pending].sort();
    let currents = await readCurrent(store, subjects);
    // a score from another day, another model or past an input's expiry is scored afresh first
    const stale = subjects.filter((s, i) => {
      const c = currents[i];
      return (
        c !== undefined &&
        (c.modelHash !== model.modelHash ||
          dayOf(c.asOf) !== dayOf(checkpoint.timestamp) ||
          (c.nextExpiry !== null && c.nextExpiry <= checkpoint.timestamp))
      );
    });
    let asOf = checkpoint;
    if (stale.length > 0) {
      await scoreSubjects(stale);
      asOf = await settle();
      subjects = [...pending].sort();
      currents = await readCurrent(store, subjects);
    }
    const ops: KvOp[] = [];
    const chosen: StoredScore[] = [];
    for (let i = 0; i < subjects.length; i++) {
      const c = currents[i];
      if (c === undefined || c.proof !== null) {
        pending.delete(subjects[i]);
        ops.push({ type: "del", key: scoringKeys.pending(subjects[i]) });
        continue;
      }
      if (c.modelHash !== model.modelHash) continue;
      // the inputs are unchanged up to the batch's block (every update up to it was scored)
      const relabeled = { ...c, asOfBlock: asOf.number, asOf: asOf.timestamp };
      putScore(ops, relabeled);
      chosen.push(relabeled);
    }
    if (chosen.length === 0) {
      await store.batch(ops);
      return null;
    }
    const tree = buildScoreBatch(
      chosen.map((c) => ({
        subject: c.subject,
        score: c.value,
        grade: c.grade,
        modelHash: c.modelHash,
        inputsHash: c.inputsHash,
        asOfBlock: asOf.number,
      })),
    );
    const sent: SentBatch = {
      root: tree.root,
      modelHash: model.modelHash,
      asOfBlock: asOf.number,
      count: chosen.length,
      subjects: chosen.map((c) => c.subject),
      scores: chosen.map((c) => c.value),
      grades: chosen.map((c) => c.grade),
      inputsHashes: chosen.map((c) => c.inputsHash),
      seqs: chosen.map((c) => c.seq),
      sentAt: clock(),
    };
    ops.push({ type: "put", key: scoringKeys.batch(tree.root), value: encodeValue(sent) });
    await store.batch(ops);
    return { tree, sent };
  }

  /**
   * Once the indexer holds the batch: every score still at the version that was batched gets its
   * proof and is verified (and leaves the pending set); a version changed meanwhile stays pending
   * (its batched version in the history is verified). Returns how many were verified, or null
   * when the indexer does not hold the batch.
   */
  async function confirmBatch(sent: SentBatch, tree: ScoreBatchTree): Promise<number | null> {
    const batch = await indexer.getScoreBatch(sent.root);
    if (batch === null) return null;
    const currents = await readCurrent(store, sent.subjects);
    const histories = await store.getMany(
      sent.subjects.map((s, i) => scoringKeys.history(s, sent.seqs[i])),
    );
    const anchored: AnchoredBatch = {
      root: sent.root,
      block: batch.audit.block,
      subjects: sent.subjects,
      seqs: sent.seqs,
    };
    const ops: KvOp[] = [
      { type: "del", key: scoringKeys.batch(sent.root) },
      {
        type: "put",
        key: scoringKeys.anchored(anchored.block, sent.root),
        value: encodeValue(anchored),
      },
    ];
    const verified: StoredScore[] = [];
    for (let i = 0; i < sent.subjects.length; i++) {
      const subject = sent.subjects[i];
      const history = histories[i];
      if (history === undefined) continue;
      const version = decodeValue<StoredScore>(history);
      const proof: StoredScoreProof = {
        leaf: tree.leafHash(i),
        path: tree.proof(i),
        root: sent.root,
        batchTx: batch.audit.tx,
        blockNumber: batch.audit.block,
        blockHash: batch.audit.blockHash,
        modelHash: sent.modelHash,
        inputs: version.inputs,
      };
      const proven = { ...version, asOfBlock: sent.asOfBlock, proof };
      ops.push({
        type: "put",
        key: scoringKeys.history(subject, version.seq),
        value: encodeValue(proven),
      });
      const current = currents[i];
      if (current !== undefined && current.seq === version.seq) {
        const now = { ...current, asOfBlock: sent.asOfBlock, proof };
        ops.push({ type: "put", key: scoringKeys.current(subject), value: encodeValue(now) });
        ops.push({ type: "del", key: scoringKeys.pending(subject) });
        verified.push(now);
      }
    }
    await store.batch(ops);
    for (const score of verified) {
      pending.delete(score.subject);
      emit({ type: "verified", score });
    }
    return verified.length;
  }

  async function anchorOnce(): Promise<AnchorResult | null> {
    if (writer === null) return null;
    let prepared: Prepared | null;
    try {
      prepared = await exclusive(prepareBatch);
    } catch (error) {
      lastAnchorError = errorText(error);
      throw error;
    }
    if (prepared === null) return null;
    const { tree, sent } = prepared;
    inflight = { root: sent.root, seqs: new Map(sent.subjects.map((s, i) => [s, sent.seqs[i]])) };
    try {
      let receipt: { txHash: Hex; blockNumber: bigint };
      const existing = await indexer.getScoreBatch(sent.root);
      if (existing !== null) {
        receipt = { txHash: existing.audit.tx, blockNumber: existing.audit.block };
      } else {
        try {
          receipt = await writer.anchorScoreBatch(
            sent.root,
            sent.modelHash,
            sent.count,
            sent.asOfBlock,
          );
        } catch (error) {
          await exclusive(() => store.batch([{ type: "del", key: scoringKeys.batch(sent.root) }]));
          throw error;
        }
      }
      await indexer.waitForBlock(receipt.blockNumber, { signal: stopController.signal });
      const verified = await exclusive(() => confirmBatch(sent, tree));
      if (verified === null)
        throw new CredtrailError(
          "SCORE_BATCH_NOT_INDEXED",
          `score batch ${sent.root} was sent (${receipt.txHash}) but is not on the indexed chain`,
        );
      lastAnchorError = null;
      lastAnchor = {
        root: sent.root,
        count: sent.count,
        txHash: receipt.txHash,
        blockNumber: receipt.blockNumber,
        at: clock(),
      };
      logger.info("scoring: score batch anchored", {
        root: sent.root,
        count: sent.count,
        verified,
        tx: receipt.txHash,
      });
      return {
        root: sent.root,
        count: sent.count,
        txHash: receipt.txHash,
        blockNumber: receipt.blockNumber,
        verified,
      };
    } catch (error) {
      lastAnchorError = errorText(error);
      throw error;
    } finally {
      inflight = undefined;
    }
  }

  function anchorNow(): Promise<AnchorResult | null> {
    anchoring ??= anchorOnce().finally(() => {
      anchoring = undefined;
    });
    return anchoring;
  }

  /** Batches a previous run sent: confirmed if the ledger has them, forgotten if not. */
  async function resumeSent(): Promise<void> {
    const sentBatches: SentBatch[] = [];
    for await (const [, value] of store.entries({
      gte: scoringKeys.batchPrefix,
      lt: prefixEnd(scoringKeys.batchPrefix),
    }))
      sentBatches.push(decodeValue<SentBatch>(value));
    for (const sent of sentBatches) {
      const verified = await confirmBatch(sent, treeOf(sent));
      if (verified === null)
        await store.batch([{ type: "del", key: scoringKeys.batch(sent.root) }]);
      else logger.info("scoring: confirmed a batch sent before the restart", { root: sent.root });
    }
  }

  /** Anchors at a fixed rate: every anchorIntervalMs from start, whatever each anchor took. */
  let nextAnchorAt = 0;
  function scheduleAnchor(): void {
    if (writer === null || stopController.signal.aborted) return;
    const now = clock();
    nextAnchorAt =
      Math.max(nextAnchorAt === 0 ? now : nextAnchorAt, now - anchorIntervalMs) + anchorIntervalMs;
    timer = setTimeout(
      () => {
        anchorNow()
          .catch((error: unknown) => {
            logger.warn("scoring: anchoring failed; retrying next interval", {
              error: errorText(error),
            });
          })
          .finally(scheduleAnchor);
      },
      Math.max(0, nextAnchorAt - now),
    );
    timer.unref();
  }

  const service: ScoringService = {
    get model() {
      return model;
    },
    async start() {
      unsubscribe = indexer.subscribe(onUpdate);
      await exclusive(resumeSent);
      const checkpoint = await indexer.checkpoint();
      const reason =
        meta.modelHash !== model.modelHash
          ? "model changed"
          : meta.scoredBlock !== checkpoint.number
            ? "behind the indexer"
            : meta.day !== dayOf(checkpoint.timestamp)
              ? "a new day"
              : undefined;
      if (reason !== undefined) {
        logger.info("scoring: scoring every subject", { model: model.modelHash, reason });
        const result = await rescoreAll();
        logger.info("scoring: every subject scored", { ...result });
      }
      scheduleAnchor();
    },
    async stop() {
      stopController.abort();
      unsubscribe?.();
      if (timer !== undefined) clearTimeout(timer);
      await anchoring?.catch(() => undefined);
      await draining;
      await queue;
    },
    getScore(subject) {
      return currentScores.get(subject.toLowerCase() as Hex);
    },
    listHistory(subject, args = {}) {
      return paginate(
        store,
        scoringKeys.historyPrefix(subject.toLowerCase() as Hex),
        args,
        (_key, value) => decodeValue<StoredScore>(value),
        { reverse: true },
      );
    },
    provisionalReason(score) {
      if (score.proof !== null) return null;
      const parts: string[] = [];
      if (score.modelHash !== model.modelHash)
        parts.push(`scored with the previous model ${score.modelHash}; rescoring`);
      else if (writer === null) parts.push("no scorer key on this node: scores are not anchored");
      else if (modelRegistered === false)
        parts.push(`model ${model.modelHash} is not registered on the ledger`);
      else if (inflight?.seqs.get(score.subject) === score.seq)
        parts.push(`in score batch ${inflight.root}, waiting for the ledger`);
      else if (lastAnchorError !== null)
        parts.push(`the last anchor failed (${lastAnchorError}); retrying in the next interval`);
      else
        parts.push(
          `waiting for the next score batch (anchored every ${Math.round(anchorIntervalMs / 1000)} s)`,
        );
      if (score.missingContents.length > 0)
        parts.push(
          `${score.missingContents.length} input record(s) left out: their contents are not on this node`,
        );
      return parts.join("; ");
    },
    watch(subject, listener) {
      if (subject === null) {
        everyListener.add(listener);
        return () => everyListener.delete(listener);
      }
      const key = subject.toLowerCase();
      let set = listeners.get(key);
      if (set === undefined) listeners.set(key, (set = new Set()));
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0) listeners.delete(key);
      };
    },
    touch(subjects) {
      for (const subject of subjects) dirty.add(subject.toLowerCase() as Hex);
      void drain();
    },
    rescore(subjects) {
      return exclusive(() => scoreSubjects(subjects.map((s) => s.toLowerCase() as Hex)));
    },
    rescoreAll,
    async setModel(next) {
      return exclusive(async () => {
        model = next;
        modelRegistered = null;
        return scoreAll();
      });
    },
    anchorNow,
    async idle() {
      while (draining !== undefined) await draining;
      await queue;
    },
    status() {
      return {
        modelHash: model.modelHash,
        modelRegistered,
        anchoring: writer !== null,
        anchorIntervalMs,
        pending: pending.size,
        scoredBlock: meta.scoredBlock,
        lastAnchor,
        lastAnchorError,
        inflightRoot: inflight?.root ?? null,
      };
    },
  };
  return service;
}
