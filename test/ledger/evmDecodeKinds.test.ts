/**
 * The hand-written log decoder (ledger/evm/decodeLog.ts) against ethers' own `Interface.parseLog`,
 * for every event of both contracts: random values of every field (extremes included) decode to
 * exactly what ethers decodes, in core's forms (bytes lowercase, addresses checksummed, uint8…uint32
 * as numbers, wider ones as bigints), whether the log comes straight from a receipt (any case) or
 * out of the stream's checked RPC answers; and a malformed log of any kind is a DECODE_FAILED error.
 */
import { expect } from "chai";
import {
  getAddress,
  hexlify,
  Wallet,
  keccak256,
  toUtf8Bytes,
  type EventFragment,
  type Interface,
  type ParamType,
} from "ethers";

import { isCredtrailError, type Hex } from "../../core/index.js";
import { createLogDecoder, LedgerErrorCode, type RawLog } from "../../ledger/index.js";
import { EVENT_INTERFACES, type ContractName } from "../../ledger/evm/abi.js";
import { parseLogs } from "../../ledger/evm/rpcShapes.js";
import { seededRandom } from "../helpers/evmWorkload.js";
import { failure } from "../helpers/thrown.js";

const h = (label: string) => keccak256(toUtf8Bytes(label)) as Hex;
const addresses = {
  consortium: new Wallet(h("consortium")).address,
  registry: new Wallet(h("registry")).address,
};
const decoder = createLogDecoder(addresses);
const ADDRESS_OF: Record<ContractName, string> = {
  Consortium: addresses.consortium,
  CreditRegistry: addresses.registry,
};
/** Core names an event parameter differently where it would clash with `kind`. */
const RENAMES: Record<string, Record<string, string>> = { ProposalCreated: { kind: "actionKind" } };

function randomBytes(random: () => number, n: number): string {
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i++) bytes[i] = Math.floor(random() * 256);
  return hexlify(bytes);
}

/** A value of `param` for ethers' encoder; `edge` 0…2 picks zero, the maximum or a random value. */
function randomValue(param: ParamType, random: () => number, edge: number): unknown {
  if (param.baseType === "array" && param.arrayChildren !== null) {
    const child = param.arrayChildren;
    const length = edge === 0 ? 0 : 1 + Math.floor(random() * 4);
    return Array.from({ length }, () => randomValue(child, random, 2));
  }
  const type = param.type;
  if (type === "bytes32") return edge === 0 ? `0x${"0".repeat(64)}` : randomBytes(random, 32);
  if (type === "address") return getAddress(randomBytes(random, 20));
  if (type === "bool") return random() < 0.5;
  if (type === "string") return edge === 0 ? "" : `name ${Math.floor(random() * 1e6)} — ü ✓`;
  if (type === "bytes")
    return edge === 0 ? "0x" : randomBytes(random, 1 + Math.floor(random() * 70));
  const match = /^uint(\d*)$/.exec(type);
  if (match !== null) {
    const bits = BigInt(match[1] === "" ? 256 : Number(match[1]));
    if (edge === 0) return 0n;
    if (edge === 1) return (1n << bits) - 1n;
    return BigInt(randomBytes(random, Number(bits) / 8)) >> BigInt(Math.floor(random() * 8));
  }
  throw new Error(`no random value for ${type}`);
}

/** What core's event holds for a value ethers decoded. */
function coreForm(param: ParamType, value: unknown): unknown {
  if (param.baseType === "array" && param.arrayChildren !== null) {
    const child = param.arrayChildren;
    return Array.from(value as Iterable<unknown>, (item) => coreForm(child, item));
  }
  const type = param.type;
  if (type === "bytes32" || type === "bytes") return (value as string).toLowerCase();
  if (type === "address") return getAddress(value as string);
  const match = /^uint(\d*)$/.exec(type);
  if (match !== null && Number(match[1] === "" ? 256 : match[1]) <= 32) return Number(value);
  return value;
}

interface Case {
  contract: ContractName;
  fragment: EventFragment;
  iface: Interface;
}

const CASES: Case[] = [];
for (const contract of Object.keys(EVENT_INTERFACES) as ContractName[]) {
  const iface = EVENT_INTERFACES[contract];
  iface.forEachEvent((fragment) => CASES.push({ contract, fragment, iface }));
}

