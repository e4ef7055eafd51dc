/**
 * Synthetic ledgers for the indexer tests: a consortium like test/contracts/fixture.ts, realistic
 * events built with core's ids (attestationUid, derivedUid, buildRecordBatch, encodeAction, …), and
 * chains of blocks (with forks) that carry them as `StreamItem`s.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { getAddress, keccak256, toUtf8Bytes } from "ethers";

import type {
  AttestedEvent,
  DerivedEvent,
  Hex,
  LedgerEvent,
  PositionedEvent,
  RecordBatch,
  RecordLeafInput,
  SchemaRegistration,
} from "../../core/index.js";
import {
  PARAMETER_DEFAULTS,
  PARAMETER_KEYS,
  PARAMETER_NAMES,
  Role,
  ZERO_BYTES32,
  SCHEMAS,
  attestationUid,
  buildRecordBatch,
  derivedUid,
  memberId,
  modelHash,
  schemaRegistration,
} from "../../core/index.js";
import type { Indexer } from "../../indexer/index.js";
import { createIndexer } from "../../indexer/index.js";
import type {
  BlockRef,
  Checkpoint,
  LedgerStream,
  StreamItem,
  StreamOptions,
} from "../../ledger/types.js";

export type BlockItem = Extract<StreamItem, { type: "block" }>;

export const T0 = 1_700_000_000n;
export const DAY = 86_400n;
export const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

/** keccak256 of a label: stands in for any bytes32 (data hashes, subjects, reasons). */
export function h(label: string): Hex {
  return keccak256(toUtf8Bytes(label)) as Hex;
}

/** A checksummed address derived from a label. */
export function address(label: string): string {
  return getAddress(`0x${h(`address:${label}`).slice(26)}`);
}

export const NAMES = {
  tax: "State Taxation Administration",
  court: "People's Court",
  scorer: "Credit Scorer",
  bank: "Bank A",
  repair: "Repair Authority",
  operator: "Operator",
} as const;
export type MemberName = keyof typeof NAMES;

export const M: Record<MemberName, Hex> = {
  tax: memberId(NAMES.tax),
  court: memberId(NAMES.court),
  scorer: memberId(NAMES.scorer),
  bank: memberId(NAMES.bank),
  repair: memberId(NAMES.repair),
  operator: memberId(NAMES.operator),
};

export const KEY: Record<MemberName | "taxAlt" | "relayer", string> = {
  tax: address("tax"),
  taxAlt: address("taxAlt"),
  court: address("court"),
  scorer: address("scorer"),
  bank: address("bank"),
  repair: address("repair"),
  operator: address("operator"),
  relayer: address("relayer"),
};

export const ROLES: Record<MemberName, number> = {
  tax: Role.PROVIDER,
  court: Role.PROVIDER,
  scorer: Role.SCORER,
  bank: Role.LENDER,
  repair: Role.REPAIR_AUTHORITY,
  operator: Role.OPERATOR | Role.REGULATOR,
};

export const SCHEMA: Record<"tax" | "penalty" | "score", SchemaRegistration> = {
  tax: schemaRegistration(SCHEMAS["tax.payment"]),
  penalty: schemaRegistration(SCHEMAS["admin.penalty"]),
  score: schemaRegistration(SCHEMAS["credit.score"]),
};

export const MODEL = modelHash({ name: "scorecard", version: 1 });

export function subject(n: number | string): Hex {
  return h(`subject:${n}`);
}

/** The founding events (what the Consortium constructor and the first setup blocks emit). */
export function consortiumGenesis(): LedgerEvent[] {
  const events: LedgerEvent[] = [];
  let index = 0;
  for (const name of Object.keys(NAMES) as MemberName[]) {
    const keys = name === "tax" ? [KEY.tax, KEY.taxAlt] : [KEY[name]];
    events.push({
      kind: "MemberAdmitted",
      member: M[name],
      index: ++index,
      name: NAMES[name],
      roles: ROLES[name],
      keys,
    });
  }
  events.push({
    kind: "ScopeSet",
    member: M.tax,
    category: SCHEMA.tax.categoryId,
    expiresAt: T0 + 730n * DAY,
  });
  events.push({
    kind: "ScopeSet",
    member: M.court,
    category: SCHEMA.penalty.categoryId,
    expiresAt: T0 + 730n * DAY,
  });
  events.push({ kind: "ThresholdChanged", threshold: 2 });
  for (const name of PARAMETER_NAMES)
    events.push({
      kind: "ParameterChanged",
      name: PARAMETER_KEYS[name],
      value: PARAMETER_DEFAULTS[name],
    });
  let schemaIndex = 0;
  for (const s of [SCHEMA.tax, SCHEMA.penalty, SCHEMA.score]) {
    events.push({
      kind: "SchemaRegistered",
      schema: s.schemaId,
      category: s.categoryId,
      index: ++schemaIndex,
      categoryName: s.categoryName,
      definition: s.definition,
      registrant: M.operator,
    });
  }
  events.push({
    kind: "ModelRegistered",
    modelHash: MODEL,
    scorer: M.scorer,
    uri: "ipfs://scorecard-v1",
  });
  return events;
}

