/**
 * Registry chaincode, part 2: disputes and repairs with deadlines from the transaction timestamp,
 * score batches, consents and query-audit anchors.
 */
import { expect } from "chai";

import type { GovernanceAction, Hex } from "../../core/index.js";
import {
  consentId,
  DisputeOutcome,
  DisputeStatus,
  encodeAction,
  PARAMETER_DEFAULTS,
  RecordStatus,
  RepairStatus,
  Role,
  ZERO_BYTES32,
} from "../../core/index.js";

import type { World } from "./world.js";
import { addressOf, createWorld, DAY, decodeEvent, expectRejected, START } from "./world.js";

const hash = (n: number): Hex => `0x${n.toString(16).padStart(64, "0")}`;

async function attest(
  w: World,
  n: number,
  severity: number,
  observedAt = START - 10n * DAY,
): Promise<Hex> {
  const body = JSON.stringify({
    schema: w.schema,
    subject: hash(1000 + n),
    dataHash: hash(2000 + n),
    observedAt: observedAt.toString(),
    expiresAt: "0",
    severity,
  });
  return (await w.peer.submit(w.tax.identity, "Registry:attest", body)).result as Hex;
}

async function govern(w: World, action: GovernanceAction): Promise<void> {
  const { kind, payload } = encodeAction(action);
  const { result } = await w.peer.submit(
    w.tax.identity,
    "Consortium:propose",
    String(kind),
    payload,
  );
  await w.peer.submit(w.bank.identity, "Consortium:approve", result);
}

async function read(w: World, fn: string, ...args: string[]): Promise<Record<string, unknown>> {
  return JSON.parse(await w.peer.evaluate(w.bank.identity, fn, ...args)) as Record<string, unknown>;
}

