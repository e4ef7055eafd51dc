/**
 * CreditRegistry batches: a provider anchors one Merkle root (core buildRecordBatch, an OpenZeppelin
 * StandardMerkleTree) over many record leaves; each leaf is provable on chain (verifyLeaf) and may get
 * its own record (recordLeaf); the provider may revoke the whole batch.
 */
import { expect } from "chai";
import { ZeroHash } from "ethers";

import {
  buildMerkle,
  buildRecordBatch,
  RECORD_LEAF_TYPES,
  RecordStatus,
  recordLeafHash,
  recordLeafUid,
  Role,
  type Hex,
} from "../../core/index.js";

import {
  coreAttestationUid,
  DAY,
  h,
  leafInput,
  loadDeployFixture,
  networkHelpers,
  recordLeaves,
  recordOf,
  YEAR,
  type LeafInputStruct,
} from "./fixture.js";

const URI = "credtrail://batches/2026-01-15/tax.payment.jsonl";

describe("CreditRegistry: batches", function () {
  describe("anchorBatch", function () {
    it("stores the batch and emits BatchAnchored with the full payload", async function () {
      const { registry, signers, ids, indexes, schemas, schemaIndexes, now } =
        await loadDeployFixture();
      const batch = buildRecordBatch(recordLeaves("anchor", 10, now));
      const t = BigInt(await networkHelpers.time.latest()) + 5n;
      await networkHelpers.time.setNextBlockTimestamp(t);
      await expect(
        registry.connect(signers.tax).anchorBatch(schemas.taxPayment, batch.root, 10, URI),
      )
        .to.emit(registry, "BatchAnchored")
        .withArgs(batch.root, ids.tax, schemas.taxPayment, 10, URI, await signers.tax.getAddress());
      const b = await registry.batch(batch.root);
      expect({
        provider: b.provider,
        schema: b.schema,
        count: b.count,
        anchoredAt: b.anchoredAt,
        revoked: b.revoked,
        schemaId: b.schemaId,
        providerId: b.providerId,
      }).to.deep.equal({
        provider: indexes.tax,
        schema: schemaIndexes.taxPayment,
        count: 10n,
        anchoredAt: t,
        revoked: false,
        schemaId: schemas.taxPayment,
        providerId: ids.tax,
      });
    });

    it("accepts any key of an accredited provider, an empty uri and the largest count", async function () {
      const { registry, signers, ids, schemas, now } = await loadDeployFixture();
      const a = buildRecordBatch(recordLeaves("a", 1, now));
      await expect(
        registry.connect(signers.taxAlt).anchorBatch(schemas.taxGrade, a.root, 0xffffffff, ""),
      )
        .to.emit(registry, "BatchAnchored")
        .withArgs(
          a.root,
          ids.tax,
          schemas.taxGrade,
          0xffffffff,
          "",
          await signers.taxAlt.getAddress(),
        );
      const b = buildRecordBatch(recordLeaves("b", 3, now));
      await expect(
        registry.connect(signers.court).anchorBatch(schemas.adminPenalty, b.root, 3, URI),
      )
        .to.emit(registry, "BatchAnchored")
        .withArgs(
          b.root,
          ids.court,
          schemas.adminPenalty,
          3,
          URI,
          await signers.court.getAddress(),
        );
    });

    it("rejects a zero root or a zero count (RegistryInvalidBatch)", async function () {
      const { registry, signers, schemas, now } = await loadDeployFixture();
      const batch = buildRecordBatch(recordLeaves("x", 2, now));
      await expect(registry.connect(signers.tax).anchorBatch(schemas.taxPayment, ZeroHash, 2, URI))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidBatch")
        .withArgs(ZeroHash, 2);
      await expect(
        registry.connect(signers.tax).anchorBatch(schemas.taxPayment, batch.root, 0, URI),
      )
        .to.be.revertedWithCustomError(registry, "RegistryInvalidBatch")
        .withArgs(batch.root, 0);
    });

    it("rejects a root anchored before, by the same or another provider (RegistryBatchExists)", async function () {
      const { registry, signers, schemas, now } = await loadDeployFixture();
      const batch = buildRecordBatch(recordLeaves("dup", 4, now));
      await registry.connect(signers.tax).anchorBatch(schemas.taxPayment, batch.root, 4, URI);
      await expect(registry.connect(signers.tax).anchorBatch(schemas.taxGrade, batch.root, 4, URI))
        .to.be.revertedWithCustomError(registry, "RegistryBatchExists")
        .withArgs(batch.root);
      await expect(
        registry.connect(signers.court).anchorBatch(schemas.adminPenalty, batch.root, 4, URI),
      )
        .to.be.revertedWithCustomError(registry, "RegistryBatchExists")
        .withArgs(batch.root);
      // a revoked root stays taken
      await registry.connect(signers.tax).revokeBatch(batch.root, h("reason"));
      await expect(
        registry.connect(signers.tax).anchorBatch(schemas.taxPayment, batch.root, 4, URI),
      )
        .to.be.revertedWithCustomError(registry, "RegistryBatchExists")
        .withArgs(batch.root);
    });

    it("needs a key of a provider accredited for the schema's category", async function () {
      const {
        consortium,
        registry,
        signers,
        ids,
        categories,
        schemas,
        scopeExpiresAt,
        govern,
        now,
      } = await loadDeployFixture();
      const root = buildRecordBatch(recordLeaves("auth", 2, now)).root;
      await expect(registry.connect(signers.outsider).anchorBatch(schemas.taxPayment, root, 2, URI))
        .to.be.revertedWithCustomError(consortium, "ConsortiumUnknownKey")
        .withArgs(await signers.outsider.getAddress());
      await expect(registry.connect(signers.lenderA).anchorBatch(schemas.taxPayment, root, 2, URI))
        .to.be.revertedWithCustomError(consortium, "ConsortiumMissingRole")
        .withArgs(ids.lenderA, Role.PROVIDER);
      await expect(
        registry.connect(signers.tax).anchorBatch(schemas.judicialEnforcement, root, 2, URI),
      )
        .to.be.revertedWithCustomError(consortium, "ConsortiumNotAccredited")
        .withArgs(ids.tax, categories.judicialEnforcement);
      const unknown = h("unknown schema");
      await expect(registry.connect(signers.tax).anchorBatch(unknown, root, 2, URI))
        .to.be.revertedWithCustomError(consortium, "ConsortiumUnknownSchema")
        .withArgs(unknown);
      await govern({ kind: "Suspend", member: ids.court });
      await expect(registry.connect(signers.court).anchorBatch(schemas.adminPenalty, root, 2, URI))
        .to.be.revertedWithCustomError(consortium, "ConsortiumMemberSuspended")
        .withArgs(ids.court);
      await networkHelpers.time.increaseTo(scopeExpiresAt);
      await expect(registry.connect(signers.tax).anchorBatch(schemas.taxPayment, root, 2, URI))
        .to.be.revertedWithCustomError(consortium, "ConsortiumAccreditationExpired")
        .withArgs(ids.tax, categories.taxPayment, scopeExpiresAt);
    });
  });

  describe("verifyLeaf", function () {
    it("is true for every leaf of a core-built batch once anchored, false before", async function () {
      const { registry, signers, schemas, now } = await loadDeployFixture();
      const batch = buildRecordBatch(recordLeaves("verify", 13, now));
      expect(await registry.verifyLeaf(leafInput(batch, 0))).to.equal(false);
      await registry
        .connect(signers.tax)
        .anchorBatch(schemas.taxPayment, batch.root, batch.length, URI);
      for (let i = 0; i < batch.length; ++i) {
        expect(await registry.verifyLeaf(leafInput(batch, i)), `leaf ${i}`).to.equal(true);
      }
    });

    it("verifies a one-leaf batch (empty proof)", async function () {
      const { registry, signers, schemas, now } = await loadDeployFixture();
      const batch = buildRecordBatch(recordLeaves("single", 1, now));
      expect(batch.proof(0)).to.deep.equal([]);
      await registry.connect(signers.tax).anchorBatch(schemas.taxPayment, batch.root, 1, URI);
      expect(await registry.verifyLeaf(leafInput(batch, 0))).to.equal(true);
    });

    it("is false for a tampered leaf, a wrong proof or an unknown root", async function () {
      const { registry, signers, schemas, now } = await loadDeployFixture();
      const batch = buildRecordBatch(recordLeaves("tamper", 8, now));
      await registry.connect(signers.tax).anchorBatch(schemas.taxPayment, batch.root, 8, URI);
      const leaf = leafInput(batch, 3);
      const tampered: LeafInputStruct[] = [
        { ...leaf, subject: h("another subject") },
        { ...leaf, dataHash: h("another record") },
        { ...leaf, observedAt: BigInt(leaf.observedAt) + 1n },
        { ...leaf, expiresAt: 0n },
        { ...leaf, severity: (Number(leaf.severity) + 1) % 4 },
        { ...leaf, proof: batch.proof(4) },
        { ...leaf, proof: (leaf.proof as Hex[]).slice(1) },
        { ...leaf, proof: [] },
        { ...leaf, root: h("unknown root") },
      ];
      for (const [i, t] of tampered.entries())
        expect(await registry.verifyLeaf(t), `case ${i}`).to.equal(false);
      // an intermediate node of the tree is not a leaf (the double hash of leaves prevents that)
      const sibling = (leaf.proof as Hex[])[0];
      expect(
        await registry.verifyLeaf({
          ...leaf,
          subject: sibling,
          proof: (leaf.proof as Hex[]).slice(1),
        }),
      ).to.equal(false);
    });

    it("still proves membership of a revoked batch (the leaf was in it)", async function () {
      const { registry, signers, schemas, now } = await loadDeployFixture();
      const batch = buildRecordBatch(recordLeaves("revoked-verify", 3, now));
      await registry.connect(signers.tax).anchorBatch(schemas.taxPayment, batch.root, 3, URI);
      await registry.connect(signers.tax).revokeBatch(batch.root, h("reason"));
      expect(await registry.verifyLeaf(leafInput(batch, 1))).to.equal(true);
    });
  });

  describe("recordLeaf", function () {
    it("gives a leaf its own record: uid = core attestationUid with the batch's schema and provider", async function () {
      const { registry, signers, ids, indexes, schemas, schemaIndexes, now } =
        await loadDeployFixture();
      const batch = buildRecordBatch(recordLeaves("record", 6, now));
      await registry.connect(signers.tax).anchorBatch(schemas.taxGrade, batch.root, 6, URI);
      for (let i = 0; i < batch.length; ++i) {
        const leaf = leafInput(batch, i);
        const uid = batch.leafUid(i, { schema: schemas.taxGrade, provider: ids.tax });
        expect(uid).to.equal(
          recordLeafUid(batch.leaves[i], { schema: schemas.taxGrade, provider: ids.tax }),
        );
        expect(uid).to.equal(
          coreAttestationUid({ schema: schemas.taxGrade, ...batch.leaves[i] }, ids.tax),
        );
        // anyone may record a leaf
        expect(await registry.connect(signers.outsider).recordLeaf.staticCall(leaf)).to.equal(uid);
        await expect(registry.connect(signers.outsider).recordLeaf(leaf))
          .to.emit(registry, "LeafRecorded")
          .withArgs(
            uid,
            batch.root,
            leaf.subject,
            leaf.dataHash,
            leaf.observedAt,
            leaf.expiresAt,
            leaf.severity,
          );
        expect(await recordOf(registry, uid)).to.deep.equal({
          owner: indexes.tax,
          schema: schemaIndexes.taxGrade,
          observedAt: BigInt(leaf.observedAt),
          expiresAt: BigInt(leaf.expiresAt),
          severity: BigInt(leaf.severity),
          status: BigInt(RecordStatus.Active),
          derived: false,
          disputed: false,
          repaired: false,
          batchLeaf: true,
        });
      }
    });

    it("shares the uid space with direct attestations of the same record", async function () {
      const { registry, signers, ids, schemas, now } = await loadDeployFixture();
      const batch = buildRecordBatch(recordLeaves("shared", 2, now, { observedAt: now - DAY }));
      await registry.connect(signers.tax).anchorBatch(schemas.taxPayment, batch.root, 2, URI);
      const req = { schema: schemas.taxPayment, ...batch.leaves[0] };
      const uid = batch.leafUid(0, { schema: schemas.taxPayment, provider: ids.tax });
      await registry.connect(signers.tax).attest(req);
      await expect(registry.recordLeaf(leafInput(batch, 0)))
        .to.be.revertedWithCustomError(registry, "RegistryRecordExists")
        .withArgs(uid);
      const uid1 = batch.leafUid(1, { schema: schemas.taxPayment, provider: ids.tax });
      await registry.recordLeaf(leafInput(batch, 1));
      await expect(
        registry.connect(signers.tax).attest({ schema: schemas.taxPayment, ...batch.leaves[1] }),
      )
        .to.be.revertedWithCustomError(registry, "RegistryRecordExists")
        .withArgs(uid1);
    });

    it("rejects a bad proof naming the root and the leaf hash core computes", async function () {
      const { registry, signers, schemas, now } = await loadDeployFixture();
      const batch = buildRecordBatch(recordLeaves("bad-proof", 5, now));
      await registry.connect(signers.tax).anchorBatch(schemas.taxPayment, batch.root, 5, URI);
      const leaf = leafInput(batch, 2);
      const tampered = { ...leaf, dataHash: h("forged") };
      await expect(registry.recordLeaf(tampered))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidProof")
        .withArgs(batch.root, recordLeafHash({ ...batch.leaves[2], dataHash: h("forged") }));
      await expect(registry.recordLeaf({ ...leaf, proof: batch.proof(1) }))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidProof")
        .withArgs(batch.root, batch.leafHash(2));
    });

    it("rejects an unknown batch, a revoked batch, and a leaf recorded before", async function () {
      const { registry, signers, ids, schemas, now } = await loadDeployFixture();
      const batch = buildRecordBatch(recordLeaves("states", 4, now));
      await expect(registry.recordLeaf(leafInput(batch, 0)))
        .to.be.revertedWithCustomError(registry, "RegistryUnknownBatch")
        .withArgs(batch.root);
      await registry.connect(signers.tax).anchorBatch(schemas.taxPayment, batch.root, 4, URI);
      await registry.recordLeaf(leafInput(batch, 0));
      await expect(registry.recordLeaf(leafInput(batch, 0)))
        .to.be.revertedWithCustomError(registry, "RegistryRecordExists")
        .withArgs(batch.leafUid(0, { schema: schemas.taxPayment, provider: ids.tax }));
      await registry.connect(signers.tax).revokeBatch(batch.root, h("wrong batch"));
      await expect(registry.recordLeaf(leafInput(batch, 1)))
        .to.be.revertedWithCustomError(registry, "RegistryBatchRevoked")
        .withArgs(batch.root);
    });

    it("applies the record rules to a leaf that is in the tree but not a valid record", async function () {
      const { registry, signers, schemas, now } = await loadDeployFixture();
      // core's buildRecordBatch refuses such leaves; the generic tree builder does not check them
      const bad: [Hex, Hex, bigint, bigint, number][] = [
        [h("s0"), h("d0"), now - DAY, 0n, 4],
        [ZeroHash as Hex, h("d1"), now - DAY, 0n, 0],
        [h("s2"), ZeroHash as Hex, now - DAY, 0n, 0],
        [h("s3"), h("d3"), 0n, 0n, 0],
        [h("s4"), h("d4"), now - DAY, now - DAY, 0],
        [h("s5"), h("d5"), now - DAY, 1n << 40n, 0],
        [h("s6"), h("d6"), (1n << 40n) + 5n, 0n, 0],
      ];
      const tree = buildMerkle(RECORD_LEAF_TYPES, bad);
      await registry
        .connect(signers.tax)
        .anchorBatch(schemas.taxPayment, tree.root, bad.length, URI);
      const leaf = (i: number): LeafInputStruct => {
        const [subject, dataHash, observedAt, expiresAt, severity] = bad[i];
        return {
          root: tree.root,
          subject,
          dataHash,
          observedAt,
          expiresAt,
          severity,
          proof: tree.proof(i),
        };
      };
      for (let i = 0; i < bad.length; ++i)
        expect(await registry.verifyLeaf(leaf(i)), `leaf ${i} in tree`).to.equal(true);
      await expect(registry.recordLeaf(leaf(0)))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidSeverity")
        .withArgs(4);
      await expect(registry.recordLeaf(leaf(1)))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidRecord")
        .withArgs(ZeroHash, bad[1][1]);
      await expect(registry.recordLeaf(leaf(2)))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidRecord")
        .withArgs(bad[2][0], ZeroHash);
      await expect(registry.recordLeaf(leaf(3)))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidTimes")
        .withArgs(0, 0);
      await expect(registry.recordLeaf(leaf(4)))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidTimes")
        .withArgs(now - DAY, now - DAY);
      // beyond uint40 a time would be stored truncated (2^40 as 0: "never expires")
      await expect(registry.recordLeaf(leaf(5)))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidTimes")
        .withArgs(now - DAY, 1n << 40n);
      await expect(registry.recordLeaf(leaf(6)))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidTimes")
        .withArgs((1n << 40n) + 5n, 0);
    });
  });

  describe("revokeBatch", function () {
    it("lets the batch's provider revoke it, with any of its keys", async function () {
      const { registry, signers, ids, schemas, now } = await loadDeployFixture();
      const batch = buildRecordBatch(recordLeaves("revoke", 3, now));
      await registry.connect(signers.tax).anchorBatch(schemas.taxPayment, batch.root, 3, URI);
      const reason = h("submitted the wrong file");
      await expect(registry.connect(signers.taxAlt).revokeBatch(batch.root, reason))
        .to.emit(registry, "BatchRevoked")
        .withArgs(batch.root, ids.tax, reason, await signers.taxAlt.getAddress());
      const b = await registry.batch(batch.root);
      expect(b.revoked).to.equal(true);
      expect(b.count).to.equal(3n);
      expect(b.providerId).to.equal(ids.tax);
    });

    it("rejects another provider (RegistryNotOwner) and a non-provider", async function () {
      const { consortium, registry, signers, ids, schemas, now } = await loadDeployFixture();
      const batch = buildRecordBatch(recordLeaves("owner", 3, now));
      await registry.connect(signers.tax).anchorBatch(schemas.taxPayment, batch.root, 3, URI);
      await expect(registry.connect(signers.court).revokeBatch(batch.root, h("r")))
        .to.be.revertedWithCustomError(registry, "RegistryNotOwner")
        .withArgs(batch.root, ids.court);
      await expect(registry.connect(signers.lenderA).revokeBatch(batch.root, h("r")))
        .to.be.revertedWithCustomError(consortium, "ConsortiumMissingRole")
        .withArgs(ids.lenderA, Role.PROVIDER);
      await expect(registry.connect(signers.outsider).revokeBatch(batch.root, h("r")))
        .to.be.revertedWithCustomError(consortium, "ConsortiumUnknownKey")
        .withArgs(await signers.outsider.getAddress());
    });

    it("rejects an unknown batch and a second revocation (RegistryBatchRevoked)", async function () {
      const { registry, signers, schemas, now } = await loadDeployFixture();
      const batch = buildRecordBatch(recordLeaves("twice", 2, now));
      await expect(registry.connect(signers.tax).revokeBatch(batch.root, h("r")))
        .to.be.revertedWithCustomError(registry, "RegistryUnknownBatch")
        .withArgs(batch.root);
      await registry.connect(signers.tax).anchorBatch(schemas.taxPayment, batch.root, 2, URI);
      await registry.connect(signers.tax).revokeBatch(batch.root, h("r"));
      await expect(registry.connect(signers.tax).revokeBatch(batch.root, h("r")))
        .to.be.revertedWithCustomError(registry, "RegistryBatchRevoked")
        .withArgs(batch.root);
    });

    it("lets a provider revoke its batch after losing its accreditation for the category", async function () {
      const { registry, signers, ids, categories, schemas, govern, now } =
        await loadDeployFixture();
      const batch = buildRecordBatch(recordLeaves("lost-scope", 2, now));
      await registry.connect(signers.tax).anchorBatch(schemas.taxPayment, batch.root, 2, URI);
      await govern({
        kind: "SetScope",
        member: ids.tax,
        category: categories.taxPayment,
        expiresAt: 0,
      });
      await expect(registry.connect(signers.tax).revokeBatch(batch.root, h("r"))).to.emit(
        registry,
        "BatchRevoked",
      );
    });

    it("revokes the records already made from its leaves too", async function () {
      const { registry, signers, ids, schemas, now } = await loadDeployFixture();
      const batch = buildRecordBatch(recordLeaves("kept", 2, now, { expiresAt: now + 10n * YEAR }));
      await registry.connect(signers.tax).anchorBatch(schemas.taxPayment, batch.root, 2, URI);
      await registry.recordLeaf(leafInput(batch, 0));
      const uid = batch.leafUid(0, { schema: schemas.taxPayment, provider: ids.tax });
      expect((await recordOf(registry, uid)).status).to.equal(BigInt(RecordStatus.Active));
      expect((await recordOf(registry, uid)).batchLeaf).to.equal(true);
      await registry.connect(signers.tax).revokeBatch(batch.root, h("r"));
      expect((await recordOf(registry, uid)).status).to.equal(BigInt(RecordStatus.Revoked));
      // nothing more can happen to it
      await expect(registry.connect(signers.tax).revoke(uid, h("r")))
        .to.be.revertedWithCustomError(registry, "RegistryNotActive")
        .withArgs(uid, RecordStatus.Revoked);
      await expect(registry.connect(signers.lenderA).openDispute(uid, h("r")))
        .to.be.revertedWithCustomError(registry, "RegistryNotActive")
        .withArgs(uid, RecordStatus.Revoked);
    });
  });
});
