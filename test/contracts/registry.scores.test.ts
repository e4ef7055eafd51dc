/**
 * CreditRegistry score batches (a SCORER anchors one Merkle root over the scores it computed with a
 * registered model) and the read views of empty and filled state.
 */
import { expect } from "chai";
import { ZeroHash } from "ethers";

import { buildMerkle, inputsHash, modelHash, Role } from "../../core/index.js";

import { ethers, h, loadDeployFixture, networkHelpers, type Fixture } from "./fixture.js";

/** A score batch as the scoring service builds it: leaves (subject, score, model hash, inputs hash). */
function scoreBatch(f: Fixture, label: string, count: number) {
  const leaves = Array.from({ length: count }, (_, i) => [
    h(`${label}:subject:${i}`),
    600n + BigInt(i),
    f.model,
    inputsHash([h(`${label}:input:${i}`)]),
  ]);
  return buildMerkle(["bytes32", "uint256", "bytes32", "bytes32"], leaves);
}

async function scoreBatchOf(f: Fixture, root: string) {
  const s = await f.registry.scoreBatch(root);
  return {
    scorer: s.scorer,
    count: s.count,
    anchoredAt: s.anchoredAt,
    asOfBlock: s.asOfBlock,
    modelHash: s.modelHash,
  };
}

describe("CreditRegistry: score batches", function () {
  it("anchors a score batch with the full payload", async function () {
    const f = await loadDeployFixture();
    const { registry, signers, ids, indexes, model } = f;
    const batch = scoreBatch(f, "minute-1", 5);
    const asOfBlock = BigInt(await ethers.provider.getBlockNumber());
    const t = BigInt(await networkHelpers.time.latest()) + 60n;
    await networkHelpers.time.setNextBlockTimestamp(t);
    await expect(registry.connect(signers.scorer).anchorScoreBatch(batch.root, model, 5, asOfBlock))
      .to.emit(registry, "ScoreBatchAnchored")
      .withArgs(batch.root, ids.scorer, model, 5, asOfBlock, await signers.scorer.getAddress());
    expect(await scoreBatchOf(f, batch.root)).to.deep.equal({
      scorer: indexes.scorer,
      count: 5n,
      anchoredAt: t,
      asOfBlock,
      modelHash: model,
    });
  });

  it("accepts asOfBlock up to the block it is mined in, and block 0", async function () {
    const f = await loadDeployFixture();
    const { registry, signers, model } = f;
    const current = BigInt(await ethers.provider.getBlockNumber()) + 1n;
    const a = scoreBatch(f, "current-block", 2);
    await expect(
      registry.connect(signers.scorer).anchorScoreBatch(a.root, model, 2, current),
    ).to.emit(registry, "ScoreBatchAnchored");
    const receipt = await ethers.provider.getTransactionReceipt(
      (await registry.queryFilter(registry.filters.ScoreBatchAnchored(a.root)))[0].transactionHash,
    );
    expect(BigInt(receipt?.blockNumber ?? -1)).to.equal(current);
    const b = scoreBatch(f, "genesis", 2);
    await expect(registry.connect(signers.scorer).anchorScoreBatch(b.root, model, 2, 0)).to.emit(
      registry,
      "ScoreBatchAnchored",
    );
  });

  it("accepts a model registered by another scorer", async function () {
    const f = await loadDeployFixture();
    const { consortium, registry, signers, ids, govern } = f;
    await govern({ kind: "SetRoles", member: ids.operator, roles: Role.OPERATOR | Role.SCORER });
    const other = modelHash({ name: "operator-model", version: 1 });
    await consortium.connect(signers.operator).registerModel(other, "credtrail://models/operator");
    const batch = scoreBatch(f, "other-model", 1);
    await expect(registry.connect(signers.scorer).anchorScoreBatch(batch.root, other, 1, 0))
      .to.emit(registry, "ScoreBatchAnchored")
      .withArgs(batch.root, ids.scorer, other, 1, 0, await signers.scorer.getAddress());
  });

  it("rejects an unknown model", async function () {
    const f = await loadDeployFixture();
    const unknown = h("unregistered model");
    await expect(
      f.registry
        .connect(f.signers.scorer)
        .anchorScoreBatch(scoreBatch(f, "x", 1).root, unknown, 1, 0),
    )
      .to.be.revertedWithCustomError(f.registry, "RegistryUnknownModel")
      .withArgs(unknown);
  });

  it("rejects a zero root, a zero count and an asOfBlock in the future (RegistryInvalidScoreBatch)", async function () {
    const f = await loadDeployFixture();
    const { registry, signers, model } = f;
    const root = scoreBatch(f, "invalid", 3).root;
    await expect(registry.connect(signers.scorer).anchorScoreBatch(ZeroHash, model, 3, 0))
      .to.be.revertedWithCustomError(registry, "RegistryInvalidScoreBatch")
      .withArgs(ZeroHash, 3);
    await expect(registry.connect(signers.scorer).anchorScoreBatch(root, model, 0, 0))
      .to.be.revertedWithCustomError(registry, "RegistryInvalidScoreBatch")
      .withArgs(root, 0);
    const future = BigInt(await ethers.provider.getBlockNumber()) + 2n;
    await expect(registry.connect(signers.scorer).anchorScoreBatch(root, model, 3, future))
      .to.be.revertedWithCustomError(registry, "RegistryInvalidScoreBatch")
      .withArgs(root, 3);
    await expect(
      registry.connect(signers.scorer).anchorScoreBatch(root, model, 3, (1n << 64n) - 1n),
    )
      .to.be.revertedWithCustomError(registry, "RegistryInvalidScoreBatch")
      .withArgs(root, 3);
  });

  it("rejects a root anchored before (RegistryScoreBatchExists)", async function () {
    const f = await loadDeployFixture();
    const { registry, signers, model } = f;
    const root = scoreBatch(f, "dup", 3).root;
    await registry.connect(signers.scorer).anchorScoreBatch(root, model, 3, 0);
    await expect(registry.connect(signers.scorer).anchorScoreBatch(root, model, 4, 1))
      .to.be.revertedWithCustomError(registry, "RegistryScoreBatchExists")
      .withArgs(root);
  });

  it("keeps record batches and score batches apart (the same root may be both)", async function () {
    const f = await loadDeployFixture();
    const { registry, signers, schemas, model } = f;
    const root = scoreBatch(f, "both", 2).root;
    await registry.connect(signers.scorer).anchorScoreBatch(root, model, 2, 0);
    await expect(
      registry.connect(signers.tax).anchorBatch(schemas.taxPayment, root, 2, ""),
    ).to.emit(registry, "BatchAnchored");
  });

  it("needs an active SCORER", async function () {
    const f = await loadDeployFixture();
    const { consortium, registry, signers, ids, model, govern } = f;
    const root = scoreBatch(f, "auth", 1).root;
    for (const who of ["tax", "lenderA", "regulator", "repairAuthority", "operator"] as const) {
      await expect(registry.connect(signers[who]).anchorScoreBatch(root, model, 1, 0))
        .to.be.revertedWithCustomError(consortium, "ConsortiumMissingRole")
        .withArgs(ids[who], Role.SCORER);
    }
    await expect(registry.connect(signers.outsider).anchorScoreBatch(root, model, 1, 0))
      .to.be.revertedWithCustomError(consortium, "ConsortiumUnknownKey")
      .withArgs(await signers.outsider.getAddress());
    await govern({ kind: "Suspend", member: ids.scorer });
    await expect(registry.connect(signers.scorer).anchorScoreBatch(root, model, 1, 0))
      .to.be.revertedWithCustomError(consortium, "ConsortiumMemberSuspended")
      .withArgs(ids.scorer);
  });
});

