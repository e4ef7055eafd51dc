/**
 * End to end on a real Hardhat node: the EVM ledger's stream into the indexer (in this process),
 * and `indexer/main.ts` as its own process on another database — both must end in the same store.
 */
import { spawn } from "node:child_process";
import path from "node:path";

import { expect } from "chai";

import type { AttestationRequestInput, Hex } from "../../core/index.js";
import { Role, attestationUid, derivedUid } from "../../core/index.js";
import type { Indexer } from "../../indexer/index.js";
import { createIndexer } from "../../indexer/index.js";
import type { EvmLedger, LedgerWriter } from "../../ledger/index.js";
import { createEvmLedger } from "../../ledger/index.js";
import type { TestConsortium, TestKey } from "../helpers/evmConsortium.js";
import { TEST_KEYS, deployTestConsortium } from "../helpers/evmConsortium.js";
import type { HardhatNode } from "../helpers/hardhatNode.js";
import { REPO_ROOT, startHardhatNode } from "../helpers/hardhatNode.js";
import { DAY, h, recordBatch, tempDirs } from "./fixtures.js";

describe("indexer against a Hardhat node", function () {
  this.timeout(240_000);
  const dirs = tempDirs();
  let node: HardhatNode;
  let c: TestConsortium;
  let ledger: EvmLedger;
  let indexer: Indexer;
  const w = {} as Record<TestKey, LedgerWriter>;

  before(async () => {
    node = await startHardhatNode();
    c = await deployTestConsortium(node.url);
    ledger = await createEvmLedger({
      rpcUrl: node.url,
      addresses: c.addresses,
      pollIntervalMs: 50,
    });
    for (const key of Object.keys(TEST_KEYS) as TestKey[]) w[key] = ledger.writer(TEST_KEYS[key]);
    indexer = await createIndexer({
      db: await dirs.make(),
      ledger,
      fromBlock: BigInt(c.deployBlock - 1),
    });
    indexer.start();
  });

  after(async () => {
    await indexer?.close();
    ledger?.close();
    await node?.stop();
    await dirs.cleanup();
  });

  it("projects what the contracts emit, and main.ts builds the same store in its own process", async () => {
    const now = (await ledger.head()).timestamp;
    const request = (label: string, severity = 0): AttestationRequestInput => ({
      schema: severity > 0 ? c.schemas.adminPenalty : c.schemas.taxPayment,
      subject: h("subject:acme"),
      dataHash: h(`data:${label}`),
      observedAt: now - 400n * DAY,
      expiresAt: 0n,
      severity,
    });
    const a = request("a");
    const b = request("b");
    const penalty = request("penalty", 1);
    await w.tax.attestMany([a, b]);
    await w.court.attest(penalty);
    const uid = (r: AttestationRequestInput, provider: Hex) => attestationUid({ ...r, provider });
    const [ua, ub, up] = [uid(a, c.ids.tax), uid(b, c.ids.tax), uid(penalty, c.ids.court)];

    const { batch, leaves } = recordBatch(4, "node-batch", () => h("subject:acme"));
    const leafUidsOnChain = leaves.map((_, i) =>
      batch.leafUid(i, { schema: c.schemas.taxPayment, provider: c.ids.tax }),
    );
    await w.tax.anchorBatch(c.schemas.taxPayment, batch.root, batch.length, "s3://node-batch");
    await w.lenderA.recordLeaf(batch.leafProof(1));

    const derive = {
      schema: c.schemas.creditScore,
      subject: h("subject:acme"),
      dataHash: h("score:acme"),
      modelHash: c.model,
      observedAt: now,
      inputs: [ua, up],
      leafInputs: [{ ...batch.leafProof(2) }],
    };
    await w.scorer.derive(derive);
    const scoreUid = derivedUid({
      ...derive,
      deriver: c.ids.scorer,
      inputs: [ua, up, leafUidsOnChain[2]],
    });
    await w.lenderA.openDispute(ub, h("not ours"));
    await w.lenderA.requestRepair(up, h("evidence"));
    await w.repairAuthority.decideRepair(up, true, h("repaired"));
    await w.tax.revoke(ua, h("wrong"));
    const proposal = await w.operator.propose({
      kind: "SetRoles",
      member: c.ids.lenderB,
      roles: Role.LENDER | Role.REGULATOR,
    });
    await w.regulator.approve(proposal.proposalId);
    const head = await ledger.head();
    await indexer.waitForBlock(head.number);
    await indexer.uploadBatchLeaves(batch.root, leaves);

    // projections
    expect((await indexer.getAttestation(ua))?.status).to.equal("revoked");
    expect((await indexer.getAttestation(ub))?.disputed).to.equal(true);
    expect((await indexer.getAttestation(up))?.repaired).to.equal(true);
    const score = await indexer.getAttestation(scoreUid);
    expect(score?.source).to.deep.equal({
      type: "derived",
      modelHash: c.model,
      inputs: [ua, up, leafUidsOnChain[2]],
    });
    expect(score?.stale?.reason).to.equal("repaired"); // the repair came before the revocation
    expect(score?.stale?.trigger).to.equal(up);
    expect((await indexer.getAttestation(leafUidsOnChain[1]))?.source).to.deep.equal({
      type: "batchLeaf",
      root: batch.root,
      index: 1,
      recorded: true,
      batchRevoked: false,
    });
    expect(
      (await indexer.listAttestationsBySubject(h("subject:acme"), { first: 100 })).items,
    ).to.have.length(8);
    expect((await indexer.getMember(c.ids.lenderB))?.roleNames).to.deep.equal([
      "LENDER",
      "REGULATOR",
    ]);
    expect((await indexer.getProposal(proposal.proposalId))?.status).to.equal("executed");
    expect((await indexer.memberByKey(c.address.taxAlt))?.member.id).to.equal(c.ids.tax);
    const status = await indexer.status();
    expect(status.checkpoint.number).to.equal(head.number);
    expect(status.secondsBehind).to.equal(0);

    // main.ts, its own process and database, stopped with SIGTERM once caught up
    const dir = await dirs.make();
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        path.join(REPO_ROOT, "indexer", "main.ts"),
        "--db",
        dir,
        "--rpc",
        node.url,
        "--consortium",
        c.addresses.consortium,
        "--registry",
        c.addresses.registry,
        "--from-block",
        String(c.deployBlock - 1),
        "--progress-ms",
        "100",
      ],
      { cwd: REPO_ROOT, stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    const exited = new Promise<number | null>((resolve) =>
      child.once("exit", (code) => {
        resolve(code);
      }),
    );
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`main.ts did not catch up:\n${stderr}`));
      }, 120_000);
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString("utf8");
        if (stderr.includes(`"checkpoint":"${head.number}"`)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.kill("SIGTERM");
    expect(await exited).to.equal(0);
    const other = await createIndexer({ db: dir, ledger });
    try {
      await other.uploadBatchLeaves(batch.root, leaves);
      expect(await other.digest()).to.equal(await indexer.digest());
    } finally {
      await other.close();
    }
  });
});
