/**
 * CreditRegistry: attest and attestMany (the one `_attest` path attestBySig also takes, see
 * registry.sig.test.ts), with the authorisation the Consortium gives.
 */
import { expect } from "chai";
import { ZeroAddress, ZeroHash } from "ethers";

import { RecordStatus, Role, Severity } from "../../core/index.js";

import {
  coreAttestationUid,
  DAY,
  distinctRequests,
  h,
  HOUR,
  loadDeployFixture,
  networkHelpers,
  recordOf,
  YEAR,
} from "./fixture.js";

const UINT40_MAX = (1n << 40n) - 1n;

describe("CreditRegistry: attest", function () {
  describe("success", function () {
    it("stores one slot, returns and emits the uid core computes", async function () {
      const { registry, signers, ids, indexes, schemaIndexes, request } = await loadDeployFixture();
      const req = request();
      const uid = coreAttestationUid(req, ids.tax);
      expect(await registry.attestationUid(req, ids.tax)).to.equal(uid);
      expect(await registry.connect(signers.tax).attest.staticCall(req)).to.equal(uid);

      await expect(registry.connect(signers.tax).attest(req))
        .to.emit(registry, "Attested")
        .withArgs(
          uid,
          req.subject,
          req.schema,
          ids.tax,
          req.dataHash,
          req.observedAt,
          req.expiresAt,
          req.severity,
          await signers.tax.getAddress(),
          ZeroAddress,
        );
      expect(await recordOf(registry, uid)).to.deep.equal({
        owner: indexes.tax,
        schema: schemaIndexes.taxPayment,
        observedAt: BigInt(req.observedAt),
        expiresAt: BigInt(req.expiresAt),
        severity: 0n,
        status: BigInt(RecordStatus.Active),
        derived: false,
        disputed: false,
        repaired: false,
        batchLeaf: false,
      });
      expect(await registry.supersededBy(uid)).to.equal(ZeroHash);
    });

    it("attributes a record signed with a member's second key to the member", async function () {
      const { registry, signers, ids, indexes, request } = await loadDeployFixture();
      const req = request({ subject: h("second-key") });
      const uid = coreAttestationUid(req, ids.tax);
      await expect(registry.connect(signers.taxAlt).attest(req))
        .to.emit(registry, "Attested")
        .withArgs(
          uid,
          req.subject,
          req.schema,
          ids.tax,
          req.dataHash,
          req.observedAt,
          req.expiresAt,
          req.severity,
          await signers.taxAlt.getAddress(),
          ZeroAddress,
        );
      expect((await recordOf(registry, uid)).owner).to.equal(indexes.tax);
      // the same record through the other key of the same member is the same uid
      await expect(registry.connect(signers.tax).attest(req))
        .to.be.revertedWithCustomError(registry, "RegistryRecordExists")
        .withArgs(uid);
    });

    it("accepts every accredited category of each provider, and every severity", async function () {
      const { registry, signers, ids, indexes, schemas, schemaIndexes, request } =
        await loadDeployFixture();
      const cases = [
        { signer: signers.tax, provider: "tax", schema: "taxPayment", severity: Severity.General },
        { signer: signers.tax, provider: "tax", schema: "taxGrade", severity: Severity.Serious },
        {
          signer: signers.court,
          provider: "court",
          schema: "judicialEnforcement",
          severity: Severity.Serious,
        },
        {
          signer: signers.court,
          provider: "court",
          schema: "adminPenalty",
          severity: Severity.Minor,
        },
        {
          signer: signers.court,
          provider: "court",
          schema: "adminPenalty",
          severity: Severity.None,
        },
      ] as const;
      for (const [i, c] of cases.entries()) {
        const req = request({
          schema: schemas[c.schema],
          subject: h(`case:${i}`),
          severity: c.severity,
        });
        const uid = coreAttestationUid(req, ids[c.provider]);
        await expect(registry.connect(c.signer).attest(req)).to.emit(registry, "Attested");
        const r = await recordOf(registry, uid);
        expect(r.owner).to.equal(indexes[c.provider]);
        expect(r.schema).to.equal(schemaIndexes[c.schema]);
        expect(r.severity).to.equal(BigInt(c.severity));
        expect(r.status).to.equal(BigInt(RecordStatus.Active));
      }
    });

    it("accepts a record that never expires (expiresAt 0) and the largest uint40 expiry", async function () {
      const { registry, signers, ids, request } = await loadDeployFixture();
      const never = request({ subject: h("never"), expiresAt: 0 });
      await registry.connect(signers.tax).attest(never);
      expect((await recordOf(registry, coreAttestationUid(never, ids.tax))).expiresAt).to.equal(0n);
      const far = request({ subject: h("far"), expiresAt: UINT40_MAX });
      await registry.connect(signers.tax).attest(far);
      expect((await recordOf(registry, coreAttestationUid(far, ids.tax))).expiresAt).to.equal(
        UINT40_MAX,
      );
    });

    it("tolerates one hour of clock skew in observedAt, not a second more", async function () {
      const { registry, signers, request } = await loadDeployFixture();
      const t = BigInt(await networkHelpers.time.latest()) + 100n;
      await networkHelpers.time.setNextBlockTimestamp(t);
      await expect(
        registry
          .connect(signers.tax)
          .attest(request({ subject: h("skew-ok"), observedAt: t + HOUR, expiresAt: 0 })),
      ).to.emit(registry, "Attested");
      await networkHelpers.time.setNextBlockTimestamp(t + 10n);
      await expect(
        registry
          .connect(signers.tax)
          .attest(
            request({ subject: h("skew-bad"), observedAt: t + 10n + HOUR + 1n, expiresAt: 0 }),
          ),
      )
        .to.be.revertedWithCustomError(registry, "RegistryInvalidTimes")
        .withArgs(t + 10n + HOUR + 1n, 0);
    });

    it("keeps records attested with a key that is later rotated out", async function () {
      const { consortium, registry, signers, ids, indexes, request } = await loadDeployFixture();
      const req = request({ subject: h("before-rotation") });
      await registry.connect(signers.taxAlt).attest(req);
      await consortium.connect(signers.tax).revokeOwnKey(await signers.taxAlt.getAddress());
      const r = await recordOf(registry, coreAttestationUid(req, ids.tax));
      expect(r.owner).to.equal(indexes.tax);
      expect(r.status).to.equal(BigInt(RecordStatus.Active));
      // and the member's remaining key still attests
      await expect(
        registry.connect(signers.tax).attest(request({ subject: h("after-rotation") })),
      ).to.emit(registry, "Attested");
    });
  });

  describe("authorisation (errors of the Consortium)", function () {
    it("rejects a key that belongs to no member", async function () {
      const { consortium, registry, signers, request } = await loadDeployFixture();
      await expect(registry.connect(signers.outsider).attest(request()))
        .to.be.revertedWithCustomError(consortium, "ConsortiumUnknownKey")
        .withArgs(await signers.outsider.getAddress());
    });

    it("rejects a member without the PROVIDER role", async function () {
      const { consortium, registry, signers, ids, request } = await loadDeployFixture();
      for (const who of [
        "lenderA",
        "scorer",
        "regulator",
        "repairAuthority",
        "operator",
      ] as const) {
        await expect(registry.connect(signers[who]).attest(request()))
          .to.be.revertedWithCustomError(consortium, "ConsortiumMissingRole")
          .withArgs(ids[who], Role.PROVIDER);
      }
    });

    it("rejects a category the provider is not accredited for", async function () {
      const { consortium, registry, signers, ids, categories, schemas, request } =
        await loadDeployFixture();
      await expect(registry.connect(signers.tax).attest(request({ schema: schemas.adminPenalty })))
        .to.be.revertedWithCustomError(consortium, "ConsortiumNotAccredited")
        .withArgs(ids.tax, categories.adminPenalty);
      await expect(registry.connect(signers.court).attest(request({ schema: schemas.taxPayment })))
        .to.be.revertedWithCustomError(consortium, "ConsortiumNotAccredited")
        .withArgs(ids.court, categories.taxPayment);
      await expect(registry.connect(signers.tax).attest(request({ schema: schemas.creditScore })))
        .to.be.revertedWithCustomError(consortium, "ConsortiumNotAccredited")
        .withArgs(ids.tax, categories.creditScore);
    });

    it("rejects an accreditation that has expired (at its expiry second)", async function () {
      const { consortium, registry, signers, ids, categories, scopeExpiresAt, request } =
        await loadDeployFixture();
      const req = request({ observedAt: scopeExpiresAt - DAY, expiresAt: 0 });
      await networkHelpers.time.setNextBlockTimestamp(scopeExpiresAt - 1n);
      await expect(registry.connect(signers.tax).attest(req)).to.emit(registry, "Attested");
      await networkHelpers.time.setNextBlockTimestamp(scopeExpiresAt);
      await expect(registry.connect(signers.tax).attest({ ...req, subject: h("late") }))
        .to.be.revertedWithCustomError(consortium, "ConsortiumAccreditationExpired")
        .withArgs(ids.tax, categories.taxPayment, scopeExpiresAt);
    });

    it("rejects an accreditation removed by governance (SetScope 0)", async function () {
      const { consortium, registry, signers, ids, categories, schemas, govern, request } =
        await loadDeployFixture();
      await govern({
        kind: "SetScope",
        member: ids.tax,
        category: categories.taxPayment,
        expiresAt: 0,
      });
      await expect(registry.connect(signers.tax).attest(request()))
        .to.be.revertedWithCustomError(consortium, "ConsortiumNotAccredited")
        .withArgs(ids.tax, categories.taxPayment);
      // the other category is untouched
      await expect(
        registry.connect(signers.tax).attest(request({ schema: schemas.taxGrade })),
      ).to.emit(registry, "Attested");
    });

    it("rejects a suspended member, and accepts it again once reinstated", async function () {
      const { consortium, registry, signers, ids, govern, request } = await loadDeployFixture();
      await govern({ kind: "Suspend", member: ids.tax });
      for (const key of [signers.tax, signers.taxAlt]) {
        await expect(registry.connect(key).attest(request()))
          .to.be.revertedWithCustomError(consortium, "ConsortiumMemberSuspended")
          .withArgs(ids.tax);
      }
      await govern({ kind: "Reinstate", member: ids.tax });
      await expect(registry.connect(signers.tax).attest(request())).to.emit(registry, "Attested");
    });

    it("rejects a key rotated out by its member (revokeOwnKey)", async function () {
      const { consortium, registry, signers, request } = await loadDeployFixture();
      const alt = await signers.taxAlt.getAddress();
      await consortium.connect(signers.tax).revokeOwnKey(alt);
      await expect(registry.connect(signers.taxAlt).attest(request()))
        .to.be.revertedWithCustomError(consortium, "ConsortiumKeyRevoked")
        .withArgs(alt);
    });

    it("rejects a key revoked by governance (RevokeKey)", async function () {
      const { consortium, registry, signers, ids, govern, request } = await loadDeployFixture();
      const alt = await signers.taxAlt.getAddress();
      await govern({ kind: "RevokeKey", member: ids.tax, key: alt });
      await expect(registry.connect(signers.taxAlt).attest(request()))
        .to.be.revertedWithCustomError(consortium, "ConsortiumKeyRevoked")
        .withArgs(alt);
    });

    it("rejects a member whose PROVIDER role was taken away (SetRoles)", async function () {
      const { consortium, registry, signers, ids, govern, request } = await loadDeployFixture();
      await govern({ kind: "SetRoles", member: ids.tax, roles: Role.LENDER });
      await expect(registry.connect(signers.tax).attest(request()))
        .to.be.revertedWithCustomError(consortium, "ConsortiumMissingRole")
        .withArgs(ids.tax, Role.PROVIDER);
    });

    it("rejects an unknown schema", async function () {
      const { consortium, registry, signers, request } = await loadDeployFixture();
      const schema = h("no such schema");
      await expect(registry.connect(signers.tax).attest(request({ schema })))
        .to.be.revertedWithCustomError(consortium, "ConsortiumUnknownSchema")
        .withArgs(schema);
    });
  });

  describe("record fields", function () {
    it("rejects a zero subject or a zero dataHash", async function () {
      const { registry, signers, request } = await loadDeployFixture();
      const req = request();
      await expect(registry.connect(signers.tax).attest({ ...req, subject: ZeroHash }))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidRecord")
        .withArgs(ZeroHash, req.dataHash);
      await expect(registry.connect(signers.tax).attest({ ...req, dataHash: ZeroHash }))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidRecord")
        .withArgs(req.subject, ZeroHash);
    });

    it("rejects observedAt 0 and observedAt beyond now + 1 hour", async function () {
      const { registry, signers, now, request } = await loadDeployFixture();
      await expect(registry.connect(signers.tax).attest(request({ observedAt: 0 })))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidTimes")
        .withArgs(0, now + 5n * YEAR);
      const future = now + DAY;
      await expect(registry.connect(signers.tax).attest(request({ observedAt: future })))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidTimes")
        .withArgs(future, now + 5n * YEAR);
    });

    it("rejects expiresAt at or before observedAt, and beyond uint40", async function () {
      const { registry, signers, now, request } = await loadDeployFixture();
      const observedAt = now - DAY;
      for (const expiresAt of [
        observedAt,
        observedAt - 1n,
        1n,
        UINT40_MAX + 1n,
        (1n << 64n) - 1n,
      ]) {
        await expect(registry.connect(signers.tax).attest(request({ observedAt, expiresAt })))
          .to.be.revertedWithCustomError(registry, "RegistryInvalidTimes")
          .withArgs(observedAt, expiresAt);
      }
    });

    it("rejects a severity above Serious (3)", async function () {
      const { registry, signers, request } = await loadDeployFixture();
      for (const severity of [4, 255]) {
        await expect(registry.connect(signers.tax).attest(request({ severity })))
          .to.be.revertedWithCustomError(registry, "RegistryInvalidSeverity")
          .withArgs(severity);
      }
    });

    it("rejects a duplicate (RegistryRecordExists), even after the original was revoked", async function () {
      const { registry, signers, ids, request } = await loadDeployFixture();
      const req = request();
      const uid = coreAttestationUid(req, ids.tax);
      await registry.connect(signers.tax).attest(req);
      await expect(registry.connect(signers.tax).attest(req))
        .to.be.revertedWithCustomError(registry, "RegistryRecordExists")
        .withArgs(uid);
      await registry.connect(signers.tax).revoke(uid, h("reason"));
      await expect(registry.connect(signers.tax).attest(req))
        .to.be.revertedWithCustomError(registry, "RegistryRecordExists")
        .withArgs(uid);
    });

    it("gives different uids to the same record from different providers, schemas or fields", async function () {
      const { registry, signers, ids, schemas, request } = await loadDeployFixture();
      const base = request({ schema: schemas.adminPenalty, severity: Severity.General });
      const variants = [
        base,
        { ...base, schema: schemas.judicialEnforcement },
        { ...base, observedAt: BigInt(base.observedAt) - 1n },
        { ...base, expiresAt: 0 },
        { ...base, severity: Severity.Serious },
      ];
      const uids = new Set<string>();
      for (const v of variants) {
        const uid = coreAttestationUid(v, ids.court);
        uids.add(uid);
        await expect(registry.connect(signers.court).attest(v))
          .to.emit(registry, "Attested")
          .withArgs(
            uid,
            v.subject,
            v.schema,
            ids.court,
            v.dataHash,
            v.observedAt,
            v.expiresAt,
            v.severity,
            await signers.court.getAddress(),
            ZeroAddress,
          );
      }
      expect(uids.size).to.equal(variants.length);
      // the same fields under another provider are another uid
      expect(coreAttestationUid(base, ids.tax)).to.not.equal(coreAttestationUid(base, ids.court));
      expect(await registry.attestationUid(base, ids.tax)).to.equal(
        coreAttestationUid(base, ids.tax),
      );
    });
  });

  describe("attestMany", function () {
    it("attests every request, in order, with the uids core computes", async function () {
      const { registry, signers, ids, indexes, request } = await loadDeployFixture();
      const reqs = distinctRequests(request, "many", 5);
      const uids = reqs.map((r) => coreAttestationUid(r, ids.tax));
      expect(await registry.connect(signers.tax).attestMany.staticCall(reqs)).to.deep.equal(uids);
      const tx = registry.connect(signers.tax).attestMany(reqs);
      for (const [i, r] of reqs.entries()) {
        await expect(tx)
          .to.emit(registry, "Attested")
          .withArgs(
            uids[i],
            r.subject,
            r.schema,
            ids.tax,
            r.dataHash,
            r.observedAt,
            r.expiresAt,
            r.severity,
            await signers.tax.getAddress(),
            ZeroAddress,
          );
      }
      const receipt = await (await tx).wait();
      const attested = (receipt?.logs ?? [])
        .map((log) => registry.interface.parseLog(log))
        .filter((e) => e?.name === "Attested")
        .map((e) => e?.args.uid as string);
      expect(attested).to.deep.equal(uids);
      for (const uid of uids) {
        const r = await recordOf(registry, uid);
        expect(r.owner).to.equal(indexes.tax);
        expect(r.status).to.equal(BigInt(RecordStatus.Active));
      }
    });

    it("accepts an empty list", async function () {
      const { registry, signers } = await loadDeployFixture();
      expect(await registry.connect(signers.tax).attestMany.staticCall([])).to.deep.equal([]);
      await expect(registry.connect(signers.tax).attestMany([])).to.not.emit(registry, "Attested");
    });

    it("is all or nothing: one bad request reverts the whole call with its error", async function () {
      const { consortium, registry, signers, ids, categories, schemas, request } =
        await loadDeployFixture();
      const reqs = distinctRequests(request, "aon", 3);
      const bad = [
        {
          at: 1,
          req: { ...reqs[1], severity: 4 },
          error: "RegistryInvalidSeverity",
          args: [4],
          on: registry,
        },
        {
          at: 2,
          req: { ...reqs[2], subject: ZeroHash },
          error: "RegistryInvalidRecord",
          args: [ZeroHash, reqs[2].dataHash],
          on: registry,
        },
        {
          at: 2,
          req: { ...reqs[2], schema: schemas.adminPenalty },
          error: "ConsortiumNotAccredited",
          args: [ids.tax, categories.adminPenalty],
          on: consortium,
        },
        {
          at: 2,
          req: reqs[0],
          error: "RegistryRecordExists",
          args: [coreAttestationUid(reqs[0], ids.tax)],
          on: registry,
        },
      ] as const;
      for (const b of bad) {
        const list = [...reqs];
        list[b.at] = b.req;
        await expect(registry.connect(signers.tax).attestMany(list))
          .to.be.revertedWithCustomError(b.on, b.error)
          .withArgs(...b.args);
        for (const r of reqs) {
          expect((await recordOf(registry, coreAttestationUid(r, ids.tax))).status).to.equal(
            BigInt(RecordStatus.None),
          );
        }
      }
    });

    it("needs an authorised caller like attest", async function () {
      const { consortium, registry, signers, ids, request } = await loadDeployFixture();
      await expect(registry.connect(signers.lenderA).attestMany([request()]))
        .to.be.revertedWithCustomError(consortium, "ConsortiumMissingRole")
        .withArgs(ids.lenderA, Role.PROVIDER);
      await expect(registry.connect(signers.outsider).attestMany([request()]))
        .to.be.revertedWithCustomError(consortium, "ConsortiumUnknownKey")
        .withArgs(await signers.outsider.getAddress());
    });
  });
});
