/**
 * The indexer as its own process (one process per LevelDB database):
 *
 *   node --import tsx indexer/main.ts --db .data/indexer --rpc http://127.0.0.1:8545 \
 *     --consortium 0x… --registry 0x… [--confirmations 0] [--finality-depth N] [--from-block N]
 *     [--log-level info] [--progress-ms 5000] [--max-batch-events 5000]
 *
 * Streams the chain from the stored checkpoint into the database until SIGINT/SIGTERM, logging
 * JSON lines to stderr (progress every --progress-ms). While backfilling, blocks go into LevelDB in
 * batches of up to --max-batch-events events (fewer: less memory, more writes). Every option is
 * checked before the node is asked anything or a store is opened. Exits non-zero when the stream
 * fails, so a supervisor restarts it; a restart resumes from the checkpoint. Killing it at any point (even
 * kill -9) leaves a consistent store: every block is one atomic batch.
 */
import { parseArgs } from "node:util";

import { createEvmLedger } from "../ledger/index.js";
import { createIndexer } from "./createIndexer.js";
import { jsonLogger } from "./logger.js";

const USAGE =
  "usage: indexer/main.ts --db DIR --rpc URL --consortium ADDRESS --registry ADDRESS " +
  "[--confirmations N] [--finality-depth N] [--from-block N] [--log-level debug|info|warn|error] [--progress-ms MS] [--max-batch-events N]";

function integer(
  value: string | undefined,
  name: string,
  fallback: number | undefined,
  min = 0,
): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) {
    const what = min === 0 ? "a non-negative integer" : `an integer of at least ${min}`;
    throw new Error(`--${name} must be ${what}, got ${value}\n${USAGE}`);
  }
  return n;
}

function logLevel(value: string | undefined): "debug" | "info" | "warn" | "error" {
  if (value === undefined) return "info";
  if (value === "debug" || value === "info" || value === "warn" || value === "error") return value;
  throw new Error(`--log-level must be debug, info, warn or error\n${USAGE}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      db: { type: "string" },
      rpc: { type: "string" },
      consortium: { type: "string" },
      registry: { type: "string" },
      confirmations: { type: "string" },
      "finality-depth": { type: "string" },
      "from-block": { type: "string" },
      "log-level": { type: "string" },
      "progress-ms": { type: "string" },
      "max-batch-events": { type: "string" },
    },
    strict: true,
  });
  const { db, rpc, consortium, registry } = values;
  if (db === undefined || rpc === undefined || consortium === undefined || registry === undefined)
    throw new Error(USAGE);
  const fromBlock = integer(values["from-block"], "from-block", 0) ?? 0;
  const maxBatchEvents = integer(values["max-batch-events"], "max-batch-events", undefined, 1);
  const progressMs = integer(values["progress-ms"], "progress-ms", 5_000) ?? 5_000;
  const logger = jsonLogger(logLevel(values["log-level"]));
  const ledger = await createEvmLedger({
    rpcUrl: rpc,
    addresses: { consortium, registry },
    confirmations: integer(values.confirmations, "confirmations", 0),
    finalityDepth: integer(values["finality-depth"], "finality-depth", undefined),
    logger,
  });
  const indexer = await createIndexer({
    db,
    ledger,
    logger,
    fromBlock: BigInt(fromBlock),
    maxBatchEvents,
  });
  const controller = new AbortController();
  const stop = (signal: string) => () => {
    logger.info("indexer: stopping", { signal });
    controller.abort();
  };
  process.once("SIGINT", stop("SIGINT"));
  process.once("SIGTERM", stop("SIGTERM"));
  // (a status asked for before the run ended may answer after it: the run's error is the last line)
  let running = true;
  const progress = setInterval(() => {
    void indexer.status().then(
      (status) => {
        if (!running) return;
        logger.info("indexer: progress", {
          checkpoint: status.checkpoint.number,
          head: status.head?.number,
          blocksBehind: status.blocksBehind,
          secondsBehind: status.secondsBehind,
          events: status.stats.eventsApplied,
          reorgs: status.stats.reorgs,
        });
      },
      (error: unknown) => {
        if (!running) return;
        logger.warn("indexer: status failed", {
          error: error instanceof Error ? error.message : String(error),
        });
      },
    );
  }, progressMs);
  progress.unref();
  try {
    await indexer.run({ signal: controller.signal });
  } finally {
    running = false;
    clearInterval(progress);
    await indexer.close();
    ledger.close();
  }
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`${JSON.stringify({ level: "error", message: `indexer: ${message}` })}\n`);
  process.exitCode = 1;
});
