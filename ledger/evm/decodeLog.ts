/**
 * Decodes logs of our two contracts into core's ledger-neutral events (core/events.ts). The same
 * decoder serves the event stream and the receipts of submissions.
 *
 * Decoders are built once from the contracts' ABIs: topics and data words are read in place from
 * the hex (ethers' AbiCoder is about a hundred times slower per event), dynamic values (strings,
 * bytes, arrays of one-word values) through their offsets and lengths, each checked: every value
 * must lie inside the data, with zero padding, and nothing may follow the last one. A log is
 * accepted only from the contract that declares its event: an `Attested` topic from any other
 * address — even the Consortium's — is rejected.
 */
import { getAddress, type EventFragment, type ParamType } from "ethers";

import { LedgerError, type Hex, type LedgerEvent, type LedgerEventKind } from "../../core/index.js";
import { LedgerErrorCode } from "../errors.js";
import { EVENT_INTERFACES, type ContractAddresses, type ContractName } from "./abi.js";
import { isCheckedLog } from "./rpcShapes.js";

/** The part of a log the decoder reads (an RPC log, an ethers Log and a receipt log all have it). */
export interface RawLog {
  address: string;
  topics: readonly string[];
  data: string;
}

export interface LogDecoder {
  /** The contract at `address`, if it is one of ours (any case). */
  contractAt(address: string): ContractName | undefined;
  /**
   * Decodes a log of one of our contracts. Throws LedgerError LEDGER_DECODE_FAILED when the log is
   * not from our contracts, its event is not one its contract declares, or its fields are malformed.
   */
  decode(log: RawLog): LedgerEvent;
  /** topic0 of every event, by contract (e.g. to build bloom filters). */
  readonly topics: Readonly<Record<ContractName, readonly Hex[]>>;
}

/** Which contract declares each core event kind: the compiler checks that every kind is listed. */
const EVENT_CONTRACT: { readonly [K in LedgerEventKind]: ContractName } = {
  MemberAdmitted: "Consortium",
  MemberRolesChanged: "Consortium",
  MemberSuspended: "Consortium",
  MemberReinstated: "Consortium",
  KeyAdded: "Consortium",
  KeyRevoked: "Consortium",
  ScopeSet: "Consortium",
  SchemaRegistered: "Consortium",
  ModelRegistered: "Consortium",
  ThresholdChanged: "Consortium",
  ParameterChanged: "Consortium",
  ProposalCreated: "Consortium",
  ProposalApproved: "Consortium",
  ProposalExecuted: "Consortium",
  ProposalCancelled: "Consortium",
  Attested: "CreditRegistry",
  BatchAnchored: "CreditRegistry",
  BatchRevoked: "CreditRegistry",
  LeafRecorded: "CreditRegistry",
  Derived: "CreditRegistry",
  Revoked: "CreditRegistry",
  Superseded: "CreditRegistry",
  DisputeOpened: "CreditRegistry",
  DisputeAnswered: "CreditRegistry",
  DisputeWithdrawn: "CreditRegistry",
  RepairRequested: "CreditRegistry",
  RepairDecided: "CreditRegistry",
  ScoreBatchAnchored: "CreditRegistry",
  ConsentRecorded: "CreditRegistry",
  ConsentRevoked: "CreditRegistry",
  AuditAnchored: "CreditRegistry",
};

/** Event parameters whose core field has another name (core's `kind` names the event itself). */
const FIELD_RENAMES: Readonly<Partial<Record<LedgerEventKind, Readonly<Record<string, string>>>>> =
  {
    ProposalCreated: { kind: "actionKind" },
  };

class MalformedLog extends Error {}

// ------------------------------------------------------------------------------------------------
// Values
// ------------------------------------------------------------------------------------------------

/** Checksummed addresses, cached: a stream sees the same few signer keys over and over. */
const checksums = new Map<string, string>();
function checksum(lowercase: string): string {
  let address = checksums.get(lowercase);
  if (address === undefined) {
    address = getAddress(lowercase);
    if (checksums.size >= 10_000) checksums.clear();
    checksums.set(lowercase, address);
  }
  return address;
}

/** Lowercase hex (lengths are checked apart: faster than a counted repetition). */
const HEX = /^0x[0-9a-f]*$/;
const ZEROS = "0".repeat(64);

/**
 * Reads the 32-byte word at `offset` of lowercase hex `hex` (an offset into the string, after
 * "0x") as a value of a static ABI type. The hex was checked once by the caller.
 */
type WordReader = (hex: string, offset: number) => unknown;

