/**
 * A peer for chaincode unit tests that a real peer would agree with. The chaincode runs unchanged
 * through fabric-contract-api's ChaincodeFromContract (what `fabric-chaincode-node` runs) and the
 * real `ChaincodeStub` of fabric-shim, built from a real signed proposal; only the handler the stub
 * talks to (the peer's side of the chaincode stream) is faked, with the peer's semantics:
 *
 * - state is the committed state plus, per transaction, a read set and a write set: a transaction
 *   never reads its own writes;
 * - a missing key reads as an empty value; writing an empty value deletes the key;
 * - range queries return committed keys in byte order, from the start key (inclusive) to the end
 *   key (exclusive), in pages fetched with QueryStateNext;
 * - a block validates its transactions in order: a transaction whose read versions (or range
 *   results) changed since it was simulated — by an earlier transaction in the same block, say —
 *   is marked MVCC_READ_CONFLICT (PHANTOM_READ_CONFLICT) and its writes are dropped;
 * - a transaction has at most one chaincode event (the last `setEvent`).
 */
import { createHash, randomBytes, sign } from "node:crypto";
import { createRequire } from "node:module";

import type { TestIdentity } from "./identities.js";

const require = createRequire(import.meta.url);

// ------------------------------------------------------------------------------------------------
// Protobufs and fabric-shim internals, typed as far as the harness uses them
// ------------------------------------------------------------------------------------------------

interface Message {
  serializeBinary(): Uint8Array;
}
type Ctor<T> = new () => T;

interface Protos {
  common: {
    Header: Ctor<
      Message & { setChannelHeader(v: Uint8Array): void; setSignatureHeader(v: Uint8Array): void }
    >;
    ChannelHeader: Ctor<
      Message & {
        setType(v: number): void;
        setChannelId(v: string): void;
        setTxId(v: string): void;
        setEpoch(v: number): void;
        setTimestamp(v: unknown): void;
      }
    >;
    SignatureHeader: Ctor<
      Message & { setCreator(v: Uint8Array): void; setNonce(v: Uint8Array): void }
    >;
  };
  msp: {
    SerializedIdentity: Ctor<
      Message & { setMspid(v: string): void; setIdBytes(v: Uint8Array): void }
    >;
  };
  peer: {
    SignedProposal: Ctor<
      Message & { setProposalBytes(v: Uint8Array): void; setSignature(v: Uint8Array): void }
    >;
    Proposal: Ctor<Message & { setHeader(v: Uint8Array): void; setPayload(v: Uint8Array): void }>;
    ChaincodeProposalPayload: Ctor<Message & { setInput(v: Uint8Array): void }>;
    ChaincodeInvocationSpec: Ctor<Message & { setChaincodeSpec(v: unknown): void }>;
    ChaincodeSpec: Ctor<Message & { setChaincodeId(v: unknown): void; setInput(v: unknown): void }>;
    ChaincodeID: Ctor<Message & { setName(v: string): void }>;
    ChaincodeInput: Ctor<Message & { setArgsList(v: Uint8Array[]): void }>;
    QueryResponse: Ctor<
      Message & {
        setResultsList(v: unknown[]): void;
        setHasMore(v: boolean): void;
        setId(v: string): void;
      }
    >;
    QueryResultBytes: Ctor<Message & { setResultbytes(v: Uint8Array): void }>;
  };
  ledger: {
    queryresult: {
      KV: Ctor<
        Message & {
          setNamespace(v: string): void;
          setKey(v: string): void;
          setValue(v: Uint8Array): void;
        }
      >;
    };
  };
}

const protos = require("@hyperledger/fabric-protos") as Protos;
const { Timestamp } = require("google-protobuf/google/protobuf/timestamp_pb.js") as {
  Timestamp: Ctor<{ setSeconds(v: number): void; setNanos(v: number): void }>;
};

/** What the chaincode returns to the peer for one invocation. */
export interface ChaincodeResponse {
  status: number;
  message?: string;
  payload?: Uint8Array;
}

interface ChaincodeEventPb {
  getEventName(): string;
  getPayload_asU8(): Uint8Array;
}

