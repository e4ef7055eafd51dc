/**
 * Development aid for bench/indexer.ts: builds the benchmark chain once and keeps its node running,
 * so that measurements can be repeated against it (BENCH_INDEXER_CHAIN=<file>).
 *
 *   node --import tsx bench/lib/serveChain.ts <chain.json> [attestations]     (Ctrl-C stops the node)
 */
import { writeFile } from "node:fs/promises";

import { DEFAULT_WORKLOAD, buildBenchChain, chainInfo, scaledWorkload } from "./chain.js";

const file = process.argv[2];
if (file === undefined) throw new Error("usage: serveChain.ts <chain.json> [attestations]");
const attestations = Number(process.argv[3] ?? DEFAULT_WORKLOAD.attestations);
if (!Number.isSafeInteger(attestations) || attestations < 1)
  throw new Error(`attestations must be a positive whole number, not ${process.argv[3]}`);
// every operation scales with the attestations (the default mix, smaller or larger)
const workload = scaledWorkload(attestations / DEFAULT_WORKLOAD.attestations);
const chain = await buildBenchChain(workload, (message) => {
  process.stderr.write(`[serve chain] ${message}\n`);
});
await writeFile(file, JSON.stringify(chainInfo(chain)));
process.stderr.write(
  `[serve chain] ${chain.events} events up to block ${chain.head} on ${chain.url}; wrote ${file}\n`,
);
const stop = (): void => {
  void chain.stop().then(() => process.exit(0));
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
setInterval(() => undefined, 1 << 30);