function uintBits(type: string): number | undefined {
  const match = /^uint(\d*)$/.exec(type);
  if (match === null) return undefined;
  return match[1] === "" ? 256 : Number(match[1]);
}

/** The upper 12 bytes of an address word, and the upper 31 bytes of a bool word. */
const ADDRESS_PADDING = ZEROS.slice(0, 24);
const BOOL_PADDING = ZEROS.slice(0, 63);

/**
 * The addresses of the last few address words read, with their checksummed forms: a stream sees
 * the same few signers over and over, and a word compared in place needs no string of its own.
 */
const RECENT_ADDRESSES = 8;
const recentLower: string[] = [];
const recentChecksummed: string[] = [];
let recentNext = 0;

function readAddress(hex: string, offset: number): string {
  if (!hex.startsWith(ADDRESS_PADDING, offset))
    throw new MalformedLog("address word has dirty upper bytes");
  const start = offset + 24;
  for (let i = 0; i < recentLower.length; i++)
    if (hex.startsWith(recentLower[i], start)) return recentChecksummed[i];
  const lower = hex.slice(start, start + 40);
  const address = checksum(`0x${lower}`);
  recentLower[recentNext] = lower;
  recentChecksummed[recentNext] = address;
  recentNext = (recentNext + 1) % RECENT_ADDRESSES;
  return address;
}

/** 2^53 as 14 hex digits: a value with fewer digits is read exactly as a number. */
const SAFE_DIGITS = 13;

function wordReader(param: ParamType): WordReader {
  const type = param.type;
  if (type === "bytes32") {
    // (a topic is one whole word: the string itself)
    return (hex, offset) =>
      offset === 2 && hex.length === 66 ? hex : `0x${hex.slice(offset, offset + 64)}`;
  }
  if (type === "address") return readAddress;
  if (type === "bool") {
    return (hex, offset) => {
      if (
        !hex.startsWith(BOOL_PADDING, offset) ||
        (hex[offset + 63] !== "0" && hex[offset + 63] !== "1")
      ) {
        throw new MalformedLog("bool word is neither 0 nor 1");
      }
      return hex[offset + 63] === "1";
    };
  }
  const bits = uintBits(type);
  if (bits === undefined) throw new Error(`decodeLog: no word reader for ABI type ${type}`);
  const digits = bits / 4;
  const padding = ZEROS.slice(0, 64 - digits);
  if (bits <= 32) {
    return (hex, offset) => {
      if (!hex.startsWith(padding, offset))
        throw new MalformedLog(`value out of uint${bits} range`);
      return Number.parseInt(hex.slice(offset + 64 - digits, offset + 64), 16);
    };
  }
  // Wider values are bigints; most (timestamps, block numbers) are small: read as a number first.
  const safePadding = ZEROS.slice(0, 64 - SAFE_DIGITS);
  return (hex, offset) => {
    if (!hex.startsWith(padding, offset)) throw new MalformedLog(`value out of uint${bits} range`);
    if (hex.startsWith(safePadding, offset))
      return BigInt(Number.parseInt(hex.slice(offset + 64 - SAFE_DIGITS, offset + 64), 16));
    return BigInt(`0x${hex.slice(offset + 64 - digits, offset + 64)}`);
  };
}

// ------------------------------------------------------------------------------------------------
// Events
// ------------------------------------------------------------------------------------------------

/** `checked`: the topics and data are known to be lowercase, well-formed hex (isCheckedLog). */
type EventDecoder = (topics: readonly string[], data: string, checked: boolean) => LedgerEvent;

function isDynamic(param: ParamType): boolean {
  return param.isArray() || param.isTuple() || param.type === "string" || param.type === "bytes";
}

