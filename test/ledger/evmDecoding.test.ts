/**
 * The EVM adapter's decoders without a node: logs accepted only from the contract that declares
 * their event, malformed logs rejected, revert data decoded by name, node errors classified.
 */
import { expect } from "chai";
import { AbiCoder, Interface, Wallet, ZeroAddress, id, keccak256, toUtf8Bytes } from "ethers";

import { isCredtrailError, type Hex } from "../../core/index.js";
import { createLogDecoder, decodeRevertData, LedgerErrorCode } from "../../ledger/index.js";
import { EVENT_INTERFACES } from "../../ledger/evm/abi.js";
import { classifyRpcMessage } from "../../ledger/evm/jsonRpc.js";
import { failure } from "../helpers/thrown.js";

const h = (label: string) => keccak256(toUtf8Bytes(label)) as Hex;
const consortium = new Wallet(h("consortium")).address;
const registry = new Wallet(h("registry")).address;
const signer = new Wallet(h("signer")).address;
const decoder = createLogDecoder({ consortium, registry });

function attestedLog(address = registry) {
  const encoded = EVENT_INTERFACES.CreditRegistry.encodeEventLog("Attested", [
    h("uid"),
    h("subject"),
    h("schema"),
    h("provider"),
    h("data"),
    1_700_000_000n,
    0n,
    3,
    signer,
    ZeroAddress,
  ]);
  return { address, topics: encoded.topics, data: encoded.data };
}

describe("EVM adapter decoding (no node)", () => {
  it("decodes a log of the contract that declares the event", () => {
    expect(decoder.decode(attestedLog())).to.deep.equal({
      kind: "Attested",
      uid: h("uid"),
      subject: h("subject"),
      schema: h("schema"),
      provider: h("provider"),
      dataHash: h("data"),
      observedAt: 1_700_000_000n,
      expiresAt: 0n,
      severity: 3,
      signer,
      relayer: ZeroAddress,
    });
    // Address case does not matter.
    expect(decoder.decode(attestedLog(registry.toLowerCase())).kind).to.equal("Attested");
  });

  it("rejects the same topics from any other address, the Consortium included", () => {
    for (const address of [consortium, new Wallet(h("impostor")).address]) {
      const error = failure(() => decoder.decode(attestedLog(address)));
      expect(isCredtrailError(error, LedgerErrorCode.DECODE_FAILED), address).to.equal(true);
    }
    expect(decoder.contractAt(new Wallet(h("impostor")).address)).to.equal(undefined);
  });

  it("rejects unknown events and malformed logs", () => {
    const good = attestedLog();
    const bad = [
      { ...good, topics: [id("Unknown(bytes32)"), ...good.topics.slice(1)] },
      { ...good, topics: good.topics.slice(0, 3) },
      { ...good, data: good.data.slice(0, -64) },
      { ...good, data: `${good.data}00` },
      { ...good, topics: [good.topics[0], "0x1234", ...good.topics.slice(2)] },
      // signer word with dirty upper bytes
      {
        ...good,
        data: good.data.slice(0, 2 + 64 * 5) + "f".repeat(24) + good.data.slice(2 + 64 * 5 + 24),
      },
      // observedAt beyond uint64
      {
        ...good,
        data: good.data.slice(0, 2 + 64 * 2) + "1".repeat(64) + good.data.slice(2 + 64 * 3),
      },
      // severity beyond uint8
      {
        ...good,
        data:
          good.data.slice(0, 2 + 64 * 4) + "0".repeat(60) + "0100" + good.data.slice(2 + 64 * 5),
      },
    ];
    bad.forEach((log, i) => {
      const error = failure(() => decoder.decode(log));
      expect(isCredtrailError(error, LedgerErrorCode.DECODE_FAILED), `case ${i}`).to.equal(true);
    });
  });

  it("decodes events with dynamic fields", () => {
    const encoded = EVENT_INTERFACES.Consortium.encodeEventLog("ProposalCreated", [
      7n,
      h("operator"),
      2,
      "0xabcd",
      99n,
    ]);
    expect(decoder.decode({ address: consortium, ...encoded })).to.deep.equal({
      kind: "ProposalCreated",
      proposalId: 7n,
      proposer: h("operator"),
      actionKind: 2,
      payload: "0xabcd",
      expiresAt: 99n,
    });
  });

  it("decodes revert data of either contract, and Solidity's own errors", () => {
    const registryErrors = new Interface(["error RegistryRecordExists(bytes32 uid)"]);
    const exists = decodeRevertData(
      registryErrors.encodeErrorResult("RegistryRecordExists", [h("uid")]),
    );
    expect(exists).to.deep.include({
      contract: "CreditRegistry",
      error: "RegistryRecordExists",
      args: { uid: h("uid") },
    });
    expect(exists?.formatted).to.equal(`RegistryRecordExists(${h("uid")})`);

    const consortiumErrors = new Interface([
      "error ConsortiumInvalidThreshold(uint32 threshold, uint32 members)",
    ]);
    const threshold = decodeRevertData(
      consortiumErrors.encodeErrorResult("ConsortiumInvalidThreshold", [9, 8]),
    );
    expect(threshold).to.deep.include({
      contract: "Consortium",
      args: { threshold: "9", members: "8" },
    });
    expect(threshold?.formatted).to.equal("ConsortiumInvalidThreshold(9, 8)");

    const reason = `0x08c379a0${AbiCoder.defaultAbiCoder().encode(["string"], ["nope"]).slice(2)}`;
    expect(decodeRevertData(reason)).to.deep.include({
      contract: "Solidity",
      error: "Error",
      formatted: "Error(nope)",
    });
    const panic = `0x4e487b71${AbiCoder.defaultAbiCoder().encode(["uint256"], [0x11]).slice(2)}`;
    expect(decodeRevertData(panic)).to.deep.include({ error: "Panic", formatted: "Panic(17)" });
    expect(decodeRevertData("0xdeadbeef")).to.equal(undefined);
    expect(decodeRevertData("0x")).to.equal(undefined);
  });

  it("classifies the errors nodes and providers give for oversized eth_getLogs requests", () => {
    const tooLarge: [number | undefined, string][] = [
      [-32005, "query returned more than 10000 results"],
      [
        -32602,
        "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range",
      ],
      [-32000, "block range is too wide"],
      [-32000, "exceed maximum block range: 5000"],
      [-32600, "eth_getLogs is limited to a 10,000 range"],
      [-32000, "query timeout exceeded"],
      [undefined, "response size should not greater than 10000000 bytes"],
      [-32011, "Limit exceeded"],
    ];
    for (const [code, message] of tooLarge) {
      expect(classifyRpcMessage(code, message), message).to.equal("tooLarge");
    }
    for (const message of ["header not found", "internal error", "method not found"]) {
      expect(classifyRpcMessage(-32000, message), message).to.equal("unavailable");
    }
  });
});
