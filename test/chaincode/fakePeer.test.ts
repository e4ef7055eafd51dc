/**
 * The fake peer itself: the real fabric-shim ChaincodeStub over the fake handler behaves as a peer
 * does (no read-your-writes, empty value for a missing key, sorted ranges with an exclusive end,
 * MVCC and phantom-read conflicts in a block, one event per transaction, the creator's X.509
 * identity).
 */
import { expect } from "chai";

import { loadChaincode } from "./chaincode.js";
import { FakePeer, hostContracts } from "./fakePeer.js";
import type { TestIdentity } from "./identities.js";
import { createOrganization } from "./identities.js";

interface KV {
  key: string;
  value: Uint8Array;
}
/** The part of fabric-shim's ChaincodeStub these tests call. */
interface RawStub {
  getArgs(): string[];
  getState(key: string): Promise<Uint8Array>;
  putState(key: string, value: Uint8Array): Promise<void>;
  deleteState(key: string): Promise<void>;
  getStateByRange(start: string, end: string): AsyncIterable<KV>;
  setEvent(name: string, payload: Uint8Array): void;
}

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString("utf8");

/** A hand-written chaincode: `op key [value]` against the stub, returning what it read. */
const raw = {
  async Invoke(stub: RawStub) {
    const [op, a, b] = stub.getArgs();
    let out = "";
    switch (op) {
      case "put":
        await stub.putState(a, Buffer.from(b, "utf8"));
        break;
      case "putThenGet":
        await stub.putState(a, Buffer.from(b, "utf8"));
        out = `[${text(await stub.getState(a))}]`;
        break;
      case "get":
        out = `[${text(await stub.getState(a))}]`;
        break;
      case "del":
        await stub.deleteState(a);
        break;
      case "incr": {
        const n = Number(text(await stub.getState(a)) || "0") + 1;
        await stub.putState(a, Buffer.from(String(n), "utf8"));
        out = String(n);
        break;
      }
      case "range": {
        const keys: string[] = [];
        for await (const kv of stub.getStateByRange(a, b)) keys.push(`${kv.key}=${text(kv.value)}`);
        out = keys.join(",");
        await stub.putState("rangeSeen", Buffer.from(out, "utf8"));
        break;
      }
      case "events":
        stub.setEvent("First", Buffer.from("1"));
        stub.setEvent("Second", Buffer.from("2"));
        break;
    }
    return { status: 200, payload: Buffer.from(out, "utf8") };
  },
};

describe("chaincode test peer (fake handler under the real ChaincodeStub)", function () {
  this.timeout(120_000);
  let user: TestIdentity;
  let peer: FakePeer;

  before(async () => {
    const org = await createOrganization("Org1MSP");
    user = await org.issue("alice", { "credtrail.member": "Alice", "hf.EnrollmentID": "alice" });
  });

  beforeEach(() => {
    peer = new FakePeer(raw as never);
  });

  it("gives a transaction no read-your-writes and a missing key an empty value", async () => {
    expect(await peer.evaluate(user, "get", "k")).to.equal("[]");
    expect((await peer.submit(user, "putThenGet", "k", "v1")).result).to.equal("[]");
    expect(await peer.evaluate(user, "get", "k")).to.equal("[v1]");
    expect((await peer.submit(user, "putThenGet", "k", "v2")).result).to.equal("[v1]");
  });

  it("deletes a key on deleteState and on an empty value", async () => {
    await peer.submit(user, "put", "a", "1");
    await peer.submit(user, "del", "a");
    expect(await peer.evaluate(user, "get", "a")).to.equal("[]");
    await peer.submit(user, "put", "b", "1");
    await peer.submit(user, "put", "b", "");
    expect(peer.committed.has("b")).to.equal(false);
  });

  it("returns range queries in byte order with an exclusive end key, across pages", async () => {
    for (const k of ["k5", "k1", "k3", "k10", "k2", "k4", "k7", "x"]) {
      await peer.submit(user, "put", k, k.toUpperCase());
    }
    expect(await peer.evaluate(user, "range", "k1", "k5")).to.equal(
      "k1=K1,k10=K10,k2=K2,k3=K3,k4=K4",
    );
    expect(await peer.evaluate(user, "range", "k4", "")).to.equal("k4=K4,k5=K5,k7=K7,x=X");
  });

  it("invalidates the later of two transactions in a block that touch the same key (MVCC)", async () => {
    await peer.submit(user, "put", "counter", "0");
    const first = await peer.simulate(user, "incr", ["counter"]);
    const second = await peer.simulate(user, "incr", ["counter"]);
    const other = await peer.simulate(user, "incr", ["elsewhere"]);
    const results = peer.commitBlock([first, second, other]);
    expect(results.map((r) => r.code)).to.deep.equal(["VALID", "MVCC_READ_CONFLICT", "VALID"]);
    expect(await peer.evaluate(user, "get", "counter")).to.equal("[1]");
  });

  it("invalidates a range read that a transaction earlier in the block changed (phantom)", async () => {
    await peer.submit(user, "put", "r1", "a");
    const reader = await peer.simulate(user, "range", ["r", "s"]);
    const writer = await peer.simulate(user, "put", ["r2", "b"]);
    expect(peer.commitBlock([writer, reader]).map((r) => r.code)).to.deep.equal([
      "VALID",
      "PHANTOM_READ_CONFLICT",
    ]);
  });

  it("keeps one chaincode event per transaction: the last one set", async () => {
    const { event } = await peer.submit(user, "events");
    expect(event?.name).to.equal("Second");
    expect(event?.payload.toString()).to.equal("2");
  });

  it("hands the chaincode the creator's X.509 identity and its fabric-ca attributes", async () => {
    const chaincode = loadChaincode();
    const contractPeer = new FakePeer(hostContracts(chaincode.contracts));
    const who = JSON.parse(await contractPeer.evaluate(user, "Consortium:whoAmI")) as {
      address: string;
      id: string;
      mspId: string;
    };
    expect(who.mspId).to.equal("Org1MSP");
    expect(who.id).to.equal(
      "x509::/CN=alice/OU=client/O=org1.example.com::/CN=ca.org1.example.com/O=org1.example.com",
    );
    expect(who.address).to.equal(chaincode.identityAddress("Org1MSP", who.id));
  });
});
