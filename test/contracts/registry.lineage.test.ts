/**
 * CreditRegistry lineage and correction: a SCORER derives a record (a score) from inputs that must
 * exist, be active, unexpired and from a currently accredited provider (or an active scorer); owners
 * revoke their records; providers supersede theirs (the old points to the new).
 */
import { expect } from "chai";
import { ZeroAddress, ZeroHash, type Signer } from "ethers";

import {
  buildRecordBatch,
  derivedUid,
  hashCanonical,
  memberId,
  RecordStatus,
  Role,
  type Hex,
} from "../../core/index.js";

import {
  coreAttestationUid,
  DAY,
  distinctRequests,
  h,
  HOUR,
  leafInput,
  loadDeployFixture,
  networkHelpers,
  recordLeaves,
  recordOf,
  YEAR,
  type DeriveRequestStruct,
  type Fixture,
} from "./fixture.js";

const URI = "credtrail://batches/lineage";

/** Attests `count` distinct tax.payment records by the tax bureau; returns their uids. */
async function attested(f: Fixture, label: string, count: number, overrides = {}): Promise<Hex[]> {
  const reqs = distinctRequests(f.request, label, count, overrides);
  await (await f.registry.connect(f.signers.tax).attestMany(reqs)).wait();
  return reqs.map((r) => coreAttestationUid(r, f.ids.tax));
}

function deriveRequest(
  f: Fixture,
  overrides: Partial<DeriveRequestStruct> = {},
): DeriveRequestStruct {
  return {
    schema: f.schemas.creditScore,
    subject: h("subject:acme"),
    dataHash: hashCanonical({ score: 642, grade: "BBB" }),
    modelHash: f.model,
    observedAt: f.now,
    inputs: [],
    leafInputs: [],
    ...overrides,
  };
}

/** core's derived uid of `req` by member `deriver` with the input uids in ledger order. */
function coreDerivedUid(req: DeriveRequestStruct, deriver: Hex, inputs: readonly Hex[]): Hex {
  return derivedUid({
    schema: req.schema as Hex,
    subject: req.subject as Hex,
    dataHash: req.dataHash as Hex,
    deriver,
    modelHash: req.modelHash as Hex,
    observedAt: BigInt(req.observedAt),
    inputs,
  });
}

/** Admits a second scorer (key: the fixture's `outsider`) by governance. */
async function admitSecondScorer(f: Fixture): Promise<{ id: Hex; signer: Signer }> {
  const id = memberId("Second Scorer");
  await f.govern({
    kind: "Admit",
    member: id,
    name: "Second Scorer",
    roles: Role.SCORER,
    keys: [await f.signers.outsider.getAddress()],
  });
  return { id, signer: f.signers.outsider };
}

