/**
 * The digest of an indexer's store with what must differ between two ledgers made neutral, so that
 * a Hardhat leg and a Fabric leg that ran the same steps compare equal. The store's own digest
 * (indexer/digest.ts) cannot be compared across ledgers, because these differ by nature:
 *
 * - key addresses: Hardhat accounts vs. X.509 identities → `<key:actor>`;
 * - block numbers and hashes, transaction hashes / ids: each block that carries events is
 *   replaced by its rank among such blocks (`<block:k>`, `<tx:k>`), in JSON values, in the
 *   compact attestation values and in position-keyed index keys (16-digit block numbers);
 * - times the ledger sets (block / transaction timestamps, and deadlines derived from them by a
 *   governance parameter: dispute deadlines, proposal expiry): `<time>`, `<time+parameter>` (not
 *   ranked: several Fabric transactions can share a second where Hardhat blocks do not);
 * - the `m:` family (the checkpoint: which block the indexer stopped at).
 *
 * Everything else — ids, uids, roots, statuses, record fields, what supersedes or depends on what,
 * log order within a block — must be byte-equal.
 */
import { createHash } from "node:crypto";

import { PARAMETER_DEFAULTS, ZERO_BYTES32, type Hex } from "../../core/index.js";
import type { Indexer } from "../../indexer/index.js";
import { dumpStore } from "../../indexer/digest.js";
import type { Leg } from "./legs.js";

export interface NeutralDump {
  digest: Hex;
  entries: [string, string][];
}

interface LedgerFacts {
  blocks: { number: bigint; hash: Hex; timestamp: bigint; txs: Hex[] }[];
}

/** Every block with events, from the leg's ledger stream. */
async function ledgerFacts(leg: Leg): Promise<LedgerFacts> {
  const head = await leg.ledger.head();
  const controller = new AbortController();
  const blocks: LedgerFacts["blocks"] = [];
  for await (const item of leg.ledger.stream({
    from: { number: 0n, hash: ZERO_BYTES32 },
    knownBlock: () => Promise.resolve(undefined),
    signal: controller.signal,
  })) {
    if (item.type !== "block") continue;
    if (item.events.length > 0) {
      const txs = [...new Set(item.events.map((e) => e.position.txHash.toLowerCase() as Hex))];
      blocks.push({ ...item.block, txs });
    }
    if (item.block.number >= head.number) break;
  }
  controller.abort();
  return { blocks };
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

export async function neutralDigest(indexer: Indexer, leg: Leg): Promise<NeutralDump> {
  const { blocks } = await ledgerFacts(leg);
  const literal: [RegExp, string][] = Object.entries(leg.keys).map(([actor, address]) => [
    new RegExp(address.slice(2), "gi"),
    `<key:${actor}>`,
  ]);
  const blockRank = new Map<bigint, number>();
  const times = new Map<bigint, string>();
  const periods = Object.entries(PARAMETER_DEFAULTS);
  blocks.forEach((block, k) => {
    blockRank.set(block.number, k);
    literal.push([new RegExp(escape(block.hash), "gi"), `<block:${k}>`]);
    block.txs.forEach((tx, i) => literal.push([new RegExp(escape(tx), "gi"), `<tx:${k}.${i}>`]));
    times.set(block.timestamp, "<time>");
    for (const [name, period] of periods)
      if (period > 0n) times.set(block.timestamp + period, `<time+${name}>`);
  });
  const neutral = (text: string): string => {
    let out = text;
    for (const [pattern, label] of literal) out = out.replace(pattern, label);
    // block numbers: padded in keys, {"$n"} next to "block", and before a block hash
    out = out.replace(/\b(\d{16})(?=\d{6}\b|:|$)/g, (run) => {
      const rank = blockRank.get(BigInt(run));
      return rank === undefined ? run : `<n:${rank}>`;
    });
    out = out.replace(/"block":\{"\$n":"(\d+)"\}/g, (all, n: string) => {
      const rank = blockRank.get(BigInt(n));
      return rank === undefined ? all : `"block":"<n:${rank}>"`;
    });
    out = out.replace(
      /"(\d+)","<block:(\d+)>"/g,
      (_all, _n, k: string) => `"<n:${k}>","<block:${k}>"`,
    );
    // ledger times, wherever they appear as a digit run
    out = out.replace(/\d{9,13}/g, (run) => times.get(BigInt(run)) ?? run);
    return out;
  };
  const entries = (await dumpStore(indexer.store))
    .filter(([key]) => !key.startsWith("m:"))
    .map(([key, value]) => [neutral(key), neutral(value)] as [string, string]);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const hash = createHash("sha256");
  for (const [key, value] of entries)
    hash.update(`${key.length}:${key}\n${value.length}:${value}\n`);
  return { digest: `0x${hash.digest("hex")}`, entries };
}
