/**
 * Seeded histories of mixed ledger events on a Hardhat node, fast enough for end-to-end indexer
 * tests that need tens of thousands of events (crash safety) and for benchmarks.
 *
 * Transactions go straight to the node as `eth_sendTransaction` from its own (unlocked) default
 * accounts — the node signs and assigns nonces, and calldata is encoded once with the contracts'
 * ABIs — which is several times faster than a LedgerWriter (estimate, sign, poll for the receipt).
 * The events are the same: what the contracts emit.
 *
 * A history is a sequence of rounds: big `attestMany` transactions (most of the events), then one
 * transaction at a time of every other kind — batches and recorded leaves, derivations with stored
 * and leaf inputs, revocations and supersessions (often of derivation inputs, so derived records go
 * stale), disputes (opened, answered, withdrawn), repairs (requested, approved or rejected), score
 * batches, batch revocations and governance (proposals executed or cancelled). The generator keeps
 * a model of the ledger's state so that every transaction is valid; a revert is a test failure and
 * names the decoded error.
 */
import { Interface, Wallet, ZeroAddress, getAddress, id as keccakId } from "ethers";

import {
  DisputeOutcome,
  attestationUid,
  buildRecordBatch,
  derivedUid,
  encodeAction,
  type GovernanceAction,
  type Hex,
  type RecordBatch,
} from "../../core/index.js";
import { decodeRevertData } from "../../ledger/index.js";
import { Consortium__factory } from "../../types/ethers-contracts/factories/contracts/Consortium__factory.js";
import { CreditRegistry__factory } from "../../types/ethers-contracts/factories/contracts/CreditRegistry__factory.js";
import type { TestConsortium, TestKey } from "./evmConsortium.js";
import { TEST_KEYS, YEAR_SECONDS } from "./evmConsortium.js";

const DAY = 86_400n;

/** mulberry32 over a string seed: the same seed, the same numbers. */
export function seededRandom(seed: string): () => number {
  let state = 0x9e3779b9;
  for (const ch of seed) state = (Math.imul(state ^ ch.charCodeAt(0), 2654435761) + 1) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ------------------------------------------------------------------------------------------------
// Raw transactions through the node's accounts
// ------------------------------------------------------------------------------------------------

export interface NodeLog {
  address: string;
  topics: Hex[];
  data: Hex;
  logIndex: string;
}

export interface MinedTx {
  hash: Hex;
  blockNumber: bigint;
  blockHash: Hex;
  logs: NodeLog[];
}

interface RpcAnswer<T> {
  result?: T;
  error?: { code: number; message: string; data?: unknown };
}

/** The revert data a node put in a JSON-RPC error (a hex string, or `{ data }`). */
function revertDataOf(data: unknown): string | undefined {
  if (typeof data === "string") return data;
  if (typeof data === "object" && data !== null && "data" in data) {
    const inner = data.data;
    return typeof inner === "string" ? inner : undefined;
  }
  return undefined;
}

export class NodeCallError extends Error {
  readonly data: string | undefined;
  constructor(message: string, data: string | undefined) {
    super(message);
    this.name = "NodeCallError";
    this.data = data;
  }
}

/** One JSON-RPC call; a JSON-RPC error becomes a NodeCallError naming the decoded revert, if any. */
export async function nodeCall<T>(url: string, method: string, params: unknown[]): Promise<T> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const answer = (await response.json()) as RpcAnswer<T>;
  if (answer.error !== undefined) {
    const data = revertDataOf(answer.error.data);
    const decoded = data === undefined ? undefined : decodeRevertData(data);
    throw new NodeCallError(
      `${method}: ${decoded?.formatted ?? answer.error.message} (${answer.error.code})`,
      data,
    );
  }
  return answer.result as T;
}

export type ContractName = "registry" | "consortium";