describe("chaincode Registry: disputes, repairs, scores, consents, audit", function () {
  this.timeout(120_000);
  let w: World;

  beforeEach(async () => {
    w = await createWorld();
  });

  describe("disputes", () => {
    it("opens a dispute with a deadline from the transaction time; the owner answers in time", async () => {
      const uid = await attest(w, 1, 2);
      const { event } = await w.peer.submit(w.bank.identity, "Registry:openDispute", uid, hash(1));
      const deadline = START + PARAMETER_DEFAULTS.disputePeriod;
      expect(decodeEvent(event).events).to.deep.equal([
        {
          kind: "DisputeOpened",
          uid,
          opener: w.bank.id,
          seq: 1,
          reasonHash: hash(1),
          openedAt: START.toString(),
          deadline: deadline.toString(),
          signer: w.bank.address,
        },
      ]);
      expect(await read(w, "Registry:record", uid)).to.include({ disputed: true });
      await expectRejected(
        w.peer.submit(w.bank.identity, "Registry:openDispute", uid, hash(1)),
        "RegistryDisputeOpen",
      );
      await expectRejected(
        w.peer.submit(w.tax.identity, "Registry:answerDispute", uid, "0", hash(2)),
        "RegistryInvalidOutcome",
      );
      await expectRejected(
        w.peer.submit(w.tax.identity, "Registry:answerDispute", uid, "3", hash(2)),
        "RegistryInvalidOutcome",
      );
      await expectRejected(
        w.peer.submit(w.bank.identity, "Registry:answerDispute", uid, "1", hash(2)),
        "ConsortiumMissingRole",
      );
      w.peer.time = deadline;
      const answered = await w.peer.submit(
        w.tax.identity,
        "Registry:answerDispute",
        uid,
        String(DisputeOutcome.Upheld),
        hash(2),
      );
      expect(decodeEvent(answered.event).events[0]).to.deep.equal({
        kind: "DisputeAnswered",
        uid,
        provider: w.tax.id,
        seq: 1,
        outcome: DisputeOutcome.Upheld,
        responseHash: hash(2),
        signer: w.tax.address,
      });
      expect(await read(w, "Registry:dispute", uid)).to.include({
        status: DisputeStatus.Answered,
        outcome: 1,
      });
      expect(await read(w, "Registry:record", uid)).to.include({ disputed: false });
      await expectRejected(
        w.peer.submit(w.tax.identity, "Registry:answerDispute", uid, "1", hash(2)),
        "RegistryNoOpenDispute",
      );
    });

    it("lets an overdue dispute be reopened, and refuses a late answer", async () => {
      const uid = await attest(w, 1, 0);
      await w.peer.submit(w.bank.identity, "Registry:openDispute", uid, hash(1));
      w.peer.time = START + PARAMETER_DEFAULTS.disputePeriod + 1n;
      const args = await expectRejected(
        w.peer.submit(w.tax.identity, "Registry:answerDispute", uid, "2", hash(2)),
        "RegistryDisputeOverdue",
      );
      expect(args).to.deep.equal({
        uid,
        deadline: (START + PARAMETER_DEFAULTS.disputePeriod).toString(),
      });
      const { event } = await w.peer.submit(w.bank.identity, "Registry:openDispute", uid, hash(3));
      expect(decodeEvent(event).events[0]).to.include({ seq: 2 });
    });

    it("lets only the opener withdraw, and only lenders open disputes on active records", async () => {
      const uid = await attest(w, 1, 0);
      await expectRejected(
        w.peer.submit(w.tax.identity, "Registry:openDispute", uid, hash(1)),
        "ConsortiumMissingRole",
      );
      await expectRejected(
        w.peer.submit(w.bank.identity, "Registry:openDispute", hash(9), hash(1)),
        "RegistryUnknownRecord",
      );
      await expectRejected(
        w.peer.submit(w.bank.identity, "Registry:withdrawDispute", uid),
        "RegistryNoOpenDispute",
      );
      await w.peer.submit(w.bank.identity, "Registry:openDispute", uid, hash(1));
      await govern(w, {
        kind: "SetRoles",
        member: w.repair.id,
        roles: Role.REPAIR_AUTHORITY | Role.LENDER,
      });
      await expectRejected(
        w.peer.submit(w.repair.identity, "Registry:withdrawDispute", uid),
        "RegistryNotDisputeOpener",
      );
      const { event } = await w.peer.submit(w.bank.identity, "Registry:withdrawDispute", uid);
      expect(decodeEvent(event).events).to.deep.equal([
        { kind: "DisputeWithdrawn", uid, opener: w.bank.id, seq: 1, signer: w.bank.address },
      ]);
      expect(await read(w, "Registry:dispute", uid)).to.include({
        status: DisputeStatus.Withdrawn,
      });
      await w.peer.submit(w.tax.identity, "Registry:revoke", uid, hash(1));
      await expectRejected(
        w.peer.submit(w.bank.identity, "Registry:openDispute", uid, hash(1)),
        "RegistryNotActive",
      );
    });
  });

  describe("repairs", () => {
    it("repairs a negative record once its period since the behaviour has passed", async () => {
      const uid = await attest(w, 1, 2, START - 91n * DAY);
      const requested = await w.peer.submit(
        w.bank.identity,
        "Registry:requestRepair",
        uid,
        hash(5),
      );
      expect(decodeEvent(requested.event).events).to.deep.equal([
        {
          kind: "RepairRequested",
          uid,
          requester: w.bank.id,
          evidenceHash: hash(5),
          requestedAt: START.toString(),
          signer: w.bank.address,
        },
      ]);
      await expectRejected(
        w.peer.submit(w.bank.identity, "Registry:requestRepair", uid, hash(5)),
        "RegistryRepairPending",
      );
      await expectRejected(
        w.peer.submit(w.bank.identity, "Registry:decideRepair", uid, "true", hash(6)),
        "ConsortiumMissingRole",
      );
      await expectRejected(
        w.peer.submit(w.repair.identity, "Registry:decideRepair", uid, "maybe", hash(6)),
        "InvalidArgument",
      );
      const decided = await w.peer.submit(
        w.repair.identity,
        "Registry:decideRepair",
        uid,
        "true",
        hash(6),
      );
      expect(decodeEvent(decided.event).events).to.deep.equal([
        {
          kind: "RepairDecided",
          uid,
          authority: w.repair.id,
          approved: true,
          decisionHash: hash(6),
          signer: w.repair.address,
        },
      ]);
      expect(await read(w, "Registry:record", uid)).to.include({
        repaired: true,
        status: RecordStatus.Active,
      });
      expect(await read(w, "Registry:repair", uid)).to.include({ status: RepairStatus.Approved });
      await expectRejected(
        w.peer.submit(w.bank.identity, "Registry:requestRepair", uid, hash(5)),
        "RegistryAlreadyRepaired",
      );
    });

    it("refuses repairs too early, of non-negative records, without a request, or from other roles", async () => {
      const serious = await attest(w, 1, 3, START - 100n * DAY);
      await w.peer.submit(w.tax.identity, "Registry:requestRepair", serious, hash(5));
      const args = await expectRejected(
        w.peer.submit(w.repair.identity, "Registry:decideRepair", serious, "true", hash(6)),
        "RegistryRepairTooEarly",
      );
      expect(args).to.deep.equal({
        uid: serious,
        earliest: (START - 100n * DAY + 365n * DAY).toString(),
      });
      await w.peer.submit(w.repair.identity, "Registry:decideRepair", serious, "false", hash(6));
      expect(await read(w, "Registry:repair", serious)).to.include({
        status: RepairStatus.Rejected,
      });
      await expectRejected(
        w.peer.submit(w.repair.identity, "Registry:decideRepair", serious, "false", hash(6)),
        "RegistryNoRepairRequest",
      );
      const clean = await attest(w, 2, 0);
      await expectRejected(
        w.peer.submit(w.bank.identity, "Registry:requestRepair", clean, hash(5)),
        "RegistryNotNegative",
      );
      const desk = await w.orgs.org2.issue("bank-a-scoring", { "credtrail.roles": "SCORER" });
      await govern(w, { kind: "AddKey", member: w.bank.id, key: await addressOf(w.peer, desk) });
      await expectRejected(
        w.peer.submit(desk, "Registry:requestRepair", serious, hash(5)),
        "RegistryNotAllowed",
      );
    });
  });

  describe("score batches", () => {
    it("anchors a score root for a registered model", async () => {
      const { event } = await w.peer.submit(
        w.bank.identity,
        "Registry:anchorScoreBatch",
        hash(1),
        w.modelHash,
        "10",
        "42",
      );
      expect(decodeEvent(event).events).to.deep.equal([
        {
          kind: "ScoreBatchAnchored",
          root: hash(1),
          scorer: w.bank.id,
          modelHash: w.modelHash,
          count: 10,
          asOfBlock: "42",
          signer: w.bank.address,
        },
      ]);
      expect(await read(w, "Registry:scoreBatch", hash(1))).to.include({
        scorer: w.bank.id,
        count: 10,
      });
      await expectRejected(
        w.peer.submit(
          w.bank.identity,
          "Registry:anchorScoreBatch",
          hash(1),
          w.modelHash,
          "10",
          "42",
        ),
        "RegistryScoreBatchExists",
      );
      await expectRejected(
        w.peer.submit(w.bank.identity, "Registry:anchorScoreBatch", hash(2), hash(3), "10", "42"),
        "RegistryUnknownModel",
      );
      await expectRejected(
        w.peer.submit(
          w.bank.identity,
          "Registry:anchorScoreBatch",
          ZERO_BYTES32,
          w.modelHash,
          "10",
          "42",
        ),
        "RegistryInvalidScoreBatch",
      );
      await expectRejected(
        w.peer.submit(
          w.bank.identity,
          "Registry:anchorScoreBatch",
          hash(2),
          w.modelHash,
          "0",
          "42",
        ),
        "RegistryInvalidScoreBatch",
      );
      await expectRejected(
        w.peer.submit(w.tax.identity, "Registry:anchorScoreBatch", hash(2), w.modelHash, "1", "42"),
        "ConsortiumMissingRole",
      );
    });
  });

  describe("consents", () => {
    it("records, renews, lists and revokes a lender's consent", async () => {
      const subject = hash(1001);
      const purpose = hash(77);
      const expires = START + 30n * DAY;
      const { result, event } = await w.peer.submit(
        w.bank.identity,
        "Registry:recordConsent",
        subject,
        purpose,
        expires.toString(),
        hash(8),
      );
      const id = consentId({ lender: w.bank.id, subject, purposeHash: purpose });
      expect(result).to.equal(id);
      expect(decodeEvent(event).events).to.deep.equal([
        {
          kind: "ConsentRecorded",
          consentId: id,
          subject,
          lender: w.bank.id,
          purposeHash: purpose,
          expiresAt: expires.toString(),
          evidenceHash: hash(8),
          signer: w.bank.address,
        },
      ]);
      expect(
        await w.peer.evaluate(w.tax.identity, "Registry:hasConsent", w.bank.id, subject, purpose),
      ).to.equal("true");
      await w.peer.submit(
        w.bank.identity,
        "Registry:recordConsent",
        subject,
        purpose,
        (expires + DAY).toString(),
        hash(9),
      );
      expect(
        JSON.parse(await w.peer.evaluate(w.tax.identity, "Registry:consentsBySubject", subject)),
      ).to.deep.equal([id]);
      const revoked = await w.peer.submit(
        w.bank.identity,
        "Registry:revokeConsent",
        subject,
        purpose,
      );
      expect(decodeEvent(revoked.event).events).to.deep.equal([
        {
          kind: "ConsentRevoked",
          consentId: id,
          subject,
          lender: w.bank.id,
          signer: w.bank.address,
        },
      ]);
      expect(
        await w.peer.evaluate(w.tax.identity, "Registry:hasConsent", w.bank.id, subject, purpose),
      ).to.equal("false");
      await expectRejected(
        w.peer.submit(w.bank.identity, "Registry:revokeConsent", subject, purpose),
        "RegistryNoConsent",
      );
      await expectRejected(
        w.peer.submit(w.bank.identity, "Registry:revokeConsent", subject, hash(78)),
        "RegistryNoConsent",
      );
    });

    it("rejects invalid consents and non-lenders", async () => {
      const later = (START + DAY).toString();
      await expectRejected(
        w.peer.submit(
          w.bank.identity,
          "Registry:recordConsent",
          ZERO_BYTES32,
          hash(1),
          later,
          hash(2),
        ),
        "RegistryInvalidConsent",
      );
      await expectRejected(
        w.peer.submit(
          w.bank.identity,
          "Registry:recordConsent",
          hash(1),
          ZERO_BYTES32,
          later,
          hash(2),
        ),
        "RegistryInvalidConsent",
      );
      await expectRejected(
        w.peer.submit(
          w.bank.identity,
          "Registry:recordConsent",
          hash(1),
          hash(1),
          START.toString(),
          hash(2),
        ),
        "RegistryInvalidConsent",
      );
      await expectRejected(
        w.peer.submit(
          w.bank.identity,
          "Registry:recordConsent",
          hash(1),
          hash(1),
          (1n << 40n).toString(),
          hash(2),
        ),
        "RegistryInvalidConsent",
      );
      await expectRejected(
        w.peer.submit(w.tax.identity, "Registry:recordConsent", hash(1), hash(1), later, hash(2)),
        "ConsortiumMissingRole",
      );
    });
  });

  describe("audit anchors", () => {
    it("anchors an operator's audit-log root for a past time range, once", async () => {
      const { event } = await w.peer.submit(
        w.tax.identity,
        "Registry:anchorAuditLog",
        hash(1),
        "5",
        (START - DAY).toString(),
        START.toString(),
      );
      expect(decodeEvent(event).events).to.deep.equal([
        {
          kind: "AuditAnchored",
          root: hash(1),
          node: w.tax.id,
          count: 5,
          fromTime: (START - DAY).toString(),
          toTime: START.toString(),
          signer: w.tax.address,
        },
      ]);
      expect(await read(w, "Registry:auditAnchor", hash(1))).to.include({
        node: w.tax.id,
        count: 5,
      });
      const again = ["5", (START - DAY).toString(), START.toString()];
      await expectRejected(
        w.peer.submit(w.tax.identity, "Registry:anchorAuditLog", hash(1), ...again),
        "RegistryAuditAnchorExists",
      );
      const invalid: string[][] = [
        [ZERO_BYTES32, "5", "0", "1"],
        [hash(2), "0", "0", "1"],
        [hash(2), "5", "2", "1"],
        [hash(2), "5", "0", (START + 1n).toString()],
      ];
      for (const args of invalid) {
        await expectRejected(
          w.peer.submit(w.tax.identity, "Registry:anchorAuditLog", ...args),
          "RegistryInvalidAuditAnchor",
        );
      }
      await expectRejected(
        w.peer.submit(w.bank.identity, "Registry:anchorAuditLog", hash(3), "1", "0", "1"),
        "ConsortiumMissingRole",
      );
    });
  });
});