interface Stub {
  chaincodeEvent?: ChaincodeEventPb;
}

interface Chaincode {
  Invoke(stub: Stub): Promise<ChaincodeResponse>;
}

const shim = require("fabric-shim") as {
  ChaincodeStub: new (
    handler: TxSimulator,
    channel: string,
    txId: string,
    input: unknown,
    signedProposal: unknown,
  ) => Stub;
  StateQueryIterator: new (
    handler: TxSimulator,
    channel: string,
    txId: string,
    response: unknown,
  ) => unknown;
};
const ChaincodeFromContract =
  require("fabric-shim/lib/contract-spi/chaincodefromcontract.js") as new (
    contracts: unknown[],
    serializers: unknown,
    metadata: unknown,
    title: string,
    version: string,
  ) => Chaincode;
const { JSONSerializer } = require("fabric-contract-api") as { JSONSerializer: unknown };

/** The chaincode as fabric-chaincode-node would host it: contract classes → ChaincodeFromContract. */
export function hostContracts(contracts: readonly unknown[]): Chaincode {
  const serializers = {
    transaction: "jsonSerializer",
    serializers: { jsonSerializer: JSONSerializer },
  };
  return new ChaincodeFromContract([...contracts], serializers, {}, "credtrail", "test");
}

// ------------------------------------------------------------------------------------------------
// State
// ------------------------------------------------------------------------------------------------

interface Versioned {
  value: Buffer;
  /** "<block>:<tx>" of the write that set it. */
  version: string;
}

function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/** Keys in [start, end) in byte order; an empty end is unbounded. */
function keysInRange(state: Map<string, Versioned>, start: string, end: string): string[] {
  return [...state.keys()]
    .filter((k) => compareKeys(k, start) >= 0 && (end === "" || compareKeys(k, end) < 0))
    .sort(compareKeys);
}

interface RangeRead {
  start: string;
  end: string;
  /** key → version, of what the query returned. */
  results: [string, string][];
}

const PAGE_SIZE = 3;

/** The peer side of one transaction simulation: what the stub's handler calls. */
export class TxSimulator {
  readonly reads = new Map<string, string | undefined>();
  readonly writes = new Map<string, Buffer | null>();
  readonly ranges: RangeRead[] = [];
  private readonly pending = new Map<string, [string, Buffer][]>();
  private nextIterator = 0;

  constructor(
    private readonly committed: Map<string, Versioned>,
    private readonly channel: string,
    private readonly txId: string,
  ) {}

  private checkCollection(collection: string): void {
    if (collection !== "") throw new Error("the fake peer has no private data collections");
  }

  handleGetState(collection: string, key: string): Promise<Buffer> {
    this.checkCollection(collection);
    const entry = this.committed.get(key);
    if (!this.reads.has(key)) this.reads.set(key, entry?.version);
    return Promise.resolve(entry === undefined ? Buffer.alloc(0) : Buffer.from(entry.value));
  }

  handlePutState(collection: string, key: string, value: Uint8Array): Promise<Buffer> {
    this.checkCollection(collection);
    if (key === "") throw new Error("key must not be empty");
    this.writes.set(key, value.length === 0 ? null : Buffer.from(value));
    return Promise.resolve(Buffer.alloc(0));
  }

  handleDeleteState(collection: string, key: string): Promise<Buffer> {
    this.checkCollection(collection);
    this.writes.set(key, null);
    return Promise.resolve(Buffer.alloc(0));
  }

  handleGetStateByRange(
    collection: string,
    start: string,
    end: string,
    _channel: string,
    _txId: string,
    metadata?: unknown,
  ): Promise<{ iterator: unknown }> {
    this.checkCollection(collection);
    if (metadata !== undefined) throw new Error("the fake peer has no paginated range queries");
    const keys = keysInRange(this.committed, start, end);
    const results = keys.map((k): [string, Buffer] => [
      k,
      this.committed.get(k)?.value ?? Buffer.alloc(0),
    ]);
    this.ranges.push({
      start,
      end,
      results: keys.map((k) => [k, this.committed.get(k)?.version ?? ""]),
    });
    const id = `iterator-${this.nextIterator++}`;
    this.pending.set(id, results);
    const iterator = new shim.StateQueryIterator(this, this.channel, this.txId, this.page(id));
    return Promise.resolve({ iterator });
  }