describe("CreditRegistry: derive", function () {
  describe("success", function () {
    it("records a derived record from stored inputs; uid and event as core computes", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, ids, indexes, schemaIndexes, request, schemas } = f;
      const taxUids = await attested(f, "in", 2);
      const penalty = request({
        schema: schemas.adminPenalty,
        subject: h("subject:acme"),
        severity: 2,
      });
      await registry.connect(signers.court).attest(penalty);
      const inputs = [...taxUids, coreAttestationUid(penalty, ids.court)];
      const req = deriveRequest(f, { inputs });
      const uid = coreDerivedUid(req, ids.scorer, inputs);
      expect(await registry.connect(signers.scorer).derive.staticCall(req)).to.equal(uid);
      await expect(registry.connect(signers.scorer).derive(req))
        .to.emit(registry, "Derived")
        .withArgs(
          uid,
          req.subject,
          req.schema,
          ids.scorer,
          req.dataHash,
          req.modelHash,
          req.observedAt,
          inputs,
          await signers.scorer.getAddress(),
        );
      expect(await recordOf(registry, uid)).to.deep.equal({
        owner: indexes.scorer,
        schema: schemaIndexes.creditScore,
        observedAt: BigInt(req.observedAt),
        expiresAt: 0n,
        severity: 0n,
        status: BigInt(RecordStatus.Active),
        derived: true,
        disputed: false,
        repaired: false,
        batchLeaf: false,
      });
    });

    it("records a derived record from batch leaves, listing stored inputs first, then leaves", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, ids, schemas, now } = f;
      const batch = buildRecordBatch(recordLeaves("leaf-in", 5, now));
      await registry.connect(signers.tax).anchorBatch(schemas.taxGrade, batch.root, 5, URI);
      const leafUids = [3, 0].map((i) =>
        batch.leafUid(i, { schema: schemas.taxGrade, provider: ids.tax }),
      );

      const onlyLeaves = deriveRequest(f, {
        leafInputs: [leafInput(batch, 3), leafInput(batch, 0)],
      });
      const uid1 = coreDerivedUid(onlyLeaves, ids.scorer, leafUids);
      await expect(registry.connect(signers.scorer).derive(onlyLeaves))
        .to.emit(registry, "Derived")
        .withArgs(
          uid1,
          onlyLeaves.subject,
          onlyLeaves.schema,
          ids.scorer,
          onlyLeaves.dataHash,
          onlyLeaves.modelHash,
          onlyLeaves.observedAt,
          leafUids,
          await signers.scorer.getAddress(),
        );

      const stored = await attested(f, "mixed", 2);
      const mixed = deriveRequest(f, {
        dataHash: h("score 2"),
        inputs: stored,
        leafInputs: [leafInput(batch, 3), leafInput(batch, 0)],
      });
      const all = [...stored, ...leafUids];
      const uid2 = coreDerivedUid(mixed, ids.scorer, all);
      await expect(registry.connect(signers.scorer).derive(mixed))
        .to.emit(registry, "Derived")
        .withArgs(
          uid2,
          mixed.subject,
          mixed.schema,
          ids.scorer,
          mixed.dataHash,
          mixed.modelHash,
          mixed.observedAt,
          all,
          await signers.scorer.getAddress(),
        );
      // deriving from a leaf does not record it
      expect((await recordOf(registry, leafUids[0])).status).to.equal(BigInt(RecordStatus.None));
    });

    it("accepts a recorded leaf as a leaf input (its record decides) and as a stored input", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, ids, schemas, now } = f;
      const batch = buildRecordBatch(recordLeaves("recorded", 3, now));
      await registry.connect(signers.tax).anchorBatch(schemas.taxPayment, batch.root, 3, URI);
      await registry.recordLeaf(leafInput(batch, 1));
      const uid = batch.leafUid(1, { schema: schemas.taxPayment, provider: ids.tax });
      await expect(
        registry
          .connect(signers.scorer)
          .derive(deriveRequest(f, { leafInputs: [leafInput(batch, 1)] })),
      ).to.emit(registry, "Derived");
      await expect(
        registry
          .connect(signers.scorer)
          .derive(deriveRequest(f, { dataHash: h("2"), inputs: [uid] })),
      ).to.emit(registry, "Derived");
      // revoking the batch revokes the recorded leaf too, as a leaf input and as a stored input
      await registry.connect(signers.tax).revokeBatch(batch.root, h("r"));
      await expect(
        registry
          .connect(signers.scorer)
          .derive(deriveRequest(f, { dataHash: h("3"), leafInputs: [leafInput(batch, 1)] })),
      )
        .to.be.revertedWithCustomError(registry, "RegistryInputNotActive")
        .withArgs(uid, RecordStatus.Revoked);
      await expect(
        registry
          .connect(signers.scorer)
          .derive(deriveRequest(f, { dataHash: h("4"), inputs: [uid] })),
      )
        .to.be.revertedWithCustomError(registry, "RegistryInputNotActive")
        .withArgs(uid, RecordStatus.Revoked);
    });

    it("binds the uid to the order of the inputs", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, ids } = f;
      const uids = await attested(f, "order", 2);
      const a = deriveRequest(f, { inputs: uids });
      const b = deriveRequest(f, { inputs: [...uids].reverse() });
      const uidA = coreDerivedUid(a, ids.scorer, uids);
      const uidB = coreDerivedUid(b, ids.scorer, [...uids].reverse());
      expect(uidA).to.not.equal(uidB);
      await registry.connect(signers.scorer).derive(a);
      await registry.connect(signers.scorer).derive(b);
      expect((await recordOf(registry, uidA)).status).to.equal(1n);
      expect((await recordOf(registry, uidB)).status).to.equal(1n);
    });

    it("accepts 128 inputs (64 stored + 64 leaves)", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, ids, schemas, now } = f;
      const stored = await attested(f, "max", 64);
      const batch = buildRecordBatch(recordLeaves("max", 64, now));
      await registry.connect(signers.tax).anchorBatch(schemas.taxPayment, batch.root, 64, URI);
      const leafInputs = Array.from({ length: 64 }, (_, i) => leafInput(batch, i));
      const req = deriveRequest(f, { inputs: stored, leafInputs });
      const all = [
        ...stored,
        ...leafInputs.map((_, i) =>
          batch.leafUid(i, { schema: schemas.taxPayment, provider: ids.tax }),
        ),
      ];
      await expect(registry.connect(signers.scorer).derive(req))
        .to.emit(registry, "Derived")
        .withArgs(
          coreDerivedUid(req, ids.scorer, all),
          req.subject,
          req.schema,
          ids.scorer,
          req.dataHash,
          req.modelHash,
          req.observedAt,
          all,
          await signers.scorer.getAddress(),
        );
    });

    it("accepts a derived record as an input while its scorer is active", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, ids } = f;
      const inputs = await attested(f, "base", 2);
      const first = deriveRequest(f, { inputs });
      const firstUid = coreDerivedUid(first, ids.scorer, inputs);
      await registry.connect(signers.scorer).derive(first);
      const index = deriveRequest(f, {
        dataHash: h("trade-credit index"),
        inputs: [firstUid, inputs[0]],
      });
      await expect(registry.connect(signers.scorer).derive(index))
        .to.emit(registry, "Derived")
        .withArgs(
          coreDerivedUid(index, ids.scorer, [firstUid, inputs[0]]),
          index.subject,
          index.schema,
          ids.scorer,
          index.dataHash,
          index.modelHash,
          index.observedAt,
          [firstUid, inputs[0]],
          await signers.scorer.getAddress(),
        );
    });
  });

  describe("stored inputs that do not count", function () {
    it("rejects a missing input", async function () {
      const f = await loadDeployFixture();
      const [uid] = await attested(f, "ok", 1);
      const missing = h("no such record");
      await expect(
        f.registry.connect(f.signers.scorer).derive(deriveRequest(f, { inputs: [uid, missing] })),
      )
        .to.be.revertedWithCustomError(f.registry, "RegistryInputMissing")
        .withArgs(missing);
    });

    it("rejects a revoked and a superseded input", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, ids, request } = f;
      const [revoked, superseded] = await attested(f, "gone", 2);
      await registry.connect(signers.tax).revoke(revoked, h("r"));
      await registry
        .connect(signers.tax)
        .supersede(superseded, request({ subject: h("replacement") }));
      await expect(registry.connect(signers.scorer).derive(deriveRequest(f, { inputs: [revoked] })))
        .to.be.revertedWithCustomError(registry, "RegistryInputNotActive")
        .withArgs(revoked, RecordStatus.Revoked);
      await expect(
        registry.connect(signers.scorer).derive(deriveRequest(f, { inputs: [superseded] })),
      )
        .to.be.revertedWithCustomError(registry, "RegistryInputNotActive")
        .withArgs(superseded, RecordStatus.Superseded);
      // its replacement counts
      const replacement = coreAttestationUid(request({ subject: h("replacement") }), ids.tax);
      await expect(
        registry.connect(signers.scorer).derive(deriveRequest(f, { inputs: [replacement] })),
      ).to.emit(registry, "Derived");
    });

    it("rejects an input from its expiry second on", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, now } = f;
      const expiresAt = now + 30n * DAY;
      const [uid] = await attested(f, "expiring", 1, { expiresAt });
      await networkHelpers.time.setNextBlockTimestamp(expiresAt - 1n);
      await expect(
        registry.connect(signers.scorer).derive(deriveRequest(f, { inputs: [uid] })),
      ).to.emit(registry, "Derived");
      await networkHelpers.time.setNextBlockTimestamp(expiresAt);
      await expect(
        registry
          .connect(signers.scorer)
          .derive(deriveRequest(f, { dataHash: h("later"), inputs: [uid] })),
      )
        .to.be.revertedWithCustomError(registry, "RegistryInputExpired")
        .withArgs(uid, expiresAt);
    });

    it("rejects an input from a suspended provider, and accepts it again after reinstatement", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, ids, govern } = f;
      const [uid] = await attested(f, "suspended", 1);
      await govern({ kind: "Suspend", member: ids.tax });
      await expect(registry.connect(signers.scorer).derive(deriveRequest(f, { inputs: [uid] })))
        .to.be.revertedWithCustomError(registry, "RegistryInputNotAccredited")
        .withArgs(uid);
      await govern({ kind: "Reinstate", member: ids.tax });
      await expect(
        registry.connect(signers.scorer).derive(deriveRequest(f, { inputs: [uid] })),
      ).to.emit(registry, "Derived");
    });

    it("rejects an input whose provider's accreditation expired", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, scopeExpiresAt } = f;
      const [uid] = await attested(f, "scope-expiry", 1, { expiresAt: 0 });
      await networkHelpers.time.increaseTo(scopeExpiresAt);
      await expect(registry.connect(signers.scorer).derive(deriveRequest(f, { inputs: [uid] })))
        .to.be.revertedWithCustomError(registry, "RegistryInputNotAccredited")
        .withArgs(uid);
    });

    it("rejects an input whose provider's accreditation was removed (SetScope 0) or lost its role", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, ids, categories, schemas, govern, request } = f;
      const [payment] = await attested(f, "removed", 1);
      const grade = request({ schema: schemas.taxGrade, subject: h("grade") });
      await registry.connect(signers.tax).attest(grade);
      const gradeUid = coreAttestationUid(grade, ids.tax);
      await govern({
        kind: "SetScope",
        member: ids.tax,
        category: categories.taxPayment,
        expiresAt: 0,
      });
      await expect(
        registry.connect(signers.scorer).derive(deriveRequest(f, { inputs: [gradeUid, payment] })),
      )
        .to.be.revertedWithCustomError(registry, "RegistryInputNotAccredited")
        .withArgs(payment);
      // the scope of the other category is untouched
      await expect(
        registry.connect(signers.scorer).derive(deriveRequest(f, { inputs: [gradeUid] })),
      ).to.emit(registry, "Derived");
      await govern({ kind: "SetRoles", member: ids.tax, roles: Role.LENDER });
      await expect(
        registry
          .connect(signers.scorer)
          .derive(deriveRequest(f, { dataHash: h("x"), inputs: [gradeUid] })),
      )
        .to.be.revertedWithCustomError(registry, "RegistryInputNotAccredited")
        .withArgs(gradeUid);
    });

    it("rejects a derived input once its scorer is suspended", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, ids, govern } = f;
      const inputs = await attested(f, "derived-in", 1);
      const first = deriveRequest(f, { inputs });
      const firstUid = coreDerivedUid(first, ids.scorer, inputs);
      await registry.connect(signers.scorer).derive(first);
      const second = await admitSecondScorer(f);
      const req = deriveRequest(f, { dataHash: h("by second scorer"), inputs: [firstUid] });
      await expect(registry.connect(second.signer).derive(req))
        .to.emit(registry, "Derived")
        .withArgs(
          coreDerivedUid(req, second.id, [firstUid]),
          req.subject,
          req.schema,
          second.id,
          req.dataHash,
          req.modelHash,
          req.observedAt,
          [firstUid],
          await second.signer.getAddress(),
        );
      await govern({ kind: "Suspend", member: ids.scorer });
      await expect(
        registry.connect(second.signer).derive({ ...req, dataHash: h("after suspension") }),
      )
        .to.be.revertedWithCustomError(registry, "RegistryInputNotAccredited")
        .withArgs(firstUid);
    });

    it("rejects a revoked derived input", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, ids } = f;
      const inputs = await attested(f, "revoked-derived", 1);
      const first = deriveRequest(f, { inputs });
      const firstUid = coreDerivedUid(first, ids.scorer, inputs);
      await registry.connect(signers.scorer).derive(first);
      await registry.connect(signers.scorer).revoke(firstUid, h("model bug"));
      await expect(
        registry
          .connect(signers.scorer)
          .derive(deriveRequest(f, { dataHash: h("x"), inputs: [firstUid] })),
      )
        .to.be.revertedWithCustomError(registry, "RegistryInputNotActive")
        .withArgs(firstUid, RecordStatus.Revoked);
    });
  });

  describe("leaf inputs that do not count", function () {
    it("rejects a leaf of a revoked batch (not recorded) as revoked", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, ids, schemas, now } = f;
      const batch = buildRecordBatch(recordLeaves("revoked-batch", 3, now));
      await registry.connect(signers.tax).anchorBatch(schemas.taxPayment, batch.root, 3, URI);
      await registry.connect(signers.tax).revokeBatch(batch.root, h("r"));
      await expect(
        registry
          .connect(signers.scorer)
          .derive(deriveRequest(f, { leafInputs: [leafInput(batch, 2)] })),
      )
        .to.be.revertedWithCustomError(registry, "RegistryInputNotActive")
        .withArgs(
          batch.leafUid(2, { schema: schemas.taxPayment, provider: ids.tax }),
          RecordStatus.Revoked,
        );
    });

    it("rejects a leaf recorded and then revoked, or superseded", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, ids, schemas, now, request } = f;
      const batch = buildRecordBatch(recordLeaves("recorded-revoked", 3, now));
      await registry.connect(signers.tax).anchorBatch(schemas.taxPayment, batch.root, 3, URI);
      const anchor = { schema: schemas.taxPayment, provider: ids.tax };
      await registry.recordLeaf(leafInput(batch, 0));
      await registry.connect(signers.tax).revoke(batch.leafUid(0, anchor), h("r"));
      await expect(
        registry
          .connect(signers.scorer)
          .derive(deriveRequest(f, { leafInputs: [leafInput(batch, 0)] })),
      )
        .to.be.revertedWithCustomError(registry, "RegistryInputNotActive")
        .withArgs(batch.leafUid(0, anchor), RecordStatus.Revoked);
      await registry.recordLeaf(leafInput(batch, 1));
      await registry
        .connect(signers.tax)
        .supersede(batch.leafUid(1, anchor), request({ subject: h("corrected leaf") }));
      await expect(
        registry
          .connect(signers.scorer)
          .derive(deriveRequest(f, { leafInputs: [leafInput(batch, 1)] })),
      )
        .to.be.revertedWithCustomError(registry, "RegistryInputNotActive")
        .withArgs(batch.leafUid(1, anchor), RecordStatus.Superseded);
    });

    it("rejects an expired leaf, recorded or not", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, ids, schemas, now } = f;
      const expiresAt = now + 10n * DAY;
      const batch = buildRecordBatch(recordLeaves("expired-leaf", 2, now, { expiresAt }));
      await registry.connect(signers.tax).anchorBatch(schemas.taxPayment, batch.root, 2, URI);
      await registry.recordLeaf(leafInput(batch, 1));
      await networkHelpers.time.increaseTo(expiresAt);
      const anchor = { schema: schemas.taxPayment, provider: ids.tax };
      for (const i of [0, 1]) {
        await expect(
          registry
            .connect(signers.scorer)
            .derive(deriveRequest(f, { leafInputs: [leafInput(batch, i)] })),
        )
          .to.be.revertedWithCustomError(registry, "RegistryInputExpired")
          .withArgs(batch.leafUid(i, anchor), expiresAt);
      }
    });

    it("rejects a leaf of a provider no longer accredited (suspended, scope removed or expired)", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, ids, categories, schemas, govern, scopeExpiresAt, now } = f;
      const batch = buildRecordBatch(recordLeaves("unaccredited-leaf", 2, now, { expiresAt: 0 }));
      await registry.connect(signers.court).anchorBatch(schemas.adminPenalty, batch.root, 2, URI);
      const uid = batch.leafUid(0, { schema: schemas.adminPenalty, provider: ids.court });
      const req = deriveRequest(f, { leafInputs: [leafInput(batch, 0)] });
      await govern({ kind: "Suspend", member: ids.court });
      await expect(registry.connect(signers.scorer).derive(req))
        .to.be.revertedWithCustomError(registry, "RegistryInputNotAccredited")
        .withArgs(uid);
      await govern({ kind: "Reinstate", member: ids.court });
      await govern({
        kind: "SetScope",
        member: ids.court,
        category: categories.adminPenalty,
        expiresAt: 0,
      });
      await expect(registry.connect(signers.scorer).derive(req))
        .to.be.revertedWithCustomError(registry, "RegistryInputNotAccredited")
        .withArgs(uid);
      await govern({
        kind: "SetScope",
        member: ids.court,
        category: categories.adminPenalty,
        expiresAt: scopeExpiresAt,
      });
      await expect(registry.connect(signers.scorer).derive(req)).to.emit(registry, "Derived");
      await networkHelpers.time.increaseTo(scopeExpiresAt);
      await expect(registry.connect(signers.scorer).derive({ ...req, dataHash: h("later") }))
        .to.be.revertedWithCustomError(registry, "RegistryInputNotAccredited")
        .withArgs(uid);
    });

    it("rejects a leaf of an unknown batch, and a leaf whose proof fails", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, schemas, now } = f;
      const batch = buildRecordBatch(recordLeaves("unknown-batch", 3, now));
      await expect(
        registry
          .connect(signers.scorer)
          .derive(deriveRequest(f, { leafInputs: [leafInput(batch, 0)] })),
      )
        .to.be.revertedWithCustomError(registry, "RegistryUnknownBatch")
        .withArgs(batch.root);
      await registry.connect(signers.tax).anchorBatch(schemas.taxPayment, batch.root, 3, URI);
      const forged = { ...leafInput(batch, 0), dataHash: h("forged") };
      const forgedHash = buildRecordBatch([{ ...batch.leaves[0], dataHash: h("forged") }]).leafHash(
        0,
      );
      await expect(
        registry.connect(signers.scorer).derive(deriveRequest(f, { leafInputs: [forged] })),
      )
        .to.be.revertedWithCustomError(registry, "RegistryInvalidProof")
        .withArgs(batch.root, forgedHash);
    });
  });

  describe("request and caller", function () {
    it("rejects an unknown model and an unknown schema", async function () {
      const f = await loadDeployFixture();
      const { registry, signers } = f;
      const inputs = await attested(f, "model", 1);
      const model = h("unregistered model");
      await expect(
        registry.connect(signers.scorer).derive(deriveRequest(f, { inputs, modelHash: model })),
      )
        .to.be.revertedWithCustomError(registry, "RegistryUnknownModel")
        .withArgs(model);
      const schema = h("unregistered schema");
      await expect(registry.connect(signers.scorer).derive(deriveRequest(f, { inputs, schema })))
        .to.be.revertedWithCustomError(registry, "ConsortiumUnknownSchema")
        .withArgs(schema);
    });

    it("rejects no inputs and more than 128", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, now } = f;
      await expect(
        registry.connect(signers.scorer).derive(deriveRequest(f)),
      ).to.be.revertedWithCustomError(registry, "RegistryNoInputs");
      const many = Array.from({ length: 129 }, (_, i) => h(`input ${i}`));
      await expect(registry.connect(signers.scorer).derive(deriveRequest(f, { inputs: many })))
        .to.be.revertedWithCustomError(registry, "RegistryTooManyInputs")
        .withArgs(129, 128);
      const batch = buildRecordBatch(recordLeaves("too-many", 2, now));
      await expect(
        registry.connect(signers.scorer).derive(
          deriveRequest(f, {
            inputs: many.slice(0, 127),
            leafInputs: [leafInput(batch, 0), leafInput(batch, 1)],
          }),
        ),
      )
        .to.be.revertedWithCustomError(registry, "RegistryTooManyInputs")
        .withArgs(129, 128);
    });

    it("rejects a duplicate input: stored twice, a leaf twice, a recorded leaf both ways", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, ids, schemas, now } = f;
      const [a, b] = await attested(f, "dup", 2);
      await expect(registry.connect(signers.scorer).derive(deriveRequest(f, { inputs: [a, b, a] })))
        .to.be.revertedWithCustomError(registry, "RegistryDuplicateInput")
        .withArgs(a);
      const batch = buildRecordBatch(recordLeaves("dup", 3, now));
      await registry.connect(signers.tax).anchorBatch(schemas.taxPayment, batch.root, 3, URI);
      const anchor = { schema: schemas.taxPayment, provider: ids.tax };
      await expect(
        registry
          .connect(signers.scorer)
          .derive(deriveRequest(f, { leafInputs: [leafInput(batch, 2), leafInput(batch, 2)] })),
      )
        .to.be.revertedWithCustomError(registry, "RegistryDuplicateInput")
        .withArgs(batch.leafUid(2, anchor));
      await registry.recordLeaf(leafInput(batch, 1));
      await expect(
        registry.connect(signers.scorer).derive(
          deriveRequest(f, {
            inputs: [batch.leafUid(1, anchor)],
            leafInputs: [leafInput(batch, 1)],
          }),
        ),
      )
        .to.be.revertedWithCustomError(registry, "RegistryDuplicateInput")
        .withArgs(batch.leafUid(1, anchor));
    });

    it("applies the record rules to the derived record's own fields", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, now } = f;
      const inputs = await attested(f, "fields", 1);
      const req = deriveRequest(f, { inputs });
      await expect(registry.connect(signers.scorer).derive({ ...req, subject: ZeroHash }))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidRecord")
        .withArgs(ZeroHash, req.dataHash);
      await expect(registry.connect(signers.scorer).derive({ ...req, dataHash: ZeroHash }))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidRecord")
        .withArgs(req.subject, ZeroHash);
      await expect(registry.connect(signers.scorer).derive({ ...req, observedAt: 0 }))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidTimes")
        .withArgs(0, 0);
      await expect(registry.connect(signers.scorer).derive({ ...req, observedAt: now + 2n * HOUR }))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidTimes")
        .withArgs(now + 2n * HOUR, 0);
    });

    it("rejects the same derivation twice (RegistryRecordExists)", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, ids } = f;
      const inputs = await attested(f, "twice", 2);
      const req = deriveRequest(f, { inputs });
      await registry.connect(signers.scorer).derive(req);
      await expect(registry.connect(signers.scorer).derive(req))
        .to.be.revertedWithCustomError(registry, "RegistryRecordExists")
        .withArgs(coreDerivedUid(req, ids.scorer, inputs));
    });

    it("needs an active SCORER", async function () {
      const f = await loadDeployFixture();
      const { consortium, registry, signers, ids, govern } = f;
      const inputs = await attested(f, "caller", 1);
      const req = deriveRequest(f, { inputs });
      for (const who of ["tax", "lenderA", "regulator", "repairAuthority", "operator"] as const) {
        await expect(registry.connect(signers[who]).derive(req))
          .to.be.revertedWithCustomError(consortium, "ConsortiumMissingRole")
          .withArgs(ids[who], Role.SCORER);
      }
      await expect(registry.connect(signers.outsider).derive(req))
        .to.be.revertedWithCustomError(consortium, "ConsortiumUnknownKey")
        .withArgs(await signers.outsider.getAddress());
      await govern({ kind: "Suspend", member: ids.scorer });
      await expect(registry.connect(signers.scorer).derive(req))
        .to.be.revertedWithCustomError(consortium, "ConsortiumMemberSuspended")
        .withArgs(ids.scorer);
    });
  });
});

