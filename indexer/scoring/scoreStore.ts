/**
 * How the scoring service keeps scores in its sublevel (scoringKeys.ts): reading current versions
 * (codec decodeValue), writing a version with its history entry, and the expiry index.
 */
import type { Hex, ScoreBatchTree } from "../../core/index.js";
import { buildScoreBatch } from "../../core/index.js";
import { decodeValue, encodeValue } from "../codec.js";
import { padTime } from "../keys.js";
import type { KvOp, KvStore } from "../kvStore.js";
import type { StoredScore } from "./scoreTypes.js";
import type { SentBatch } from "./scoringKeys.js";
import { scoringKeys } from "./scoringKeys.js";

/** The current versions of `subjects` (undefined: never scored). */
export async function readCurrent(
  store: Pick<KvStore, "getMany">,
  subjects: readonly Hex[],
): Promise<(StoredScore | undefined)[]> {
  const values = await store.getMany(subjects.map(scoringKeys.current));
  return values.map((v) => (v === undefined ? undefined : decodeValue<StoredScore>(v)));
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