export interface NodeSender {
  /** Calldata of `method(args)` on one of the two contracts. */
  encode(contract: ContractName, method: string, args: readonly unknown[]): Hex;
  /**
   * Sends calldata from a test key's account and resolves with the transaction hash once the node
   * took it (an automining Hardhat node has mined it by then, and answers a revert with an error).
   */
  submit(from: TestKey, contract: ContractName, data: Hex, gas?: bigint): Promise<Hex>;
  /** Like submit, then reads the receipt: resolves once mined, rejects on a revert. */
  sendData(from: TestKey, contract: ContractName, data: Hex, gas?: bigint): Promise<MinedTx>;
  send(
    from: TestKey,
    contract: ContractName,
    method: string,
    args: readonly unknown[],
  ): Promise<MinedTx>;
  /** The event name of a log's first topic (either contract). */
  eventName(log: NodeLog): string;
}

/** The per-transaction gas cap of Hardhat and Osaka chains (EIP-7825) is 2^24. */
export const BULK_GAS = 16_000_000n;

export function nodeSender(url: string, c: TestConsortium): NodeSender {
  const interfaces: Record<ContractName, Interface> = {
    registry: new Interface(CreditRegistry__factory.abi),
    consortium: new Interface(Consortium__factory.abi),
  };
  const addresses: Record<ContractName, string> = {
    registry: c.addresses.registry,
    consortium: c.addresses.consortium,
  };
  const accounts = new Map<TestKey, string>();
  const accountOf = (key: TestKey): string => {
    let account = accounts.get(key);
    if (account === undefined) accounts.set(key, (account = new Wallet(TEST_KEYS[key]).address));
    return account;
  };
  const txOf = (from: TestKey, contract: ContractName, data: Hex, gas: bigint) => ({
    from: accountOf(from),
    to: addresses[contract],
    data,
    gas: `0x${gas.toString(16)}`,
  });
  const eventNames = new Map<string, string>();
  for (const iface of Object.values(interfaces))
    iface.forEachEvent((event) => eventNames.set(event.topicHash.toLowerCase(), event.name));

  const sender: NodeSender = {
    encode: (contract, method, args) =>
      interfaces[contract].encodeFunctionData(method, args) as Hex,
    submit: (from, contract, data, gas = 2_000_000n) =>
      nodeCall<Hex>(url, "eth_sendTransaction", [txOf(from, contract, data, gas)]),
    async sendData(from, contract, data, gas = 2_000_000n) {
      const tx = txOf(from, contract, data, gas);
      const hash = await nodeCall<Hex>(url, "eth_sendTransaction", [tx]);
      const receipt = await nodeCall<{
        status: string;
        blockNumber: string;
        blockHash: Hex;
        logs: NodeLog[];
      } | null>(url, "eth_getTransactionReceipt", [hash]);
      if (receipt === null) throw new Error(`no receipt for ${hash} (is the node automining?)`);
      if (receipt.status !== "0x1") {
        // replay it on the state before its block for the reason
        const before = `0x${(BigInt(receipt.blockNumber) - 1n).toString(16)}`;
        await nodeCall(url, "eth_call", [tx, before]);
        throw new Error(`transaction ${hash} reverted`);
      }
      return {
        hash,
        blockNumber: BigInt(receipt.blockNumber),
        blockHash: receipt.blockHash,
        logs: receipt.logs,
      };
    },
    send: (from, contract, method, args) =>
      sender.sendData(from, contract, sender.encode(contract, method, args)),
    eventName: (log) => eventNames.get(log.topics[0]?.toLowerCase() ?? "") ?? "unknown",
  };
  return sender;
}

/**
 * Deploys another CreditRegistry over `consortium` from a test key's account (e.g. an impostor that
 * emits our very events at another address); resolves with its address.
 */
export async function deployRegistry(
  url: string,
  from: TestKey,
  consortium: string,
): Promise<string> {
  const factory = new CreditRegistry__factory();
  const { data } = await factory.getDeployTransaction(consortium, ZeroAddress);
  const hash = await nodeCall<Hex>(url, "eth_sendTransaction", [
    { from: new Wallet(TEST_KEYS[from]).address, data, gas: `0x${(15_000_000).toString(16)}` },
  ]);
  const receipt = await nodeCall<{ contractAddress: string | null } | null>(
    url,
    "eth_getTransactionReceipt",
    [hash],
  );
  if (receipt?.contractAddress === null || receipt === null)
    throw new Error(`deployment ${hash} has no contract address`);
  return receipt.contractAddress;
}