function logOf(c: Case, values: unknown[]): RawLog {
  const encoded = c.iface.encodeEventLog(c.fragment, values);
  return { address: ADDRESS_OF[c.contract], topics: encoded.topics, data: encoded.data };
}

/** The log as the stream gets it: through parseLogs (checked, lowercase), RPC fields added. */
function checkedLog(log: RawLog): RawLog {
  const [parsed] = parseLogs([
    {
      ...log,
      blockNumber: "0x10",
      blockHash: h("block"),
      transactionHash: h("tx"),
      transactionIndex: "0x0",
      logIndex: "0x3",
      removed: false,
    },
  ]);
  return parsed;
}

describe("EVM log decoder = ethers' Interface, for every event kind", () => {
  it("covers every event of both contracts", () => {
    expect(CASES.length).to.equal(31);
  });

  for (const c of CASES) {
    it(`${c.contract}.${c.fragment.name}: same values as Interface.parseLog, in core's forms`, () => {
      const random = seededRandom(`decode:${c.fragment.format()}`);
      const renames = RENAMES[c.fragment.name] ?? {};
      for (let round = 0; round < 12; round++) {
        const values = c.fragment.inputs.map((p) => randomValue(p, random, round % 3));
        const log = logOf(c, values);
        const parsed = c.iface.parseLog(log);
        if (parsed === null) throw new Error("ethers did not parse its own log");
        const expected: Record<string, unknown> = { kind: c.fragment.name };
        c.fragment.inputs.forEach((p, i) => {
          expected[renames[p.name] ?? p.name] = coreForm(p, parsed.args[i]);
        });
        const upper = {
          ...log,
          address: log.address.toUpperCase().replace("0X", "0x"),
          topics: log.topics.map((t) => t.toUpperCase().replace("0X", "0x")),
          data: log.data.toUpperCase().replace("0X", "0x"),
        };
        expect(decoder.decode(log), `round ${round}`).to.deep.equal(expected);
        expect(decoder.decode(upper), `round ${round}, upper case`).to.deep.equal(expected);
        expect(decoder.decode(checkedLog(log)), `round ${round}, checked`).to.deep.equal(expected);
      }
    });
  }

  it("rejects a malformed log of every kind, whether checked or not", () => {
    const random = seededRandom("decode:malformed");
    for (const c of CASES) {
      const values = c.fragment.inputs.map((p) => randomValue(p, random, 2));
      const good = logOf(c, values);
      const name = `${c.contract}.${c.fragment.name}`;
      const words = (good.data.length - 2) / 64;
      const bad: [string, RawLog][] = [
        ["a topic missing", { ...good, topics: good.topics.slice(0, -1) }],
        ["a topic more", { ...good, topics: [...good.topics, h("extra")] }],
        ["a short topic", { ...good, topics: [...good.topics.slice(0, -1), "0x1234"] }],
        ["no topics", { ...good, topics: [] }],
        ["from the other contract", { ...good, address: ADDRESS_OF[other(c.contract)] }],
        ["from elsewhere", { ...good, address: new Wallet(h("impostor")).address }],
        ["an unknown event", { ...good, topics: [h("Other()"), ...good.topics.slice(1)] }],
      ];
      if (words > 0) {
        bad.push(["data one word short", { ...good, data: good.data.slice(0, -64) }]);
        bad.push(["data not hex", { ...good, data: `${good.data.slice(0, -2)}zz` }]);
      }
      bad.push(["data one byte long", { ...good, data: `${good.data}00` }]);
      bad.push(["data one word long", { ...good, data: `${good.data}${"0".repeat(64)}` }]);
      for (const [what, log] of bad) {
        const error = failure(() => decoder.decode(log));
        expect(
          isCredtrailError(error, LedgerErrorCode.DECODE_FAILED),
          `${name}: ${what}: ${String(error)}`,
        ).to.equal(true);
        // the same log out of an RPC answer (when parseLogs lets it through at all)
        let checked: RawLog;
        try {
          checked = checkedLog(log);
        } catch {
          continue;
        }
        const again = failure(() => decoder.decode(checked));
        expect(
          isCredtrailError(again, LedgerErrorCode.DECODE_FAILED),
          `${name}: ${what} (checked): ${String(again)}`,
        ).to.equal(true);
      }
    }
  });

  it("rejects dynamic values out of place: offsets, lengths, padding, UTF-8", () => {
    const batch = CASES.find((x) => x.fragment.name === "BatchAnchored") as Case;
    // (uint32 count, string uri, address signer): head words count, offset (0x60), signer
    const good = logOf(batch, [
      h("root"),
      h("provider"),
      h("schema"),
      64,
      "s3://b/1",
      addresses.registry,
    ]);
    expect(decoder.decode(good)).to.include({ uri: "s3://b/1", count: 64 });
    const word = (i: number) => 2 + 64 * i;
    const patch = (i: number, text: string) =>
      good.data.slice(0, word(i)) + text + good.data.slice(word(i) + 64);
    const derived = CASES.find((x) => x.fragment.name === "Derived") as Case;
    const withInputs = logOf(derived, [
      h("uid"),
      h("subject"),
      h("schema"),
      h("deriver"),
      h("data"),
      h("model"),
      5n,
      [h("a"), h("b")],
      addresses.registry,
    ]);
    // (bytes32 deriver, bytes32 dataHash, bytes32 modelHash, uint64 observedAt, bytes32[] inputs, address signer)
    const patchDerived = (i: number, text: string) =>
      withInputs.data.slice(0, word(i)) + text + withInputs.data.slice(word(i) + 64);
    const hexOf = (n: number) => n.toString(16).padStart(64, "0");
    for (const [what, log] of [
      ["offset into the head", { ...good, data: patch(1, hexOf(0x20)) }],
      ["offset beyond the data", { ...good, data: patch(1, hexOf(0x200)) }],
      ["offset not a whole word", { ...good, data: patch(1, hexOf(0x61)) }],
      ["huge offset", { ...good, data: patch(1, "f".repeat(64)) }],
      ["length beyond the data", { ...good, data: patch(3, hexOf(0x40)) }],
      ["dirty padding", { ...good, data: `${good.data.slice(0, -2)}01` }],
      ["not UTF-8", { ...good, data: patch(4, `ff${"0".repeat(62)}`) }],
      ["array longer than the data", { ...withInputs, data: patchDerived(6, hexOf(3)) }],
      ["array length huge", { ...withInputs, data: patchDerived(6, "f".repeat(64)) }],
    ] as const) {
      const error = failure(() => decoder.decode(log));
      expect(isCredtrailError(error, LedgerErrorCode.DECODE_FAILED), what).to.equal(true);
      expect((error as Error).message, what).to.match(/malformed (BatchAnchored|Derived)/);
    }
  });

  it("rejects out-of-range values of static fields (dirty padding)", () => {
    const c = CASES.find((x) => x.fragment.name === "DisputeAnswered") as Case;
    // (uint32 seq, uint8 outcome, bytes32 responseHash, address signer)
    const good = logOf(c, [h("uid"), h("provider"), 7, 1, h("response"), addresses.registry]);
    const word = (i: number) => 2 + 64 * i;
    const patch = (i: number, text: string) =>
      good.data.slice(0, word(i)) + text + good.data.slice(word(i) + 64);
    for (const [what, data] of [
      ["uint32 beyond range", patch(0, `${"0".repeat(55)}100000000`)],
      ["uint8 beyond range", patch(1, `${"0".repeat(61)}100`)],
      ["address with dirty upper bytes", patch(3, `${"f".repeat(24)}${"1".repeat(40)}`)],
    ]) {
      const error = failure(() => decoder.decode({ ...good, data }));
      expect(isCredtrailError(error, LedgerErrorCode.DECODE_FAILED), what).to.equal(true);
      expect((error as Error).message).to.match(/malformed DisputeAnswered/);
    }
    const repair = CASES.find((x) => x.fragment.name === "RepairDecided") as Case;
    const decided = logOf(repair, [h("uid"), h("authority"), true, h("d"), addresses.registry]);
    const notBool = decided.data.slice(0, 2) + `${"0".repeat(63)}2` + decided.data.slice(66);
    expect(
      isCredtrailError(
        failure(() => decoder.decode({ ...decided, data: notBool })),
        LedgerErrorCode.DECODE_FAILED,
      ),
    ).to.equal(true);
  });
});

function other(contract: ContractName): ContractName {
  return contract === "Consortium" ? "CreditRegistry" : "Consortium";
}
