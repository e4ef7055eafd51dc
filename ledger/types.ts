/**
 * The one interface every ledger back end implements (EvmLedger now, FabricLedger later). Nothing
 * above ledger/ calls ethers or fabric-gateway directly: the indexer consumes `LedgerStream`, the
 * gateway and CLI submit through `LedgerWriter`.
 */
import type {
  AttestationRequestInput,
  DisputeOutcome,
  GovernanceAction,
  Hex,
  LedgerEvent,
  PositionedEvent,
  RecordLeaf,
  SignedForwardRequest,
} from "../core/index.js";

/** A block as the indexer sees it: enough to checkpoint and to detect a reorg. */
export interface BlockRef {
  number: bigint;
  hash: Hex;
  parentHash: Hex;
  /** unix seconds */
  timestamp: bigint;
}

/** Where the indexer is: the last block whose events are applied. Zero values = nothing yet. */
export interface Checkpoint {
  number: bigint;
  hash: Hex;
}

/**
 * One item of the event stream. The indexer handles each in one place:
 * - `block`: the events of one block (possibly none, when the block is only a checkpoint — the
 *   stream may skip empty blocks during a backfill and report only the last block of a range);
 * - `reorg`: blocks after `ancestor` are no longer canonical; roll them back, then blocks follow
 *   again from `ancestor.number + 1`;
 * - `finalize`: blocks up to `number` can no longer be reorged (undo entries can be pruned).
 */
export type StreamItem =
  | { type: "block"; block: BlockRef; events: PositionedEvent[] }
  | { type: "reorg"; ancestor: Checkpoint; dropped: Checkpoint }
  | { type: "finalize"; number: bigint };

export interface StreamOptions {
  /** Resume after this block (its hash is checked: a mismatch means a reorg happened meanwhile). */
  from: Checkpoint;
  /**
   * Hashes of recent blocks the indexer already applied, newest last, to find the common ancestor
   * after a reorg. A stream asks for them through this callback.
   */
  knownBlock: (number: bigint) => Promise<Hex | undefined>;
  /** Stop following the head when aborted. */
  signal?: AbortSignal;
}

export interface LedgerStream {
  /** The newest block the ledger has (not necessarily final). */
  head(): Promise<BlockRef>;
  /** Events from `from` onwards: backfill, then follow new heads until `signal` aborts. */
  stream(options: StreamOptions): AsyncIterable<StreamItem>;
}

/** What a submission returns once the ledger has accepted it. */
export interface Receipt {
  txHash: Hex;
  blockNumber: bigint;
  blockHash: Hex;
  /** The events the transaction emitted, decoded. */
  events: LedgerEvent[];
}

export interface SignedAttestation {
  request: AttestationRequestInput;
  signer: string;
  nonce: bigint;
  deadline: bigint;
  signature: Hex;
}

export interface LeafRef extends RecordLeaf {
  root: Hex;
  proof: Hex[];
}

export interface DeriveInput {
  schema: Hex;
  subject: Hex;
  dataHash: Hex;
  modelHash: Hex;
  observedAt: bigint;
  inputs: Hex[];
  leafInputs: LeafRef[];
}

/** Every ledger operation, submitted with the key the writer was built with. */
export interface LedgerWriter {
  /** The address (EVM) or identity (Fabric) this writer submits as. */
  readonly identity: string;
  attest(request: AttestationRequestInput): Promise<Receipt>;
  attestMany(requests: AttestationRequestInput[]): Promise<Receipt>;
  attestBySig(signed: SignedAttestation): Promise<Receipt>;
  anchorBatch(schema: Hex, root: Hex, count: number, uri: string): Promise<Receipt>;
  recordLeaf(leaf: LeafRef): Promise<Receipt>;
  derive(input: DeriveInput): Promise<Receipt>;
  revoke(uid: Hex, reasonHash: Hex): Promise<Receipt>;
  revokeBatch(root: Hex, reasonHash: Hex): Promise<Receipt>;
  supersede(uid: Hex, replacement: AttestationRequestInput): Promise<Receipt>;
  openDispute(uid: Hex, reasonHash: Hex): Promise<Receipt>;
  answerDispute(uid: Hex, outcome: DisputeOutcome, responseHash: Hex): Promise<Receipt>;
  withdrawDispute(uid: Hex): Promise<Receipt>;
  requestRepair(uid: Hex, evidenceHash: Hex): Promise<Receipt>;
  decideRepair(uid: Hex, approved: boolean, decisionHash: Hex): Promise<Receipt>;
  anchorScoreBatch(root: Hex, modelHash: Hex, count: number, asOfBlock: bigint): Promise<Receipt>;
  recordConsent(
    subject: Hex,
    purposeHash: Hex,
    expiresAt: bigint,
    evidenceHash: Hex,
  ): Promise<Receipt>;
  revokeConsent(subject: Hex, purposeHash: Hex): Promise<Receipt>;
  anchorAuditLog(root: Hex, count: number, fromTime: bigint, toTime: bigint): Promise<Receipt>;
  registerSchema(categoryName: string, definition: string): Promise<Receipt>;
  registerModel(modelHash: Hex, uri: string): Promise<Receipt>;
  propose(action: GovernanceAction): Promise<Receipt & { proposalId: bigint }>;
  approve(proposalId: bigint): Promise<Receipt>;
  cancel(proposalId: bigint): Promise<Receipt>;
  revokeOwnKey(key: string): Promise<Receipt>;
}

/**
 * Relaying a member's signed ERC-2771 forward request (EVM only: the registry trusts a forwarder,
 * so a node can submit any registry call on a member key's behalf and pay its gas).
 */
export interface ForwardingWriter {
  /** The forwarder the registry trusts (its EIP-712 verifying contract). */
  forwarderAddress(): Promise<string>;
  /** The nonce the forwarder expects next from `from`. */
  forwarderNonce(from: string): Promise<bigint>;
  /** Runs the call as the forwarder would make it, without sending; throws the registry's error. */
  simulateForwarded(request: SignedForwardRequest): Promise<void>;
  /** Relays the request through the forwarder. */
  forward(request: SignedForwardRequest): Promise<Receipt>;
}

/** A ledger back end: read the event stream, and write as one member key. */
export interface Ledger extends LedgerStream {
  readonly kind: "evm" | "fabric";
  /** The chain id (EVM) or channel name (Fabric) the events come from. */
  readonly network: string;
  writer(key: string): LedgerWriter;
}
