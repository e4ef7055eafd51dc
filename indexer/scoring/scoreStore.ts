/**
 * How the scoring service keeps scores in its sublevel (scoringKeys.ts): reading current versions
 * (decodeScoring), writing a version with its history entry, and the expiry index.
 */
import type { Hex, ScoreBatchTree } from "../../core/index.js";
import { buildScoreBatch } from "../../core/index.js";
import { encodeValue } from "../codec.js";
import { padTime } from "../keys.js";
import type { KvOp, KvStore } from "../kvStore.js";
import type { StoredScore } from "./scoreTypes.js";
import type { SentBatch } from "./scoringKeys.js";
import { scoringKeys } from "./scoringKeys.js";

/** Replaces, in place, every `{"$n": "<decimal>"}` of parsed JSON by its bigint. */
function reviveBigints(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === "object" && item !== null) value[i] = reviveBigints(item);
    }
    return value;
  }
  const record = value as Record<string, unknown>;
  const tagged = record.$n;
  if (typeof tagged === "string" && Object.keys(record).length === 1) return BigInt(tagged);
  for (const name of Object.keys(record)) {
    const item = record[name];
    if (typeof item === "object" && item !== null) record[name] = reviveBigints(item);
  }
  return record;
}

/**
 * A value of the scoring sublevel: what codec decodeValue returns, read by JSON.parse without a
 * reviver (V8 calls a reviver for every value: ~5 times slower on a score) and one walk that
 * turns the tagged bigints back.
 */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- typed read of our own stored values
export function decodeScoring<T>(text: string): T {
  return reviveBigints(JSON.parse(text)) as T;
}

/** The current versions of `subjects` (undefined: never scored). */
export async function readCurrent(
  store: Pick<KvStore, "getMany">,
  subjects: readonly Hex[],
): Promise<(StoredScore | undefined)[]> {
  const values = await store.getMany(subjects.map(scoringKeys.current));
  return values.map((v) => (v === undefined ? undefined : decodeScoring<StoredScore>(v)));
}

/** Writes a version as the current one and as its history entry. */
export function putScore(ops: KvOp[], score: StoredScore): void {
  const value = encodeValue(score);
  ops.push({ type: "put", key: scoringKeys.current(score.subject), value });
  ops.push({ type: "put", key: scoringKeys.history(score.subject, score.seq), value });
}

/** Moves the subject's entry in the expiry index from one version's next expiry to another's. */
export function moveExpiry(ops: KvOp[], before: StoredScore | undefined, after: StoredScore): void {
  if (before?.nextExpiry === after.nextExpiry) return;
  if (before?.nextExpiry !== undefined && before.nextExpiry !== null)
    ops.push({ type: "del", key: scoringKeys.expiry(before.nextExpiry, after.subject) });
  if (after.nextExpiry !== null)
    ops.push({
      type: "put",
      key: scoringKeys.expiry(after.nextExpiry, after.subject),
      value: "",
    });
}

/** Subjects whose next input expiry is at or before `at`. */
export async function expiredSubjects(store: Pick<KvStore, "keys">, at: bigint): Promise<Hex[]> {
  const out: Hex[] = [];
  for await (const key of store.keys({
    gte: scoringKeys.expiryPrefix,
    lt: `${scoringKeys.expiryPrefix}${padTime(at + 1n)}`,
  }))
    out.push(key.slice(key.lastIndexOf(":") + 1) as Hex);
  return out;
}

/** Rebuilds the tree of a batch that was sent (after a restart). */
export function treeOf(sent: SentBatch): ScoreBatchTree {
  return buildScoreBatch(
    sent.subjects.map((subject, i) => ({
      subject,
      score: sent.scores[i],
      grade: sent.grades[i],
      modelHash: sent.modelHash,
      inputsHash: sent.inputsHashes[i],
      asOfBlock: sent.asOfBlock,
    })),
  );
}