function eventDecoder(kind: LedgerEventKind, fragment: EventFragment): EventDecoder {
  const renames = FIELD_RENAMES[kind] ?? {};
  // Output fields in declaration order, `kind` first; values[i] belongs to names[i].
  const names = fragment.inputs.map((p) => renames[p.name] ?? p.name);
  const indexed: { slot: number; read: WordReader }[] = [];
  const body: { slot: number; param: ParamType }[] = [];
  fragment.inputs.forEach((param, slot) => {
    if (param.indexed === true) {
      if (isDynamic(param))
        throw new Error(
          `decodeLog: ${kind}.${param.name} is an indexed dynamic value (only its hash is logged)`,
        );
      indexed.push({ slot, read: wordReader(param) });
    } else {
      body.push({ slot, param });
    }
  });
  const topicCount = 1 + indexed.length;

  // Each event is a copy of one template with every field present, then filled in: stores to
  // existing fields, never a shape transition per field (adding fields one by one is much slower).
  const template: Record<string, unknown> = { kind };
  for (const name of names) template[name] = undefined;
  const assemble = (values: unknown[]): LedgerEvent => {
    const event: Record<string, unknown> = { ...template };
    for (let i = 0; i < names.length; i++) event[names[i]] = values[i];
    return event as unknown as LedgerEvent;
  };
  const readTopics = (topics: readonly string[], values: unknown[], checked: boolean) => {
    if (topics.length !== topicCount)
      throw new MalformedLog(`expected ${topicCount} topics, got ${topics.length}`);
    for (let i = 0; i < indexed.length; i++) {
      const topic = checked ? topics[i + 1] : topics[i + 1].toLowerCase();
      if (topic.length !== 66 || (!checked && !HEX.test(topic)))
        throw new MalformedLog(`topic ${i + 1} is not a 32-byte word`);
      values[indexed[i].slot] = indexed[i].read(topic, 2);
    }
  };

  if (!body.some((b) => isDynamic(b.param))) {
    // Static body: one 32-byte word per field, read in place.
    const readers = body.map((b) => ({ slot: b.slot, read: wordReader(b.param) }));
    const dataLength = 2 + 64 * readers.length;
    return (topics, data, checked) => {
      const values = new Array<unknown>(names.length);
      readTopics(topics, values, checked);
      const hex = checked ? data : data.toLowerCase();
      if (hex.length !== dataLength || (!checked && !HEX.test(hex)))
        throw new MalformedLog(`data is not ${readers.length} 32-byte words`);
      for (let i = 0; i < readers.length; i++)
        values[readers[i].slot] = readers[i].read(hex, 2 + 64 * i);
      return assemble(values);
    };
  }
  // Dynamic body: a head of one word per field (a static value, or where a dynamic one's tail
  // starts), then the tails; read in place as well, every offset and length checked.
  const fields = body.map((b) =>
    isDynamic(b.param)
      ? { slot: b.slot, tail: tailReader(b.param), word: undefined }
      : { slot: b.slot, tail: undefined, word: wordReader(b.param) },
  );
  const headLength = 64 * fields.length;
  const types = body.map((b) => b.param.type).join(",");
  return (topics, data, checked) => {
    const values = new Array<unknown>(names.length);
    readTopics(topics, values, checked);
    const hex = checked ? data : data.toLowerCase();
    if ((hex.length - 2) % 64 !== 0 || hex.length < 2 + headLength || (!checked && !HEX.test(hex)))
      throw new MalformedLog(`data is not (${types}): not a whole number of words`);
    let end = 2 + headLength;
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i];
      if (field.tail !== undefined) {
        const tail: Tail = { headEnd: 2 + headLength, end: 0 };
        values[field.slot] = field.tail(hex, 2 + 64 * i, tail);
        if (tail.end > end) end = tail.end;
      } else {
        values[field.slot] = field.word(hex, 2 + 64 * i);
      }
    }
    if (end !== hex.length)
      throw new MalformedLog(
        `data is not (${types}): ${(hex.length - end) / 2} bytes beyond the values`,
      );
    return assemble(values);
  };
}

/** Reads a dynamic value whose head word is at `offset`; sets `tail.end` to where its tail ends. */
type TailReader = (hex: string, offset: number, tail: Tail) => unknown;

/** Where the head ends (a string offset), and where the value's tail ended. */
interface Tail {
  headEnd: number;
  end: number;
}

const SIZE_PADDING = ZEROS.slice(0, 56);

/** A word that holds an offset or a length (in bytes): below 2^32. */
function sizeWord(hex: string, offset: number, what: string): number {
  if (!hex.startsWith(SIZE_PADDING, offset)) throw new MalformedLog(`${what} out of range`);
  return Number.parseInt(hex.slice(offset + 56, offset + 64), 16);
}