  handleQueryStateNext(id: string): Promise<unknown> {
    if (!this.pending.has(id)) throw new Error(`unknown iterator ${id}`);
    return Promise.resolve(this.page(id));
  }

  handleQueryStateClose(id: string): Promise<unknown> {
    this.pending.delete(id);
    const response = new protos.peer.QueryResponse();
    response.setId(id);
    return Promise.resolve(response);
  }

  private page(id: string): unknown {
    const rest = this.pending.get(id) ?? [];
    const page = rest.splice(0, PAGE_SIZE);
    const response = new protos.peer.QueryResponse();
    response.setId(id);
    response.setHasMore(rest.length > 0);
    response.setResultsList(
      page.map(([key, value]) => {
        const kv = new protos.ledger.queryresult.KV();
        kv.setNamespace("credtrail");
        kv.setKey(key);
        kv.setValue(value);
        const bytes = new protos.peer.QueryResultBytes();
        bytes.setResultbytes(kv.serializeBinary());
        return bytes;
      }),
    );
    return response;
  }

  handleGetQueryResult(): Promise<never> {
    return Promise.reject(new Error("rich queries need CouchDB; the fake peer is LevelDB"));
  }

  handleGetHistoryForKey(): Promise<never> {
    return Promise.reject(new Error("the fake peer keeps no history"));
  }

  handleInvokeChaincode(): Promise<never> {
    return Promise.reject(new Error("the fake peer hosts one chaincode"));
  }
}

// ------------------------------------------------------------------------------------------------
// Transactions and blocks
// ------------------------------------------------------------------------------------------------

export interface ChaincodeEvent {
  name: string;
  payload: Buffer;
}

/** One endorsed (simulated) transaction, not yet committed. */
export interface Simulation {
  txId: string;
  response: ChaincodeResponse;
  event: ChaincodeEvent | undefined;
  simulator: TxSimulator;
}

export type ValidationCode =
  "VALID" | "MVCC_READ_CONFLICT" | "PHANTOM_READ_CONFLICT" | "ENDORSEMENT_FAILURE";

export interface CommittedTx {
  txId: string;
  code: ValidationCode;
  event: ChaincodeEvent | undefined;
}

/** The peer's answer to a failed proposal. */
export class ProposalRejected extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "ProposalRejected";
  }
}

export interface FakePeerOptions {
  channel?: string;
  /** The first transaction timestamp, unix seconds. */
  time?: bigint;
}

export class FakePeer {
  readonly channel: string;
  readonly committed = new Map<string, Versioned>();
  /** The timestamp the next proposals carry (a client's clock; tests move it). */
  time: bigint;
  blockNumber = 0;

  constructor(
    private readonly chaincode: Chaincode,
    options: FakePeerOptions = {},
  ) {
    this.channel = options.channel ?? "credtrail";
    this.time = options.time ?? 1_750_000_000n;
  }

