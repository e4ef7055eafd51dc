/**
 * CreditRegistry consent (a LENDER records a subject's consent to read its data for a purpose, with
 * an expiry) and the query-audit anchors (an OPERATOR's gateway node anchors a Merkle root of its
 * audit log).
 */
import { expect } from "chai";
import { ZeroHash } from "ethers";

import { consentId, purposeHash, Role } from "../../core/index.js";

import { DAY, h, loadDeployFixture, networkHelpers, type Fixture } from "./fixture.js";

const PURPOSE = purposeHash("credit-assessment");

async function consentOf(f: Fixture, id: string) {
  const c = await f.registry.consent(id);
  return { lender: c.lender, grantedAt: c.grantedAt, expiresAt: c.expiresAt, revoked: c.revoked };
}

describe("CreditRegistry: consent", function () {
  it("records a consent with its id, payload and expiry, and renews it", async function () {
    const f = await loadDeployFixture();
    const { registry, signers, ids, indexes } = f;
    const subject = h("subject");
    const now = BigInt(await networkHelpers.time.latest());
    const id = consentId({ lender: ids.lenderA, subject, purposeHash: PURPOSE });
    expect(await registry.hasConsent(ids.lenderA, subject, PURPOSE)).to.equal(false);

    await networkHelpers.time.setNextBlockTimestamp(now + 10n);
    await expect(
      registry.connect(signers.lenderA).recordConsent(subject, PURPOSE, now + 30n * DAY, h("doc")),
    )
      .to.emit(registry, "ConsentRecorded")
      .withArgs(
        id,
        subject,
        ids.lenderA,
        PURPOSE,
        now + 30n * DAY,
        h("doc"),
        await signers.lenderA.getAddress(),
      );
    expect(await consentOf(f, id)).to.deep.equal({
      lender: indexes.lenderA,
      grantedAt: now + 10n,
      expiresAt: now + 30n * DAY,
      revoked: false,
    });
    expect(await registry.hasConsent(ids.lenderA, subject, PURPOSE)).to.equal(true);
    // another lender, another purpose: no consent
    expect(await registry.hasConsent(ids.lenderB, subject, PURPOSE)).to.equal(false);
    expect(await registry.hasConsent(ids.lenderA, subject, purposeHash("marketing"))).to.equal(
      false,
    );

    // it lapses at its expiry, and recording again renews it
    await networkHelpers.time.increaseTo(now + 30n * DAY);
    expect(await registry.hasConsent(ids.lenderA, subject, PURPOSE)).to.equal(false);
    await registry
      .connect(signers.lenderA)
      .recordConsent(subject, PURPOSE, now + 60n * DAY, h("doc2"));
    expect(await registry.hasConsent(ids.lenderA, subject, PURPOSE)).to.equal(true);
  });

  it("is revoked by its lender only, once", async function () {
    const f = await loadDeployFixture();
    const { registry, signers, ids } = f;
    const subject = h("subject");
    const now = BigInt(await networkHelpers.time.latest());
    const id = consentId({ lender: ids.lenderA, subject, purposeHash: PURPOSE });
    await registry.connect(signers.lenderA).recordConsent(subject, PURPOSE, now + DAY, ZeroHash);

    // lender B has no consent of its own to revoke
    const idB = consentId({ lender: ids.lenderB, subject, purposeHash: PURPOSE });
    await expect(registry.connect(signers.lenderB).revokeConsent(subject, PURPOSE))
      .to.be.revertedWithCustomError(registry, "RegistryNoConsent")
      .withArgs(idB);

    await expect(registry.connect(signers.lenderA).revokeConsent(subject, PURPOSE))
      .to.emit(registry, "ConsentRevoked")
      .withArgs(id, subject, ids.lenderA, await signers.lenderA.getAddress());
    expect(await registry.hasConsent(ids.lenderA, subject, PURPOSE)).to.equal(false);
    expect((await consentOf(f, id)).revoked).to.equal(true);
    await expect(registry.connect(signers.lenderA).revokeConsent(subject, PURPOSE))
      .to.be.revertedWithCustomError(registry, "RegistryNoConsent")
      .withArgs(id);
  });

  it("needs a LENDER, a subject, a purpose and a future expiry", async function () {
    const f = await loadDeployFixture();
    const { consortium, registry, signers, ids } = f;
    const now = BigInt(await networkHelpers.time.latest());
    const subject = h("subject");
    await expect(registry.connect(signers.tax).recordConsent(subject, PURPOSE, now + DAY, ZeroHash))
      .to.be.revertedWithCustomError(consortium, "ConsortiumMissingRole")
      .withArgs(ids.tax, Role.LENDER);
    await expect(registry.connect(signers.tax).revokeConsent(subject, PURPOSE))
      .to.be.revertedWithCustomError(consortium, "ConsortiumMissingRole")
      .withArgs(ids.tax, Role.LENDER);
    const lender = registry.connect(signers.lenderA);
    await expect(lender.recordConsent(ZeroHash, PURPOSE, now + DAY, ZeroHash))
      .to.be.revertedWithCustomError(registry, "RegistryInvalidConsent")
      .withArgs(ZeroHash, PURPOSE, now + DAY);
    await expect(lender.recordConsent(subject, ZeroHash, now + DAY, ZeroHash))
      .to.be.revertedWithCustomError(registry, "RegistryInvalidConsent")
      .withArgs(subject, ZeroHash, now + DAY);
    await expect(lender.recordConsent(subject, PURPOSE, now, ZeroHash))
      .to.be.revertedWithCustomError(registry, "RegistryInvalidConsent")
      .withArgs(subject, PURPOSE, now);
    const tooLate = 1n << 40n;
    await expect(lender.recordConsent(subject, PURPOSE, tooLate, ZeroHash))
      .to.be.revertedWithCustomError(registry, "RegistryInvalidConsent")
      .withArgs(subject, PURPOSE, tooLate);
  });
});

