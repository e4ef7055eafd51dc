/**
 * The query audit log anchored through a real LedgerWriter on a Hardhat node: the operator's
 * anchor lands as an AuditAnchored event, the indexer (sharing the node's LevelDB) projects it,
 * and every entry verifies against the root found on the ledger — what a regulator checks. A
 * member without OPERATOR is refused by the contract and the entries stay pending.
 */
import { expect } from "chai";
import { Level } from "level";

import type { Hex } from "../../core/index.js";
import { LedgerError } from "../../core/index.js";
import { createQueryAuditLog, verifyAuditEntry } from "../../gateway/audit/index.js";
import type { Indexer } from "../../indexer/index.js";
import { createIndexer } from "../../indexer/index.js";
import type { EvmLedger, LedgerWriter, Receipt } from "../../ledger/index.js";
import { createEvmLedger } from "../../ledger/index.js";
import type { TestConsortium } from "../helpers/evmConsortium.js";
import { TEST_KEYS, deployTestConsortium } from "../helpers/evmConsortium.js";
import type { HardhatNode } from "../helpers/hardhatNode.js";
import { startHardhatNode } from "../helpers/hardhatNode.js";
import { h, subject, tempDirs } from "../indexer/fixtures.js";

describe("gateway audit log anchored on a Hardhat node", function () {
  this.timeout(240_000);
  const dirs = tempDirs();
  let node: HardhatNode;
  let c: TestConsortium;
  let ledger: EvmLedger;
  let db: Level;
  let indexer: Indexer;
  let operator: LedgerWriter;
  let lender: LedgerWriter;

  before(async () => {
    node = await startHardhatNode();
    c = await deployTestConsortium(node.url);
    ledger = await createEvmLedger({
      rpcUrl: node.url,
      addresses: c.addresses,
      pollIntervalMs: 50,
    });
    operator = ledger.writer(TEST_KEYS.operator);
    lender = ledger.writer(TEST_KEYS.lenderA);
    db = new Level(await dirs.make());
    await db.open();
    indexer = await createIndexer({ db, ledger, fromBlock: BigInt(c.deployBlock - 1) });
    indexer.start();
  });

  after(async () => {
    await indexer?.close();
    await db?.close();
    ledger?.close();
    await node?.stop();
    await dirs.cleanup();
  });

  it("anchors the log with the operator's key; the root on the ledger proves every entry", async () => {
    let writer = lender;
    const receipts: Receipt[] = [];
    const log = createQueryAuditLog({
      db,
      clock: () => Date.now(),
      anchor: async (root, count, fromTime, toTime) => {
        const receipt = await writer.anchorAuditLog(root, count, fromTime, toTime);
        receipts.push(receipt);
        return receipt;
      },
    });
    // the entries are in the past: the contract refuses an anchor whose toTime is after its block
    const now = BigInt(Date.now() - 10_000);
    for (let i = 0; i < 5; i++) {
      await log.record({
        member: c.ids.lenderA,
        key: c.address.lenderA,
        subject: subject(i % 2),
        purpose: "credit-assessment",
        operation: "subject.score",
        at: now + BigInt(i) * 1000n,
      });
    }

    // Bank A holds no OPERATOR role: the contract refuses, nothing is marked anchored.
    let error: unknown;
    try {
      await log.anchorNow();
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(LedgerError);
    expect(await log.pendingCount()).to.equal(5);

    writer = operator;
    const result = await log.anchorNow();
    expect(result?.count).to.equal(5);
    const root = result?.root ?? h("none");
    expect(receipts).to.have.length(1);
    const [receipt] = receipts;
    expect(result?.txHash).to.equal(receipt.txHash);
    expect(receipt.events).to.deep.equal([
      {
        kind: "AuditAnchored",
        root,
        node: c.ids.operator,
        count: 5,
        fromTime: now / 1000n,
        toTime: (now + 4000n) / 1000n,
        signer: c.address.operator,
      },
    ]);
    const rpc = (await (
      await fetch(node.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "eth_getTransactionReceipt",
          params: [receipt.txHash],
        }),
      })
    ).json()) as { result: { status: string; blockHash: Hex } };
    expect(rpc.result.status).to.equal("0x1");
    expect(rpc.result.blockHash).to.equal(receipt.blockHash);

    // The regulator: the indexer (same LevelDB) has the root from the ledger; each entry verifies.
    await indexer.waitForBlock(receipt.blockNumber);
    const onLedger = await indexer.getAuditAnchor(root);
    expect(onLedger).to.include({ root, node: c.ids.operator, count: 5 });
    const { items } = await log.list({ first: 10 });
    expect(items).to.have.length(5);
    for (const { anchor, ...entry } of items) {
      expect(anchor).to.deep.include({ root, txHash: receipt.txHash });
      expect(verifyAuditEntry(entry, anchor ?? { root, proof: [] })).to.equal(true);
      expect(
        verifyAuditEntry({ ...entry, purpose: "marketing" }, anchor ?? { root, proof: [] }),
      ).to.equal(false);
    }
    await log.stop();
  });
});