describe("CreditRegistry: revoke", function () {
  it("lets the owning provider revoke its record, with any of its keys", async function () {
    const f = await loadDeployFixture();
    const { registry, signers, ids } = f;
    const [a, b] = await attested(f, "revoke", 2);
    const reason = h("data entry error");
    await expect(registry.connect(signers.tax).revoke(a, reason))
      .to.emit(registry, "Revoked")
      .withArgs(a, ids.tax, reason, await signers.tax.getAddress());
    await expect(registry.connect(signers.taxAlt).revoke(b, reason))
      .to.emit(registry, "Revoked")
      .withArgs(b, ids.tax, reason, await signers.taxAlt.getAddress());
    const r = await recordOf(registry, a);
    expect(r.status).to.equal(BigInt(RecordStatus.Revoked));
    expect(r.owner).to.equal(f.indexes.tax);
  });

  it("rejects another provider (RegistryNotOwner) and a member that is no provider", async function () {
    const f = await loadDeployFixture();
    const { consortium, registry, signers, ids } = f;
    const [uid] = await attested(f, "not-owner", 1);
    await expect(registry.connect(signers.court).revoke(uid, h("r")))
      .to.be.revertedWithCustomError(registry, "RegistryNotOwner")
      .withArgs(uid, ids.court);
    await expect(registry.connect(signers.lenderA).revoke(uid, h("r")))
      .to.be.revertedWithCustomError(consortium, "ConsortiumMissingRole")
      .withArgs(ids.lenderA, Role.PROVIDER);
    // a scorer does not revoke a provider's record either
    await expect(registry.connect(signers.scorer).revoke(uid, h("r")))
      .to.be.revertedWithCustomError(consortium, "ConsortiumMissingRole")
      .withArgs(ids.scorer, Role.PROVIDER);
  });

  it("rejects an unknown record, a second revocation and a superseded record", async function () {
    const f = await loadDeployFixture();
    const { registry, signers, request } = f;
    const unknown = h("unknown");
    await expect(registry.connect(signers.tax).revoke(unknown, h("r")))
      .to.be.revertedWithCustomError(registry, "RegistryUnknownRecord")
      .withArgs(unknown);
    const [a, b] = await attested(f, "states", 2);
    await registry.connect(signers.tax).revoke(a, h("r"));
    await expect(registry.connect(signers.tax).revoke(a, h("r")))
      .to.be.revertedWithCustomError(registry, "RegistryNotActive")
      .withArgs(a, RecordStatus.Revoked);
    await registry.connect(signers.tax).supersede(b, request({ subject: h("new") }));
    await expect(registry.connect(signers.tax).revoke(b, h("r")))
      .to.be.revertedWithCustomError(registry, "RegistryNotActive")
      .withArgs(b, RecordStatus.Superseded);
  });

  it("lets a provider revoke its record after it lost its accreditation", async function () {
    const f = await loadDeployFixture();
    const { registry, signers, ids, categories, govern } = f;
    const [uid] = await attested(f, "lost", 1);
    await govern({
      kind: "SetScope",
      member: ids.tax,
      category: categories.taxPayment,
      expiresAt: 0,
    });
    await expect(registry.connect(signers.tax).revoke(uid, h("r"))).to.emit(registry, "Revoked");
  });

  it("lets a scorer revoke its own derived record, and nobody else", async function () {
    const f = await loadDeployFixture();
    const { consortium, registry, signers, ids } = f;
    const inputs = await attested(f, "derived", 1);
    const req = deriveRequest(f, { inputs });
    const uid = coreDerivedUid(req, ids.scorer, inputs);
    await registry.connect(signers.scorer).derive(req);
    await expect(registry.connect(signers.tax).revoke(uid, h("r")))
      .to.be.revertedWithCustomError(consortium, "ConsortiumMissingRole")
      .withArgs(ids.tax, Role.SCORER);
    const second = await admitSecondScorer(f);
    await expect(registry.connect(second.signer).revoke(uid, h("r")))
      .to.be.revertedWithCustomError(registry, "RegistryNotOwner")
      .withArgs(uid, second.id);
    const reason = h("superseded model");
    await expect(registry.connect(signers.scorer).revoke(uid, reason))
      .to.emit(registry, "Revoked")
      .withArgs(uid, ids.scorer, reason, await signers.scorer.getAddress());
    const r = await recordOf(registry, uid);
    expect(r.status).to.equal(BigInt(RecordStatus.Revoked));
    expect(r.derived).to.equal(true);
  });

  it("lets the provider revoke a recorded leaf", async function () {
    const f = await loadDeployFixture();
    const { registry, signers, ids, schemas, now } = f;
    const batch = buildRecordBatch(recordLeaves("leaf-revoke", 2, now));
    await registry.connect(signers.tax).anchorBatch(schemas.taxPayment, batch.root, 2, URI);
    await registry.recordLeaf(leafInput(batch, 0));
    const uid = batch.leafUid(0, { schema: schemas.taxPayment, provider: ids.tax });
    await expect(registry.connect(signers.tax).revoke(uid, h("r")))
      .to.emit(registry, "Revoked")
      .withArgs(uid, ids.tax, h("r"), await signers.tax.getAddress());
  });
});

