import { anyValue } from "@nomicfoundation/hardhat-ethers-chai-matchers/withArgs";
/**
 * CreditRegistry disputes (异议: a LENDER disputes a record on the subject's behalf; the owner answers
 * within the "disputePeriod", 20 days by default) and credit repair (信用修复: a repair authority
 * approves the repair of a negative record once the minimum period for its severity has passed).
 */
import { expect } from "chai";

import {
  buildRecordBatch,
  derivedUid,
  DisputeOutcome,
  DisputeStatus,
  PARAMETER_DEFAULTS,
  PARAMETER_KEYS,
  RecordStatus,
  RepairStatus,
  Role,
  Severity,
  type Hex,
} from "../../core/index.js";

import {
  coreAttestationUid,
  DAY,
  ethers,
  h,
  leafInput,
  loadDeployFixture,
  networkHelpers,
  recordLeaves,
  recordOf,
  YEAR,
  type AttestationRequestStruct,
  type Fixture,
} from "./fixture.js";

/** Attests one record by the tax bureau (fields overridable); returns its uid. */
async function attestOne(
  f: Fixture,
  overrides: Partial<AttestationRequestStruct> = {},
): Promise<Hex> {
  const req = f.request(overrides);
  await (await f.registry.connect(f.signers.tax).attest(req)).wait();
  return coreAttestationUid(req, f.ids.tax);
}

async function disputeOf(f: Fixture, uid: string) {
  const d = await f.registry.dispute(uid);
  return {
    opener: d.opener,
    seq: d.seq,
    openedAt: d.openedAt,
    deadline: d.deadline,
    status: d.status,
    outcome: d.outcome,
  };
}

async function repairOf(f: Fixture, uid: string) {
  const p = await f.registry.repair(uid);
  return { requester: p.requester, requestedAt: p.requestedAt, status: p.status };
}

/** Opens a dispute at a known time; returns that time. */
async function openAt(
  f: Fixture,
  uid: string,
  opener = f.signers.lenderA,
  reason = h("reason"),
): Promise<bigint> {
  const t = BigInt(await networkHelpers.time.latest()) + 10n;
  await networkHelpers.time.setNextBlockTimestamp(t);
  await (await f.registry.connect(opener).openDispute(uid, reason)).wait();
  return t;
}

const PERIOD = PARAMETER_DEFAULTS.disputePeriod;