describe("CreditRegistry: views", function () {
  it("returns zero values for what does not exist", async function () {
    const f = await loadDeployFixture();
    const { registry, signers } = f;
    const nothing = h("nothing");
    const r = await registry.record(nothing);
    expect([r.owner, r.schema, r.observedAt, r.expiresAt, r.severity, r.status]).to.deep.equal([
      0n,
      0n,
      0n,
      0n,
      0n,
      0n,
    ]);
    expect([r.derived, r.disputed, r.repaired]).to.deep.equal([false, false, false]);
    expect(await registry.supersededBy(nothing)).to.equal(ZeroHash);
    const b = await registry.batch(nothing);
    expect([
      b.provider,
      b.schema,
      b.count,
      b.anchoredAt,
      b.revoked,
      b.schemaId,
      b.providerId,
    ]).to.deep.equal([0n, 0n, 0n, 0n, false, ZeroHash, ZeroHash]);
    const d = await registry.dispute(nothing);
    expect([d.opener, d.seq, d.openedAt, d.deadline, d.status, d.outcome]).to.deep.equal([
      0n,
      0n,
      0n,
      0n,
      0n,
      0n,
    ]);
    const p = await registry.repair(nothing);
    expect([p.requester, p.requestedAt, p.status]).to.deep.equal([0n, 0n, 0n]);
    const s = await registry.scoreBatch(nothing);
    expect([s.scorer, s.count, s.anchoredAt, s.asOfBlock, s.modelHash]).to.deep.equal([
      0n,
      0n,
      0n,
      0n,
      ZeroHash,
    ]);
    expect(await registry.nonceUsed(await signers.tax.getAddress(), 0n)).to.equal(false);
  });

  it("names its consortium", async function () {
    const { consortium, registry } = await loadDeployFixture();
    expect(await registry.consortium()).to.equal(await consortium.getAddress());
  });

  it("is readable by anyone (no key of the consortium needed)", async function () {
    const f = await loadDeployFixture();
    const { registry, signers, request, ids } = f;
    const req = request();
    await registry.connect(signers.tax).attest(req);
    const uid = await registry.attestationUid(req, ids.tax);
    const asOutsider = registry.connect(signers.outsider);
    expect((await asOutsider.record(uid)).status).to.equal(1n);
    expect(await asOutsider.attestationUid(req, ids.tax)).to.equal(uid);
  });
});