describe("CreditRegistry: supersede", function () {
  it("replaces a record: the old is Superseded and points to the new, both events emitted", async function () {
    const f = await loadDeployFixture();
    const { registry, signers, ids, indexes, schemaIndexes, request } = f;
    const old = request();
    const oldUid = coreAttestationUid(old, ids.tax);
    await registry.connect(signers.tax).attest(old);
    const replacement = request({ dataHash: h("corrected record") });
    const newUid = coreAttestationUid(replacement, ids.tax);
    expect(
      await registry.connect(signers.taxAlt).supersede.staticCall(oldUid, replacement),
    ).to.equal(newUid);
    const tx = registry.connect(signers.taxAlt).supersede(oldUid, replacement);
    await expect(tx)
      .to.emit(registry, "Superseded")
      .withArgs(oldUid, newUid, ids.tax, await signers.taxAlt.getAddress());
    await expect(tx)
      .to.emit(registry, "Attested")
      .withArgs(
        newUid,
        replacement.subject,
        replacement.schema,
        ids.tax,
        replacement.dataHash,
        replacement.observedAt,
        replacement.expiresAt,
        replacement.severity,
        await signers.taxAlt.getAddress(),
        ZeroAddress,
      );
    expect(await registry.supersededBy(oldUid)).to.equal(newUid);
    expect(await registry.supersededBy(newUid)).to.equal(ZeroHash);
    expect((await recordOf(registry, oldUid)).status).to.equal(BigInt(RecordStatus.Superseded));
    expect(await recordOf(registry, newUid)).to.deep.equal({
      owner: indexes.tax,
      schema: schemaIndexes.taxPayment,
      observedAt: BigInt(replacement.observedAt),
      expiresAt: BigInt(replacement.expiresAt),
      severity: 0n,
      status: BigInt(RecordStatus.Active),
      derived: false,
      disputed: false,
      repaired: false,
      batchLeaf: false,
    });
  });

  it("chains corrections: A → B → C", async function () {
    const f = await loadDeployFixture();
    const { registry, signers, ids, request } = f;
    const [a, b, c] = ["a", "b", "c"].map((l) => request({ dataHash: h(l) }));
    const [ua, ub, uc] = [a, b, c].map((r) => coreAttestationUid(r, ids.tax));
    await registry.connect(signers.tax).attest(a);
    await registry.connect(signers.tax).supersede(ua, b);
    await registry.connect(signers.tax).supersede(ub, c);
    expect(await registry.supersededBy(ua)).to.equal(ub);
    expect(await registry.supersededBy(ub)).to.equal(uc);
    expect((await recordOf(registry, uc)).status).to.equal(BigInt(RecordStatus.Active));
  });

  it("rejects a caller that does not own the record", async function () {
    const f = await loadDeployFixture();
    const { consortium, registry, signers, ids, schemas, request } = f;
    const [uid] = await attested(f, "sup-owner", 1);
    await expect(
      registry.connect(signers.court).supersede(uid, request({ schema: schemas.adminPenalty })),
    )
      .to.be.revertedWithCustomError(registry, "RegistryNotOwner")
      .withArgs(uid, ids.court);
    await expect(registry.connect(signers.lenderA).supersede(uid, request({ dataHash: h("x") })))
      .to.be.revertedWithCustomError(consortium, "ConsortiumMissingRole")
      .withArgs(ids.lenderA, Role.PROVIDER);
  });

  it("rejects superseding a superseded, a revoked or an unknown record", async function () {
    const f = await loadDeployFixture();
    const { registry, signers, request } = f;
    const [a, b] = await attested(f, "sup-states", 2);
    await registry.connect(signers.tax).supersede(a, request({ dataHash: h("a2") }));
    await expect(registry.connect(signers.tax).supersede(a, request({ dataHash: h("a3") })))
      .to.be.revertedWithCustomError(registry, "RegistryNotActive")
      .withArgs(a, RecordStatus.Superseded);
    await registry.connect(signers.tax).revoke(b, h("r"));
    await expect(registry.connect(signers.tax).supersede(b, request({ dataHash: h("b2") })))
      .to.be.revertedWithCustomError(registry, "RegistryNotActive")
      .withArgs(b, RecordStatus.Revoked);
    const unknown = h("unknown");
    await expect(registry.connect(signers.tax).supersede(unknown, request({ dataHash: h("u") })))
      .to.be.revertedWithCustomError(registry, "RegistryUnknownRecord")
      .withArgs(unknown);
  });

  it("rejects superseding a derived record (scorers revoke and derive again)", async function () {
    const f = await loadDeployFixture();
    const { registry, signers, ids, request } = f;
    const inputs = await attested(f, "sup-derived", 1);
    const req = deriveRequest(f, { inputs });
    const uid = coreDerivedUid(req, ids.scorer, inputs);
    await registry.connect(signers.scorer).derive(req);
    await expect(registry.connect(signers.scorer).supersede(uid, request()))
      .to.be.revertedWithCustomError(registry, "RegistryNotActive")
      .withArgs(uid, RecordStatus.Active);
  });

  it("checks the replacement like attest, and leaves the old record active when it fails", async function () {
    const f = await loadDeployFixture();
    const { consortium, registry, signers, ids, categories, schemas, request } = f;
    const old = request();
    const oldUid = coreAttestationUid(old, ids.tax);
    await registry.connect(signers.tax).attest(old);
    await expect(registry.connect(signers.tax).supersede(oldUid, old))
      .to.be.revertedWithCustomError(registry, "RegistryRecordExists")
      .withArgs(oldUid);
    await expect(registry.connect(signers.tax).supersede(oldUid, { ...old, severity: 9 }))
      .to.be.revertedWithCustomError(registry, "RegistryInvalidSeverity")
      .withArgs(9);
    await expect(
      registry.connect(signers.tax).supersede(oldUid, { ...old, schema: schemas.adminPenalty }),
    )
      .to.be.revertedWithCustomError(consortium, "ConsortiumNotAccredited")
      .withArgs(ids.tax, categories.adminPenalty);
    expect((await recordOf(registry, oldUid)).status).to.equal(BigInt(RecordStatus.Active));
    expect(await registry.supersededBy(oldUid)).to.equal(ZeroHash);
  });

  it("needs a current accreditation for the replacement", async function () {
    const f = await loadDeployFixture();
    const { consortium, registry, signers, ids, categories, scopeExpiresAt, request } = f;
    const [uid] = await attested(f, "sup-expired", 1, { expiresAt: 0 });
    await networkHelpers.time.increaseTo(scopeExpiresAt + YEAR);
    await expect(
      registry.connect(signers.tax).supersede(uid, request({ dataHash: h("late"), expiresAt: 0 })),
    )
      .to.be.revertedWithCustomError(consortium, "ConsortiumAccreditationExpired")
      .withArgs(ids.tax, categories.taxPayment, scopeExpiresAt);
  });
});