// ------------------------------------------------------------------------------------------------
// Mixed histories
// ------------------------------------------------------------------------------------------------

type Owner = "tax" | "court" | "scorer";

/** An attestation request with its fields in the shapes the generator makes them. */
interface BulkRequest {
  schema: Hex;
  subject: Hex;
  dataHash: Hex;
  observedAt: bigint;
  expiresAt: bigint;
  severity: number;
}

interface RecordModel {
  uid: Hex;
  owner: Owner;
  severity: number;
  derived: boolean;
  active: boolean;
  disputeOpen: boolean;
  opener: "lenderA" | "lenderB" | null;
  repairPending: boolean;
  repaired: boolean;
  /** The root of its batch, for a recorded leaf (revoked with the batch). */
  batchRoot: Hex | null;
}

interface BatchModel {
  batch: RecordBatch;
  uids: Hex[];
  recorded: Set<number>;
  revoked: boolean;
}

export interface MixedHistoryOptions {
  seed: string;
  /** Generate rounds until at least this many events were emitted (default 50,000). */
  minEvents?: number;
  /** attestMany transactions per round (default 11). */
  bulkPerRound?: number;
  /** Records per attestMany transaction, drawn from [min, max] (default [220, 250]). */
  recordsPerTx?: readonly [number, number];
  /** Progress lines (one per round). */
  log?: (line: string) => void;
}

export interface MixedHistory {
  seed: string;
  /** Every event the contracts emitted, by name. */
  byKind: Record<string, number>;
  events: number;
  transactions: number;
  rounds: number;
  firstBlock: bigint;
  lastBlock: bigint;
}

/** Keys that act for each record owner. */
const OWNER_KEYS: Record<Owner, readonly TestKey[]> = {
  tax: ["tax", "taxAlt"],
  court: ["court"],
  scorer: ["scorer"],
};

/**
 * Generates a seeded mixed history on the node where `c` is deployed (the test consortium of
 * evmConsortium.ts, schemas and model registered). Rounds go on until `minEvents` events.
 */
