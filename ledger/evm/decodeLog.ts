/**
 * Decodes logs of our two contracts into core's ledger-neutral events (core/events.ts). The same
 * decoder serves the event stream and the receipts of submissions.
 *
 * Decoders are built once from the contracts' ABIs: topics and static data words are sliced
 * directly (most events, the hot `Attested` included, have only static fields), events with dynamic
 * fields go through ethers' AbiCoder. A log is accepted only from the contract that declares its
 * event: an `Attested` topic from any other address — even the Consortium's — is rejected.
 */
import { AbiCoder, getAddress, type EventFragment, type ParamType } from "ethers";

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

const abiCoder = AbiCoder.defaultAbiCoder();

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
/** Converts a value AbiCoder decoded into core's form. */
type ValueConverter = (value: unknown) => unknown;

function uintBits(type: string): number | undefined {
  const match = /^uint(\d*)$/.exec(type);
  if (match === null) return undefined;
  return match[1] === "" ? 256 : Number(match[1]);
}

/** uint8…uint32 become numbers, wider ones bigints (core/events.ts). */
function uintValue(value: bigint, bits: number): bigint | number {
  if (value >> BigInt(bits) !== 0n) throw new MalformedLog(`value out of uint${bits} range`);
  return bits <= 32 ? Number(value) : value;
}

function wordReader(param: ParamType): WordReader {
  const type = param.type;
  if (type === "bytes32") return (hex, offset) => `0x${hex.slice(offset, offset + 64)}`;
  if (type === "address") {
    return (hex, offset) => {
      if (!hex.startsWith(ZEROS.slice(0, 24), offset))
        throw new MalformedLog("address word has dirty upper bytes");
      return checksum(`0x${hex.slice(offset + 24, offset + 64)}`);
    };
  }
  if (type === "bool") {
    return (hex, offset) => {
      if (
        !hex.startsWith(ZEROS.slice(0, 63), offset) ||
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
  return (hex, offset) => {
    if (!hex.startsWith(padding, offset)) throw new MalformedLog(`value out of uint${bits} range`);
    return BigInt(`0x${hex.slice(offset + 64 - digits, offset + 64)}`);
  };
}

function valueConverter(param: ParamType): ValueConverter {
  const type = param.type;
  if (type === "bytes32" || type === "bytes") return (value) => (value as string).toLowerCase();
  if (type === "address") return (value) => checksum((value as string).toLowerCase());
  if (type === "string" || type === "bool") return (value) => value;
  const bits = uintBits(type);
  if (bits !== undefined) return (value) => uintValue(value as bigint, bits);
  if (param.baseType === "array" && param.arrayChildren !== null) {
    const child = valueConverter(param.arrayChildren);
    return (value) => Array.from(value as Iterable<unknown>, child);
  }
  throw new Error(`decodeLog: no converter for ABI type ${type}`);
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

  const assemble = (values: unknown[]): LedgerEvent => {
    const event: Record<string, unknown> = { kind };
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
  // Dynamic body: AbiCoder (given the parsed types: parsing type strings per call is slow), then
  // core's forms.
  const types = body.map((b) => b.param);
  const converters = body.map((b) => ({ slot: b.slot, convert: valueConverter(b.param) }));
  return (topics, data, checked) => {
    const values = new Array<unknown>(names.length);
    readTopics(topics, values, checked);
    let decoded: ReturnType<typeof abiCoder.decode>;
    try {
      decoded = abiCoder.decode(types, data);
    } catch (cause) {
      throw new MalformedLog(
        `data does not decode as (${types.map((t) => t.type).join(",")}): ${cause instanceof Error ? cause.message : String(cause)}`,
      );
    }
    for (let i = 0; i < converters.length; i++)
      values[converters[i].slot] = converters[i].convert(decoded[i]);
    return assemble(values);
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
