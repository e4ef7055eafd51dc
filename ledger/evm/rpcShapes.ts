/**
 * The JSON-RPC values the stream reads (blocks, logs), checked before use: a field of the wrong
 * shape is an `inconsistent` answer, never a value passed on.
 */
import { getBytes, keccak256 } from "ethers";

import type { Hex } from "../../core/index.js";
import { RpcError } from "./jsonRpc.js";

/** The header fields the stream needs. */
export interface RpcBlock {
  number: bigint;
  hash: Hex;
  parentHash: Hex;
  timestamp: bigint;
  /** 256 bytes of log bloom, as hex. */
  logsBloom: string;
}

/** One log as eth_getLogs returns it, normalised (lowercase hex). */
export interface RpcLog {
  readonly address: string;
  readonly topics: readonly string[];
  readonly data: string;
  readonly blockNumber: bigint;
  readonly blockHash: Hex;
  readonly transactionHash: Hex;
  readonly transactionIndex: number;
  readonly logIndex: number;
}

// Checked on lowercased strings (simple character classes are the fastest regexes on long hex).
const QUANTITY = /^0x(0|[1-9a-f][0-9a-f]*)$/;
const HEX = /^0x[0-9a-f]*$/;

function bad(method: string, what: string): RpcError {
  return new RpcError("inconsistent", method, `${method}: ${what}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function quantity(method: string, value: unknown, field: string): bigint {
  if (typeof value !== "string" || !QUANTITY.test(value.toLowerCase()))
    throw bad(method, `${field} is not a hex quantity`);
  return BigInt(value);
}

function hash(method: string, value: unknown, field: string): Hex {
  const lower = typeof value === "string" ? value.toLowerCase() : "";
  if (lower.length !== 66 || !HEX.test(lower)) throw bad(method, `${field} is not a 32-byte hash`);
  return lower as Hex;
}

export function toQuantity(n: bigint): string {
  return `0x${n.toString(16)}`;
}

/** A quantity result (eth_blockNumber, eth_chainId). */
export function parseQuantity(method: string, value: unknown): bigint {
  return quantity(method, value, "result");
}

/**
 * eth_getBlockByNumber's result; `null` means the node has no such block. When `expected` is given,
 * the block must carry that number.
 */
export function parseBlock(value: unknown, expected?: bigint): RpcBlock | null {
  const method = "eth_getBlockByNumber";
  if (value === null) return null;
  if (!isRecord(value)) throw bad(method, "block is not an object");
  const block: RpcBlock = {
    number: quantity(method, value.number, "number"),
    hash: hash(method, value.hash, "hash"),
    parentHash: hash(method, value.parentHash, "parentHash"),
    timestamp: quantity(method, value.timestamp, "timestamp"),
    logsBloom: typeof value.logsBloom === "string" ? value.logsBloom.toLowerCase() : "",
  };
  if (block.logsBloom.length !== 514 || !HEX.test(block.logsBloom))
    throw bad(method, "logsBloom is not 256 bytes of hex");
  if (expected !== undefined && block.number !== expected)
    throw bad(method, `asked for block ${expected}, got ${block.number}`);
  return block;
}

/**
 * A log parseLogs made: its hex is known to be lowercase and well formed, so decoding need not
 * check it again. (A class: a fixed shape, and `instanceof` tells a checked log from any other.)
 */
class CheckedLog implements RpcLog {
  constructor(
    readonly address: string,
    readonly topics: readonly string[],
    readonly data: string,
    readonly blockNumber: bigint,
    readonly blockHash: Hex,
    readonly transactionHash: Hex,
    readonly transactionIndex: number,
    readonly logIndex: number,
  ) {}
}

/** Whether `log` came out of {@link parseLogs} (and is unchanged: its fields are read-only). */
export function isCheckedLog(log: object): boolean {
  return log instanceof CheckedLog;
}

/** A small quantity (an index within a block) as a number. */
function smallQuantity(method: string, value: unknown, field: string): number {
  if (typeof value !== "string" || value.length > 10 || !QUANTITY.test(value.toLowerCase()))
    throw bad(method, `${field} is not a hex quantity`);
  return Number.parseInt(value.slice(2), 16);
}

/**
 * eth_getLogs's result. Logs of one block share their block fields, and logs of one transaction
 * its hash: a value equal to the previous log's is not checked (nor converted) again.
 */
export function parseLogs(value: unknown): RpcLog[] {
  const method = "eth_getLogs";
  if (!Array.isArray(value)) throw bad(method, "result is not an array");
  const logs: RpcLog[] = new Array<RpcLog>(value.length);
  let rawNumber: unknown;
  let blockNumber = 0n;
  let rawBlockHash: unknown;
  let blockHash = "" as Hex;
  let rawTransactionHash: unknown;
  let transactionHash = "" as Hex;
  let rawAddress: unknown;
  let address = "";
  for (let i = 0; i < value.length; i++) {
    const entry: unknown = value[i];
    if (!isRecord(entry)) throw bad(method, `log ${i} is not an object`);
    if (entry.removed === true) throw bad(method, `log ${i} is marked removed`);
    const { topics } = entry;
    if (entry.address !== rawAddress || i === 0) {
      rawAddress = entry.address;
      address = typeof rawAddress === "string" ? rawAddress.toLowerCase() : "";
      if (address.length !== 42 || !HEX.test(address))
        throw bad(method, `log ${i} address is malformed`);
    }
    if (!Array.isArray(topics) || topics.length > 4)
      throw bad(method, `log ${i} topics are malformed`);
    const normalizedTopics = new Array<string>(topics.length);
    for (let j = 0; j < topics.length; j++)
      normalizedTopics[j] = hash(method, topics[j], `log ${i} topic ${j}`);
    const data = typeof entry.data === "string" ? entry.data.toLowerCase() : "";
    if (data.length % 2 !== 0 || !HEX.test(data)) throw bad(method, `log ${i} data is malformed`);
    if (entry.blockNumber !== rawNumber || i === 0) {
      rawNumber = entry.blockNumber;
      blockNumber = quantity(method, rawNumber, `log ${i} blockNumber`);
    }
    if (entry.blockHash !== rawBlockHash || i === 0) {
      rawBlockHash = entry.blockHash;
      blockHash = hash(method, rawBlockHash, `log ${i} blockHash`);
    }
    if (entry.transactionHash !== rawTransactionHash || i === 0) {
      rawTransactionHash = entry.transactionHash;
      transactionHash = hash(method, rawTransactionHash, `log ${i} transactionHash`);
    }
    logs[i] = new CheckedLog(
      address,
      normalizedTopics,
      data,
      blockNumber,
      blockHash,
      transactionHash,
      smallQuantity(method, entry.transactionIndex, `log ${i} transactionIndex`),
      smallQuantity(method, entry.logIndex, `log ${i} logIndex`),
    );
  }
  return logs;
}

// ------------------------------------------------------------------------------------------------
// Log blooms (yellow paper §4.3.1): each address and topic sets three of 2,048 bits.
// ------------------------------------------------------------------------------------------------

/** The three (byte, mask) pairs an item sets in a bloom. */
export type BloomBits = readonly (readonly [byte: number, mask: number])[];

/** The bloom bits of an address or topic (hex). */
export function bloomBits(item: string): BloomBits {
  const digest = getBytes(keccak256(item));
  const bits: [number, number][] = [];
  for (let i = 0; i < 6; i += 2) {
    const bit = ((digest[i] << 8) | digest[i + 1]) & 2047;
    bits.push([255 - (bit >> 3), 1 << (bit & 7)]);
  }
  return bits;
}

/** Whether a bloom (as hex) may contain the item with `bits`. */
export function bloomMayContain(bloom: string, bits: BloomBits): boolean {
  for (const [byte, mask] of bits) {
    const value = Number.parseInt(bloom.slice(2 + byte * 2, 4 + byte * 2), 16);
    if ((value & mask) === 0) return false;
  }
  return true;
}

/** Whether a bloom is all zeros (some chains do not fill it in). */
export function bloomIsEmpty(bloom: string): boolean {
  return /^0x0*$/.test(bloom);
}