describe("CreditRegistry: disputes", function () {
  describe("openDispute", function () {
    it("opens a dispute for 20 days, marks the record disputed, emits the full payload", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, ids, indexes } = f;
      const uid = await attestOne(f);
      const reason = h("the subject paid these arrears in full");
      const t = BigInt(await networkHelpers.time.latest()) + 10n;
      await networkHelpers.time.setNextBlockTimestamp(t);
      await expect(registry.connect(signers.lenderA).openDispute(uid, reason))
        .to.emit(registry, "DisputeOpened")
        .withArgs(
          uid,
          ids.lenderA,
          1,
          reason,
          t,
          t + 20n * DAY,
          await signers.lenderA.getAddress(),
        );
      expect(PERIOD).to.equal(20n * DAY);
      expect(await disputeOf(f, uid)).to.deep.equal({
        opener: indexes.lenderA,
        seq: 1n,
        openedAt: t,
        deadline: t + PERIOD,
        status: BigInt(DisputeStatus.Open),
        outcome: BigInt(DisputeOutcome.None),
      });
      const r = await recordOf(registry, uid);
      expect(r.disputed).to.equal(true);
      expect(r.status).to.equal(BigInt(RecordStatus.Active));
    });

    it("rejects a second dispute while one is open (RegistryDisputeOpen)", async function () {
      const f = await loadDeployFixture();
      const uid = await attestOne(f);
      await openAt(f, uid);
      for (const lender of [f.signers.lenderA, f.signers.lenderB]) {
        await expect(f.registry.connect(lender).openDispute(uid, h("again")))
          .to.be.revertedWithCustomError(f.registry, "RegistryDisputeOpen")
          .withArgs(uid);
      }
    });

    it("lets a new dispute replace one left unanswered past its deadline", async function () {
      const f = await loadDeployFixture();
      const uid = await attestOne(f);
      await openAt(f, uid);
      await networkHelpers.time.increase(PERIOD + DAY);
      await expect(f.registry.connect(f.signers.lenderB).openDispute(uid, h("again")))
        .to.emit(f.registry, "DisputeOpened")
        .withArgs(
          uid,
          f.ids.lenderB,
          2,
          h("again"),
          anyValue,
          anyValue,
          await f.signers.lenderB.getAddress(),
        );
      const d = await f.registry.dispute(uid);
      expect(d.seq).to.equal(2n);
      expect(d.status).to.equal(1n);
      // the provider can answer the new one
      await expect(f.registry.connect(f.signers.tax).answerDispute(uid, 1, h("answer"))).to.emit(
        f.registry,
        "DisputeAnswered",
      );
    });

    it("needs a LENDER", async function () {
      const f = await loadDeployFixture();
      const { consortium, registry, signers, ids } = f;
      const uid = await attestOne(f);
      for (const who of ["tax", "scorer", "regulator", "repairAuthority", "operator"] as const) {
        await expect(registry.connect(signers[who]).openDispute(uid, h("r")))
          .to.be.revertedWithCustomError(consortium, "ConsortiumMissingRole")
          .withArgs(ids[who], Role.LENDER);
      }
      await expect(registry.connect(signers.outsider).openDispute(uid, h("r")))
        .to.be.revertedWithCustomError(consortium, "ConsortiumUnknownKey")
        .withArgs(await signers.outsider.getAddress());
    });

    it("rejects an unknown, a revoked and a superseded record", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, request } = f;
      const unknown = h("unknown");
      await expect(registry.connect(signers.lenderA).openDispute(unknown, h("r")))
        .to.be.revertedWithCustomError(registry, "RegistryUnknownRecord")
        .withArgs(unknown);
      const revoked = await attestOne(f, { subject: h("revoked") });
      await registry.connect(signers.tax).revoke(revoked, h("r"));
      await expect(registry.connect(signers.lenderA).openDispute(revoked, h("r")))
        .to.be.revertedWithCustomError(registry, "RegistryNotActive")
        .withArgs(revoked, RecordStatus.Revoked);
      const superseded = await attestOne(f, { subject: h("superseded") });
      await registry
        .connect(signers.tax)
        .supersede(superseded, request({ subject: h("superseded"), dataHash: h("v2") }));
      await expect(registry.connect(signers.lenderA).openDispute(superseded, h("r")))
        .to.be.revertedWithCustomError(registry, "RegistryNotActive")
        .withArgs(superseded, RecordStatus.Superseded);
    });

    it("takes the deadline from the governed disputePeriod at opening time", async function () {
      const f = await loadDeployFixture();
      const { consortium, registry, signers, ids, govern } = f;
      const first = await attestOne(f, { subject: h("first") });
      const t1 = await openAt(f, first);
      await govern({ kind: "SetParameter", name: "disputePeriod", value: 30n * DAY });
      expect(await consortium.parameter(PARAMETER_KEYS.disputePeriod)).to.equal(30n * DAY);
      const second = await attestOne(f, { subject: h("second") });
      const t2 = BigInt(await networkHelpers.time.latest()) + 10n;
      await networkHelpers.time.setNextBlockTimestamp(t2);
      await expect(registry.connect(signers.lenderB).openDispute(second, h("r")))
        .to.emit(registry, "DisputeOpened")
        .withArgs(
          second,
          ids.lenderB,
          1,
          h("r"),
          t2,
          t2 + 30n * DAY,
          await signers.lenderB.getAddress(),
        );
      // a dispute already open keeps its deadline
      expect((await disputeOf(f, first)).deadline).to.equal(t1 + PERIOD);
      expect((await disputeOf(f, second)).deadline).to.equal(t2 + 30n * DAY);
    });

    it("disputes a recorded batch leaf", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, ids, schemas, now } = f;
      const batch = buildRecordBatch(recordLeaves("dispute-leaf", 2, now));
      await registry.connect(signers.tax).anchorBatch(schemas.taxPayment, batch.root, 2, "");
      await registry.recordLeaf(leafInput(batch, 0));
      const uid = batch.leafUid(0, { schema: schemas.taxPayment, provider: ids.tax });
      await openAt(f, uid);
      await expect(
        registry.connect(signers.taxAlt).answerDispute(uid, DisputeOutcome.Upheld, h("checked")),
      )
        .to.emit(registry, "DisputeAnswered")
        .withArgs(
          uid,
          ids.tax,
          1,
          DisputeOutcome.Upheld,
          h("checked"),
          await signers.taxAlt.getAddress(),
        );
    });
  });

  describe("answerDispute", function () {
    it("lets the provider uphold the record before the deadline", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, ids, indexes } = f;
      const uid = await attestOne(f);
      const t = await openAt(f, uid);
      const response = h("record checked against the tax ledger");
      await expect(
        registry.connect(signers.tax).answerDispute(uid, DisputeOutcome.Upheld, response),
      )
        .to.emit(registry, "DisputeAnswered")
        .withArgs(uid, ids.tax, 1, DisputeOutcome.Upheld, response, await signers.tax.getAddress());
      expect(await disputeOf(f, uid)).to.deep.equal({
        opener: indexes.lenderA,
        seq: 1n,
        openedAt: t,
        deadline: t + PERIOD,
        status: BigInt(DisputeStatus.Answered),
        outcome: BigInt(DisputeOutcome.Upheld),
      });
      const r = await recordOf(registry, uid);
      expect(r.disputed).to.equal(false);
      expect(r.status).to.equal(BigInt(RecordStatus.Active));
    });

    it("lets the provider answer Corrected after superseding or revoking the record", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, ids, request } = f;
      const a = await attestOne(f, { subject: h("a") });
      await openAt(f, a);
      await registry
        .connect(signers.tax)
        .supersede(a, request({ subject: h("a"), dataHash: h("a corrected") }));
      await expect(
        registry.connect(signers.tax).answerDispute(a, DisputeOutcome.Corrected, h("superseded")),
      )
        .to.emit(registry, "DisputeAnswered")
        .withArgs(
          a,
          ids.tax,
          1,
          DisputeOutcome.Corrected,
          h("superseded"),
          await signers.tax.getAddress(),
        );
      const ra = await recordOf(registry, a);
      expect(ra.status).to.equal(BigInt(RecordStatus.Superseded));
      expect(ra.disputed).to.equal(false);

      const b = await attestOne(f, { subject: h("b") });
      await openAt(f, b);
      await registry.connect(signers.tax).revoke(b, h("wrong subject"));
      await expect(
        registry.connect(signers.tax).answerDispute(b, DisputeOutcome.Corrected, h("revoked")),
      ).to.emit(registry, "DisputeAnswered");
      expect((await disputeOf(f, b)).outcome).to.equal(BigInt(DisputeOutcome.Corrected));
    });

    it("accepts an answer in the deadline's second, not after (RegistryDisputeOverdue)", async function () {
      const f = await loadDeployFixture();
      const { registry, signers } = f;
      const onTime = await attestOne(f, { subject: h("on time") });
      const t1 = await openAt(f, onTime);
      await networkHelpers.time.setNextBlockTimestamp(t1 + PERIOD);
      await expect(
        registry.connect(signers.tax).answerDispute(onTime, DisputeOutcome.Upheld, h("ok")),
      ).to.emit(registry, "DisputeAnswered");
      const late = await attestOne(f, { subject: h("late") });
      const t2 = await openAt(f, late);
      await networkHelpers.time.setNextBlockTimestamp(t2 + PERIOD + 1n);
      await expect(
        registry.connect(signers.tax).answerDispute(late, DisputeOutcome.Upheld, h("late")),
      )
        .to.be.revertedWithCustomError(registry, "RegistryDisputeOverdue")
        .withArgs(late, t2 + PERIOD);
      // the record stays marked disputed; the opener may still withdraw
      expect((await recordOf(registry, late)).disputed).to.equal(true);
      await expect(registry.connect(signers.lenderA).withdrawDispute(late)).to.emit(
        registry,
        "DisputeWithdrawn",
      );
    });

    it("rejects the outcome None (RegistryInvalidOutcome) and an outcome outside the enum", async function () {
      const f = await loadDeployFixture();
      const { registry, signers } = f;
      const uid = await attestOne(f);
      await openAt(f, uid);
      await expect(registry.connect(signers.tax).answerDispute(uid, DisputeOutcome.None, h("r")))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidOutcome")
        .withArgs(DisputeOutcome.None);
      await expect(
        registry.connect(signers.tax).answerDispute(uid, 3, h("r")),
      ).to.be.revertedWithoutReason(ethers);
    });

    it("rejects a caller that does not own the record", async function () {
      const f = await loadDeployFixture();
      const { consortium, registry, signers, ids } = f;
      const uid = await attestOne(f);
      await openAt(f, uid);
      await expect(
        registry.connect(signers.court).answerDispute(uid, DisputeOutcome.Upheld, h("r")),
      )
        .to.be.revertedWithCustomError(registry, "RegistryNotOwner")
        .withArgs(uid, ids.court);
      for (const who of ["lenderA", "scorer", "regulator"] as const) {
        await expect(
          registry.connect(signers[who]).answerDispute(uid, DisputeOutcome.Upheld, h("r")),
        )
          .to.be.revertedWithCustomError(consortium, "ConsortiumMissingRole")
          .withArgs(ids[who], Role.PROVIDER);
      }
    });

    it("rejects an unknown record and a record without an open dispute", async function () {
      const f = await loadDeployFixture();
      const { registry, signers } = f;
      const unknown = h("unknown");
      await expect(
        registry.connect(signers.tax).answerDispute(unknown, DisputeOutcome.Upheld, h("r")),
      )
        .to.be.revertedWithCustomError(registry, "RegistryUnknownRecord")
        .withArgs(unknown);
      const uid = await attestOne(f);
      await expect(registry.connect(signers.tax).answerDispute(uid, DisputeOutcome.Upheld, h("r")))
        .to.be.revertedWithCustomError(registry, "RegistryNoOpenDispute")
        .withArgs(uid);
      await openAt(f, uid);
      await registry.connect(signers.tax).answerDispute(uid, DisputeOutcome.Upheld, h("r"));
      await expect(
        registry.connect(signers.tax).answerDispute(uid, DisputeOutcome.Corrected, h("r")),
      )
        .to.be.revertedWithCustomError(registry, "RegistryNoOpenDispute")
        .withArgs(uid);
    });

    it("lets the scorer answer a dispute on its derived record", async function () {
      const f = await loadDeployFixture();
      const { consortium, registry, signers, ids, schemas, model, now } = f;
      const input = await attestOne(f);
      const req = {
        schema: schemas.creditScore,
        subject: h("subject:acme"),
        dataHash: h("score"),
        modelHash: model,
        observedAt: now,
        inputs: [input],
        leafInputs: [],
      };
      await registry.connect(signers.scorer).derive(req);
      const uid = derivedUid({ ...req, schema: req.schema, deriver: ids.scorer, inputs: [input] });
      await openAt(f, uid);
      expect((await recordOf(registry, uid)).disputed).to.equal(true);
      await expect(registry.connect(signers.tax).answerDispute(uid, DisputeOutcome.Upheld, h("r")))
        .to.be.revertedWithCustomError(consortium, "ConsortiumMissingRole")
        .withArgs(ids.tax, Role.SCORER);
      await expect(
        registry
          .connect(signers.scorer)
          .answerDispute(uid, DisputeOutcome.Upheld, h("score stands")),
      )
        .to.emit(registry, "DisputeAnswered")
        .withArgs(
          uid,
          ids.scorer,
          1,
          DisputeOutcome.Upheld,
          h("score stands"),
          await signers.scorer.getAddress(),
        );
      expect((await recordOf(registry, uid)).disputed).to.equal(false);
    });
  });

  describe("withdrawDispute", function () {
    it("lets the opener withdraw", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, ids, indexes } = f;
      const uid = await attestOne(f);
      const t = await openAt(f, uid);
      await expect(registry.connect(signers.lenderA).withdrawDispute(uid))
        .to.emit(registry, "DisputeWithdrawn")
        .withArgs(uid, ids.lenderA, 1, await signers.lenderA.getAddress());
      expect(await disputeOf(f, uid)).to.deep.equal({
        opener: indexes.lenderA,
        seq: 1n,
        openedAt: t,
        deadline: t + PERIOD,
        status: BigInt(DisputeStatus.Withdrawn),
        outcome: BigInt(DisputeOutcome.None),
      });
      expect((await recordOf(registry, uid)).disputed).to.equal(false);
      // nothing left to answer
      await expect(registry.connect(signers.tax).answerDispute(uid, DisputeOutcome.Upheld, h("r")))
        .to.be.revertedWithCustomError(registry, "RegistryNoOpenDispute")
        .withArgs(uid);
    });

    it("rejects another lender (RegistryNotDisputeOpener), a non-lender, and no open dispute", async function () {
      const f = await loadDeployFixture();
      const { consortium, registry, signers, ids } = f;
      const uid = await attestOne(f);
      await expect(registry.connect(signers.lenderA).withdrawDispute(uid))
        .to.be.revertedWithCustomError(registry, "RegistryNoOpenDispute")
        .withArgs(uid);
      await openAt(f, uid);
      await expect(registry.connect(signers.lenderB).withdrawDispute(uid))
        .to.be.revertedWithCustomError(registry, "RegistryNotDisputeOpener")
        .withArgs(uid, ids.lenderB);
      await expect(registry.connect(signers.tax).withdrawDispute(uid))
        .to.be.revertedWithCustomError(consortium, "ConsortiumMissingRole")
        .withArgs(ids.tax, Role.LENDER);
      await registry.connect(signers.tax).answerDispute(uid, DisputeOutcome.Upheld, h("r"));
      await expect(registry.connect(signers.lenderA).withdrawDispute(uid))
        .to.be.revertedWithCustomError(registry, "RegistryNoOpenDispute")
        .withArgs(uid);
    });
  });

  describe("reopening", function () {
    it("opens a new dispute after an answer or a withdrawal, with the next sequence number", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, ids, indexes } = f;
      const uid = await attestOne(f);
      await openAt(f, uid);
      await registry.connect(signers.tax).answerDispute(uid, DisputeOutcome.Upheld, h("r1"));
      const t2 = BigInt(await networkHelpers.time.latest()) + 10n;
      await networkHelpers.time.setNextBlockTimestamp(t2);
      await expect(registry.connect(signers.lenderB).openDispute(uid, h("new evidence")))
        .to.emit(registry, "DisputeOpened")
        .withArgs(
          uid,
          ids.lenderB,
          2,
          h("new evidence"),
          t2,
          t2 + PERIOD,
          await signers.lenderB.getAddress(),
        );
      expect(await disputeOf(f, uid)).to.deep.equal({
        opener: indexes.lenderB,
        seq: 2n,
        openedAt: t2,
        deadline: t2 + PERIOD,
        status: BigInt(DisputeStatus.Open),
        outcome: BigInt(DisputeOutcome.None),
      });
      expect((await recordOf(registry, uid)).disputed).to.equal(true);
      await expect(registry.connect(signers.lenderB).withdrawDispute(uid))
        .to.emit(registry, "DisputeWithdrawn")
        .withArgs(uid, ids.lenderB, 2, await signers.lenderB.getAddress());
      await openAt(f, uid);
      expect((await disputeOf(f, uid)).seq).to.equal(3n);
      await expect(registry.connect(signers.tax).answerDispute(uid, DisputeOutcome.Upheld, h("r3")))
        .to.emit(registry, "DisputeAnswered")
        .withArgs(uid, ids.tax, 3, DisputeOutcome.Upheld, h("r3"), await signers.tax.getAddress());
    });
  });
});

