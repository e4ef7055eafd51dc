/**
 * The EVM implementation of core's {@link ScoreLedgerReader}: read-only calls to the Consortium and
 * CreditRegistry (typechain types) over JSON-RPC, at a given block when asked (eth_call with a block
 * tag — the node must keep the state of that block: an archive node, or a Hardhat/Besu dev node),
 * and transaction receipts for score-batch anchors. Holds no key.
 */
import { JsonRpcProvider, Network } from "ethers";

import {
  toAddress,
  type AnchorReceiptInfo,
  type Hex,
  type LedgerBlockInfo,
  type LedgerRecordInfo,
  type LedgerRecordStatus,
  type RecordBatchInfo,
  type ScoreBatchAnchoredLog,
  type ScoreBatchInfo,
  type ScoreLedgerReader,
} from "../../core/index.js";
import { Consortium__factory } from "../../types/ethers-contracts/factories/contracts/Consortium__factory.js";
import { CreditRegistry__factory } from "../../types/ethers-contracts/factories/contracts/CreditRegistry__factory.js";
import type { ContractAddresses } from "./abi.js";

export interface EvmScoreReaderOptions {
  /** The JSON-RPC endpoint of a node the caller trusts. */
  rpcUrl: string;
  addresses: ContractAddresses;
  /** The chain id, when known (saves a request and pins the network). */
  chainId?: bigint;
}

export interface EvmScoreReader extends ScoreLedgerReader {
  readonly addresses: ContractAddresses;
  /** The newest block number. */
  head(): Promise<bigint>;
  /** Releases the provider. */
  close(): void;
}

const ZERO = `0x${"0".repeat(64)}`;
const STATUS: Record<number, LedgerRecordStatus | undefined> = {
  1: "active",
  2: "revoked",
  3: "superseded",
};

const tag = (at: bigint | undefined): { blockTag: number | "latest" } => ({
  blockTag: at === undefined ? "latest" : Number(at),
});
const lower = (hex: string): Hex => hex.toLowerCase() as Hex;

/** A read-only score reader on the node at `rpcUrl`. */
export function createEvmScoreReader(options: EvmScoreReaderOptions): EvmScoreReader {
  const addresses: ContractAddresses = {
    consortium: toAddress(options.addresses.consortium, "addresses.consortium"),
    registry: toAddress(options.addresses.registry, "addresses.registry"),
  };
  const network = options.chainId === undefined ? undefined : Network.from(options.chainId);
  const provider = new JsonRpcProvider(options.rpcUrl, network, {
    ...(network === undefined ? {} : { staticNetwork: network }),
    cacheTimeout: -1,
  });
  const consortium = Consortium__factory.connect(addresses.consortium, provider);
  const registry = CreditRegistry__factory.connect(addresses.registry, provider);
  const anchoredTopic = registry.interface.getEvent("ScoreBatchAnchored").topicHash;
  const memberIds = new Map<number, Promise<Hex>>();
  const memberIdOf = (index: number): Promise<Hex> => {
    let id = memberIds.get(index);
    if (id === undefined) {
      // a member's id never changes once admitted
      id = consortium.memberId(index).then(lower);
      memberIds.set(index, id);
    }
    return id;
  };

  return {
    addresses,
    async head() {
      return BigInt(await provider.getBlockNumber());
    },
    async block(number): Promise<LedgerBlockInfo | null> {
      const block = await provider.getBlock(Number(number));
      if (block === null || block.hash === null) return null;
      return {
        number: BigInt(block.number),
        hash: lower(block.hash),
        timestamp: BigInt(block.timestamp),
      };
    },
    async anchorReceipt(txHash): Promise<AnchorReceiptInfo | null> {
      const receipt = await provider.getTransactionReceipt(txHash);
      if (receipt === null) return null;
      const anchors: ScoreBatchAnchoredLog[] = [];
      for (const log of receipt.logs) {
        if (log.address.toLowerCase() !== addresses.registry.toLowerCase()) continue;
        if (log.topics[0] !== anchoredTopic) continue;
        const parsed = registry.interface.parseLog(log);
        if (parsed === null) continue;
        const [root, scorer, modelHash, count, asOfBlock] = parsed.args as unknown as [
          string,
          string,
          string,
          bigint,
          bigint,
        ];
        anchors.push({
          root: lower(root),
          scorer: lower(scorer),
          modelHash: lower(modelHash),
          count: Number(count),
          asOfBlock,
        });
      }
      return {
        txHash: lower(receipt.hash),
        blockNumber: BigInt(receipt.blockNumber),
        blockHash: lower(receipt.blockHash),
        succeeded: receipt.status === 1,
        anchors,
      };
    },
    async scoreBatch(root, at): Promise<ScoreBatchInfo | null> {
      const b = await registry.scoreBatch(root, tag(at));
      if (b.scorer === 0n) return null;
      return {
        scorer: await memberIdOf(Number(b.scorer)),
        scorerIndex: Number(b.scorer),
        modelHash: lower(b.modelHash),
        count: Number(b.count),
        asOfBlock: b.asOfBlock,
        anchoredAt: b.anchoredAt,
      };
    },
    async modelScorer(modelHash, at) {
      const scorer = await consortium.modelScorer(modelHash, tag(at));
      return scorer === ZERO ? null : lower(scorer);
    },
    hasActiveRole(memberIndex, role, at) {
      return consortium.hasActiveRole(memberIndex, role, tag(at));
    },
    async record(uid, at): Promise<LedgerRecordInfo | null> {
      const r = await registry.record(uid, tag(at));
      const status = STATUS[Number(r.status)];
      if (status === undefined) return null;
      return {
        status,
        owner: await memberIdOf(Number(r.owner)),
        ownerIndex: Number(r.owner),
        schemaIndex: Number(r.schema),
        derived: r.derived,
        disputed: r.disputed,
        repaired: r.repaired,
        batchLeaf: r.batchLeaf,
        observedAt: r.observedAt,
        expiresAt: r.expiresAt,
        severity: Number(r.severity),
      };
    },
    async recordBatch(root, at): Promise<RecordBatchInfo | null> {
      const b = await registry.batch(root, tag(at));
      if (b.provider === 0n) return null;
      return {
        provider: lower(b.providerId),
        providerIndex: Number(b.provider),
        schema: lower(b.schemaId),
        schemaIndex: Number(b.schema),
        count: Number(b.count),
        revoked: b.revoked,
      };
    },
    isAccredited(memberIndex, schemaIndex, at) {
      return consortium.isAccredited(memberIndex, schemaIndex, tag(at));
    },
    close() {
      provider.destroy();
    },
  };
}
