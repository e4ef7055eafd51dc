/**
 * The chain the gateway benchmark reads: a Hardhat node (child process), the test consortium
 * deployed on it, one subject with a few tax and court records, and Bank A's consent on the ledger
 * to read that subject for `credit-assessment`, and the built-in scorecard model registered by the
 * scorer (so that the node's score batches are anchored and its scores served with their proof). Also the ingestion workload that keeps the ledger
 * busy (attestations on other subjects) while the gateway is under load.
 */
import type { AttestationRequestInput, Hex } from "../../core/index.js";
import { defaultScorecardModel, modelRegistration, purposeHash } from "../../core/index.js";
import { createEvmLedger } from "../../ledger/index.js";
import type { TestConsortium } from "../../test/helpers/evmConsortium.js";
import { TEST_KEYS, YEAR_SECONDS, deployTestConsortium } from "../../test/helpers/evmConsortium.js";
import { nodeSender } from "../../test/helpers/evmWorkload.js";
import type { HardhatNode } from "../../test/helpers/hardhatNode.js";
import { rpc, startHardhatNode } from "../../test/helpers/hardhatNode.js";

export const BENCH_PURPOSE = "credit-assessment";

export interface GatewayBenchChain {
  node: HardhatNode;
  consortium: TestConsortium;
  /** The subject Bank A (lenderA) may read. */
  subject: Hex;
  /** Records attested on it. */
  records: number;
  /** Unix seconds of the chain's latest block at setup. */
  now: bigint;
}

function word(tag: string, n: number): Hex {
  const hex = Buffer.from(`${tag}:${n}`).toString("hex").padEnd(64, "0").slice(0, 64);
  return `0x${hex}`;
}

/** Starts a node, deploys the test consortium, attests `records` records of one subject, consents. */
export async function buildGatewayBenchChain(records: number): Promise<GatewayBenchChain> {
  const node = await startHardhatNode();
  try {
    const c = await deployTestConsortium(node.url);
    const ledger = await createEvmLedger({ rpcUrl: node.url, addresses: c.addresses });
    try {
      const latest = await rpc<{ timestamp: string }>(node.url, "eth_getBlockByNumber", [
        "latest",
        false,
      ]);
      const now = BigInt(latest.timestamp);
      const subject = word("bench-subject", 1);
      const requests = (
        schema: Hex,
        severity: number,
        count: number,
        from: number,
      ): AttestationRequestInput[] =>
        Array.from({ length: count }, (_, i) => ({
          schema,
          subject,
          dataHash: word("bench-record", from + i),
          observedAt: now - 86_400n * BigInt(30 + from + i),
          expiresAt: now + 5n * YEAR_SECONDS,
          severity,
        }));
      const court = Math.floor(records / 3);
      await ledger
        .writer(TEST_KEYS.tax)
        .attestMany(requests(c.schemas.taxPayment, 0, records - court, 0));
      if (court > 0) {
        await ledger
          .writer(TEST_KEYS.court)
          .attestMany(requests(c.schemas.judicialEnforcement, 2, court, records));
      }
      await ledger
        .writer(TEST_KEYS.lenderA)
        .recordConsent(
          subject,
          purposeHash(BENCH_PURPOSE),
          now + YEAR_SECONDS,
          word("bench-consent-evidence", 1),
        );
      // the node scores with the built-in model: registered, its score batches can be anchored
      await ledger
        .writer(TEST_KEYS.scorer)
        .registerModel(
          modelRegistration(defaultScorecardModel).modelHash,
          "credtrail://models/credtrail.sme/1",
        );
      return { node, consortium: c, subject, records, now };
    } finally {
      ledger.close();
    }
  } catch (error) {
    await node.stop();
    throw error;
  }
}

export interface Ingestion {
  /** Transactions mined and records attested so far. */
  readonly transactions: number;
  readonly records: number;
  /** Errors of the submitting side (reverts, RPC failures). */
  readonly errors: string[];
  /** Stops submitting and waits for the transaction in flight. */
  stop(): Promise<void>;
}

/**
 * Submits `attestMany` transactions of `perTransaction` records on fresh subjects (not the bench
 * subject: its answer stays the same), `transactionsPerSecond` of them, until stopped. Straight to
 * the node through its unlocked accounts (test/helpers/evmWorkload.ts), so the generator costs
 * little CPU; the node mines each at once and the gateway's indexer follows the head.
 */
export function startIngestion(
  chain: GatewayBenchChain,
  options: { transactionsPerSecond: number; perTransaction: number },
): Ingestion {
  const c = chain.consortium;
  const sender = nodeSender(chain.node.url, c);
  const errors: string[] = [];
  let transactions = 0;
  let records = 0;
  let serial = 0;
  let running = true;
  const period = 1000 / options.transactionsPerSecond;
  const loop = (async () => {
    let due = performance.now();
    while (running) {
      const batch = Array.from({ length: options.perTransaction }, () => {
        const n = serial++;
        return {
          schema: c.schemas.taxPayment,
          subject: word("ingest-subject", n % 5_000),
          dataHash: word("ingest-record", n),
          observedAt: chain.now - 86_400n,
          expiresAt: 0n,
          severity: 0,
        };
      });
      try {
        await sender.sendData(
          "tax",
          "registry",
          sender.encode("registry", "attestMany", [batch]),
          8_000_000n,
        );
        transactions++;
        records += batch.length;
      } catch (error) {
        errors.push(error instanceof Error ? error.message : String(error));
      }
      due += period;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  })();
  return {
    get transactions() {
      return transactions;
    },
    get records() {
      return records;
    },
    errors,
    async stop() {
      running = false;
      await loop;
    },
  };
}