export interface AttestParams {
  schema?: Hex;
  subject: Hex;
  provider?: MemberName;
  dataHash?: Hex;
  observedAt?: bigint;
  expiresAt?: bigint;
  severity?: number;
  signer?: string;
  relayer?: string;
  label?: string;
}

export function attest(p: AttestParams): AttestedEvent {
  const provider = p.provider ?? "tax";
  const fields = {
    schema: p.schema ?? (provider === "court" ? SCHEMA.penalty.schemaId : SCHEMA.tax.schemaId),
    subject: p.subject,
    dataHash: p.dataHash ?? h(`data:${p.label ?? `${p.subject}:${p.observedAt ?? 0n}`}`),
    provider: M[provider],
    observedAt: p.observedAt ?? T0,
    expiresAt: p.expiresAt ?? 0n,
    severity: p.severity ?? 0,
  };
  return {
    kind: "Attested",
    uid: attestationUid(fields),
    ...fields,
    signer: p.signer ?? KEY[provider],
    relayer: p.relayer ?? ZERO_ADDRESS,
  };
}

export interface DeriveParams {
  subject: Hex;
  inputs: Hex[];
  observedAt?: bigint;
  dataHash?: Hex;
  label?: string;
}

export function derive(p: DeriveParams): DerivedEvent {
  const fields = {
    schema: SCHEMA.score.schemaId,
    subject: p.subject,
    dataHash: p.dataHash ?? h(`score:${p.label ?? p.inputs.join(",")}`),
    deriver: M.scorer,
    modelHash: MODEL,
    observedAt: p.observedAt ?? T0 + DAY,
    inputs: p.inputs,
  };
  return { kind: "Derived", uid: derivedUid(fields), ...fields, signer: KEY.scorer };
}

/** A record batch of `n` leaves for subjects `subjectOf(i)`. */
export function recordBatch(
  n: number,
  label: string,
  subjectOf: (i: number) => Hex = (i) => subject(`${label}:${i}`),
): {
  batch: RecordBatch;
  leaves: RecordLeafInput[];
  uids: Hex[];
} {
  const leaves: RecordLeafInput[] = Array.from({ length: n }, (_, i) => ({
    subject: subjectOf(i),
    dataHash: h(`${label}:leaf:${i}`),
    observedAt: T0 + BigInt(i) * 60n,
    expiresAt: 0n,
    severity: i % 4,
  }));
  const batch = buildRecordBatch(leaves);
  const uids = leaves.map((_, i) =>
    batch.leafUid(i, { schema: SCHEMA.tax.schemaId, provider: M.tax }),
  );
  return { batch, leaves, uids };
}

export function anchorEvent(batch: RecordBatch, uri = "s3://batches/file.jsonl"): LedgerEvent {
  return {
    kind: "BatchAnchored",
    root: batch.root,
    provider: M.tax,
    schema: SCHEMA.tax.schemaId,
    count: batch.length,
    uri,
    signer: KEY.tax,
  };
}

export function leafRecordedEvent(batch: RecordBatch, i: number): LedgerEvent {
  const leaf = batch.leaves[i];
  return {
    kind: "LeafRecorded",
    uid: batch.leafUid(i, { schema: SCHEMA.tax.schemaId, provider: M.tax }),
    root: batch.root,
    subject: leaf.subject,
    dataHash: leaf.dataHash,
    observedAt: leaf.observedAt,
    expiresAt: leaf.expiresAt,
    severity: leaf.severity,
  };
}

// ------------------------------------------------------------------------------------------------
// Chains of blocks
// ------------------------------------------------------------------------------------------------

