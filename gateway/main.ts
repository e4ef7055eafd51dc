/**
 * A credtrail node as one process: indexer + query audit log + GraphQL gateway over one LevelDB.
 *
 *   node --import tsx gateway/main.ts --db .data/node --rpc http://127.0.0.1:8545 \
 *     --consortium 0x… --registry 0x… [--host 127.0.0.1] [--port 4000] [--audience NAME]
 *     [--max-lag 60] [--rate-limit 600] [--max-body 65536] [--confirmations 0] [--from-block N]
 *     [--dev] [--log-level info] [--model FILE] [--anchor-interval 60] [--no-fast-path]
 *
 * Environment: CREDTRAIL_CONSORTIUM_KEY (hex, ≥ 32 bytes; without it lookups by USCC are refused),
 * CREDTRAIL_NODE_KEY (private key of an OPERATOR member key: anchors the query audit log on the
 * ledger and relays providers' signed attestations; without it the log is kept but not anchored and
 * mutations are refused), CREDTRAIL_SCORER_KEY (private key of a SCORER member key: anchors score
 * batches every --anchor-interval seconds; without it scores stay provisional), CREDTRAIL_RECORD_KEY
 * (32 bytes hex: encrypts record contents at rest; without it POST /records is refused, and a node
 * that stored contents refuses to start). --model: the scorecard model document (JSON; default the
 * built-in credtrail.sme model); its hash must be registered on the ledger for scores to be
 * anchored. Stops on SIGINT/SIGTERM.
 */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";

import { Level } from "level";
import pino from "pino";
import { Registry, collectDefaultMetrics } from "prom-client";

import { LedgerError, compileModel, defaultScorecardModel } from "../core/index.js";
import {
  NODE_DB_OPTIONS,
  createIndexer,
  createRecordStore,
  createScoringService,
} from "../indexer/index.js";
import { jsonLogger } from "../indexer/logger.js";
import { createEvmLedger } from "../ledger/index.js";
import { createQueryAuditLog } from "./audit/index.js";
import { createAuthenticator } from "./auth/index.js";
import { createCachedReads } from "./cachedReads.js";
import { DEFAULT_GATEWAY_CONFIG } from "./config.js";
import { createGateway } from "./server.js";

const USAGE =
  "usage: gateway/main.ts --db DIR --rpc URL --consortium ADDRESS --registry ADDRESS [--host H] " +
  "[--port N] [--audience NAME] [--max-lag S] [--rate-limit N] [--max-body BYTES] " +
  "[--confirmations N] [--from-block N] [--dev] [--log-level debug|info|warn|error] " +
  "[--model FILE] [--anchor-interval S] [--no-fast-path]";

