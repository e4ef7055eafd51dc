/** What the resolvers read from and write to. */
import type { ConsortiumKey } from "../../core/index.js";
import type { ReadApi, ScoringService } from "../../indexer/index.js";
import type { ForwardingWriter, LedgerWriter } from "../../ledger/types.js";
import type { RecordRead } from "../access.js";
import type { QueryAuditLog } from "../types.js";
import type { GatewayIndexerStatus } from "../server.js";

/** What the gateway writes with: the node's key, and the registry its signatures are bound to. */
export interface GatewayWrites {
  writer: Pick<LedgerWriter, "attestBySig">;
  chainId: bigint;
  /** The registry contract's address (the EIP-712 verifying contract). */
  registry: string;
  /** Relays members' signed forward requests (EVM); absent: those mutations are refused. */
  forwarding?: ForwardingWriter;
}

export interface ResolverDeps {
  reads: ReadApi;
  status: () => Promise<GatewayIndexerStatus>;
  auditLog: QueryAuditLog;
  recordRead: RecordRead;
  consortiumKey?: ConsortiumKey;
  /** Absent: mutations are refused with WRITES_DISABLED. */
  writes?: GatewayWrites;
  /** Milliseconds since the epoch. */
  clock: () => number;
  /** The node's scoring service (absent: Subject.score is null, scoreChanged refused). */
  scores?: ScoreReads;
}

/** What the score resolvers read from the scoring service. */
export type ScoreReads = Pick<
  ScoringService,
  "getScore" | "listHistory" | "provisionalReason" | "watch"
>;

export function nowSeconds(deps: Pick<ResolverDeps, "clock">): bigint {
  return BigInt(Math.floor(deps.clock() / 1000));
}