export interface Chain {
  readonly label: string;
  readonly blocks: BlockItem[];
  /** Appends a block with these events (each in its own transaction). */
  add(events: LedgerEvent[], options?: { timestamp?: bigint }): BlockItem;
  /** Appends `n` blocks without events. */
  addEmpty(n: number): BlockItem[];
  /** A new chain sharing this chain's blocks up to `number`, continuing under another label. */
  fork(number: bigint, label: string): Chain;
  readonly head: BlockItem;
  block(number: bigint): BlockItem;
}

const GENESIS_PARENT: Hex = ZERO_BYTES32;

export function createChain(label = "main", blocks: BlockItem[] = []): Chain {
  const own = [...blocks];
  const chain: Chain = {
    label,
    blocks: own,
    add(events, options = {}) {
      const parent = own.at(-1);
      const number = (parent?.block.number ?? 0n) + 1n;
      const parentHash = parent?.block.hash ?? GENESIS_PARENT;
      const hash = h(`${label}:block:${number}:${parentHash}`);
      const timestamp = options.timestamp ?? T0 + number * 12n;
      const block: BlockRef = { number, hash, parentHash, timestamp };
      const positioned: PositionedEvent[] = events.map((event, logIndex) => ({
        ...event,
        position: {
          blockNumber: number,
          blockHash: hash,
          txHash: h(`${hash}:tx:${logIndex}`),
          logIndex,
          txIndex: logIndex,
        },
      }));
      const item: BlockItem = { type: "block", block, events: positioned };
      own.push(item);
      return item;
    },
    addEmpty(n) {
      return Array.from({ length: n }, () => chain.add([]));
    },
    fork(number, forkLabel) {
      return createChain(
        forkLabel,
        own.filter((b) => b.block.number <= number),
      );
    },
    get head() {
      const last = own.at(-1);
      if (last === undefined) throw new Error("empty chain");
      return last;
    },
    block(number) {
      const found = own.find((b) => b.block.number === number);
      if (found === undefined) throw new Error(`no block ${number}`);
      return found;
    },
  };
  return chain;
}

export function checkpointOf(item: BlockItem): Checkpoint {
  return { number: item.block.number, hash: item.block.hash };
}

/** A LedgerStream over fixed items; it records what it was asked for. */
export interface FakeLedger extends LedgerStream {
  calls: StreamOptions[];
  items: StreamItem[];
  headRef: BlockRef;
}

export function fakeLedger(items: StreamItem[], headRef?: BlockRef): FakeLedger {
  const ledger: FakeLedger = {
    calls: [],
    items,
    headRef: headRef ?? {
      number: 0n,
      hash: GENESIS_PARENT,
      parentHash: GENESIS_PARENT,
      timestamp: 0n,
    },
    head: () => Promise.resolve(ledger.headRef),
    stream(options) {
      ledger.calls.push(options);
      return (async function* () {
        for (const item of ledger.items) {
          if (options.signal?.aborted === true) return;
          if (item.type === "block" && item.block.number <= options.from.number) continue;
          await Promise.resolve();
          yield item;
        }
      })();
    },
  };
  return ledger;
}

// ------------------------------------------------------------------------------------------------
// Stores
// ------------------------------------------------------------------------------------------------

export interface TempDirs {
  make(): Promise<string>;
  cleanup(): Promise<void>;
}

export function tempDirs(): TempDirs {
  const made: string[] = [];
  return {
    async make() {
      const dir = await mkdtemp(path.join(tmpdir(), "credtrail-indexer-"));
      made.push(dir);
      return dir;
    },
    async cleanup() {
      await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
    },
  };
}

export interface OpenOptions {
  dir?: string;
  ledger?: LedgerStream;
  clock?: () => number;
  retainBlocks?: number;
}

/** Opens an indexer on a fresh (or given) directory. */
export async function openIndexer(
  dirs: TempDirs,
  options: OpenOptions = {},
): Promise<{ indexer: Indexer; dir: string }> {
  const dir = options.dir ?? (await dirs.make());
  const indexer = await createIndexer({
    db: dir,
    ledger: options.ledger ?? fakeLedger([]),
    clock: options.clock ?? (() => Number(T0) * 1000),
    retainBlocks: options.retainBlocks,
  });
  return { indexer, dir };
}

/** Feeds stream items to an indexer in order. */
export async function feed(indexer: Indexer, items: readonly StreamItem[]): Promise<void> {
  for (const item of items) await indexer.handle(item);
}

/** Every raw key/value of the store (undo log and uploads included). */
export async function rawDump(indexer: Indexer): Promise<[string, string][]> {
  const out: [string, string][] = [];
  for await (const entry of indexer.store.entries({})) out.push(entry);
  return out;
}