export async function generateMixedHistory(
  url: string,
  c: TestConsortium,
  options: MixedHistoryOptions,
): Promise<MixedHistory> {
  const { seed } = options;
  const random = seededRandom(seed);
  const minEvents = options.minEvents ?? 50_000;
  const bulkPerRound = options.bulkPerRound ?? 11;
  const [minRecords, maxRecords] = options.recordsPerTx ?? [220, 250];
  const tx = nodeSender(url, c);
  const latest = await nodeCall<{ number: string; timestamp: string }>(
    url,
    "eth_getBlockByNumber",
    ["latest", false],
  );
  const now = BigInt(latest.timestamp);
  let lastBlock = BigInt(latest.number);
  let firstBlock: bigint | undefined;

  const int = (n: number): number => Math.floor(random() * n);
  const chance = (p: number): boolean => random() < p;
  const pickOf = <T>(items: readonly T[]): T => items[int(items.length)];
  let counter = 0;
  const label = (what: string): string => `${seed}:${what}:${++counter}`;
  const h32 = (what: string): Hex => {
    // a cheap, unique bytes32 (keccak is not needed for test data)
    const hex = Buffer.from(label(what)).toString("hex").padEnd(64, "0");
    return `0x${hex.length > 64 ? hex.slice(hex.length - 64) : hex}`;
  };
  const subjects = Array.from(
    { length: 2_000 },
    (_, i) => `0x${(i + 1).toString(16).padStart(8, "0")}${"5b".repeat(28)}` as Hex,
  );
  /** Old enough for every repair period (serious: one year). */
  const observedAt = (): bigint => now - 400n * DAY - BigInt(int(400)) * DAY;
  const expiresAt = (): bigint => (chance(0.3) ? 0n : now + 5n * YEAR_SECONDS + BigInt(int(1000)));

  const records: RecordModel[] = [];
  const sampled = new Set<Hex>();
  const inputsUsed: RecordModel[] = [];
  const batches: BatchModel[] = [];
  const byKind: Record<string, number> = {};
  let events = 0;
  let transactions = 0;

  const newRecord = (
    uid: Hex,
    owner: Owner,
    severity: number,
    extra: Partial<RecordModel> = {},
  ): RecordModel => {
    const record: RecordModel = {
      uid,
      owner,
      severity,
      derived: false,
      active: true,
      disputeOpen: false,
      opener: null,
      repairPending: false,
      repaired: false,
      batchRoot: null,
      ...extra,
    };
    records.push(record);
    return record;
  };

  const mined = (receipt: MinedTx): MinedTx => {
    firstBlock ??= receipt.blockNumber;
    lastBlock = receipt.blockNumber;
    transactions++;
    for (const log of receipt.logs) {
      const name = tx.eventName(log);
      byKind[name] = (byKind[name] ?? 0) + 1;
      events++;
    }
    return receipt;
  };

  /** A random record satisfying `test` (random probes: the list is long). */
  const pick = (
    test: (r: RecordModel) => boolean,
    from: readonly RecordModel[] = records,
  ): RecordModel | undefined => {
    for (let i = 0; i < 300 && from.length > 0; i++) {
      const r = from[int(from.length)];
      if (test(r)) return r;
    }
    return undefined;
  };

  const request = (owner: "tax" | "court"): BulkRequest => ({
    schema:
      owner === "tax"
        ? pickOf([c.schemas.taxPayment, c.schemas.taxGrade])
        : pickOf([c.schemas.judicialEnforcement, c.schemas.adminPenalty]),
    subject: pickOf(subjects),
    dataHash: h32("data"),
    observedAt: observedAt(),
    expiresAt: expiresAt(),
    severity: owner === "tax" ? 0 : int(4),
  });

  const ownerOf = (key: TestKey): "tax" | "court" => (key === "court" ? "court" : "tax");
  const attestedUids = (receipt: MinedTx): Hex[] =>
    receipt.logs.filter((log) => tx.eventName(log) === "Attested").map((log) => log.topics[1]);

  /** Records of a bulk transaction that later operations may pick (uids computed locally). */
  const SAMPLED_PER_TX = 24;

  async function bulk(): Promise<void> {
    let inflight:
      { hash: Promise<Hex>; owner: "tax" | "court"; requests: BulkRequest[] } | undefined;
    const settle = async (): Promise<void> => {
      if (inflight === undefined) return;
      const { owner, requests } = inflight;
      await inflight.hash; // rejects on a revert
      transactions++;
      events += requests.length;
      byKind.Attested = (byKind.Attested ?? 0) + requests.length;
      for (let k = 0; k < SAMPLED_PER_TX; k++) {
        const r = requests[int(requests.length)];
        const uid = attestationUid({ ...r, provider: c.ids[owner] });
        if (!sampled.has(uid)) {
          sampled.add(uid);
          newRecord(uid, owner, r.severity);
        }
      }
    };
    for (let i = 0; i < bulkPerRound; i++) {
      const key = pickOf<TestKey>(["tax", "taxAlt", "court"]);
      const owner = ownerOf(key);
      const n = minRecords + int(maxRecords - minRecords + 1);
      const requests = Array.from({ length: n }, () => request(owner));
      const data = tx.encode("registry", "attestMany", [requests]);
      const next = { hash: tx.submit(key, "registry", data, BULK_GAS), owner, requests };
      // two in flight: the next one is encoded while the node executes this one
      await settle();
      inflight = next;
    }
    await settle();
  }

  const liveBatch = (): BatchModel | undefined => {
    const live = batches.filter((b) => !b.revoked);
    return live.length === 0 ? undefined : pickOf(live);
  };

  async function anchorBatch(): Promise<void> {
    const n = 4 + int(29);
    const leaves = Array.from({ length: n }, () => ({
      subject: pickOf(subjects),
      dataHash: h32("leaf"),
      observedAt: observedAt(),
      expiresAt: expiresAt(),
      severity: int(4),
    }));
    const batch = buildRecordBatch(leaves);
    mined(
      await tx.send("tax", "registry", "anchorBatch", [
        c.schemas.taxPayment,
        batch.root,
        n,
        `s3://credtrail-test/${seed}/${counter}.jsonl`,
      ]),
    );
    const uids = leaves.map((_, i) =>
      batch.leafUid(i, { schema: c.schemas.taxPayment, provider: c.ids.tax }),
    );
    batches.push({ batch, uids, recorded: new Set(), revoked: false });
  }

  async function recordLeaf(): Promise<void> {
    const b = liveBatch();
    if (b === undefined) return;
    const index = b.uids.findIndex((_, i) => !b.recorded.has(i));
    if (index < 0) return;
    mined(
      await tx.send(pickOf(["lenderA", "lenderB"]), "registry", "recordLeaf", [
        b.batch.leafProof(index),
      ]),
    );
    b.recorded.add(index);
    newRecord(b.uids[index], "tax", b.batch.leaves[index].severity, { batchRoot: b.batch.root });
  }

  async function derive(): Promise<void> {
    const inputs = new Map<Hex, RecordModel>();
    const wanted = 1 + int(4);
    for (let i = 0; i < wanted * 3 && inputs.size < wanted; i++) {
      const r = pick((x) => x.active);
      if (r !== undefined) inputs.set(r.uid, r);
    }
    const leafInputs: { b: BatchModel; index: number }[] = [];
    for (let i = int(3); i > 0; i--) {
      const b = liveBatch();
      if (b === undefined) break;
      const index = int(b.uids.length);
      if (b.recorded.has(index) || leafInputs.some((l) => l.b === b && l.index === index)) continue;
      leafInputs.push({ b, index });
    }
    if (inputs.size + leafInputs.length === 0) return;
    const deriveRequest = {
      schema: c.schemas.creditScore,
      subject: pickOf(subjects),
      dataHash: h32("score"),
      modelHash: c.model,
      observedAt: now,
      inputs: [...inputs.keys()],
      leafInputs: leafInputs.map(({ b, index }) => b.batch.leafProof(index)),
    };
    mined(await tx.send("scorer", "registry", "derive", [deriveRequest]));
    const uid = derivedUid({
      ...deriveRequest,
      deriver: c.ids.scorer,
      inputs: [...deriveRequest.inputs, ...leafInputs.map(({ b, index }) => b.uids[index])],
    });
    newRecord(uid, "scorer", 0, { derived: true });
    inputsUsed.push(...inputs.values());
  }

  /** Half the time an input of a derived record: its dependents go stale. */
  const target = (test: (r: RecordModel) => boolean): RecordModel | undefined =>
    (chance(0.5) ? pick(test, inputsUsed) : undefined) ?? pick(test);

  async function revoke(): Promise<void> {
    const r = target((x) => x.active);
    if (r === undefined) return;
    mined(await tx.send(pickOf(OWNER_KEYS[r.owner]), "registry", "revoke", [r.uid, h32("reason")]));
    r.active = false;
  }

  async function supersede(): Promise<void> {
    const r = target((x) => x.active && !x.derived);
    if (r === undefined || r.owner === "scorer") return;
    const replacement = request(r.owner);
    const receipt = mined(
      await tx.send(pickOf(OWNER_KEYS[r.owner]), "registry", "supersede", [r.uid, replacement]),
    );
    r.active = false;
    const [uid] = attestedUids(receipt);
    newRecord(uid, r.owner, replacement.severity);
  }

  async function openDispute(): Promise<void> {
    const r = pick((x) => x.active && !x.disputeOpen);
    if (r === undefined) return;
    const opener = pickOf(["lenderA", "lenderB"] as const);
    mined(await tx.send(opener, "registry", "openDispute", [r.uid, h32("dispute")]));
    r.disputeOpen = true;
    r.opener = opener;
  }

  async function closeDispute(): Promise<void> {
    const r = pick((x) => x.disputeOpen);
    if (r === undefined || r.opener === null) return;
    if (chance(0.7)) {
      const outcome = chance(0.5) ? DisputeOutcome.Upheld : DisputeOutcome.Corrected;
      mined(
        await tx.send(pickOf(OWNER_KEYS[r.owner]), "registry", "answerDispute", [
          r.uid,
          outcome,
          h32("answer"),
        ]),
      );
    } else {
      mined(await tx.send(r.opener, "registry", "withdrawDispute", [r.uid]));
    }
    r.disputeOpen = false;
  }

  async function requestRepair(): Promise<void> {
    const r = target((x) => x.active && x.severity > 0 && !x.repaired && !x.repairPending);
    if (r === undefined) return;
    mined(await tx.send("lenderA", "registry", "requestRepair", [r.uid, h32("evidence")]));
    r.repairPending = true;
  }

  async function decideRepair(): Promise<void> {
    const r = pick((x) => x.repairPending && x.active && !x.repaired);
    if (r === undefined) return;
    const approved = chance(0.6);
    mined(
      await tx.send("repairAuthority", "registry", "decideRepair", [
        r.uid,
        approved,
        h32("decision"),
      ]),
    );
    r.repairPending = false;
    r.repaired = approved;
  }

  async function revokeBatch(): Promise<void> {
    const b = liveBatch();
    if (b === undefined) return;
    mined(await tx.send("taxAlt", "registry", "revokeBatch", [b.batch.root, h32("batch")]));
    b.revoked = true;
    for (const r of records) if (r.batchRoot === b.batch.root) r.active = false;
  }

  async function anchorScoreBatch(): Promise<void> {
    mined(
      await tx.send("scorer", "registry", "anchorScoreBatch", [
        h32("scores"),
        c.model,
        1 + int(5_000),
        lastBlock,
      ]),
    );
  }

  let governed = 0;
  async function governance(): Promise<void> {
    const kind = governed++ % 3; // in turn: every kind of proposal outcome in every history
    const action: GovernanceAction =
      kind === 0
        ? { kind: "SetParameter", name: "votingPeriod", value: (7n + BigInt(int(8))) * DAY }
        : kind === 1
          ? {
              kind: "AddKey",
              member: c.ids.lenderB,
              key: getAddress(`0x${keccakId(label("key")).slice(26)}`),
            }
          : { kind: "SetThreshold", threshold: 2 };
    const encoded = encodeAction(action);
    const proposer: TestKey = kind === 2 ? "lenderA" : pickOf(["operator", "regulator"]);
    const created = mined(
      await tx.send(proposer, "consortium", "propose", [encoded.kind, encoded.payload]),
    );
    const log = created.logs.find((l) => tx.eventName(l) === "ProposalCreated");
    if (log === undefined) throw new Error("propose emitted no ProposalCreated");
    const id = BigInt(log.topics[1]);
    if (kind === 2) mined(await tx.send(proposer, "consortium", "cancel", [id]));
    else
      mined(
        await tx.send(proposer === "operator" ? "regulator" : "operator", "consortium", "approve", [
          id,
        ]),
      );
  }

  let rounds = 0;
  while (events < minEvents) {
    rounds++;
    await bulk();
    const small: (() => Promise<void>)[] = [
      anchorBatch,
      anchorBatch,
      recordLeaf,
      recordLeaf,
      recordLeaf,
      derive,
      derive,
      derive,
      derive,
      revoke,
      revoke,
      revoke,
      supersede,
      supersede,
      openDispute,
      openDispute,
      openDispute,
      closeDispute,
      closeDispute,
      requestRepair,
      requestRepair,
      decideRepair,
      decideRepair,
      anchorScoreBatch,
    ];
    if (rounds % 3 === 0) small.push(revokeBatch);
    if (rounds % 2 === 0) small.push(governance);
    // a seeded shuffle, so kinds interleave differently in every round
    for (let i = small.length - 1; i > 0; i--) {
      const j = int(i + 1);
      [small[i], small[j]] = [small[j], small[i]];
    }
    for (const op of small) await op();
    options.log?.(`round ${rounds}: ${events} events in ${transactions} transactions`);
  }
  return {
    seed,
    byKind,
    events,
    transactions,
    rounds,
    firstBlock: firstBlock ?? lastBlock,
    lastBlock,
  };
}
