/**
 * The EVM ledger adapter against a real Hardhat node (a child process): every contract operation
 * through the writer, every event kind decoded field by field (in receipts and in the stream),
 * concurrent submissions from one key, reverts decoded by name, and the factory's checks.
 */
import { expect } from "chai";
import { Wallet, ZeroAddress, keccak256, toUtf8Bytes } from "ethers";

import {
  ActionKind,
  attestationUid,
  buildRecordBatch,
  categoryId,
  consentId,
  derivedUid,
  DisputeOutcome,
  encodeAction,
  isCredtrailError,
  LedgerError,
  memberId,
  modelHash,
  parameterKey,
  purposeHash,
  registryDomain,
  Role,
  schemaRegistration,
  SCHEMAS,
  signAttest,
  ValidationError,
  ZERO_BYTES32,
  type AttestationRequestInput,
  type GovernanceAction,
  type Hex,
  type LedgerEvent,
  type LedgerEventKind,
} from "../../core/index.js";
import {
  createEvmLedger,
  LedgerErrorCode,
  type EvmLedger,
  type LedgerWriter,
  type Receipt,
} from "../../ledger/index.js";
import {
  deployTestConsortium,
  TEST_KEYS,
  type TestConsortium,
  type TestKey,
} from "../helpers/evmConsortium.js";
import {
  freePort,
  HARDHAT_KEYS,
  rpc,
  startHardhatNode,
  type HardhatNode,
} from "../helpers/hardhatNode.js";
import { readStream } from "../helpers/streamHelpers.js";

const DAY = 86_400n;
const YEAR = 365n * DAY;

/** Every event kind core knows: the compiler checks the list is complete. */
const ALL_KINDS: Record<LedgerEventKind, true> = {
  MemberAdmitted: true,
  MemberRolesChanged: true,
  MemberSuspended: true,
  MemberReinstated: true,
  KeyAdded: true,
  KeyRevoked: true,
  ScopeSet: true,
  SchemaRegistered: true,
  ModelRegistered: true,
  ThresholdChanged: true,
  ParameterChanged: true,
  ProposalCreated: true,
  ProposalApproved: true,
  ProposalExecuted: true,
  ProposalCancelled: true,
  Attested: true,
  BatchAnchored: true,
  BatchRevoked: true,
  LeafRecorded: true,
  Derived: true,
  Revoked: true,
  Superseded: true,
  DisputeOpened: true,
  DisputeAnswered: true,
  DisputeWithdrawn: true,
  RepairRequested: true,
  RepairDecided: true,
  ScoreBatchAnchored: true,
  ConsentRecorded: true,
  ConsentRevoked: true,
  AuditAnchored: true,
};

