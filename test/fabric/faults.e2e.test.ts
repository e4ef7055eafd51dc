/**
 * Faults on the real Fabric network (its own data folder <tmpdir>/credtrail-fabric/fabric-faults,
 * ports 30000+):
 *
 * 1. The channel's Raft leader orderer is killed (SIGKILL) while attestations are being submitted:
 *    the remaining two elect a new leader, submissions resume, and every attestation the client
 *    saw acknowledged is on the ledger and in the indexer afterwards. The killed orderer is
 *    started again and the network takes submissions through all three.
 * 2. A peer — the one the indexer streams from — is killed: the stream moves to the other peer,
 *    submissions (which need both organisations' endorsements) fail with LEDGER_UNAVAILABLE, the
 *    store is unchanged; restarted, the peer catches up (same height and block hashes as the
 *    other), and an indexer that resumes from its checkpoint ends equal to a fresh rebuild.
 *
 * Runs whenever the Fabric binaries are installed and FABRIC_E2E is not "0" (like the Fabric leg
 * of the conformance suite); about two minutes.
 */
import { setTimeout as sleep } from "node:timers/promises";

import { expect } from "chai";

import {
  attestationUid,
  memberId,
  schemaRegistration,
  SCHEMAS,
  type AttestationRequestInput,
  type Hex,
} from "../../core/index.js";
import type { Indexer } from "../../indexer/index.js";
import { createIndexer } from "../../indexer/index.js";
import {
  createFabricLedger,
  localNetworkOptions,
  type FabricLedger,
} from "../../ledger/fabric/index.js";
import { LedgerErrorCode } from "../../ledger/index.js";
import { tempDirs } from "../indexer/fixtures.js";
import {
  fabricLegAvailability,
  MEMBER_NAMES,
  startFabricLeg,
  type FabricLeg,
} from "../conformance/legs.js";
import { h } from "../conformance/scenarios.js";

const SCHEMA = schemaRegistration(SCHEMAS["tax.payment"]);

function request(i: number): AttestationRequestInput {
  return {
    schema: SCHEMA.schemaId,
    subject: h(`fault:subject:${i % 7}`),
    dataHash: h(`fault:data:${i}`),
    observedAt: 1_000_000_000n + BigInt(i),
    expiresAt: 0n,
    severity: 0,
  };
}

const uidOf = (r: AttestationRequestInput): Hex =>
  attestationUid({ ...r, provider: memberId(MEMBER_NAMES.provider) });