/** Where the tail of the dynamic value whose head word is at `offset` starts (a string offset). */
function tailStart(hex: string, offset: number, tail: Tail): number {
  const bytes = sizeWord(hex, offset, "offset");
  // tails follow the head: an offset is counted from the start of the body, in whole words
  const start = 2 + 2 * bytes;
  if (bytes % 32 !== 0 || start < tail.headEnd || start + 64 > hex.length)
    throw new MalformedLog(`offset ${bytes} points outside the data`);
  return start;
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function tailReader(param: ParamType): TailReader {
  const type = param.type;
  if (type === "string" || type === "bytes") {
    return (hex, offset, tail) => {
      const start = tailStart(hex, offset, tail);
      const length = sizeWord(hex, start, "length");
      const from = start + 64;
      const padded = from + 64 * Math.ceil(length / 32);
      if (padded > hex.length)
        throw new MalformedLog(`${type} of ${length} bytes overruns the data`);
      const to = from + 2 * length;
      for (let i = to; i < padded; i++)
        if (hex.charCodeAt(i) !== 48) throw new MalformedLog(`${type} padding is not zero`);
      tail.end = padded;
      const content = hex.slice(from, to);
      if (type === "bytes") return `0x${content}`;
      try {
        return utf8.decode(Buffer.from(content, "hex"));
      } catch {
        throw new MalformedLog("string is not UTF-8");
      }
    };
  }
  const child = param.baseType === "array" ? param.arrayChildren : null;
  if (child === null || param.arrayLength !== -1 || isDynamic(child))
    throw new Error(`decodeLog: no reader for ABI type ${type}`);
  const read = wordReader(child);
  return (hex, offset, tail) => {
    const start = tailStart(hex, offset, tail);
    const length = sizeWord(hex, start, "array length");
    const end = start + 64 + 64 * length;
    if (end > hex.length) throw new MalformedLog(`${type} of ${length} items overruns the data`);
    const items = new Array<unknown>(length);
    for (let i = 0; i < length; i++) items[i] = read(hex, start + 64 + 64 * i);
    tail.end = end;
    return items;
  };
}

interface TopicEntry {
  kind: LedgerEventKind;
  contract: ContractName;
  decode: EventDecoder;
}

/** topic0 → decoder for every event of both contracts, checked against core's event kinds. */
function buildTopicTable(): {
  table: Map<string, TopicEntry>;
  topics: Record<ContractName, Hex[]>;
} {
  const table = new Map<string, TopicEntry>();
  const topics: Record<ContractName, Hex[]> = { Consortium: [], CreditRegistry: [] };
  const seen = new Set<string>();
  for (const contract of Object.keys(EVENT_INTERFACES) as ContractName[]) {
    EVENT_INTERFACES[contract].forEachEvent((fragment) => {
      const kind = fragment.name as LedgerEventKind;
      if (EVENT_CONTRACT[kind] !== contract) {
        throw new Error(
          `decodeLog: ${contract} declares event ${fragment.name}, which core/events.ts does not know`,
        );
      }
      seen.add(kind);
      const topic = fragment.topicHash.toLowerCase();
      table.set(topic, { kind, contract, decode: eventDecoder(kind, fragment) });
      topics[contract].push(topic as Hex);
    });
  }
  for (const kind of Object.keys(EVENT_CONTRACT)) {
    if (!seen.has(kind))
      throw new Error(
        `decodeLog: core event ${kind} is not declared by ${EVENT_CONTRACT[kind as LedgerEventKind]}`,
      );
  }
  return { table, topics };
}

const TOPICS = buildTopicTable();

function decodeError(message: string, log: RawLog, cause?: unknown): LedgerError {
  return new LedgerError(message, {
    code: LedgerErrorCode.DECODE_FAILED,
    details: { address: log.address, topic0: log.topics[0] ?? null },
    cause,
  });
}

/** A decoder for the logs of the contracts at `addresses`. */
export function createLogDecoder(addresses: ContractAddresses): LogDecoder {
  const byAddress = new Map<string, ContractName>([
    [addresses.consortium.toLowerCase(), "Consortium"],
    [addresses.registry.toLowerCase(), "CreditRegistry"],
  ]);
  const contractAt = (address: string) => byAddress.get(address.toLowerCase());
  return {
    contractAt,
    topics: TOPICS.topics,
    decode(log) {
      const contract = contractAt(log.address);
      if (contract === undefined)
        throw decodeError(`log from ${log.address}, which is not one of our contracts`, log);
      const topic0 = log.topics[0]?.toLowerCase();
      const entry = topic0 === undefined ? undefined : TOPICS.table.get(topic0);
      if (entry === undefined || entry.contract !== contract) {
        throw decodeError(`log of ${contract} with unknown event topic ${topic0 ?? "(none)"}`, log);
      }
      try {
        return entry.decode(log.topics, log.data, isCheckedLog(log));
      } catch (cause) {
        if (!(cause instanceof MalformedLog)) throw cause;
        throw decodeError(
          `malformed ${entry.kind} log of ${contract}: ${cause.message}`,
          log,
          cause,
        );
      }
    },
  };
}