describe("CreditRegistry: repair", function () {
  /** A negative tax.payment record observed at `observedAt` with `severity`. */
  async function negative(
    f: Fixture,
    severity: number,
    observedAt = f.now - DAY,
    label = "negative",
  ): Promise<Hex> {
    return attestOne(f, {
      subject: h(label),
      severity,
      observedAt,
      expiresAt: observedAt + 5n * YEAR,
    });
  }

  describe("requestRepair", function () {
    it("accepts a request by a provider, a lender or a repair authority", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, ids, indexes } = f;
      const cases = [
        ["tax", "owner"],
        ["court", "another provider"],
        ["lenderA", "lender"],
        ["repairAuthority", "repair authority"],
      ] as const;
      for (const [who, label] of cases) {
        const uid = await negative(f, Severity.General, f.now - DAY, label);
        const t = BigInt(await networkHelpers.time.latest()) + 10n;
        await networkHelpers.time.setNextBlockTimestamp(t);
        const evidence = h(`evidence:${label}`);
        await expect(registry.connect(signers[who]).requestRepair(uid, evidence))
          .to.emit(registry, "RepairRequested")
          .withArgs(uid, ids[who], evidence, t, await signers[who].getAddress());
        expect(await repairOf(f, uid)).to.deep.equal({
          requester: indexes[who],
          requestedAt: t,
          status: BigInt(RepairStatus.Requested),
        });
      }
    });

    it("rejects a scorer, a regulator, an operator (RegistryNotAllowed) and an unknown key", async function () {
      const f = await loadDeployFixture();
      const { consortium, registry, signers, ids } = f;
      const uid = await negative(f, Severity.General);
      for (const who of ["scorer", "regulator", "operator"] as const) {
        await expect(registry.connect(signers[who]).requestRepair(uid, h("e")))
          .to.be.revertedWithCustomError(registry, "RegistryNotAllowed")
          .withArgs(ids[who]);
      }
      await expect(registry.connect(signers.outsider).requestRepair(uid, h("e")))
        .to.be.revertedWithCustomError(consortium, "ConsortiumUnknownKey")
        .withArgs(await signers.outsider.getAddress());
    });

    it("accepts a member holding one of the roles among others", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, ids, govern } = f;
      const uid = await negative(f, Severity.General);
      await govern({
        kind: "SetRoles",
        member: ids.regulator,
        roles: Role.REGULATOR | Role.LENDER,
      });
      await expect(registry.connect(signers.regulator).requestRepair(uid, h("e"))).to.emit(
        registry,
        "RepairRequested",
      );
    });

    it("rejects a suspended member", async function () {
      const f = await loadDeployFixture();
      const { consortium, registry, signers, ids, govern } = f;
      const uid = await negative(f, Severity.General);
      await govern({ kind: "Suspend", member: ids.lenderA });
      await expect(registry.connect(signers.lenderA).requestRepair(uid, h("e")))
        .to.be.revertedWithCustomError(consortium, "ConsortiumMemberSuspended")
        .withArgs(ids.lenderA);
    });

    it("rejects a record that is not negative, unknown, or not active", async function () {
      const f = await loadDeployFixture();
      const { registry, signers } = f;
      const fine = await attestOne(f, { subject: h("fine"), severity: Severity.None });
      await expect(registry.connect(signers.lenderA).requestRepair(fine, h("e")))
        .to.be.revertedWithCustomError(registry, "RegistryNotNegative")
        .withArgs(fine);
      const unknown = h("unknown");
      await expect(registry.connect(signers.lenderA).requestRepair(unknown, h("e")))
        .to.be.revertedWithCustomError(registry, "RegistryUnknownRecord")
        .withArgs(unknown);
      const revoked = await negative(f, Severity.Serious, f.now - DAY, "revoked");
      await registry.connect(signers.tax).revoke(revoked, h("r"));
      await expect(registry.connect(signers.lenderA).requestRepair(revoked, h("e")))
        .to.be.revertedWithCustomError(registry, "RegistryNotActive")
        .withArgs(revoked, RecordStatus.Revoked);
    });

    it("rejects a second request while one is pending (RegistryRepairPending)", async function () {
      const f = await loadDeployFixture();
      const { registry, signers } = f;
      const uid = await negative(f, Severity.General);
      await registry.connect(signers.lenderA).requestRepair(uid, h("e1"));
      for (const who of ["lenderA", "lenderB", "tax", "repairAuthority"] as const) {
        await expect(registry.connect(signers[who]).requestRepair(uid, h("e2")))
          .to.be.revertedWithCustomError(registry, "RegistryRepairPending")
          .withArgs(uid);
      }
    });
  });

  describe("decideRepair", function () {
    it("approves a general record from observedAt + 90 days on (RegistryRepairTooEarly before)", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, ids, indexes } = f;
      const observedAt = f.now - DAY;
      const uid = await negative(f, Severity.General, observedAt);
      await registry.connect(signers.lenderA).requestRepair(uid, h("paid"));
      const requestedAt = BigInt(await networkHelpers.time.latest());
      const earliest = observedAt + 90n * DAY;
      expect(PARAMETER_DEFAULTS["repairPeriod.general"]).to.equal(90n * DAY);
      await networkHelpers.time.setNextBlockTimestamp(earliest - 1n);
      await expect(registry.connect(signers.repairAuthority).decideRepair(uid, true, h("d")))
        .to.be.revertedWithCustomError(registry, "RegistryRepairTooEarly")
        .withArgs(uid, earliest);
      await networkHelpers.time.setNextBlockTimestamp(earliest);
      const decision = h("behaviour corrected, publication period over");
      await expect(registry.connect(signers.repairAuthority).decideRepair(uid, true, decision))
        .to.emit(registry, "RepairDecided")
        .withArgs(
          uid,
          ids.repairAuthority,
          true,
          decision,
          await signers.repairAuthority.getAddress(),
        );
      expect(await repairOf(f, uid)).to.deep.equal({
        requester: indexes.lenderA,
        requestedAt,
        status: BigInt(RepairStatus.Approved),
      });
      const r = await recordOf(registry, uid);
      expect(r.repaired).to.equal(true);
      // repair does not delete: the record stays, active and negative
      expect(r.status).to.equal(BigInt(RecordStatus.Active));
      expect(r.severity).to.equal(BigInt(Severity.General));
    });

    it("approves a serious record from observedAt + 365 days on", async function () {
      const f = await loadDeployFixture();
      const { registry, signers } = f;
      const observedAt = f.now - 100n * DAY;
      const uid = await negative(f, Severity.Serious, observedAt);
      await registry.connect(signers.tax).requestRepair(uid, h("e"));
      const earliest = observedAt + 365n * DAY;
      await expect(registry.connect(signers.repairAuthority).decideRepair(uid, true, h("d")))
        .to.be.revertedWithCustomError(registry, "RegistryRepairTooEarly")
        .withArgs(uid, earliest);
      await networkHelpers.time.setNextBlockTimestamp(earliest - 1n);
      await expect(registry.connect(signers.repairAuthority).decideRepair(uid, true, h("d")))
        .to.be.revertedWithCustomError(registry, "RegistryRepairTooEarly")
        .withArgs(uid, earliest);
      await networkHelpers.time.setNextBlockTimestamp(earliest);
      await expect(
        registry.connect(signers.repairAuthority).decideRepair(uid, true, h("d")),
      ).to.emit(registry, "RepairDecided");
      expect((await recordOf(registry, uid)).repaired).to.equal(true);
    });

    it("counts the period from observedAt, not from the request", async function () {
      const f = await loadDeployFixture();
      const { registry, signers } = f;
      const uid = await negative(f, Severity.General, f.now - 200n * DAY);
      await registry.connect(signers.lenderA).requestRepair(uid, h("e"));
      await expect(
        registry.connect(signers.repairAuthority).decideRepair(uid, true, h("d")),
      ).to.emit(registry, "RepairDecided");
    });

    it("approves a minor record at once", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, ids } = f;
      const t = BigInt(await networkHelpers.time.latest()) + 10n;
      const uid = await negative(f, Severity.Minor, t);
      await networkHelpers.time.setNextBlockTimestamp(t);
      await registry.connect(signers.lenderA).requestRepair(uid, h("e"));
      await expect(registry.connect(signers.repairAuthority).decideRepair(uid, true, h("d")))
        .to.emit(registry, "RepairDecided")
        .withArgs(
          uid,
          ids.repairAuthority,
          true,
          h("d"),
          await signers.repairAuthority.getAddress(),
        );
    });

    it("follows the governed repair periods", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, govern } = f;
      await govern({ kind: "SetParameter", name: "repairPeriod.general", value: 10n * DAY });
      const observedAt = f.now - DAY;
      const uid = await negative(f, Severity.General, observedAt);
      await registry.connect(signers.lenderA).requestRepair(uid, h("e"));
      await expect(registry.connect(signers.repairAuthority).decideRepair(uid, true, h("d")))
        .to.be.revertedWithCustomError(registry, "RegistryRepairTooEarly")
        .withArgs(uid, observedAt + 10n * DAY);
      await govern({ kind: "SetParameter", name: "repairPeriod.minor", value: 30n * DAY });
      const minor = await negative(f, Severity.Minor, observedAt, "minor");
      await registry.connect(signers.lenderA).requestRepair(minor, h("e"));
      await expect(registry.connect(signers.repairAuthority).decideRepair(minor, true, h("d")))
        .to.be.revertedWithCustomError(registry, "RegistryRepairTooEarly")
        .withArgs(minor, observedAt + 30n * DAY);
      await networkHelpers.time.increaseTo(observedAt + 10n * DAY);
      await expect(
        registry.connect(signers.repairAuthority).decideRepair(uid, true, h("d")),
      ).to.emit(registry, "RepairDecided");
    });

    it("rejects at any time; a rejected repair can be requested again", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, ids, indexes } = f;
      const uid = await negative(f, Severity.Serious);
      await registry.connect(signers.lenderA).requestRepair(uid, h("e1"));
      const decision = h("behaviour not corrected");
      await expect(registry.connect(signers.repairAuthority).decideRepair(uid, false, decision))
        .to.emit(registry, "RepairDecided")
        .withArgs(
          uid,
          ids.repairAuthority,
          false,
          decision,
          await signers.repairAuthority.getAddress(),
        );
      expect((await repairOf(f, uid)).status).to.equal(BigInt(RepairStatus.Rejected));
      expect((await recordOf(registry, uid)).repaired).to.equal(false);
      await expect(registry.connect(signers.repairAuthority).decideRepair(uid, false, decision))
        .to.be.revertedWithCustomError(registry, "RegistryNoRepairRequest")
        .withArgs(uid);
      const t = BigInt(await networkHelpers.time.latest()) + 10n;
      await networkHelpers.time.setNextBlockTimestamp(t);
      await expect(registry.connect(signers.lenderB).requestRepair(uid, h("e2")))
        .to.emit(registry, "RepairRequested")
        .withArgs(uid, ids.lenderB, h("e2"), t, await signers.lenderB.getAddress());
      expect(await repairOf(f, uid)).to.deep.equal({
        requester: indexes.lenderB,
        requestedAt: t,
        status: BigInt(RepairStatus.Requested),
      });
    });

    it("rejects a repaired record: no new request, no new decision (RegistryAlreadyRepaired)", async function () {
      const f = await loadDeployFixture();
      const { registry, signers } = f;
      const uid = await negative(f, Severity.Minor);
      await registry.connect(signers.lenderA).requestRepair(uid, h("e"));
      await registry.connect(signers.repairAuthority).decideRepair(uid, true, h("d"));
      await expect(registry.connect(signers.lenderA).requestRepair(uid, h("e")))
        .to.be.revertedWithCustomError(registry, "RegistryAlreadyRepaired")
        .withArgs(uid);
      await expect(registry.connect(signers.repairAuthority).decideRepair(uid, true, h("d")))
        .to.be.revertedWithCustomError(registry, "RegistryAlreadyRepaired")
        .withArgs(uid);
    });

    it("rejects a decision without a request (RegistryNoRepairRequest)", async function () {
      const f = await loadDeployFixture();
      const { registry, signers } = f;
      const uid = await negative(f, Severity.Minor);
      await expect(registry.connect(signers.repairAuthority).decideRepair(uid, true, h("d")))
        .to.be.revertedWithCustomError(registry, "RegistryNoRepairRequest")
        .withArgs(uid);
    });

    it("needs a REPAIR_AUTHORITY", async function () {
      const f = await loadDeployFixture();
      const { consortium, registry, signers, ids } = f;
      const uid = await negative(f, Severity.Minor);
      await registry.connect(signers.lenderA).requestRepair(uid, h("e"));
      for (const who of ["tax", "lenderA", "scorer", "regulator", "operator"] as const) {
        await expect(registry.connect(signers[who]).decideRepair(uid, true, h("d")))
          .to.be.revertedWithCustomError(consortium, "ConsortiumMissingRole")
          .withArgs(ids[who], Role.REPAIR_AUTHORITY);
      }
    });

    it("rejects a decision on a record that was revoked, or is not negative or unknown", async function () {
      const f = await loadDeployFixture();
      const { registry, signers } = f;
      const uid = await negative(f, Severity.Minor);
      await registry.connect(signers.lenderA).requestRepair(uid, h("e"));
      await registry.connect(signers.tax).revoke(uid, h("r"));
      await expect(registry.connect(signers.repairAuthority).decideRepair(uid, true, h("d")))
        .to.be.revertedWithCustomError(registry, "RegistryNotActive")
        .withArgs(uid, RecordStatus.Revoked);
      const fine = await attestOne(f, { subject: h("fine") });
      await expect(registry.connect(signers.repairAuthority).decideRepair(fine, true, h("d")))
        .to.be.revertedWithCustomError(registry, "RegistryNotNegative")
        .withArgs(fine);
      const unknown = h("unknown");
      await expect(registry.connect(signers.repairAuthority).decideRepair(unknown, false, h("d")))
        .to.be.revertedWithCustomError(registry, "RegistryUnknownRecord")
        .withArgs(unknown);
    });

    it("repairs a negative recorded batch leaf (its observedAt from the leaf)", async function () {
      const f = await loadDeployFixture();
      const { registry, signers, ids, schemas, now } = f;
      const observedAt = now - 400n * DAY;
      const batch = buildRecordBatch(
        recordLeaves("repair-leaf", 2, now, {
          observedAt,
          expiresAt: observedAt + 5n * YEAR,
          severity: Severity.Serious,
        }).map((l, i) => ({ ...l, subject: h(`repair-leaf:${i}`) })),
      );
      await registry
        .connect(signers.court)
        .anchorBatch(schemas.judicialEnforcement, batch.root, 2, "");
      await registry.recordLeaf(leafInput(batch, 0));
      const uid = batch.leafUid(0, { schema: schemas.judicialEnforcement, provider: ids.court });
      await registry.connect(signers.court).requestRepair(uid, h("e"));
      await expect(
        registry.connect(signers.repairAuthority).decideRepair(uid, true, h("d")),
      ).to.emit(registry, "RepairDecided");
      expect((await recordOf(registry, uid)).repaired).to.equal(true);
    });
  });
});