function integer(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new Error(`--${name} must be a non-negative integer, got ${value}\n${USAGE}`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      db: { type: "string" },
      rpc: { type: "string" },
      consortium: { type: "string" },
      registry: { type: "string" },
      host: { type: "string" },
      port: { type: "string" },
      audience: { type: "string" },
      "max-lag": { type: "string" },
      "rate-limit": { type: "string" },
      "max-body": { type: "string" },
      confirmations: { type: "string" },
      "from-block": { type: "string" },
      dev: { type: "boolean" },
      "log-level": { type: "string" },
      model: { type: "string" },
      "anchor-interval": { type: "string" },
      "no-fast-path": { type: "boolean" },
    },
    strict: true,
  });
  const { db: dir, rpc, consortium, registry } = values;
  if (dir === undefined || rpc === undefined || consortium === undefined || registry === undefined)
    throw new Error(USAGE);
  const level = values["log-level"] ?? "info";
  if (!["debug", "info", "warn", "error"].includes(level))
    throw new Error(`--log-level must be debug, info, warn or error\n${USAGE}`);
  const logger = pino({ level });
  const ledgerLogger = jsonLogger(level as "debug" | "info" | "warn" | "error");
  const ledger = await createEvmLedger({
    rpcUrl: rpc,
    addresses: { consortium, registry },
    confirmations: integer(values.confirmations, "confirmations", 0),
    logger: ledgerLogger,
  });
  const db = new Level(dir, NODE_DB_OPTIONS);
  const indexer = await createIndexer({
    db,
    ledger,
    logger: ledgerLogger,
    fromBlock: BigInt(integer(values["from-block"], "from-block", 0)),
  });
  const records = await createRecordStore({ db, key: process.env.CREDTRAIL_RECORD_KEY });
  const scorerKey = process.env.CREDTRAIL_SCORER_KEY;
  const scoring = await createScoringService({
    indexer,
    db,
    records,
    model: compileModel(
      values.model === undefined
        ? defaultScorecardModel
        : (JSON.parse(await readFile(values.model, "utf8")) as unknown),
    ),
    writer: scorerKey === undefined || scorerKey === "" ? null : ledger.writer(scorerKey),
    anchorIntervalMs: integer(values["anchor-interval"], "anchor-interval", 60) * 1000,
    logger: ledgerLogger,
  });
  const nodeKey = process.env.CREDTRAIL_NODE_KEY;
  const writer = nodeKey === undefined || nodeKey === "" ? null : ledger.writer(nodeKey);
  const auditLog = createQueryAuditLog({
    db,
    clock: Date.now,
    logger: ledgerLogger,
    async anchor(root, count, fromTime, toTime) {
      if (writer === null)
        throw new LedgerError("no CREDTRAIL_NODE_KEY: the audit log is not anchored");
      const receipt = await writer.anchorAuditLog(root, count, fromTime, toTime);
      return { txHash: receipt.txHash };
    },
  });
  const registryMetrics = new Registry();
  collectDefaultMetrics({ register: registryMetrics });
  const host = values.host ?? DEFAULT_GATEWAY_CONFIG.host;
  const port = integer(values.port, "port", DEFAULT_GATEWAY_CONFIG.port);
  const consortiumKey = process.env.CREDTRAIL_CONSORTIUM_KEY;
  // membership, consents and subject pages, remembered until the indexer's next change
  const reads = createCachedReads(indexer, indexer);
  const gateway = createGateway({
    indexer: reads,
    authenticator: createAuthenticator({
      reads,
      chainId: ledger.chainId,
      audience: values.audience ?? `http://${host}:${port}/graphql`,
      clock: Date.now,
    }),
    auditLog,
    logger,
    metrics: registryMetrics,
    batchUploads: (root, leaves) => indexer.uploadBatchLeaves(root, leaves),
    recordUploads: {
      records,
      onStored: (subjects) => {
        scoring.touch(subjects);
      },
    },
    scores: scoring,
    ...(writer === null
      ? {}
      : {
          writes: {
            writer,
            chainId: ledger.chainId,
            registry: ledger.addresses.registry,
            forwarding: writer,
          },
        }),
    config: {
      host,
      port,
      production: values.dev !== true,
      fastPath: values["no-fast-path"] !== true,
      maxLagSeconds: integer(values["max-lag"], "max-lag", DEFAULT_GATEWAY_CONFIG.maxLagSeconds),
      rateLimit: {
        perMinute: integer(
          values["rate-limit"],
          "rate-limit",
          DEFAULT_GATEWAY_CONFIG.rateLimit.perMinute,
        ),
      },
      maxBodyBytes: integer(values["max-body"], "max-body", DEFAULT_GATEWAY_CONFIG.maxBodyBytes),
      ...(consortiumKey === undefined || consortiumKey === "" ? {} : { consortiumKey }),
    },
  });
  await scoring.start();
  indexer.start();
  if (writer !== null) auditLog.start();
  await gateway.start();
  await new Promise<void>((resolve) => {
    const done = (): void => {
      resolve();
    };
    process.once("SIGINT", done);
    process.once("SIGTERM", done);
  });
  logger.info("node: stopping");
  await gateway.stop();
  reads.closeCache();
  await auditLog.stop();
  // the indexer first, so that the scoring service has scored every block it heard of
  await indexer.stop();
  await scoring.stop();
  await indexer.close();
  await db.close();
  ledger.close();
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`${JSON.stringify({ level: "error", message: `node: ${message}` })}\n`);
  process.exitCode = 1;
});
