/**
 * A sha256 over every key and value of the indexer's store in key order, leaving out the undo log,
 * the block-hash window and the finalized mark (which depend on when the stream said what was
 * final) and uploaded batch files (off-ledger input; their projected leaves are included). A store
 * that crashed and resumed, or went through reorgs, digests equal to a clean rebuild of the same
 * canonical chain with the same uploads.
 */
import { createHash } from "node:crypto";

import type { Hex } from "../core/index.js";
import { DIGEST_EXCLUDED, familyOf } from "./keys.js";
import type { KvStore } from "./kvStore.js";

export async function digestStore(store: KvStore): Promise<Hex> {
  const hash = createHash("sha256");
  const excluded = new Set(DIGEST_EXCLUDED);
  for await (const [key, value] of store.entries({})) {
    if (excluded.has(familyOf(key))) continue;
    // length-prefixed, so that no two stores hash the same bytes
    hash.update(`${key.length}:${key}\n${value.length}:${value}\n`);
  }
  return `0x${hash.digest("hex")}`;
}

/** Every key and value the digest covers, in order (for a readable diff when two digests differ). */
export async function dumpStore(store: KvStore): Promise<[string, string][]> {
  const excluded = new Set(DIGEST_EXCLUDED);
  const out: [string, string][] = [];
  for await (const [key, value] of store.entries({}))
    if (!excluded.has(familyOf(key))) out.push([key, value]);
  return out;
}
