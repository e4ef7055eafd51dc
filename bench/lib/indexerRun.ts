/**
 * The measuring half of bench/indexer.ts, run as its own process so that its peak RSS is the
 * indexer's (not the event generator's):
 *
 *   node --import tsx bench/lib/indexerRun.ts <chain.json>     → one JSON line on stdout
 *
 * 1. node: how fast the node serves the logs (raw eth_getLogs over fetch, answers not parsed).
 * 2. backfill: a fresh indexer (createEvmLedger with confirmations 0 + createIndexer on a new
 *    LevelDB) from the deployment block; events / wall seconds from its creation to its checkpoint
 *    reaching the head.
 * 3. head lag: while that indexer follows the head (polling every `pollIntervalMs`), single
 *    attestations one at a time, at random moments (`headRate` per second on average); for each,
 *    the time from the node's answer to eth_sendRawTransaction (an automining node answers once
 *    the block is mined) to the indexer's update for that block, after which the attestation is
 *    readable (checked with getAttestation). The lag is mostly the wait for the next head poll.
 * 4. fetch only: the EVM ledger's stream alone (fetch, check, decode) over the same blocks; project
 *    only: a fresh indexer fed those stream items from memory (projection + LevelDB).
 *
 * RSS is sampled during 2 and 3 (every 25 ms and at every indexer update); the process's kernel
 * high-water mark (getrusage maxrss) is read at the end of 3 as well.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

import type { Hex } from "../../core/index.js";
import { ZERO_BYTES32, attestationUid } from "../../core/index.js";
import type { IndexerLogger, IndexerUpdate } from "../../indexer/index.js";
import { createIndexer } from "../../indexer/index.js";
import type { BlockRef, LedgerStream, StreamItem } from "../../ledger/index.js";
import { createEvmLedger } from "../../ledger/index.js";
import { TEST_KEYS } from "../../test/helpers/evmConsortium.js";
import { rpc } from "../../test/helpers/hardhatNode.js";
import { CreditRegistry__factory } from "../../types/ethers-contracts/index.js";
import type { ChainInfo } from "./chain.js";
import {
  cpuDelta,
  cpuSeconds,
  mb,
  percentile,
  round1,
  rssSampler,
  threadCpuSeconds,
} from "./measure.js";
import { createRawSender } from "./rawSender.js";

export interface RunOptions {
  headTransactions: number;
  headRate: number;
  pollIntervalMs: number;
  /** Skip the fetch-only and project-only passes. */
  backfillOnly?: boolean;
}

export interface RunResult {
  events: number;
  eventsPerSecond: number;
  headLagMsP50: number;
  headLagMsP99: number;
  peakRssMb: number;
  backfillSeconds: number;
  backfillBatches: number;
  backfillPeakRssMb: number;
  /** CPU time of this process (every thread: main, LevelDB, GC) per event during the backfill. */
  backfillCpuUsPerEvent: number;
  /**
   * The same by thread of this process (main: JavaScript; V8Worker: GC and compilation;
   * libuv-worker: LevelDB reads and writes), and the node's CPU per event (eth_getLogs and
   * headers); undefined where /proc cannot tell.
   */
  backfillCpuUsPerEventByThread?: Record<string, number>;
  nodeCpuUsPerEvent?: number;
  rssAtStartMb: number;
  maxRssKernelMb: number;
  fetchOnlyEventsPerSecond: number | null;
  projectOnlyEventsPerSecond: number | null;
  nodeGetLogsEventsPerSecond: number;
  nodeGetLogsUsPerEvent: number;
  headLag: {
    transactions: number;
    perSecond: number;
    pollIntervalMs: number;
    meanMs: number;
    maxMs: number;
  };
  indexerWarnings: number;
}

function log(message: string): void {
  process.stderr.write(`[bench indexer] ${message}\n`);
}

/** Counts what the indexer warns about (a clean run has no anomalies). */
function countingLogger(): IndexerLogger & { warnings: number; errors: string[] } {
  const logger = {
    warnings: 0,
    errors: [] as string[],
    debug: () => undefined,
    info: () => undefined,
    warn: (message: string) => {
      if (logger.warnings++ < 5) log(`indexer warning: ${message}`);
    },
    error: (message: string, fields?: Record<string, unknown>) => {
      logger.errors.push(`${message} ${JSON.stringify(fields ?? {})}`);
    },
  };
  return logger;
}

/** How fast the node serves the logs: eth_getLogs in block ranges, answers read but not parsed. */
async function measureNode(
  chain: ChainInfo,
  from: number,
  head: number,
): Promise<{ logs: number; seconds: number }> {
  const address = [chain.addresses.consortium, chain.addresses.registry];
  const step = 50;
  let logs = 0;
  const started = performance.now();
  for (let start = from + 1; start <= head; start += step) {
    const end = Math.min(start + step - 1, head);
    const response = await fetch(chain.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "eth_getLogs",
        params: [
          { fromBlock: `0x${start.toString(16)}`, toBlock: `0x${end.toString(16)}`, address },
        ],
      }),
    });
    const text = await response.text();
    // counted without parsing: one "logIndex" per log
    for (let i = text.indexOf('"logIndex"'); i >= 0; i = text.indexOf('"logIndex"', i + 10)) logs++;
  }
  return { logs, seconds: (performance.now() - started) / 1000 };
}

