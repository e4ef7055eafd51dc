/**
 * Ledger benchmark: attestations submitted through the `Ledger` interface (LedgerWriter.attest,
 * `BENCH_LEDGERS_CONCURRENCY` in flight, default 8) and the latency from a submit's start until
 * the indexer of the same process has applied its block — on a Hardhat node and on the local
 * Fabric network (3 Raft orderers, 2 peers, endorsement by both, batch timeout 250 ms), one after
 * the other in the same run. Writes bench/results/ledgers.json:
 *
 *   {"hardhat": {"submitsPerSec", "indexedP99Ms", ...}, "fabric": {"submitsPerSec", "indexedP99Ms", ...}}
 *
 *   make bench B=ledgers        (or: node --import tsx bench/ledgers.ts)
 *
 * The Fabric leg needs the binaries (scripts/fabric-install.sh); it uses <tmpdir>/credtrail-fabric/fabric-bench and
 * ports 31000+, and resets them afterwards. BENCH_LEDGERS_SUBMITS (default 300) per leg, after
 * 10 warm-up submits. Both legs share the machine's cores with their nodes.
 */
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { keccak256, toUtf8Bytes } from "ethers";

import { schemaRegistration, SCHEMAS, type Hex } from "../core/index.js";
import { createIndexer } from "../indexer/index.js";
import {
  fabricLegAvailability,
  startFabricLeg,
  startHardhatLeg,
  type Leg,
} from "../test/conformance/legs.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SUBMITS = Number(process.env.BENCH_LEDGERS_SUBMITS ?? 300);
const CONCURRENCY = Number(process.env.BENCH_LEDGERS_CONCURRENCY ?? 8);
const WARMUP = 10;

interface LegResult {
  submitsPerSec: number;
  indexedP99Ms: number;
  indexedP50Ms: number;
  submitP50Ms: number;
  submits: number;
  concurrency: number;
  blocks: number;
}

const h = (label: string): Hex => keccak256(toUtf8Bytes(label)) as Hex;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function measure(leg: Leg): Promise<LegResult> {
  const schema = schemaRegistration(SCHEMAS["tax.payment"]);
  await leg.writers.authority.registerSchema(schema.categoryName, schema.definition);
  const dir = await mkdtemp(path.join(tmpdir(), "credtrail-bench-ledgers-"));
  const indexer = await createIndexer({ db: dir, ledger: leg.ledger, fromBlock: leg.fromBlock });
  /** When the indexer first reached each block number. */
  let indexedTo = -1n;
  const reachedAt: { number: bigint; at: number }[] = [];
  indexer.subscribe((update) => {
    if (update.type === "block" && update.checkpoint.number > indexedTo) {
      indexedTo = update.checkpoint.number;
      reachedAt.push({ number: indexedTo, at: performance.now() });
    }
  });
  indexer.start();
  try {
    const submit = (i: number) =>
      leg.writers.provider.attest({
        schema: schema.schemaId,
        subject: h(`bench:subject:${i % 50}`),
        dataHash: h(`bench:${leg.name}:${i}`),
        observedAt: 1_000_000_000n + BigInt(i),
        expiresAt: 0n,
        severity: 0,
      });
    for (let i = 0; i < WARMUP; i++) await submit(-1 - i);

    const samples: { started: number; acknowledged: number; block: bigint }[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < SUBMITS) {
          const i = next++;
          const t0 = performance.now();
          const receipt = await submit(i);
          samples.push({
            started: t0,
            acknowledged: performance.now(),
            block: receipt.blockNumber,
          });
        }
      }),
    );
    const elapsed = performance.now() - started;
    const last = samples.reduce((m, s) => (s.block > m ? s.block : m), 0n);
    await indexer.waitForBlock(last);
    const indexedAt = (block: bigint) => reachedAt.find((r) => r.number >= block)?.at ?? Infinity;
    const indexed = samples.map((s) => Math.max(s.acknowledged, indexedAt(s.block)) - s.started);
    return {
      submitsPerSec: Math.round((SUBMITS / elapsed) * 1000 * 10) / 10,
      indexedP99Ms: Math.round(percentile(indexed, 99)),
      indexedP50Ms: Math.round(percentile(indexed, 50)),
      submitP50Ms: Math.round(
        percentile(
          samples.map((s) => s.acknowledged - s.started),
          50,
        ),
      ),
      submits: SUBMITS,
      concurrency: CONCURRENCY,
      blocks: new Set(samples.map((s) => s.block)).size,
    };
  } finally {
    await indexer.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const results: Record<string, LegResult | { skipped: string }> = {};

const hardhat = await startHardhatLeg();
try {
  results.hardhat = await measure(hardhat);
} finally {
  await hardhat.stop();
}
console.error(`ledgers: hardhat ${JSON.stringify(results.hardhat)}`);

const availability = fabricLegAvailability();
if (availability.run) {
  const fabric = await startFabricLeg({ name: "fabric-bench", portBase: 31000 });
  try {
    results.fabric = await measure(fabric);
  } finally {
    await fabric.stop();
  }
  console.error(`ledgers: fabric ${JSON.stringify(results.fabric)}`);
} else {
  results.fabric = { skipped: availability.reason };
}

const out = path.join(HERE, "results", "ledgers.json");
await mkdir(path.dirname(out), { recursive: true });
await writeFile(out, `${JSON.stringify(results, null, 2)}\n`);
console.log(JSON.stringify(results, null, 2));
