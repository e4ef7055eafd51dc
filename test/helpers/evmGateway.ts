/**
 * A gateway over an in-process indexer that relays members' forward requests with `writer` (the
 * node's key): production settings, a silent logger, an in-memory audit log, a high rate limit.
 * And {@link startTestLedger}, the chain such tests start from.
 */
import pino from "pino";
import { Registry } from "prom-client";

import { createAuthenticator } from "../../gateway/auth/index.js";
import { createGateway, type Gateway } from "../../gateway/index.js";
import type { Indexer } from "../../indexer/index.js";
import { createEvmLedger, type EvmLedger, type EvmWriter } from "../../ledger/index.js";
import { memoryAuditLog } from "../gateway/world.js";
import { deployTestConsortium, type TestConsortium } from "./evmConsortium.js";
import { startHardhatNode, type HardhatNode } from "./hardhatNode.js";

export interface RelayGatewayOptions {
  indexer: Indexer;
  consortium: TestConsortium;
  /** What login tokens must name. */
  audience: string;
  /** Sends the relayed requests. */
  writer: EvmWriter;
  maxBodyBytes: number;
}

export function createRelayGateway(o: RelayGatewayOptions): Gateway {
  const { indexer, consortium: c, writer } = o;
  return createGateway({
    indexer,
    authenticator: createAuthenticator({
      reads: indexer,
      chainId: c.chainId,
      audience: o.audience,
      clock: Date.now,
    }),
    auditLog: memoryAuditLog(),
    logger: pino({ level: "silent" }),
    metrics: new Registry(),
    batchUploads: (root, leaves) => indexer.uploadBatchLeaves(root, leaves),
    writes: {
      writer,
      chainId: c.chainId,
      registry: c.addresses.registry,
      forwarding: writer,
    },
    config: {
      host: "127.0.0.1",
      port: 0,
      production: true,
      maxLagSeconds: 30,
      rateLimit: { perMinute: 100_000 },
      maxBodyBytes: o.maxBodyBytes,
    },
    clock: Date.now,
  });
}

/**
 * A Hardhat node with the test consortium deployed, and an EVM ledger following it (polled every
 * 20 ms). The node is stopped again if the deployment fails.
 */
export async function startTestLedger(): Promise<{
  node: HardhatNode;
  c: TestConsortium;
  ledger: EvmLedger;
}> {
  const node = await startHardhatNode();
  try {
    const c = await deployTestConsortium(node.url);
    const ledger = await createEvmLedger({
      rpcUrl: node.url,
      addresses: c.addresses,
      pollIntervalMs: 20,
    });
    return { node, c, ledger };
  } catch (error) {
    await node.stop();
    throw error;
  }
}