export async function runIndexerBench(chain: ChainInfo, options: RunOptions): Promise<RunResult> {
  const dirs: string[] = [];
  const tempDir = async (): Promise<string> => {
    const dir = await mkdtemp(path.join(tmpdir(), "credtrail-bench-indexer-"));
    dirs.push(dir);
    return dir;
  };
  try {
    const from = chain.deployBlock - 1;
    // the generated history, and what earlier runs against a reused chain added to it
    const head = BigInt(await rpc<string>(chain.url, "eth_blockNumber"));

    // ---------------------------------------------------------------- node serving rate
    const node = await measureNode(chain, from, Number(head));
    log(`node: ${node.logs} logs in ${node.seconds.toFixed(2)} s`);

    // ---------------------------------------------------------------- backfill
    const rss = rssSampler();
    const rssAtStart = process.memoryUsage.rss();
    const logger = countingLogger();
    const backfillStarted = performance.now();
    const cpuAtStart = process.cpuUsage();
    const { nodePid } = chain;
    const nodeCpu = (): number | undefined =>
      nodePid === undefined ? undefined : cpuSeconds(nodePid);
    const threadsAtStart = threadCpuSeconds();
    const nodeCpuAtStart = nodeCpu();
    const ledger = await createEvmLedger({
      rpcUrl: chain.url,
      addresses: chain.addresses,
      confirmations: 0,
      pollIntervalMs: options.pollIntervalMs,
    });
    const indexer = await createIndexer({
      db: await tempDir(),
      ledger,
      fromBlock: BigInt(from),
      logger,
    });
    /** When each block's update arrived (head phase only). */
    const seen = new Map<bigint, number>();
    let following = false;
    let lastSeen = BigInt(from);
    indexer.subscribe((update: IndexerUpdate) => {
      rss.sample();
      if (update.type !== "block") return;
      const now = performance.now();
      if (following)
        for (let n = lastSeen + 1n; n <= update.checkpoint.number; n++) seen.set(n, now);
      lastSeen = update.checkpoint.number;
    });
    indexer.start();
    await indexer.waitForBlock(head);
    const backfillSeconds = (performance.now() - backfillStarted) / 1000;
    const backfillCpu = process.cpuUsage(cpuAtStart);
    const threadsAtEnd = threadCpuSeconds();
    const nodeCpuAtEnd = nodeCpu();
    const backfillStats = (await indexer.status()).stats;
    const events = backfillStats.eventsApplied;
    const backfillCpuUsPerEvent = round1((backfillCpu.user + backfillCpu.system) / events);
    const perEvent = (seconds: number): number => round1((seconds * 1e6) / events);
    const byThread =
      threadsAtStart === undefined || threadsAtEnd === undefined
        ? undefined
        : Object.fromEntries(
            Object.entries(cpuDelta(threadsAtStart, threadsAtEnd))
              .filter(([, seconds]) => seconds > 0)
              .map(([name, seconds]) => [name, perEvent(seconds)]),
          );
    const nodeCpuUsPerEvent =
      nodeCpuAtStart === undefined || nodeCpuAtEnd === undefined
        ? undefined
        : perEvent(nodeCpuAtEnd - nodeCpuAtStart);
    const backfillPeak = rss.peak();
    log(
      `backfill: ${events} events in ${backfillSeconds.toFixed(2)} s = ${Math.round(events / backfillSeconds)}/s, ${backfillStats.batches} batches, ${backfillCpuUsPerEvent} µs CPU/event (${JSON.stringify(byThread)}; node ${nodeCpuUsPerEvent}), peak RSS ${mb(backfillPeak)} MB`,
    );
    if (events !== node.logs)
      throw new Error(`the indexer applied ${events} events, the node has ${node.logs}`);

    // ---------------------------------------------------------------- head lag
    following = true;
    const sender = await createRawSender(chain.url, TEST_KEYS.tax, BigInt(chain.chainId));
    const registry = CreditRegistry__factory.createInterface();
    const now = (await ledger.head()).timestamp;
    // Sends at random moments (intervals uniform in 0.5…1.5 of the mean), without waiting for
    // the indexer: a send right after the previous block became readable — or a fixed period —
    // would lock onto the head poll's period and measure one phase of it only.
    let seed = 0x5eed;
    const jitter = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return 0.5 + seed / 4294967296;
    };
    const sent: { uid: Hex; block: bigint; minedAt: number }[] = [];
    let due = performance.now();
    for (let i = 0; i < options.headTransactions; i++) {
      due += (jitter() * 1000) / options.headRate;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const request = {
        schema: chain.taxPaymentSchema,
        subject: `0x${"ab".repeat(30)}${(i % 65_536).toString(16).padStart(4, "0")}` as Hex,
        dataHash:
          `0x${"cd".repeat(24)}${Date.now().toString(16).padStart(12, "0")}${i.toString(16).padStart(4, "0")}` as Hex,
        observedAt: now - 86_400n,
        expiresAt: 0n,
        severity: 0,
      };
      const tx = await sender.send(
        chain.addresses.registry,
        registry.encodeFunctionData("attest", [request]),
      );
      sent.push({
        uid: attestationUid({ ...request, provider: chain.taxMember }),
        block: tx.blockNumber,
        minedAt: tx.minedAt,
      });
    }
    await indexer.waitForBlock(sent[sent.length - 1].block);
    const lags: number[] = [];
    for (const { uid, block, minedAt } of sent) {
      const readableAt = seen.get(block);
      if (readableAt === undefined) throw new Error(`no update seen for block ${block}`);
      if ((await indexer.getAttestation(uid)) === undefined)
        throw new Error(`attestation ${uid} of block ${block} is not readable`);
      lags.push(readableAt - minedAt);
    }
    rss.sample();
    const peakRss = rss.peak();
    const maxRssKernel = process.resourceUsage().maxRSS * 1024;
    rss.stop();
    await indexer.close();
    ledger.close();
    log(
      `head lag: p50 ${percentile(lags, 50).toFixed(1)} ms, p99 ${percentile(lags, 99).toFixed(1)} ms, max ${Math.max(...lags).toFixed(1)} ms; peak RSS ${mb(peakRss)} MB`,
    );
    if (logger.errors.length > 0) throw new Error(`indexer errors: ${logger.errors.join("; ")}`);

    let fetchRate: number | null = null;
    let projectRate: number | null = null;
    if (options.backfillOnly !== true) {
      // -------------------------------------------------------------- fetch only
      const reader = await createEvmLedger({ rpcUrl: chain.url, addresses: chain.addresses });
      const items: StreamItem[] = [];
      let fetched = 0;
      const fetchStarted = performance.now();
      for await (const item of reader.stream({
        from: { number: BigInt(from), hash: ZERO_BYTES32 },
        knownBlock: () => Promise.resolve(undefined),
      })) {
        items.push(item);
        if (item.type !== "block") continue;
        fetched += item.events.length;
        if (item.block.number >= head) break;
      }
      const fetchSeconds = (performance.now() - fetchStarted) / 1000;
      reader.close();
      fetchRate = Math.round(fetched / fetchSeconds);
      log(`fetch only: ${fetched} events in ${fetchSeconds.toFixed(2)} s = ${fetchRate}/s`);

      // -------------------------------------------------------------- project only
      const last = items.findLast((item) => item.type === "block");
      const memory: LedgerStream = {
        head: () => Promise.resolve(last?.block as BlockRef),
        stream: async function* () {
          for (const item of items) yield item;
          await Promise.resolve();
        },
      };
      const projector = await createIndexer({
        db: await tempDir(),
        ledger: memory,
        fromBlock: BigInt(from),
      });
      const projectStarted = performance.now();
      await projector.run();
      const projectSeconds = (performance.now() - projectStarted) / 1000;
      const projected = (await projector.status()).stats.eventsApplied;
      await projector.close();
      projectRate = Math.round(projected / projectSeconds);
      log(`project only: ${projected} events in ${projectSeconds.toFixed(2)} s = ${projectRate}/s`);
    }

    return {
      events,
      eventsPerSecond: Math.round(events / backfillSeconds),
      headLagMsP50: round1(percentile(lags, 50)),
      headLagMsP99: round1(percentile(lags, 99)),
      peakRssMb: mb(peakRss),
      backfillSeconds: Number(backfillSeconds.toFixed(3)),
      backfillBatches: backfillStats.batches,
      backfillPeakRssMb: mb(backfillPeak),
      backfillCpuUsPerEvent,
      backfillCpuUsPerEventByThread: byThread,
      nodeCpuUsPerEvent,
      rssAtStartMb: mb(rssAtStart),
      maxRssKernelMb: mb(maxRssKernel),
      fetchOnlyEventsPerSecond: fetchRate,
      projectOnlyEventsPerSecond: projectRate,
      nodeGetLogsEventsPerSecond: Math.round(node.logs / node.seconds),
      nodeGetLogsUsPerEvent: round1((node.seconds * 1e6) / node.logs),
      headLag: {
        transactions: lags.length,
        perSecond: options.headRate,
        pollIntervalMs: options.pollIntervalMs,
        meanMs: round1(lags.reduce((a, b) => a + b, 0) / lags.length),
        maxMs: round1(Math.max(...lags)),
      },
      indexerWarnings: logger.warnings,
    };
  } finally {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  }
}

const isMain =
  process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const file = process.argv[2];
  if (file === undefined) throw new Error("usage: indexerRun.ts <chain.json> [options.json]");
  const chain = JSON.parse(await readFile(file, "utf8")) as ChainInfo;
  const options = JSON.parse(process.argv[3] ?? "{}") as Partial<RunOptions>;
  const result = await runIndexerBench(chain, {
    headTransactions: options.headTransactions ?? 200,
    headRate: options.headRate ?? 10,
    pollIntervalMs: options.pollIntervalMs ?? 100,
    backfillOnly: options.backfillOnly,
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