describe("Fabric faults (Raft leader, peer)", function () {
  this.timeout(900_000);
  const dirs = tempDirs();
  let leg: FabricLeg;
  let indexer: Indexer;
  let dbDir: string;
  let next = 0;

  before(async function () {
    const availability = fabricLegAvailability();
    if (!availability.run) {
      console.log(`    Fabric faults skipped: ${availability.reason}`);
      this.skip();
    }
    leg = await startFabricLeg({ name: "fabric-faults", portBase: 30000 });
    await leg.writers.authority.registerSchema(SCHEMA.categoryName, SCHEMA.definition);
    dbDir = await dirs.make();
    indexer = await createIndexer({ db: dbDir, ledger: leg.ledger, fromBlock: leg.fromBlock });
    indexer.start();
  });

  after(async () => {
    await indexer?.close();
    await leg?.stop();
    await dirs.cleanup();
  });

  /** The orderer whose metrics say it leads the channel (polled: none does during an election). */
  async function raftLeader(): Promise<string> {
    for (let attempt = 0; attempt < 60; attempt++) {
      try {
        return (await leg.network.script("leader")).trim();
      } catch {
        await sleep(500);
      }
    }
    throw new Error("no orderer reports itself the Raft leader");
  }

  it("keeps every acknowledged attestation when the Raft leader orderer is killed", async () => {
    const acknowledged: Hex[] = [];
    const failures: string[] = [];
    const latencies: number[] = [];
    let stop = false;
    const submitter = (async () => {
      while (!stop) {
        const r = request(next++);
        const started = Date.now();
        try {
          await leg.writers.provider.attest(r);
          acknowledged.push(uidOf(r));
          latencies.push(Date.now() - started);
        } catch (error) {
          failures.push((error as Error).message);
          await sleep(500);
        }
      }
    })();
    let leader = "";
    let newLeader = "";
    let before = 0;
    let resumedAfterMs = 0;
    try {
      while (acknowledged.length < 8) {
        expect(failures, failures.join("\n")).to.deep.equal([]);
        await sleep(100);
      }
      leader = await raftLeader();
      expect(leader).to.match(/^[0-2]$/);
      before = acknowledged.length;
      const killedAt = Date.now();
      await leg.network.script("kill", `orderer${leader}`);
      // submissions resume under a new leader
      while (acknowledged.length < before + 10) {
        expect(Date.now() - killedAt, "submissions did not resume within 120 s").to.be.below(
          120_000,
        );
        await sleep(200);
      }
      resumedAfterMs = Math.max(...latencies.slice(before));
      newLeader = await raftLeader();
      console.log(
        `      leader orderer${leader} killed after ${before} attestations; new leader orderer${newLeader}; ` +
          `longest submit across the election ${resumedAfterMs} ms; ${acknowledged.length} acknowledged, ` +
          `${failures.length} failed`,
      );
    } finally {
      stop = true;
      await submitter;
    }
    expect(newLeader).to.not.equal(leader);
    expect(failures, failures.join("\n")).to.deep.equal([]);

    await leg.network.script("start", `orderer${leader}`);
    const afterRestart = request(next++);
    await leg.writers.provider.attest(afterRestart);
    acknowledged.push(uidOf(afterRestart));

    const head = await leg.ledger.head();
    await indexer.waitForBlock(head.number);
    for (const uid of acknowledged) {
      const onLedger = JSON.parse(
        await leg.ledger.evaluate("org2-admin", "Registry:record", [uid]),
      ) as {
        uid?: string;
      } | null;
      expect(onLedger, `record ${uid} on the ledger`).to.not.equal(null);
      expect(await indexer.getAttestation(uid), `record ${uid} in the indexer`).to.not.equal(null);
    }
    const unique = new Set(acknowledged);
    expect(unique.size).to.equal(acknowledged.length);
  });

  it("survives a peer kill: the stream moves on, the peer catches up, the store is unchanged", async () => {
    let head = await leg.ledger.head();
    await indexer.waitForBlock(head.number);
    const before = await indexer.digest();

    await leg.network.script("kill", "peer1");
    const failed = await leg.writers.provider.attest(request(next++)).then(
      () => "submitted",
      (error: unknown) => (error as { code?: string }).code,
    );
    expect(failed).to.equal(LedgerErrorCode.UNAVAILABLE);
    next--; // that one is not on the ledger
    await sleep(2_000);
    expect(await indexer.digest()).to.equal(before);
    expect((await indexer.status()).running).to.equal(true);

    await leg.network.script("start", "peer1");
    // the restarted peer serves the same chain: same height, same block hashes
    const only = (peer: number): FabricLedger => {
      const options = localNetworkOptions({
        dataDir: leg.network.dataDir,
        portBase: leg.network.portBase,
      });
      return createFabricLedger({ ...options, peers: [options.peers[peer]], retries: 3 });
    };
    const [peer1, peer2] = [only(0), only(1)];
    try {
      // the first submissions may find the restarted peer not reconnected yet: retried
      for (let i = 0; i < 5; i++) {
        const r = request(next++);
        for (let attempt = 0; ; attempt++) {
          try {
            await leg.writers.provider.attest(r);
            break;
          } catch (error) {
            if (attempt > 60 || (error as { code?: string }).code !== LedgerErrorCode.UNAVAILABLE)
              throw error;
            await sleep(1_000);
          }
        }
      }
      head = await leg.ledger.head();
      let caughtUp = await peer1.head();
      for (let i = 0; i < 100 && caughtUp.number < head.number; i++) {
        await sleep(200);
        caughtUp = await peer1.head();
      }
      expect(caughtUp).to.deep.equal(await peer2.head());
    } finally {
      peer1.close();
      peer2.close();
    }

    // resume from the checkpoint (close, reopen the same store) and compare with a fresh rebuild
    await indexer.waitForBlock(head.number);
    await indexer.close();
    indexer = await createIndexer({ db: dbDir, ledger: leg.ledger, fromBlock: leg.fromBlock });
    indexer.start();
    for (let i = 0; i < 3; i++) await leg.writers.provider.attest(request(next++));
    head = await leg.ledger.head();
    await indexer.waitForBlock(head.number);
    const rebuilt = await createIndexer({
      db: await dirs.make(),
      ledger: leg.ledger,
      fromBlock: leg.fromBlock,
    });
    rebuilt.start();
    try {
      await rebuilt.waitForBlock(head.number);
      expect(await indexer.digest()).to.equal(await rebuilt.digest());
      expect(await indexer.digest()).to.not.equal(before);
    } finally {
      await rebuilt.close();
    }
  });
});
