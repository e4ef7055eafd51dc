/**
 * Consents and query-audit anchors: projected from their events, readable by id, by subject and by
 * (lender, subject, purpose) with `inForce` at the read clock; rolled back with a reorg.
 */
import { expect } from "chai";

import { consentId, purposeHash, type LedgerEvent } from "../../core/index.js";
import type { Indexer } from "../../indexer/index.js";
import type { Chain } from "./fixtures.js";
import {
  DAY,
  KEY,
  M,
  T0,
  consortiumGenesis,
  createChain,
  h,
  openIndexer,
  subject,
  tempDirs,
} from "./fixtures.js";

const PURPOSE = purposeHash("credit-assessment");

function recorded(lender: typeof M.bank, s: typeof M.bank, expiresAt: bigint): LedgerEvent {
  return {
    kind: "ConsentRecorded",
    consentId: consentId({ lender, subject: s, purposeHash: PURPOSE }),
    subject: s,
    lender,
    purposeHash: PURPOSE,
    expiresAt,
    evidenceHash: h(`doc:${expiresAt}`),
    signer: KEY.bank,
  };
}

describe("indexer consents and audit anchors", () => {
  const dirs = tempDirs();
  let indexer: Indexer;
  let chain: Chain;
  let now = Number(T0) * 1000;
  const s = subject("acme");
  const id = consentId({ lender: M.bank, subject: s, purposeHash: PURPOSE });

  beforeEach(async () => {
    now = Number(T0) * 1000;
    chain = createChain();
    ({ indexer } = await openIndexer(dirs, { clock: () => now }));
    await indexer.handle(chain.add(consortiumGenesis()));
  });
  afterEach(async () => {
    await indexer.close();
    await dirs.cleanup();
  });

  it("projects a consent and answers whether it is in force", async () => {
    expect(await indexer.findConsent(M.bank, s, PURPOSE)).to.equal(null);
    await indexer.handle(chain.add([recorded(M.bank, s, T0 + 30n * DAY)]));
    const found = await indexer.findConsent(M.bank, s, PURPOSE);
    expect(found?.consentId).to.equal(id);
    expect(found?.inForce).to.equal(true);
    expect(found?.expiresAt).to.equal(T0 + 30n * DAY);
    expect(await indexer.findConsent(M.court, s, PURPOSE)).to.equal(null);

    now = Number(T0 + 30n * DAY) * 1000;
    expect((await indexer.findConsent(M.bank, s, PURPOSE))?.inForce).to.equal(false);

    // renewal replaces the expiry
    await indexer.handle(chain.add([recorded(M.bank, s, T0 + 60n * DAY)]));
    expect((await indexer.findConsent(M.bank, s, PURPOSE))?.inForce).to.equal(true);
    const page = await indexer.listConsentsBySubject(s);
    expect(page.items.map((c) => c.consentId)).to.deep.equal([id]);
  });

  it("marks a revoked consent and rolls it back with a reorg", async () => {
    await indexer.handle(chain.add([recorded(M.bank, s, T0 + 30n * DAY)]));
    const before = await indexer.digest();
    const revokedBlock = chain.add([
      { kind: "ConsentRevoked", consentId: id, subject: s, lender: M.bank, signer: KEY.bank },
    ]);
    await indexer.handle(revokedBlock);
    const revoked = await indexer.getConsent(id);
    expect(revoked?.revoked).to.equal(true);
    expect(revoked?.revokedAudit?.block).to.equal(revokedBlock.block.number);
    expect((await indexer.findConsent(M.bank, s, PURPOSE))?.inForce).to.equal(false);

    const ancestor = chain.block(revokedBlock.block.number - 1n).block;
    await indexer.handle({
      type: "reorg",
      ancestor: { number: ancestor.number, hash: ancestor.hash },
      dropped: { number: revokedBlock.block.number, hash: revokedBlock.block.hash },
    });
    expect(await indexer.digest()).to.equal(before);
    expect((await indexer.findConsent(M.bank, s, PURPOSE))?.inForce).to.equal(true);
  });

  it("projects audit anchors, newest first", async () => {
    const anchor = (n: number): LedgerEvent => ({
      kind: "AuditAnchored",
      root: h(`audit:${n}`),
      node: M.operator,
      count: n,
      fromTime: T0,
      toTime: T0 + BigInt(n),
      signer: KEY.operator,
    });
    await indexer.handle(chain.add([anchor(1)]));
    await indexer.handle(chain.add([anchor(2)]));
    expect((await indexer.getAuditAnchor(h("audit:1")))?.count).to.equal(1);
    const page = await indexer.listAuditAnchors();
    expect(page.items.map((a) => a.root)).to.deep.equal([h("audit:2"), h("audit:1")]);
  });
});