describe("CreditRegistry: query audit anchors", function () {
  it("anchors an audit-log root with its payload", async function () {
    const f = await loadDeployFixture();
    const { registry, signers, ids, indexes } = f;
    const now = BigInt(await networkHelpers.time.latest());
    await networkHelpers.time.setNextBlockTimestamp(now + 5n);
    await expect(registry.connect(signers.operator).anchorAuditLog(h("log-1"), 42, now - 60n, now))
      .to.emit(registry, "AuditAnchored")
      .withArgs(h("log-1"), ids.operator, 42, now - 60n, now, await signers.operator.getAddress());
    const a = await registry.auditAnchor(h("log-1"));
    expect([a.node, a.count, a.anchoredAt, a.fromTime, a.toTime]).to.deep.equal([
      indexes.operator,
      42n,
      now + 5n,
      now - 60n,
      now,
    ]);
    expect((await registry.auditAnchor(h("unknown"))).node).to.equal(0n);
  });

  it("reverts for a non-operator, a zero root or count, bad times and a duplicate", async function () {
    const f = await loadDeployFixture();
    const { consortium, registry, signers, ids } = f;
    const now = BigInt(await networkHelpers.time.latest());
    await expect(registry.connect(signers.lenderA).anchorAuditLog(h("r"), 1, now, now))
      .to.be.revertedWithCustomError(consortium, "ConsortiumMissingRole")
      .withArgs(ids.lenderA, Role.OPERATOR);
    const op = registry.connect(signers.operator);
    for (const [root, count, from, to] of [
      [ZeroHash, 1, now, now],
      [h("r"), 0, now, now],
      [h("r"), 1, now, now - 1n],
      [h("r"), 1, now, now + DAY],
    ] as const) {
      await expect(op.anchorAuditLog(root, count, from, to))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidAuditAnchor")
        .withArgs(root, count);
    }
    await op.anchorAuditLog(h("r"), 1, now, now);
    await expect(op.anchorAuditLog(h("r"), 2, now, now))
      .to.be.revertedWithCustomError(registry, "RegistryAuditAnchorExists")
      .withArgs(h("r"));
  });
});