function h(label: string): Hex {
  return keccak256(toUtf8Bytes(label)) as Hex;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

describe("EvmLedger: writer and event decoding against a Hardhat node", function () {
  this.timeout(180_000);

  let node: HardhatNode;
  let c: TestConsortium;
  let ledger: EvmLedger;
  let now: bigint;
  const w = {} as Record<TestKey, LedgerWriter>;

  /** The timestamp of a receipt's block. */
  const blockTime = async (r: Receipt): Promise<bigint> => {
    const block = await rpc<{ timestamp: string }>(node.url, "eth_getBlockByNumber", [
      `0x${r.blockNumber.toString(16)}`,
      false,
    ]);
    return BigInt(block.timestamp);
  };

  const request = (
    label: string,
    overrides: Partial<AttestationRequestInput> = {},
  ): AttestationRequestInput => ({
    schema: c.schemas.taxPayment,
    subject: h(`subject:${label}`),
    dataHash: h(`data:${label}`),
    observedAt: now - DAY,
    expiresAt: now + 5n * YEAR,
    severity: 0,
    ...overrides,
  });

  const uidOf = (r: AttestationRequestInput, provider: Hex): Hex =>
    attestationUid({
      ...r,
      provider,
      observedAt: BigInt(r.observedAt),
      expiresAt: BigInt(r.expiresAt),
    });

  before(async () => {
    node = await startHardhatNode();
    c = await deployTestConsortium(node.url);
    ledger = await createEvmLedger({
      rpcUrl: node.url,
      addresses: c.addresses,
      pollIntervalMs: 50,
    });
    for (const key of Object.keys(TEST_KEYS) as TestKey[]) w[key] = ledger.writer(TEST_KEYS[key]);
    now = (await ledger.head()).timestamp;
  });

  after(async () => {
    ledger?.close();
    await node?.stop();
  });

  it("reports the chain and the writer identities", async () => {
    expect(ledger.kind).to.equal("evm");
    expect(ledger.network).to.equal("31337");
    expect(ledger.chainId).to.equal(31337n);
    expect(w.tax.identity).to.equal(c.address.tax);
    const head = await ledger.head();
    expect(head.number).to.be.greaterThan(0n);
    expect(head.hash).to.match(/^0x[0-9a-f]{64}$/);
  });

  it("decodes every event kind, field by field, in receipts and in the stream", async () => {
    const receipts: Receipt[] = [];
    const expectEvents = (r: Receipt, expected: LedgerEvent[]) => {
      expect(r.events).to.deep.equal(expected);
      receipts.push(r);
    };

    // ---------------------------------------------------------------------------------- governance
    let nextProposal = 1n;
    /** operator proposes, regulator approves (threshold 2); the action's events come in between. */
    const govern = async (action: GovernanceAction, actionEvents: LedgerEvent[]) => {
      const id = nextProposal++;
      const proposed = await w.operator.propose(action);
      expect(proposed.proposalId).to.equal(id);
      expectEvents(proposed, [
        {
          kind: "ProposalCreated",
          proposalId: id,
          proposer: c.ids.operator,
          actionKind: encodeAction(action).kind,
          payload: encodeAction(action).payload,
          expiresAt: (await blockTime(proposed)) + 7n * DAY,
        },
        {
          kind: "ProposalApproved",
          proposalId: id,
          member: c.ids.operator,
          approvals: 1,
          required: 2,
        },
      ]);
      expectEvents(await w.regulator.approve(id), [
        {
          kind: "ProposalApproved",
          proposalId: id,
          member: c.ids.regulator,
          approvals: 2,
          required: 2,
        },
        ...actionEvents,
        { kind: "ProposalExecuted", proposalId: id },
      ]);
    };

    const utility = memberId("Utility Co");
    const utilityKey = new Wallet(HARDHAT_KEYS[12]).address;
    const spareKey = new Wallet(HARDHAT_KEYS[13]).address;
    await govern(
      {
        kind: "Admit",
        member: utility,
        name: "Utility Co",
        roles: Role.PROVIDER,
        keys: [utilityKey],
      },
      [
        {
          kind: "MemberAdmitted",
          member: utility,
          index: 9,
          name: "Utility Co",
          roles: Role.PROVIDER,
          keys: [utilityKey],
        },
      ],
    );
    await govern({ kind: "SetRoles", member: utility, roles: Role.PROVIDER | Role.LENDER }, [
      { kind: "MemberRolesChanged", member: utility, roles: Role.PROVIDER | Role.LENDER },
    ]);
    await govern(
      {
        kind: "SetScope",
        member: utility,
        category: c.categories.taxPayment,
        expiresAt: now + YEAR,
      },
      [
        {
          kind: "ScopeSet",
          member: utility,
          category: c.categories.taxPayment,
          expiresAt: now + YEAR,
        },
      ],
    );
    await govern({ kind: "Suspend", member: utility }, [
      { kind: "MemberSuspended", member: utility },
    ]);
    await govern({ kind: "Reinstate", member: utility }, [
      { kind: "MemberReinstated", member: utility },
    ]);
    await govern({ kind: "AddKey", member: utility, key: spareKey }, [
      { kind: "KeyAdded", member: utility, key: spareKey },
    ]);
    await govern({ kind: "RevokeKey", member: utility, key: spareKey }, [
      { kind: "KeyRevoked", member: utility, key: spareKey, revokedBy: c.address.regulator },
    ]);
    await govern({ kind: "SetThreshold", threshold: 2 }, [
      { kind: "ThresholdChanged", threshold: 2 },
    ]);
    await govern({ kind: "SetParameter", name: "repairPeriod.general", value: 100n * DAY }, [
      { kind: "ParameterChanged", name: parameterKey("repairPeriod.general"), value: 100n * DAY },
    ]);

    const cancelled = await w.operator.propose({ kind: "SetThreshold", threshold: 3 });
    receipts.push(cancelled);
    expect(cancelled.events.map((e) => e.kind)).to.deep.equal([
      "ProposalCreated",
      "ProposalApproved",
    ]);
    expect(cancelled.events[0]).to.include({
      kind: "ProposalCreated",
      proposalId: nextProposal,
      actionKind: ActionKind.SetThreshold,
    });
    expectEvents(await w.operator.cancel(nextProposal), [
      { kind: "ProposalCancelled", proposalId: nextProposal },
    ]);

    // ------------------------------------------------------------------------- schemas and models
    const social = schemaRegistration(SCHEMAS["social.insurance"]);
    expectEvents(await w.operator.registerSchema(social.categoryName, social.definition), [
      {
        kind: "SchemaRegistered",
        schema: social.schemaId,
        category: categoryId("social.insurance"),
        index: 6,
        categoryName: social.categoryName,
        definition: social.definition,
        registrant: c.ids.operator,
      },
    ]);
    const model2 = modelHash({ name: "credtrail-scorecard", version: 2 });
    expectEvents(await w.scorer.registerModel(model2, "credtrail://models/scorecard-v2"), [
      {
        kind: "ModelRegistered",
        modelHash: model2,
        scorer: c.ids.scorer,
        uri: "credtrail://models/scorecard-v2",
      },
    ]);

    // ------------------------------------------------------------------------------ attestations
    const attested = (
      r: AttestationRequestInput,
      provider: Hex,
      signer: string,
      relayer: string,
    ): LedgerEvent => ({
      kind: "Attested",
      uid: uidOf(r, provider),
      subject: r.subject as Hex,
      schema: r.schema as Hex,
      provider,
      dataHash: r.dataHash as Hex,
      observedAt: BigInt(r.observedAt),
      expiresAt: BigInt(r.expiresAt),
      severity: r.severity,
      signer,
      relayer,
    });
    const req1 = request("acme");
    const uid1 = uidOf(req1, c.ids.tax);
    expectEvents(await w.tax.attest(req1), [attested(req1, c.ids.tax, c.address.tax, ZeroAddress)]);

    const signed = request("signed", { severity: 2 });
    const deadline = now + 3_600n;
    const signature = await signAttest(
      new Wallet(TEST_KEYS.taxAlt),
      registryDomain(c.chainId, c.addresses.registry),
      signed,
      7n,
      deadline,
    );
    expectEvents(
      await w.relayer.attestBySig({
        request: signed,
        signer: c.address.taxAlt,
        nonce: 7n,
        deadline,
        signature,
      }),
      [attested(signed, c.ids.tax, c.address.taxAlt, c.address.relayer)],
    );

    const req2 = request("many:0");
    const req3 = request("many:1", { schema: c.schemas.taxGrade, expiresAt: 0 });
    expectEvents(await w.tax.attestMany([req2, req3]), [
      attested(req2, c.ids.tax, c.address.tax, ZeroAddress),
      attested(req3, c.ids.tax, c.address.tax, ZeroAddress),
    ]);

    // ------------------------------------------------------------------------------------ batches
    const leaves = Array.from({ length: 4 }, (_, i) => ({
      subject: h(`leaf-subject:${i}`),
      dataHash: h(`leaf-data:${i}`),
      observedAt: now - DAY - BigInt(i),
      expiresAt: now + 2n * YEAR,
      severity: i % 4,
    }));
    const batch = buildRecordBatch(leaves);
    const anchor = { schema: c.schemas.taxPayment, provider: c.ids.tax };
    expectEvents(await w.tax.anchorBatch(c.schemas.taxPayment, batch.root, 4, "ipfs://batch-1"), [
      {
        kind: "BatchAnchored",
        root: batch.root,
        provider: c.ids.tax,
        schema: c.schemas.taxPayment,
        count: 4,
        uri: "ipfs://batch-1",
        signer: c.address.tax,
      },
    ]);
    const leaf0 = batch.leafProof(0);
    expectEvents(await w.relayer.recordLeaf(leaf0), [
      {
        kind: "LeafRecorded",
        uid: batch.leafUid(0, anchor),
        root: batch.root,
        subject: leaf0.subject,
        dataHash: leaf0.dataHash,
        observedAt: leaf0.observedAt,
        expiresAt: leaf0.expiresAt,
        severity: leaf0.severity,
      },
    ]);

    // ------------------------------------------------------------------------------------ lineage
    const deriveInput = {
      schema: c.schemas.creditScore,
      subject: h("subject:acme"),
      dataHash: h("score:acme"),
      modelHash: c.model,
      observedAt: now - 60n,
      inputs: [uid1],
      leafInputs: [{ ...batch.leafProof(1) }],
    };
    const inputs = [uid1, batch.leafUid(1, anchor)];
    expectEvents(await w.scorer.derive(deriveInput), [
      {
        kind: "Derived",
        uid: derivedUid({ ...deriveInput, deriver: c.ids.scorer, inputs }),
        subject: deriveInput.subject,
        schema: deriveInput.schema,
        deriver: c.ids.scorer,
        dataHash: deriveInput.dataHash,
        modelHash: c.model,
        observedAt: deriveInput.observedAt,
        inputs,
        signer: c.address.scorer,
      },
    ]);

    // ---------------------------------------------------------------------------------- corrections
    expectEvents(await w.tax.revoke(uidOf(req2, c.ids.tax), h("reason:wrong")), [
      {
        kind: "Revoked",
        uid: uidOf(req2, c.ids.tax),
        owner: c.ids.tax,
        reasonHash: h("reason:wrong"),
        signer: c.address.tax,
      },
    ]);
    const req4 = request("many:1:corrected", { schema: c.schemas.taxGrade });
    expectEvents(await w.tax.supersede(uidOf(req3, c.ids.tax), req4), [
      attested(req4, c.ids.tax, c.address.tax, ZeroAddress),
      {
        kind: "Superseded",
        uid: uidOf(req3, c.ids.tax),
        newUid: uidOf(req4, c.ids.tax),
        owner: c.ids.tax,
        signer: c.address.tax,
      },
    ]);
    const batch2 = buildRecordBatch(leaves.map((l) => ({ ...l, dataHash: h(`${l.dataHash}:2`) })));
    receipts.push(await w.tax.anchorBatch(c.schemas.taxPayment, batch2.root, 4, "ipfs://batch-2"));
    expectEvents(await w.tax.revokeBatch(batch2.root, h("reason:batch")), [
      {
        kind: "BatchRevoked",
        root: batch2.root,
        provider: c.ids.tax,
        reasonHash: h("reason:batch"),
        signer: c.address.tax,
      },
    ]);

    // ------------------------------------------------------------------------ disputes and repair
    const opened = await w.lenderA.openDispute(uid1, h("dispute:1"));
    const openedAt = await blockTime(opened);
    expectEvents(opened, [
      {
        kind: "DisputeOpened",
        uid: uid1,
        opener: c.ids.lenderA,
        seq: 1,
        reasonHash: h("dispute:1"),
        openedAt,
        deadline: openedAt + 20n * DAY,
        signer: c.address.lenderA,
      },
    ]);
    expectEvents(await w.tax.answerDispute(uid1, DisputeOutcome.Upheld, h("response:1")), [
      {
        kind: "DisputeAnswered",
        uid: uid1,
        provider: c.ids.tax,
        seq: 1,
        outcome: DisputeOutcome.Upheld,
        responseHash: h("response:1"),
        signer: c.address.tax,
      },
    ]);
    receipts.push(await w.lenderB.openDispute(uid1, h("dispute:2")));
    expectEvents(await w.lenderB.withdrawDispute(uid1), [
      {
        kind: "DisputeWithdrawn",
        uid: uid1,
        opener: c.ids.lenderB,
        seq: 2,
        signer: c.address.lenderB,
      },
    ]);

    const negative = request("enforcement", {
      schema: c.schemas.judicialEnforcement,
      observedAt: now - 10n * DAY,
      severity: 1,
    });
    const negativeUid = uidOf(negative, c.ids.court);
    expectEvents(await w.court.attest(negative), [
      attested(negative, c.ids.court, c.address.court, ZeroAddress),
    ]);
    const requested = await w.lenderA.requestRepair(negativeUid, h("evidence"));
    expectEvents(requested, [
      {
        kind: "RepairRequested",
        uid: negativeUid,
        requester: c.ids.lenderA,
        evidenceHash: h("evidence"),
        requestedAt: await blockTime(requested),
        signer: c.address.lenderA,
      },
    ]);
    expectEvents(await w.repairAuthority.decideRepair(negativeUid, true, h("decision")), [
      {
        kind: "RepairDecided",
        uid: negativeUid,
        authority: c.ids.repairAuthority,
        approved: true,
        decisionHash: h("decision"),
        signer: c.address.repairAuthority,
      },
    ]);

    // ------------------------------------------------------------------------------ scores, keys
    const asOfBlock = (await ledger.head()).number;
    expectEvents(await w.scorer.anchorScoreBatch(h("scores:1"), c.model, 10, asOfBlock), [
      {
        kind: "ScoreBatchAnchored",
        root: h("scores:1"),
        scorer: c.ids.scorer,
        modelHash: c.model,
        count: 10,
        asOfBlock,
        signer: c.address.scorer,
      },
    ]);
    // ------------------------------------------------------------------------------ consent, audit
    const consentSubject = h("consent:subject");
    const purpose = purposeHash("credit-assessment");
    const id = consentId({ lender: c.ids.lenderA, subject: consentSubject, purposeHash: purpose });
    expectEvents(
      await w.lenderA.recordConsent(consentSubject, purpose, now + 30n * DAY, h("consent:doc")),
      [
        {
          kind: "ConsentRecorded",
          consentId: id,
          subject: consentSubject,
          lender: c.ids.lenderA,
          purposeHash: purpose,
          expiresAt: now + 30n * DAY,
          evidenceHash: h("consent:doc"),
          signer: c.address.lenderA,
        },
      ],
    );
    expectEvents(await w.lenderA.revokeConsent(consentSubject, purpose), [
      {
        kind: "ConsentRevoked",
        consentId: id,
        subject: consentSubject,
        lender: c.ids.lenderA,
        signer: c.address.lenderA,
      },
    ]);
    const auditTo = (await ledger.head()).timestamp;
    expectEvents(await w.operator.anchorAuditLog(h("audit:1"), 7, auditTo - 60n, auditTo), [
      {
        kind: "AuditAnchored",
        root: h("audit:1"),
        node: c.ids.operator,
        count: 7,
        fromTime: auditTo - 60n,
        toTime: auditTo,
        signer: c.address.operator,
      },
    ]);
    expectEvents(await w.tax.revokeOwnKey(c.address.taxAlt), [
      { kind: "KeyRevoked", member: c.ids.tax, key: c.address.taxAlt, revokedBy: c.address.tax },
    ]);

    // Every kind was seen.
    const kinds = new Set(receipts.flatMap((r) => r.events.map((e) => e.kind)));
    expect([...kinds].sort()).to.deep.equal(Object.keys(ALL_KINDS).sort());

    // ------------------------------------------------------------------------------ the stream
    const first = receipts[0].blockNumber;
    const last = receipts[receipts.length - 1].blockNumber;
    const chain = await readStream(
      ledger,
      { number: first - 1n, hash: ZERO_BYTES32 },
      { until: last },
    );
    expect(chain.events()).to.deep.equal(receipts.flatMap((r) => r.events));
    for (const r of receipts) {
      const block = chain.blocks.get(r.blockNumber);
      expect(block?.hash, `block ${r.blockNumber}`).to.equal(r.blockHash);
      for (const event of block?.events ?? []) {
        expect(event.position).to.include({
          blockNumber: r.blockNumber,
          blockHash: r.blockHash,
          txHash: r.txHash,
        });
      }
    }
    // Block items carry the header: the timestamps events quote are the blocks'.
    const openedItem = chain.items.find(
      (i) => i.type === "block" && i.block.number === opened.blockNumber,
    );
    expect(openedItem?.type === "block" ? openedItem.block.timestamp : undefined).to.equal(
      openedAt,
    );
  });

  it("submits 50 concurrent attestations from one writer", async () => {
    const before = BigInt(
      await rpc<string>(node.url, "eth_getTransactionCount", [c.address.court, "latest"]),
    );
    const requests = Array.from({ length: 50 }, (_, i) =>
      request(`concurrent:${i}`, { schema: c.schemas.adminPenalty }),
    );
    const receipts = await Promise.all(requests.map((r) => w.court.attest(r)));
    expect(new Set(receipts.map((r) => r.txHash)).size).to.equal(50);
    receipts.forEach((r, i) => {
      expect(r.events).to.have.length(1);
      expect(r.events[0]).to.include({
        kind: "Attested",
        uid: uidOf(requests[i], c.ids.court),
        signer: c.address.court,
      });
    });
    const after = BigInt(
      await rpc<string>(node.url, "eth_getTransactionCount", [c.address.court, "latest"]),
    );
    expect(after - before).to.equal(50n);
  });

  it("decodes reverts into LEDGER_REVERTED errors that name the contract error and its arguments", async () => {
    const dup = request("revert:dup");
    await w.tax.attest(dup);
    const uid = uidOf(dup, c.ids.tax);

    const exists = await rejection(w.tax.attest(dup));
    expect(exists).to.be.instanceOf(LedgerError);
    expect(isCredtrailError(exists, LedgerErrorCode.REVERTED)).to.equal(true);
    expect((exists as LedgerError).message).to.equal(`RegistryRecordExists(${uid})`);
    expect((exists as LedgerError).details).to.deep.include({
      operation: "attest",
      contract: "CreditRegistry",
      error: "RegistryRecordExists",
      signature: "RegistryRecordExists(bytes32)",
      args: { uid },
    });

    // A Consortium error raised inside a registry call, and one raised by the Consortium itself.
    const outsider = await rejection(w.outsider.attest(request("revert:outsider")));
    expect((outsider as LedgerError).message).to.equal(
      `ConsortiumUnknownKey(${c.address.outsider})`,
    );
    expect((outsider as LedgerError).details).to.deep.include({
      contract: "Consortium",
      args: { key: c.address.outsider },
    });
    const notOperator = await rejection(w.tax.registerSchema("tax.payment", "{}"));
    expect(isCredtrailError(notOperator, LedgerErrorCode.REVERTED)).to.equal(true);
    expect((notOperator as LedgerError).details).to.deep.include({
      contract: "Consortium",
      error: "ConsortiumMissingRole",
    });

    // Arguments of several types: bytes32 and an enum.
    const revoked = request("revert:revoked");
    await w.tax.attest(revoked);
    await w.tax.revoke(uidOf(revoked, c.ids.tax), h("r"));
    const notActive = await rejection(w.tax.revoke(uidOf(revoked, c.ids.tax), h("r")));
    expect((notActive as LedgerError).message).to.equal(
      `RegistryNotActive(${uidOf(revoked, c.ids.tax)}, 2)`,
    );
    expect((notActive as LedgerError).details?.args).to.deep.equal({
      uid: uidOf(revoked, c.ids.tax),
      status: "2",
    });

    // Invalid input never reaches the ledger.
    const invalid = await rejection(w.tax.attest({ ...request("invalid"), subject: "0x1234" }));
    expect(invalid).to.be.instanceOf(ValidationError);

    // Reverting calls mixed into concurrent ones take no nonce: the others and later calls succeed.
    const fresh = Array.from({ length: 6 }, (_, i) => request(`mixed:${i}`));
    const results = await Promise.allSettled([
      ...fresh.map((r) => w.tax.attest(r)),
      w.tax.attest(dup),
      w.tax.attest(dup),
    ]);
    expect(results.slice(0, 6).every((r) => r.status === "fulfilled")).to.equal(true);
    expect(
      results
        .slice(6)
        .every(
          (r) => r.status === "rejected" && isCredtrailError(r.reason, LedgerErrorCode.REVERTED),
        ),
    ).to.equal(true);
    const later = await w.tax.attest(request("after-reverts"));
    expect(later.events[0].kind).to.equal("Attested");
  });

  it("checks the node, the chain and the contracts when created", async () => {
    const noContract = await rejection(
      createEvmLedger({
        rpcUrl: node.url,
        addresses: { consortium: c.addresses.consortium, registry: c.address.outsider },
      }),
    );
    expect(isCredtrailError(noContract, LedgerErrorCode.MISCONFIGURED)).to.equal(true);
    const wrongChain = await rejection(
      createEvmLedger({ rpcUrl: node.url, addresses: c.addresses, chainId: 1n }),
    );
    expect(isCredtrailError(wrongChain, LedgerErrorCode.MISCONFIGURED)).to.equal(true);
    const down = await rejection(
      createEvmLedger({
        rpcUrl: `http://127.0.0.1:${await freePort()}`,
        addresses: c.addresses,
        requestTimeoutMs: 2_000,
        retries: 1,
        retryDelayMs: 1,
      }),
    );
    expect(isCredtrailError(down, LedgerErrorCode.UNAVAILABLE)).to.equal(true);
    expect(() => ledger.writer("0x1234")).to.throw(ValidationError);
  });
});