  /** Endorses `fn(args)` as `identity` against the committed state, without committing. */
  async simulate(identity: TestIdentity, fn: string, args: readonly string[]): Promise<Simulation> {
    const nonce = randomBytes(24);
    const creator = new protos.msp.SerializedIdentity();
    creator.setMspid(identity.mspId);
    creator.setIdBytes(Buffer.from(identity.certificate, "utf8"));
    const creatorBytes = creator.serializeBinary();
    const txId = createHash("sha256").update(nonce).update(creatorBytes).digest("hex");

    const timestamp = new Timestamp();
    timestamp.setSeconds(Number(this.time));
    timestamp.setNanos(0);
    const channelHeader = new protos.common.ChannelHeader();
    channelHeader.setType(3); // ENDORSER_TRANSACTION
    channelHeader.setChannelId(this.channel);
    channelHeader.setTxId(txId);
    channelHeader.setEpoch(0);
    channelHeader.setTimestamp(timestamp);
    const signatureHeader = new protos.common.SignatureHeader();
    signatureHeader.setCreator(creatorBytes);
    signatureHeader.setNonce(nonce);
    const header = new protos.common.Header();
    header.setChannelHeader(channelHeader.serializeBinary());
    header.setSignatureHeader(signatureHeader.serializeBinary());

    const input = new protos.peer.ChaincodeInput();
    input.setArgsList([fn, ...args].map((a) => Buffer.from(a, "utf8")));
    const chaincodeId = new protos.peer.ChaincodeID();
    chaincodeId.setName("credtrail");
    const spec = new protos.peer.ChaincodeSpec();
    spec.setChaincodeId(chaincodeId);
    spec.setInput(input);
    const invocation = new protos.peer.ChaincodeInvocationSpec();
    invocation.setChaincodeSpec(spec);
    const payload = new protos.peer.ChaincodeProposalPayload();
    payload.setInput(invocation.serializeBinary());

    const proposal = new protos.peer.Proposal();
    proposal.setHeader(header.serializeBinary());
    proposal.setPayload(payload.serializeBinary());
    const proposalBytes = proposal.serializeBinary();
    const signed = new protos.peer.SignedProposal();
    signed.setProposalBytes(proposalBytes);
    signed.setSignature(
      sign("sha256", proposalBytes, { key: identity.privateKey, dsaEncoding: "der" }),
    );

    const simulator = new TxSimulator(this.committed, this.channel, txId);
    const stub = new shim.ChaincodeStub(simulator, this.channel, txId, input, signed);
    const response = await this.chaincode.Invoke(stub);
    const pb = stub.chaincodeEvent;
    const event =
      response.status < 400 && pb !== undefined
        ? { name: pb.getEventName(), payload: Buffer.from(pb.getPayload_asU8()) }
        : undefined;
    return { txId, response, event, simulator };
  }

  /** Orders `txs` into the next block and validates and commits them in order. */
  commitBlock(txs: readonly Simulation[]): CommittedTx[] {
    this.blockNumber += 1;
    return txs.map((tx, txNum) => {
      const code = this.validate(tx);
      if (code === "VALID") {
        const version = `${this.blockNumber}:${txNum}`;
        for (const [key, value] of tx.simulator.writes) {
          if (value === null) this.committed.delete(key);
          else this.committed.set(key, { value, version });
        }
      }
      return { txId: tx.txId, code, event: code === "VALID" ? tx.event : undefined };
    });
  }

  private validate(tx: Simulation): ValidationCode {
    if (tx.response.status >= 400) return "ENDORSEMENT_FAILURE";
    for (const [key, version] of tx.simulator.reads) {
      if (this.committed.get(key)?.version !== version) return "MVCC_READ_CONFLICT";
    }
    for (const range of tx.simulator.ranges) {
      const now = keysInRange(this.committed, range.start, range.end).map((k) => [
        k,
        this.committed.get(k)?.version ?? "",
      ]);
      if (JSON.stringify(now) !== JSON.stringify(range.results)) return "PHANTOM_READ_CONFLICT";
    }
    return "VALID";
  }

  /** Endorses and commits in a block of its own; throws ProposalRejected if endorsement fails. */
  async submit(
    identity: TestIdentity,
    fn: string,
    ...args: string[]
  ): Promise<{ result: string; event: ChaincodeEvent | undefined }> {
    const sim = await this.simulate(identity, fn, args);
    if (sim.response.status >= 400) {
      throw new ProposalRejected(sim.response.status, sim.response.message ?? "");
    }
    const [committed] = this.commitBlock([sim]);
    if (committed.code !== "VALID") throw new Error(`transaction ${sim.txId} is ${committed.code}`);
    return {
      result: Buffer.from(sim.response.payload ?? []).toString("utf8"),
      event: committed.event,
    };
  }

  /** Evaluates a query (simulates, never commits). */
  async evaluate(identity: TestIdentity, fn: string, ...args: string[]): Promise<string> {
    const sim = await this.simulate(identity, fn, args);
    if (sim.response.status >= 400) {
      throw new ProposalRejected(sim.response.status, sim.response.message ?? "");
    }
    return Buffer.from(sim.response.payload ?? []).toString("utf8");
  }
}
