/**
 * Every event kind, projected and read back through the read API, field by field.
 */
import { expect } from "chai";

import type { Hex } from "../../core/index.js";
import {
  ACTION_KIND_NAMES,
  ActionKind,
  DisputeOutcome,
  PARAMETER_KEYS,
  Role,
  ZERO_BYTES32,
  encodeAction,
} from "../../core/index.js";
import type { Audit, Indexer } from "../../indexer/index.js";
import type { BlockItem, Chain } from "./fixtures.js";
import {
  DAY,
  KEY,
  M,
  MODEL,
  NAMES,
  SCHEMA,
  T0,
  ZERO_ADDRESS,
  address,
  anchorEvent,
  attest,
  consortiumGenesis,
  createChain,
  derive,
  fakeLedger,
  feed,
  h,
  leafRecordedEvent,
  openIndexer,
  recordBatch,
  subject,
  tempDirs,
} from "./fixtures.js";

function auditOf(item: BlockItem, logIndex: number, sender: string | null): Audit {
  const event = item.events[logIndex];
  return {
    block: item.block.number,
    blockHash: item.block.hash,
    tx: event.position.txHash.toLowerCase() as Hex,
    logIndex,
    sender,
  };
}

describe("indexer projections", () => {
  const dirs = tempDirs();
  let indexer: Indexer;
  let chain: Chain;
  let now = Number(T0) * 1000;

  beforeEach(async () => {
    now = Number(T0) * 1000;
    chain = createChain();
    ({ indexer } = await openIndexer(dirs, { clock: () => now }));
  });
  afterEach(async () => {
    await indexer.close();
    await dirs.cleanup();
  });

  async function add(events: Parameters<Chain["add"]>[0]): Promise<BlockItem> {
    const item = chain.add(events);
    await indexer.handle(item);
    return item;
  }

  describe("consortium", () => {
    it("members, keys, scopes, schemas, models, threshold and parameters", async () => {
      const genesis = await add(consortiumGenesis());
      const tax = await indexer.getMember(M.tax);
      expect(tax).to.not.equal(null);
      expect(tax?.id).to.equal(M.tax);
      expect(tax?.name).to.equal(NAMES.tax);
      expect(tax?.index).to.equal(1);
      expect(tax?.roles).to.equal(Role.PROVIDER);
      expect(tax?.roleNames).to.deep.equal(["PROVIDER"]);
      expect(tax?.suspended).to.equal(false);
      expect(tax?.keys.map((k) => [k.address, k.active])).to.deep.equal([
        [KEY.tax, true],
        [KEY.taxAlt, true],
      ]);
      expect(tax?.keys[0].audit).to.deep.equal(auditOf(genesis, 0, null));
      expect(tax?.audit).to.deep.equal(auditOf(genesis, 0, null));
      // scopes resolve their category name from the registered schema
      expect(tax?.scopes).to.deep.equal([
        {
          category: SCHEMA.tax.categoryId,
          categoryName: "tax.payment",
          expiresAt: T0 + 730n * DAY,
          audit: auditOf(genesis, 6, null),
        },
      ]);

      const operator = await indexer.getMember(M.operator);
      expect(operator?.roleNames).to.deep.equal(["REGULATOR", "OPERATOR"]);

      const members = await indexer.listMembers({ first: 10 });
      expect(members.items.map((m) => m.name)).to.deep.equal(Object.values(NAMES));
      expect(members.nextCursor).to.equal(null);
      const providers = await indexer.listMembers({ role: "PROVIDER" });
      expect(providers.items.map((m) => m.id)).to.deep.equal([M.tax, M.court]);

      const byKey = await indexer.memberByKey(KEY.taxAlt.toLowerCase());
      expect(byKey?.key).to.deep.equal({ address: KEY.taxAlt, member: M.tax, active: true });
      expect(byKey?.member.id).to.equal(M.tax);
      expect(await indexer.memberByKey(address("nobody"))).to.equal(null);

      const schema = await indexer.getSchema(SCHEMA.tax.schemaId);
      expect(schema).to.deep.equal({
        schema: SCHEMA.tax.schemaId,
        category: SCHEMA.tax.categoryId,
        categoryName: "tax.payment",
        index: 1,
        definition: SCHEMA.tax.definition,
        registrant: M.operator,
        audit: auditOf(genesis, 14, null),
      });
      const schemas = await indexer.listSchemas();
      expect(schemas.items.map((s) => s.categoryName)).to.deep.equal([
        "tax.payment",
        "admin.penalty",
        "credit.score",
      ]);
      const penalty = await indexer.listSchemas({ category: SCHEMA.penalty.categoryId });
      expect(penalty.items.map((s) => s.schema)).to.deep.equal([SCHEMA.penalty.schemaId]);

      expect(await indexer.getModel(MODEL)).to.deep.equal({
        modelHash: MODEL,
        scorer: M.scorer,
        uri: "ipfs://scorecard-v1",
        audit: auditOf(genesis, 17, null),
      });
      expect((await indexer.listModels()).items.map((m) => m.modelHash)).to.deep.equal([MODEL]);

      const parameters = await indexer.getParameters();
      expect(parameters.threshold).to.deep.equal({
        threshold: 2,
        audit: auditOf(genesis, 8, null),
      });
      expect(parameters.parameters.map((p) => [p.name, p.value])).to.deep.equal([
        ["disputePeriod", 20n * DAY],
        ["repairPeriod.general", 90n * DAY],
        ["repairPeriod.minor", 0n],
        ["repairPeriod.serious", 365n * DAY],
        ["votingPeriod", 7n * DAY],
      ]);
      expect(parameters.parameters[0].key).to.equal(PARAMETER_KEYS.disputePeriod);
    });

    it("role changes, suspension, key rotation and scope removal", async () => {
      await add(consortiumGenesis());
      const newKey = address("taxNew");
      const item = await add([
        { kind: "MemberRolesChanged", member: M.bank, roles: Role.LENDER | Role.REGULATOR },
        { kind: "MemberSuspended", member: M.court },
        { kind: "KeyAdded", member: M.tax, key: newKey },
        { kind: "KeyRevoked", member: M.tax, key: KEY.tax, revokedBy: KEY.taxAlt },
        { kind: "ScopeSet", member: M.court, category: SCHEMA.penalty.categoryId, expiresAt: 0n },
        {
          kind: "ScopeSet",
          member: M.tax,
          category: SCHEMA.penalty.categoryId,
          expiresAt: T0 + DAY,
        },
      ]);
      const bank = await indexer.getMember(M.bank);
      expect(bank?.roles).to.equal(Role.LENDER | Role.REGULATOR);
      expect(bank?.roleNames).to.deep.equal(["LENDER", "REGULATOR"]);
      expect(bank?.updatedAudit).to.deep.equal(auditOf(item, 0, null));

      const court = await indexer.getMember(M.court);
      expect(court?.suspended).to.equal(true);
      expect(court?.scopes).to.deep.equal([]);
      expect((await indexer.listMembers({ suspended: true })).items.map((m) => m.id)).to.deep.equal(
        [M.court],
      );

      const tax = await indexer.getMember(M.tax);
      expect(tax?.keys.map((k) => [k.address, k.active, k.revokedBy])).to.deep.equal([
        [KEY.tax, false, KEY.taxAlt],
        [KEY.taxAlt, true, null],
        [newKey, true, null],
      ]);
      expect(tax?.keys[0].revokedAudit).to.deep.equal(auditOf(item, 3, KEY.taxAlt));
      expect(tax?.scopes.map((s) => [s.categoryName, s.expiresAt])).to.have.deep.members([
        ["tax.payment", T0 + 730n * DAY],
        ["admin.penalty", T0 + DAY],
      ]);
      expect((await indexer.memberByKey(KEY.tax))?.key.active).to.equal(false);
      expect((await indexer.memberByKey(newKey))?.key).to.deep.equal({
        address: newKey,
        member: M.tax,
        active: true,
      });

      await add([{ kind: "MemberReinstated", member: M.court }]);
      expect((await indexer.getMember(M.court))?.suspended).to.equal(false);
    });

    it("governance proposals: created (decoded), approved, executed, cancelled, expired", async () => {
      await add(consortiumGenesis());
      const admit = encodeAction({
        kind: "Admit",
        member: h("member:new"),
        name: "Customs",
        roles: Role.PROVIDER,
        keys: [address("customs")],
      });
      const threshold = encodeAction({ kind: "SetThreshold", threshold: 3 });
      const created = await add([
        {
          kind: "ProposalCreated",
          proposalId: 1n,
          proposer: M.tax,
          actionKind: admit.kind,
          payload: admit.payload,
          expiresAt: T0 + 7n * DAY,
        },
        { kind: "ProposalApproved", proposalId: 1n, member: M.tax, approvals: 1, required: 2 },
        {
          kind: "ProposalCreated",
          proposalId: 2n,
          proposer: M.bank,
          actionKind: threshold.kind,
          payload: threshold.payload,
          expiresAt: T0 + 7n * DAY,
        },
        { kind: "ProposalApproved", proposalId: 2n, member: M.bank, approvals: 1, required: 2 },
        {
          kind: "ProposalCreated",
          proposalId: 3n,
          proposer: M.bank,
          actionKind: ActionKind.Suspend,
          payload: "0x1234",
          expiresAt: T0 + 100n,
        },
      ]);
      const approved = await add([
        { kind: "ProposalApproved", proposalId: 1n, member: M.court, approvals: 2, required: 2 },
        {
          kind: "MemberAdmitted",
          member: h("member:new"),
          index: 7,
          name: "Customs",
          roles: Role.PROVIDER,
          keys: [address("customs")],
        },
        { kind: "ProposalExecuted", proposalId: 1n },
        { kind: "ProposalCancelled", proposalId: 2n },
      ]);
      const p1 = await indexer.getProposal(1n);
      expect(p1?.id).to.equal(1n);
      expect(p1?.proposer).to.equal(M.tax);
      expect(p1?.actionKind).to.equal(ActionKind.Admit);
      expect(p1?.actionName).to.equal(ACTION_KIND_NAMES[ActionKind.Admit]);
      expect(p1?.payload).to.equal(admit.payload);
      expect(p1?.action).to.deep.equal({
        kind: "Admit",
        member: h("member:new"),
        name: "Customs",
        roles: Role.PROVIDER,
        keys: [address("customs")],
      });
      expect(p1?.decodeError).to.equal(null);
      expect(p1?.approvals.map((a) => [a.member, a.approvals, a.required])).to.deep.equal([
        [M.tax, 1, 2],
        [M.court, 2, 2],
      ]);
      expect(p1?.required).to.equal(2);
      expect(p1?.status).to.equal("executed");
      expect(p1?.audit).to.deep.equal(auditOf(created, 0, null));
      expect(p1?.closedAudit).to.deep.equal(auditOf(approved, 2, null));
      expect(p1?.expired).to.equal(false);

      const p2 = await indexer.getProposal(2n);
      expect(p2?.status).to.equal("cancelled");
      expect(p2?.action).to.deep.equal({ kind: "SetThreshold", threshold: 3 });

      const p3 = await indexer.getProposal(3n);
      expect(p3?.action).to.equal(null);
      expect(p3?.decodeError).to.be.a("string");
      expect(p3?.status).to.equal("open");
      expect(p3?.expired).to.equal(false);
      now = Number(T0 + 101n) * 1000;
      expect((await indexer.getProposal(3n))?.expired).to.equal(true);

      expect((await indexer.listProposals()).items.map((p) => p.id)).to.deep.equal([3n, 2n, 1n]);
      expect(
        (await indexer.listProposals({ status: "executed" })).items.map((p) => p.id),
      ).to.deep.equal([1n]);
      expect(await indexer.getProposal(9n)).to.equal(null);
      expect(await indexer.getMember(h("member:new"))).to.not.equal(null);
    });
  });

  describe("registry", () => {
    beforeEach(async () => {
      await add(consortiumGenesis());
    });

    it("an attestation: every field, the audit entry, and the subject and provider lists", async () => {
      const s = subject("acme");
      const direct = attest({
        subject: s,
        observedAt: T0 - 100n,
        expiresAt: T0 + 365n * DAY,
        severity: 2,
        label: "direct",
      });
      const relayed = attest({
        subject: s,
        observedAt: T0 - 50n,
        signer: KEY.taxAlt,
        relayer: KEY.relayer,
        label: "relayed",
      });
      const penalty = attest({
        subject: s,
        provider: "court",
        observedAt: T0 - 75n,
        severity: 3,
        label: "penalty",
      });
      const item = await add([direct, relayed, penalty]);

      const got = await indexer.getAttestation(direct.uid);
      expect(got).to.deep.equal({
        uid: direct.uid,
        schema: SCHEMA.tax.schemaId,
        category: SCHEMA.tax.categoryId,
        subject: s,
        provider: M.tax,
        signer: KEY.tax,
        relayer: ZERO_ADDRESS,
        dataHash: direct.dataHash,
        observedAt: T0 - 100n,
        expiresAt: T0 + 365n * DAY,
        severity: 2,
        status: "active",
        supersededBy: null,
        supersedes: null,
        revocation: null,
        supersession: null,
        disputed: false,
        disputeSeq: 0,
        repaired: false,
        repairSeq: 0,
        stale: null,
        source: { type: "single" },
        audit: auditOf(item, 0, KEY.tax),
        recordedAudit: null,
      });
      const viaRelayer = await indexer.getAttestation(
        relayed.uid.toUpperCase().replace("0X", "0x"),
      );
      expect(viaRelayer?.signer).to.equal(KEY.taxAlt);
      expect(viaRelayer?.relayer).to.equal(KEY.relayer);
      expect(await indexer.getAttestation(h("missing"))).to.equal(null);
      expect(await indexer.getAttestations([direct.uid, h("missing")])).to.have.length(2);

      const all = await indexer.listAttestationsBySubject(s);
      expect(all.items.map((a) => a.uid)).to.deep.equal([relayed.uid, penalty.uid, direct.uid]);
      const taxOnly = await indexer.listAttestationsBySubject(s, {
        category: SCHEMA.tax.categoryId,
      });
      expect(taxOnly.items.map((a) => a.uid)).to.deep.equal([relayed.uid, direct.uid]);
      const bySchema = await indexer.listAttestationsBySubject(s, {
        schema: SCHEMA.penalty.schemaId,
      });
      expect(bySchema.items.map((a) => a.uid)).to.deep.equal([penalty.uid]);
      expect(
        (await indexer.listAttestationsBySubject(s, { schema: h("unknown schema") })).items,
      ).to.deep.equal([]);
      expect((await indexer.listAttestationsBySubject(subject("nobody"))).items).to.deep.equal([]);
      const byProvider = await indexer.listAttestationsByProvider(M.tax);
      expect(byProvider.items.map((a) => a.uid)).to.deep.equal([relayed.uid, direct.uid]);
      expect(
        (await indexer.listAttestationsByProvider(M.court)).items.map((a) => a.uid),
      ).to.deep.equal([penalty.uid]);
    });

    it("revocation and supersession (with the lists of each)", async () => {
      const s = subject("acme");
      const a = attest({ subject: s, label: "a" });
      const b = attest({ subject: s, label: "b", observedAt: T0 + 1n });
      await add([a, b]);
      const replacement = attest({ subject: s, label: "b2", observedAt: T0 + 2n });
      const item = await add([
        { kind: "Revoked", uid: a.uid, owner: M.tax, reasonHash: h("wrong"), signer: KEY.tax },
        replacement,
        { kind: "Superseded", uid: b.uid, newUid: replacement.uid, owner: M.tax, signer: KEY.tax },
      ]);
      const revoked = await indexer.getAttestation(a.uid);
      expect(revoked?.status).to.equal("revoked");
      expect(revoked?.revocation).to.deep.equal({
        reasonHash: h("wrong"),
        by: M.tax,
        batchRoot: null,
        audit: auditOf(item, 0, KEY.tax),
      });
      const superseded = await indexer.getAttestation(b.uid);
      expect(superseded?.status).to.equal("superseded");
      expect(superseded?.supersededBy).to.equal(replacement.uid);
      expect(superseded?.supersession).to.deep.equal({
        newUid: replacement.uid,
        owner: M.tax,
        audit: auditOf(item, 2, KEY.tax),
      });
      expect((await indexer.getAttestation(replacement.uid))?.supersedes).to.equal(b.uid);
      expect((await indexer.listRevocations()).items.map((x) => x.uid)).to.deep.equal([a.uid]);
      expect((await indexer.listSupersessions()).items.map((x) => x.uid)).to.deep.equal([b.uid]);
      expect(
        (await indexer.listAttestationsBySubject(s, { status: "active" })).items.map((x) => x.uid),
      ).to.deep.equal([replacement.uid]);
      expect(
        (await indexer.listAttestationsBySubject(s, { status: "revoked" })).items.map((x) => x.uid),
      ).to.deep.equal([a.uid]);
    });

    it("a batch anchor, a recorded leaf without its file, and batch revocation", async () => {
      const { batch, uids } = recordBatch(4, "b1");
      const anchored = await add([anchorEvent(batch, "s3://b1")]);
      expect(await indexer.getBatch(batch.root)).to.deep.equal({
        root: batch.root,
        provider: M.tax,
        schema: SCHEMA.tax.schemaId,
        category: SCHEMA.tax.categoryId,
        count: 4,
        uri: "s3://b1",
        signer: KEY.tax,
        revoked: false,
        revocation: null,
        leavesUploaded: false,
        recordedLeaves: 0,
        audit: auditOf(anchored, 0, KEY.tax),
      });
      expect((await indexer.listBatchesByProvider(M.tax)).items.map((b) => b.root)).to.deep.equal([
        batch.root,
      ]);

      const recorded = await add([leafRecordedEvent(batch, 2)]);
      const leaf = await indexer.getAttestation(uids[2]);
      expect(leaf).to.deep.include({
        uid: uids[2],
        schema: SCHEMA.tax.schemaId,
        category: SCHEMA.tax.categoryId,
        subject: batch.leaves[2].subject,
        provider: M.tax,
        signer: KEY.tax,
        relayer: null,
        dataHash: batch.leaves[2].dataHash,
        observedAt: batch.leaves[2].observedAt,
        expiresAt: 0n,
        severity: 2,
        status: "active",
      });
      expect(leaf?.source).to.deep.equal({
        type: "batchLeaf",
        root: batch.root,
        index: null,
        recorded: true,
        batchRevoked: false,
      });
      expect(leaf?.audit).to.deep.equal(auditOf(anchored, 0, KEY.tax));
      expect(leaf?.recordedAudit).to.deep.equal(auditOf(recorded, 0, null));
      expect(
        (await indexer.listAttestationsBySubject(batch.leaves[2].subject)).items.map((a) => a.uid),
      ).to.deep.equal([uids[2]]);
      expect((await indexer.listBatchLeaves(batch.root)).items.map((a) => a.uid)).to.deep.equal([
        uids[2],
      ]);
      expect((await indexer.getBatch(batch.root))?.recordedLeaves).to.equal(1);

      const revokedItem = await add([
        {
          kind: "BatchRevoked",
          root: batch.root,
          provider: M.tax,
          reasonHash: h("bad batch"),
          signer: KEY.tax,
        },
      ]);
      const after = await indexer.getBatch(batch.root);
      expect(after?.revoked).to.equal(true);
      expect(after?.revocation).to.deep.equal({
        reasonHash: h("bad batch"),
        by: M.tax,
        audit: auditOf(revokedItem, 0, KEY.tax),
      });
      const leafAfter = await indexer.getAttestation(uids[2]);
      expect(leafAfter?.status).to.equal("revoked");
      expect(leafAfter?.revocation).to.deep.equal({
        reasonHash: h("bad batch"),
        by: M.tax,
        batchRoot: batch.root,
        audit: auditOf(revokedItem, 0, KEY.tax),
      });
      expect(leafAfter?.source).to.deep.include({ batchRevoked: true });
    });

    it("a derived record: source, lineage edges both ways", async () => {
      const s = subject("acme");
      const a = attest({ subject: s, label: "a" });
      const b = attest({ subject: s, provider: "court", label: "b", severity: 1 });
      const { batch, uids } = recordBatch(2, "lb", () => s);
      await add([a, b, anchorEvent(batch)]);
      const score = derive({ subject: s, inputs: [a.uid, b.uid, uids[1]] });
      const item = await add([score]);
      const got = await indexer.getAttestation(score.uid);
      expect(got).to.deep.include({
        uid: score.uid,
        schema: SCHEMA.score.schemaId,
        category: SCHEMA.score.categoryId,
        subject: s,
        provider: M.scorer,
        signer: KEY.scorer,
        relayer: null,
        expiresAt: 0n,
        severity: 0,
        status: "active",
        stale: null,
      });
      expect(got?.source).to.deep.equal({
        type: "derived",
        modelHash: MODEL,
        inputs: [a.uid, b.uid, uids[1]],
      });
      expect(got?.audit).to.deep.equal(auditOf(item, 0, KEY.scorer));

      const inputs = await indexer.lineage(score.uid, { direction: "inputs" });
      expect(inputs.root).to.equal(score.uid);
      expect(inputs.edges).to.deep.equal([
        { derived: score.uid, input: a.uid },
        { derived: score.uid, input: b.uid },
        { derived: score.uid, input: uids[1] },
      ]);
      expect(
        inputs.nodes.map((n) => [n.uid, n.depth, n.attestation?.status ?? null]),
      ).to.deep.equal([
        [score.uid, 0, "active"],
        [a.uid, 1, "active"],
        [b.uid, 1, "active"],
        [uids[1], 1, null], // a leaf whose batch file is not uploaded
      ]);
      expect(inputs.truncated).to.equal(false);

      const dependents = await indexer.lineage(a.uid, { direction: "dependents" });
      expect(dependents.edges).to.deep.equal([{ derived: score.uid, input: a.uid }]);
      expect(dependents.nodes.map((n) => n.uid)).to.deep.equal([a.uid, score.uid]);
      expect(
        (await indexer.listAttestationsBySubject(s, { source: "derived" })).items.map((x) => x.uid),
      ).to.deep.equal([score.uid]);
      expect(
        (
          await indexer.listAttestationsBySubject(s, { category: SCHEMA.score.categoryId })
        ).items.map((x) => x.uid),
      ).to.deep.equal([score.uid]);
    });

    it("disputes: opened, answered, withdrawn, lapsed; overdue at read time; lists by status and deadline", async () => {
      const s = subject("acme");
      const a = attest({ subject: s, label: "a" });
      const b = attest({ subject: s, label: "b" });
      await add([a, b]);
      const deadlineA = T0 + 20n * DAY;
      const opened = await add([
        {
          kind: "DisputeOpened",
          uid: a.uid,
          opener: M.bank,
          seq: 1,
          reasonHash: h("not mine"),
          openedAt: T0,
          deadline: deadlineA,
          signer: KEY.bank,
        },
        {
          kind: "DisputeOpened",
          uid: b.uid,
          opener: M.bank,
          seq: 1,
          reasonHash: h("wrong amount"),
          openedAt: T0 + 10n,
          deadline: deadlineA + 10n,
          signer: KEY.bank,
        },
      ]);
      let dispute = await indexer.getDispute(a.uid);
      expect(dispute).to.deep.equal({
        uid: a.uid,
        seq: 1,
        opener: M.bank,
        reasonHash: h("not mine"),
        openedAt: T0,
        deadline: deadlineA,
        status: "open",
        outcome: "none",
        outcomeCode: DisputeOutcome.None,
        responseHash: null,
        answeredBy: null,
        audit: auditOf(opened, 0, KEY.bank),
        closedAudit: null,
        overdue: false,
      });
      expect((await indexer.getAttestation(a.uid))?.disputed).to.equal(true);
      expect((await indexer.getAttestation(a.uid))?.disputeSeq).to.equal(1);
      // overdue: computed from the deadline at read time
      now = Number(deadlineA + 1n) * 1000;
      expect((await indexer.getDispute(a.uid))?.overdue).to.equal(true);
      expect((await indexer.getDispute(b.uid))?.overdue).to.equal(false);
      const overdue = await indexer.listDisputes({ overdueAt: deadlineA + 1n });
      expect(overdue.items.map((d) => d.uid)).to.deep.equal([a.uid]);
      expect(
        (await indexer.listDisputes({ overdueAt: deadlineA + 11n })).items.map((d) => d.uid),
      ).to.deep.equal([a.uid, b.uid]);
      expect(
        (await indexer.listDisputes({ status: "open" })).items.map((d) => d.uid),
      ).to.deep.equal([a.uid, b.uid]);
      now = Number(T0) * 1000;

      const answered = await add([
        {
          kind: "DisputeAnswered",
          uid: a.uid,
          provider: M.tax,
          seq: 1,
          outcome: DisputeOutcome.Upheld,
          responseHash: h("checked"),
          signer: KEY.tax,
        },
        { kind: "DisputeWithdrawn", uid: b.uid, opener: M.bank, seq: 1, signer: KEY.bank },
      ]);
      dispute = await indexer.getDispute(a.uid, 1);
      expect(dispute?.status).to.equal("answered");
      expect(dispute?.outcome).to.equal("upheld");
      expect(dispute?.outcomeCode).to.equal(DisputeOutcome.Upheld);
      expect(dispute?.responseHash).to.equal(h("checked"));
      expect(dispute?.answeredBy).to.equal(M.tax);
      expect(dispute?.closedAudit).to.deep.equal(auditOf(answered, 0, KEY.tax));
      expect((await indexer.getAttestation(a.uid))?.disputed).to.equal(false);
      expect((await indexer.getDispute(b.uid))?.status).to.equal("withdrawn");
      expect((await indexer.listDisputes({ status: "open" })).items).to.deep.equal([]);
      expect(
        (await indexer.listDisputes({ status: "answered" })).items.map((d) => d.uid),
      ).to.deep.equal([a.uid]);

      // a second dispute on a; it goes overdue, and a third one replaces it (the second lapses)
      const deadline2 = T0 + 40n * DAY;
      await add([
        {
          kind: "DisputeOpened",
          uid: a.uid,
          opener: M.bank,
          seq: 2,
          reasonHash: h("again"),
          openedAt: T0 + 20n * DAY,
          deadline: deadline2,
          signer: KEY.bank,
        },
      ]);
      const third = await add([
        {
          kind: "DisputeOpened",
          uid: a.uid,
          opener: M.bank,
          seq: 3,
          reasonHash: h("third"),
          openedAt: deadline2 + 1n,
          deadline: deadline2 + 20n * DAY,
          signer: KEY.bank,
        },
      ]);
      expect((await indexer.getDispute(a.uid, 2))?.status).to.equal("lapsed");
      expect((await indexer.getDispute(a.uid, 2))?.closedAudit).to.deep.equal(
        auditOf(third, 0, KEY.bank),
      );
      expect((await indexer.getDispute(a.uid))?.seq).to.equal(3);
      expect((await indexer.getAttestation(a.uid))?.disputed).to.equal(true);
      expect(
        (await indexer.listDisputes({ uid: a.uid })).items.map((d) => [d.seq, d.status]),
      ).to.deep.equal([
        [1, "answered"],
        [2, "lapsed"],
        [3, "open"],
      ]);
      expect(await indexer.getDispute(attest({ subject: s, label: "never" }).uid)).to.equal(null);
    });

    it("repairs: requested, rejected, requested again, approved", async () => {
      const s = subject("acme");
      const negative = attest({ subject: s, provider: "court", label: "penalty", severity: 2 });
      await add([negative]);
      const first = await add([
        {
          kind: "RepairRequested",
          uid: negative.uid,
          requester: M.bank,
          evidenceHash: h("evidence"),
          requestedAt: T0,
          signer: KEY.bank,
        },
      ]);
      let repair = await indexer.getRepair(negative.uid);
      expect(repair).to.deep.equal({
        uid: negative.uid,
        seq: 1,
        requester: M.bank,
        evidenceHash: h("evidence"),
        requestedAt: T0,
        status: "requested",
        authority: null,
        decisionHash: null,
        audit: auditOf(first, 0, KEY.bank),
        decidedAudit: null,
      });
      expect(
        (await indexer.listRepairs({ status: "requested" })).items.map((r) => r.uid),
      ).to.deep.equal([negative.uid]);
      const rejected = await add([
        {
          kind: "RepairDecided",
          uid: negative.uid,
          authority: M.repair,
          approved: false,
          decisionHash: h("too early"),
          signer: KEY.repair,
        },
      ]);
      repair = await indexer.getRepair(negative.uid, 1);
      expect(repair?.status).to.equal("rejected");
      expect(repair?.authority).to.equal(M.repair);
      expect(repair?.decisionHash).to.equal(h("too early"));
      expect(repair?.decidedAudit).to.deep.equal(auditOf(rejected, 0, KEY.repair));
      expect((await indexer.getAttestation(negative.uid))?.repaired).to.equal(false);

      await add([
        {
          kind: "RepairRequested",
          uid: negative.uid,
          requester: M.court,
          evidenceHash: h("evidence 2"),
          requestedAt: T0 + 100n * DAY,
          signer: KEY.court,
        },
      ]);
      await add([
        {
          kind: "RepairDecided",
          uid: negative.uid,
          authority: M.repair,
          approved: true,
          decisionHash: h("ok"),
          signer: KEY.repair,
        },
      ]);
      const record = await indexer.getAttestation(negative.uid);
      expect(record?.repaired).to.equal(true);
      expect(record?.repairSeq).to.equal(2);
      expect((await indexer.getRepair(negative.uid))?.status).to.equal("approved");
      expect(
        (await indexer.listRepairs({ uid: negative.uid })).items.map((r) => [r.seq, r.status]),
      ).to.deep.equal([
        [1, "rejected"],
        [2, "approved"],
      ]);
      expect((await indexer.listRepairs({ status: "requested" })).items).to.deep.equal([]);
      expect((await indexer.listRepairs()).items.map((r) => r.status)).to.deep.equal([
        "approved",
        "rejected",
      ]);
    });

    it("score batches", async () => {
      const item = await add([
        {
          kind: "ScoreBatchAnchored",
          root: h("scores:1"),
          scorer: M.scorer,
          modelHash: MODEL,
          count: 120,
          asOfBlock: 1n,
          signer: KEY.scorer,
        },
      ]);
      await add([
        {
          kind: "ScoreBatchAnchored",
          root: h("scores:2"),
          scorer: M.scorer,
          modelHash: MODEL,
          count: 7,
          asOfBlock: 2n,
          signer: KEY.scorer,
        },
      ]);
      expect(await indexer.getScoreBatch(h("scores:1"))).to.deep.equal({
        root: h("scores:1"),
        scorer: M.scorer,
        modelHash: MODEL,
        count: 120,
        asOfBlock: 1n,
        signer: KEY.scorer,
        audit: auditOf(item, 0, KEY.scorer),
      });
      expect((await indexer.listScoreBatches()).items.map((b) => b.root)).to.deep.equal([
        h("scores:2"),
        h("scores:1"),
      ]);
    });

    it("events about unknown records are logged and skipped, not fatal", async () => {
      const before = await indexer.digest();
      await add([
        {
          kind: "Revoked",
          uid: h("ghost"),
          owner: M.tax,
          reasonHash: ZERO_BYTES32,
          signer: KEY.tax,
        },
        { kind: "MemberSuspended", member: h("ghost member") },
        { kind: "ProposalExecuted", proposalId: 99n },
      ]);
      expect(await indexer.getAttestation(h("ghost"))).to.equal(null);
      expect(await indexer.digest()).to.not.equal(before); // the checkpoint moved
      expect((await indexer.checkpoint()).number).to.equal(chain.head.block.number);
    });
  });

  it("status: checkpoint, head and lag from the checkpoint block's timestamp", async () => {
    const genesis = chain.add(consortiumGenesis());
    chain.addEmpty(4);
    const ledger = fakeLedger([], chain.head.block);
    await indexer.close();
    ({ indexer } = await openIndexer(dirs, { ledger }));
    await feed(indexer, [genesis]);
    const status = await indexer.status();
    expect(status.checkpoint).to.deep.equal({
      number: 1n,
      hash: genesis.block.hash,
      timestamp: genesis.block.timestamp,
    });
    expect(status.head).to.deep.equal(chain.head.block);
    expect(status.blocksBehind).to.equal(4n);
    expect(status.secondsBehind).to.equal(
      Number(chain.head.block.timestamp - genesis.block.timestamp),
    );
    expect(status.stats.blocksApplied).to.equal(1);
    expect(status.stats.eventsApplied).to.equal(genesis.events.length);
    await feed(indexer, chain.blocks.slice(1));
    const caughtUp = await indexer.status();
    expect(caughtUp.blocksBehind).to.equal(0n);
    expect(caughtUp.secondsBehind).to.equal(0);
    ledger.head = () => Promise.reject(new Error("node down"));
    const down = await indexer.status();
    expect(down.head).to.equal(null);
    expect(down.headError).to.equal("node down");
  });
});
