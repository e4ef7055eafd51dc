/**
 * The Fabric adapter's pure parts, without a network: the chaincode's event payloads decoded into
 * core's events, the chaincode's error messages, Fabric's block header hash (DER) and blocks
 * parsed from protobufs. The network paths are covered by the conformance suite and the fault
 * tests.
 */
import { createHash } from "node:crypto";

import { common, peer } from "@hyperledger/fabric-protos";
import { expect } from "chai";

import { LedgerErrorCode } from "../../ledger/index.js";
import { decodeChaincodeEvents } from "../../ledger/fabric/decodeEvents.js";
import { chaincodeErrorOf } from "../../ledger/fabric/fabricWriter.js";
import { blockHeaderHash, parseBlock, toHex } from "../../ledger/fabric/protocol.js";

const bytes = (text: string) => new TextEncoder().encode(text);
const b32 = (byte: string) => `0x${byte.repeat(32)}`;

describe("Fabric adapter (no network)", () => {
  it("decodes the chaincode's event payload into core's events", () => {
    const payload = {
      events: [
        {
          kind: "Attested",
          uid: b32("01"),
          subject: b32("02"),
          schema: b32("03"),
          provider: b32("04"),
          dataHash: b32("05"),
          observedAt: "1700000000",
          expiresAt: "0",
          severity: 2,
          signer: "0xc80b2b8da61b41f70ca521d4e27f88414477dce7",
          relayer: "0x0000000000000000000000000000000000000000",
        },
        { kind: "ProposalExecuted", proposalId: "7" },
      ],
    };
    const [attested, executed] = decodeChaincodeEvents(bytes(JSON.stringify(payload)), "tx");
    expect(attested).to.include({
      kind: "Attested",
      observedAt: 1_700_000_000n,
      expiresAt: 0n,
      severity: 2,
      signer: "0xC80b2B8Da61b41f70Ca521d4E27f88414477dCe7",
    });
    expect(executed).to.deep.equal({ kind: "ProposalExecuted", proposalId: 7n });
  });

  it("rejects payloads that are not ours with LEDGER_DECODE_FAILED", () => {
    for (const text of [
      "not json",
      '{"events":[{"kind":"Nope"}]}',
      '{"events":[{"kind":"ProposalExecuted","proposalId":7}]}',
      "{}",
    ]) {
      expect(() => decodeChaincodeEvents(bytes(text), "tx"))
        .to.throw()
        .with.property("code", LedgerErrorCode.DECODE_FAILED);
    }
  });

  it("reads the chaincode's error name and arguments from a peer message", () => {
    expect(
      chaincodeErrorOf(
        'endorsement failure: chaincode response 500, RegistryRecordExists {"uid":"0xab"}',
      ),
    ).to.deep.equal({ error: "RegistryRecordExists", args: { uid: "0xab" } });
    expect(chaincodeErrorOf("ConsortiumAlreadyInitialized {}")).to.deep.equal({
      error: "ConsortiumAlreadyInitialized",
      args: {},
    });
    expect(chaincodeErrorOf("14 UNAVAILABLE: No connection established")).to.equal(undefined);
  });

  it("hashes block headers as Fabric does (sha256 of DER {number, previousHash, dataHash})", () => {
    const previous = new Uint8Array(32).fill(0x11);
    const data = new Uint8Array(32).fill(0x22);
    const der = (n: number[]) =>
      Buffer.from([0x30, n.length + 68, ...n, 0x04, 32, ...previous, 0x04, 32, ...data]);
    const sha = (b: Buffer) => `0x${createHash("sha256").update(b).digest("hex")}`;
    expect(toHex(blockHeaderHash(0n, previous, data))).to.equal(sha(der([0x02, 0x01, 0x00])));
    // 128 needs a leading zero byte to stay positive
    expect(toHex(blockHeaderHash(128n, previous, data))).to.equal(
      sha(der([0x02, 0x02, 0x00, 0x80])),
    );
    expect(toHex(blockHeaderHash(0x1234n, previous, data))).to.equal(
      sha(der([0x02, 0x02, 0x12, 0x34])),
    );
  });

  it("parses a block: transaction ids, validation codes and chaincode events", () => {
    const tx = (txId: string, event?: string) => {
      const channelHeader = new common.ChannelHeader();
      channelHeader.setType(common.HeaderType.ENDORSER_TRANSACTION);
      channelHeader.setTxId(txId);
      const header = new common.Header();
      header.setChannelHeader(channelHeader.serializeBinary());
      const action = new peer.ChaincodeAction();
      if (event !== undefined) {
        const e = new peer.ChaincodeEvent();
        e.setChaincodeId("credtrail");
        e.setEventName("Attested");
        e.setPayload(bytes(event));
        action.setEvents(e.serializeBinary());
      }
      const response = new peer.ProposalResponsePayload();
      response.setExtension$(action.serializeBinary());
      const endorsed = new peer.ChaincodeEndorsedAction();
      endorsed.setProposalResponsePayload(response.serializeBinary());
      const actionPayload = new peer.ChaincodeActionPayload();
      actionPayload.setAction(endorsed);
      const transactionAction = new peer.TransactionAction();
      transactionAction.setPayload(actionPayload.serializeBinary());
      const transaction = new peer.Transaction();
      transaction.setActionsList([transactionAction]);
      const payload = new common.Payload();
      payload.setHeader(header);
      payload.setData(transaction.serializeBinary());
      const envelope = new common.Envelope();
      envelope.setPayload(payload.serializeBinary());
      return envelope.serializeBinary();
    };
    const block = new common.Block();
    const header = new common.BlockHeader();
    header.setNumber(5);
    header.setPreviousHash(new Uint8Array(32).fill(1));
    header.setDataHash(new Uint8Array(32).fill(2));
    block.setHeader(header);
    const data = new common.BlockData();
    data.setDataList([tx("aa", '{"events":[]}'), tx("bb")]);
    block.setData(data);
    const metadata = new common.BlockMetadata();
    metadata.setMetadataList([new Uint8Array(), new Uint8Array(), new Uint8Array([0, 11])]);
    block.setMetadata(metadata);

    const parsed = parseBlock(block);
    expect(parsed.number).to.equal(5n);
    expect(parsed.previousHash).to.equal(b32("01"));
    expect(parsed.hash).to.equal(
      toHex(blockHeaderHash(5n, new Uint8Array(32).fill(1), new Uint8Array(32).fill(2))),
    );
    expect(parsed.transactions.map((t) => [t.txId, t.validationCode, t.event?.name])).to.deep.equal(
      [
        ["aa", 0, "Attested"],
        ["bb", 11, undefined],
      ],
    );
  });
});
