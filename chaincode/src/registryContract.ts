/**
 * Registry: attestations and everything that happens to them, with the rules and events of
 * contracts/CreditRegistry.sol. Authorisation is asked of the consortium state (membership.ts).
 * Differences forced by Fabric: times come from the transaction timestamp; `asOfBlock` of a score
 * batch is not compared with a block height (chaincode cannot see one); signed attestations use the
 * channel's EIP-712 domain (domain.ts).
 */
import type { Hex } from "../../core/index.js";
import {
  consentId as computeConsentId,
  CredtrailError,
  derivedUid,
  DisputeStatus,
  MAX_TIMESTAMP,
  recoverAttestSigner,
  repairPeriodParameter,
  RecordStatus,
  RepairStatus,
  Role,
  ZERO_BYTES32,
} from "../../core/index.js";
import { Info, Returns, Transaction } from "fabric-contract-api";

import {
  addressArg,
  arrayArg,
  boolArg,
  bytes32Arg,
  bytesArg,
  field,
  objectArg,
  smallUintArg,
  stringArg,
  uint64Arg,
  uintArg,
} from "./args.js";
import { fabricRegistryDomain } from "./domain.js";
import { fail } from "./errors.js";
import { stableJson } from "./json.js";
import {
  authorize,
  authorizeProvider,
  callerActor,
  findSchema,
  keyActor,
  loadConfig,
  modelScorer,
  parameter,
} from "./membership.js";
import type { BatchState } from "./records.js";
import {
  attestAs,
  checkInputs,
  checkRecordFields,
  existingRecord,
  findBatch,
  findRecord,
  leafUid,
  liveBatch,
  NO_RELAYER,
  ownedActive,
  ownerActor,
  parseLeaf,
  parseRequest,
  putRecord,
  RecordKeys,
  repairable,
  statusOf,
  verifyLeafProof,
} from "./records.js";
import { CredtrailContract } from "./contract.js";
// a value import: the decorator metadata names the context class of every transaction
import { CredtrailContext } from "./tx.js";

interface DisputeState {
  opener: Hex;
  seq: number;
  openedAt: string;
  deadline: string;
  status: number;
  outcome: number;
}

interface RepairState {
  requester: Hex;
  requestedAt: string;
  status: number;
}

interface ConsentState {
  consentId: Hex;
  lender: Hex;
  subject: Hex;
  purposeHash: Hex;
  grantedAt: string;
  expiresAt: string;
  evidenceHash: Hex;
  revoked: boolean;
}

const REPAIR_REQUESTERS = Role.PROVIDER | Role.LENDER | Role.REPAIR_AUTHORITY;

@Info({ title: "Registry", description: "credtrail credit-record attestations" })
export class RegistryContract extends CredtrailContract {
  constructor() {
    super("Registry");
  }

  // ----------------------------------------------------------------------------------------------
  // Attest
  // ----------------------------------------------------------------------------------------------

  /** Attests one record (JSON AttestationRequest); the caller is an accredited PROVIDER. */
  @Transaction()
  @Returns("string")
  async attest(ctx: CredtrailContext, request: string): Promise<string> {
    const tx = ctx.tx;
    const actor = await callerActor(tx);
    return attestAs(tx, parseRequest(request, "request"), actor, NO_RELAYER);
  }

  /** Attests several records, all or nothing; returns the uids as a JSON array. */
  @Transaction()
  @Returns("string")
  async attestMany(ctx: CredtrailContext, requests: string): Promise<string> {
    const tx = ctx.tx;
    const actor = await callerActor(tx);
    const parsed = arrayArg(requests, "requests").map((r, i) => parseRequest(r, `requests[${i}]`));
    const uids: Hex[] = [];
    for (const request of parsed) uids.push(await attestAs(tx, request, actor, NO_RELAYER));
    return stableJson(uids);
  }

  /**
   * Attests a record signed (EIP-712 `Attest`, the channel's domain) by a provider key; anyone
   * may relay it. `signature` is JSON `{"signer","nonce","deadline","signature"}`.
   */
  @Transaction()
  @Returns("string")
  async attestBySig(ctx: CredtrailContext, request: string, signature: string): Promise<string> {
    const tx = ctx.tx;
    const req = parseRequest(request, "request");
    const sig = objectArg(signature, "signature");
    const signer = addressArg(field(sig, "signer"), "signature.signer");
    const nonce = uintArg(field(sig, "nonce"), 256, "signature.nonce");
    const deadline = uint64Arg(field(sig, "deadline"), "signature.deadline");
    const bytes = bytesArg(field(sig, "signature"), "signature.signature");
    if (tx.now > deadline) fail("RegistrySignatureExpired", { deadline });
    const nonceKey = RecordKeys.nonce(tx, signer, nonce);
    if (await tx.has(nonceKey)) fail("RegistryNonceUsed", { signer, nonce });
    await tx.put(nonceKey, true);
    checkRecordFields(tx, req.subject, req.dataHash, req.observedAt, req.expiresAt, req.severity);
    const config = await loadConfig(tx);
    const domain = fabricRegistryDomain(tx.channel, config.chaincodeName);
    let recovered: string;
    try {
      recovered = recoverAttestSigner(domain, req, nonce, deadline, bytes);
    } catch (error) {
      if (error instanceof CredtrailError) fail("RegistryInvalidSignature", { signer });
      throw error;
    }
    if (recovered !== signer) fail("RegistryInvalidSignature", { signer });
    return attestAs(tx, req, await keyActor(tx, signer), tx.caller.address);
  }

  /** Anchors a batch: one Merkle root over `count` record leaves of one schema. */
  @Transaction()
  async anchorBatch(
    ctx: CredtrailContext,
    schema: string,
    root: string,
    count: string,
    uri: string,
  ): Promise<void> {
    const tx = ctx.tx;
    const schemaId = bytes32Arg(schema, "schema");
    const rootHash = bytes32Arg(root, "root");
    const n = smallUintArg(count, 32, "count");
    const actor = await callerActor(tx);
    await authorizeProvider(tx, actor, schemaId);
    if (rootHash === ZERO_BYTES32 || n === 0)
      fail("RegistryInvalidBatch", { root: rootHash, count: n });
    if ((await findBatch(tx, rootHash)) !== undefined)
      fail("RegistryBatchExists", { root: rootHash });
    const batch: BatchState = {
      root: rootHash,
      provider: actor.member.id,
      schema: schemaId,
      count: n,
      anchoredAt: tx.now.toString(),
      revoked: false,
      uri: stringArg(uri, "uri"),
    };
    await tx.put(RecordKeys.batch(tx, rootHash), batch);
    tx.emit({
      kind: "BatchAnchored",
      root: rootHash,
      provider: actor.member.id,
      schema: schemaId,
      count: n,
      uri,
      signer: actor.key,
    });
  }

  /** Gives a batch leaf its own record after checking its proof (any identity may call). */
  @Transaction()
  @Returns("string")
  async recordLeaf(ctx: CredtrailContext, leaf: string): Promise<string> {
    const tx = ctx.tx;
    const l = parseLeaf(leaf, "leaf");
    const b = await liveBatch(tx, l.root);
    const uid = leafUid(tx, b, l);
    if ((await findRecord(tx, uid)) !== undefined) fail("RegistryRecordExists", { uid });
    await putRecord(
      tx,
      {
        uid,
        owner: b.provider,
        schema: b.schema,
        subject: l.subject,
        dataHash: l.dataHash,
        observedAt: l.observedAt.toString(),
        expiresAt: l.expiresAt.toString(),
        severity: l.severity,
        status: RecordStatus.Active,
        derived: false,
        disputed: false,
        repaired: false,
        batchLeaf: true,
        root: l.root,
      },
      true,
    );
    tx.emit({
      kind: "LeafRecorded",
      uid,
      root: l.root,
      subject: l.subject,
      dataHash: l.dataHash,
      observedAt: l.observedAt,
      expiresAt: l.expiresAt,
      severity: l.severity,
    });
    return uid;
  }

  // ----------------------------------------------------------------------------------------------
  // Lineage and correction
  // ----------------------------------------------------------------------------------------------

  /** A SCORER records a derived record with its checked inputs and model; returns the uid. */
  @Transaction()
  @Returns("string")
  async derive(ctx: CredtrailContext, request: string): Promise<string> {
    const tx = ctx.tx;
    const r = objectArg(request, "request");
    const schema = bytes32Arg(field(r, "schema"), "request.schema");
    const subject = bytes32Arg(field(r, "subject"), "request.subject");
    const dataHash = bytes32Arg(field(r, "dataHash"), "request.dataHash");
    const modelHash = bytes32Arg(field(r, "modelHash"), "request.modelHash");
    const observedAt = uint64Arg(field(r, "observedAt"), "request.observedAt");
    const stored = arrayArg(field(r, "inputs") ?? [], "request.inputs").map((u, i) =>
      bytes32Arg(u, `request.inputs[${i}]`),
    );
    const leaves = arrayArg(field(r, "leafInputs") ?? [], "request.leafInputs").map((l, i) =>
      parseLeaf(l, `request.leafInputs[${i}]`),
    );
    const actor = await authorize(tx, Role.SCORER);
    if ((await findSchema(tx, schema)) === undefined) fail("ConsortiumUnknownSchema", { schema });
    if ((await modelScorer(tx, modelHash)) === undefined)
      fail("RegistryUnknownModel", { modelHash });
    checkRecordFields(tx, subject, dataHash, observedAt, 0n, 0);
    const inputs = await checkInputs(tx, stored, leaves);
    const deriver = actor.member.id;
    const uid = derivedUid({ schema, subject, dataHash, deriver, modelHash, observedAt, inputs });
    if ((await findRecord(tx, uid)) !== undefined) fail("RegistryRecordExists", { uid });
    await putRecord(
      tx,
      {
        uid,
        owner: deriver,
        schema,
        subject,
        dataHash,
        observedAt: observedAt.toString(),
        expiresAt: "0",
        severity: 0,
        status: RecordStatus.Active,
        derived: true,
        disputed: false,
        repaired: false,
        batchLeaf: false,
        modelHash,
        inputs,
      },
      true,
    );
    tx.emit({
      kind: "Derived",
      uid,
      subject,
      schema,
      deriver,
      dataHash,
      modelHash,
      observedAt,
      inputs,
      signer: actor.key,
    });
    return uid;
  }

  /** The owner of a record revokes it. */
  @Transaction()
  async revoke(ctx: CredtrailContext, uid: string, reasonHash: string): Promise<void> {
    const tx = ctx.tx;
    const id = bytes32Arg(uid, "uid");
    const reason = bytes32Arg(reasonHash, "reasonHash");
    const { r, actor } = await ownedActive(tx, id);
    await putRecord(tx, { ...r, status: RecordStatus.Revoked }, false);
    tx.emit({
      kind: "Revoked",
      uid: id,
      owner: actor.member.id,
      reasonHash: reason,
      signer: actor.key,
    });
  }

  /** The provider of a batch revokes the whole batch (recorded leaves included). */
  @Transaction()
  async revokeBatch(ctx: CredtrailContext, root: string, reasonHash: string): Promise<void> {
    const tx = ctx.tx;
    const rootHash = bytes32Arg(root, "root");
    const reason = bytes32Arg(reasonHash, "reasonHash");
    const b = await liveBatch(tx, rootHash);
    const actor = await authorize(tx, Role.PROVIDER);
    if (b.provider !== actor.member.id) {
      fail("RegistryNotOwner", { uid: rootHash, member: actor.member.id });
    }
    await tx.put(RecordKeys.batch(tx, rootHash), { ...b, revoked: true });
    tx.emit({
      kind: "BatchRevoked",
      root: rootHash,
      provider: actor.member.id,
      reasonHash: reason,
      signer: actor.key,
    });
  }

  /** The provider replaces one of its records by a new attestation; returns the new uid. */
  @Transaction()
  @Returns("string")
  async supersede(ctx: CredtrailContext, uid: string, replacement: string): Promise<string> {
    const tx = ctx.tx;
    const id = bytes32Arg(uid, "uid");
    const request = parseRequest(replacement, "replacement");
    const { r, actor } = await ownedActive(tx, id);
    if (r.derived) fail("RegistryNotActive", { uid: id, status: r.status });
    const newUid = await attestAs(tx, request, actor, NO_RELAYER);
    await putRecord(tx, { ...r, status: RecordStatus.Superseded, supersededBy: newUid }, false);
    tx.emit({ kind: "Superseded", uid: id, newUid, owner: actor.member.id, signer: actor.key });
    tx.setEventName("Superseded");
    return newUid;
  }

  // ----------------------------------------------------------------------------------------------
  // Disputes and repair
  // ----------------------------------------------------------------------------------------------

  /** A LENDER opens a dispute; the owner must answer within the disputePeriod parameter. */
  @Transaction()
  async openDispute(ctx: CredtrailContext, uid: string, reasonHash: string): Promise<void> {
    const tx = ctx.tx;
    const id = bytes32Arg(uid, "uid");
    const reason = bytes32Arg(reasonHash, "reasonHash");
    const actor = await authorize(tx, Role.LENDER);
    const r = await existingRecord(tx, id);
    const status = await statusOf(tx, r);
    if (status !== RecordStatus.Active) fail("RegistryNotActive", { uid: id, status });
    const previous = await tx.get<DisputeState>(RecordKeys.dispute(tx, id));
    if (previous?.status === DisputeStatus.Open && tx.now <= BigInt(previous.deadline)) {
      fail("RegistryDisputeOpen", { uid: id });
    }
    const deadline = tx.now + (await parameter(tx, "disputePeriod"));
    const seq = (previous?.seq ?? 0) + 1;
    const dispute: DisputeState = {
      opener: actor.member.id,
      seq,
      openedAt: tx.now.toString(),
      deadline: deadline.toString(),
      status: DisputeStatus.Open,
      outcome: 0,
    };
    await tx.put(RecordKeys.dispute(tx, id), dispute);
    await putRecord(tx, { ...r, disputed: true }, false);
    tx.emit({
      kind: "DisputeOpened",
      uid: id,
      opener: actor.member.id,
      seq,
      reasonHash: reason,
      openedAt: tx.now,
      deadline,
      signer: actor.key,
    });
  }

  /** The record's owner answers an open dispute before its deadline (outcome 1 Upheld, 2 Corrected). */
  @Transaction()
  async answerDispute(
    ctx: CredtrailContext,
    uid: string,
    outcome: string,
    responseHash: string,
  ): Promise<void> {
    const tx = ctx.tx;
    const id = bytes32Arg(uid, "uid");
    const result = smallUintArg(outcome, 8, "outcome");
    const response = bytes32Arg(responseHash, "responseHash");
    if (result === 0 || result > 2) fail("RegistryInvalidOutcome", { outcome: result });
    const r = await existingRecord(tx, id);
    const actor = await ownerActor(tx, r);
    const d = await this.openDisputeOf(ctx, id);
    if (tx.now > BigInt(d.deadline))
      fail("RegistryDisputeOverdue", { uid: id, deadline: d.deadline });
    await tx.put(RecordKeys.dispute(tx, id), {
      ...d,
      status: DisputeStatus.Answered,
      outcome: result,
    });
    await putRecord(tx, { ...r, disputed: false }, false);
    tx.emit({
      kind: "DisputeAnswered",
      uid: id,
      provider: actor.member.id,
      seq: d.seq,
      outcome: result,
      responseHash: response,
      signer: actor.key,
    });
  }

  /** The member that opened a dispute withdraws it. */
  @Transaction()
  async withdrawDispute(ctx: CredtrailContext, uid: string): Promise<void> {
    const tx = ctx.tx;
    const id = bytes32Arg(uid, "uid");
    const actor = await authorize(tx, Role.LENDER);
    const d = await this.openDisputeOf(ctx, id);
    if (d.opener !== actor.member.id) {
      fail("RegistryNotDisputeOpener", { uid: id, member: actor.member.id });
    }
    await tx.put(RecordKeys.dispute(tx, id), { ...d, status: DisputeStatus.Withdrawn });
    const r = await existingRecord(tx, id);
    await putRecord(tx, { ...r, disputed: false }, false);
    tx.emit({
      kind: "DisputeWithdrawn",
      uid: id,
      opener: actor.member.id,
      seq: d.seq,
      signer: actor.key,
    });
  }

  /** A PROVIDER, LENDER or REPAIR_AUTHORITY requests the repair of a negative record. */
  @Transaction()
  async requestRepair(ctx: CredtrailContext, uid: string, evidenceHash: string): Promise<void> {
    const tx = ctx.tx;
    const id = bytes32Arg(uid, "uid");
    const evidence = bytes32Arg(evidenceHash, "evidenceHash");
    const actor = await callerActor(tx);
    if ((actor.roles & REPAIR_REQUESTERS) === 0)
      fail("RegistryNotAllowed", { member: actor.member.id });
    await repairable(tx, id);
    const previous = await tx.get<RepairState>(RecordKeys.repair(tx, id));
    if (previous?.status === RepairStatus.Requested) fail("RegistryRepairPending", { uid: id });
    const repair: RepairState = {
      requester: actor.member.id,
      requestedAt: tx.now.toString(),
      status: RepairStatus.Requested,
    };
    await tx.put(RecordKeys.repair(tx, id), repair);
    tx.emit({
      kind: "RepairRequested",
      uid: id,
      requester: actor.member.id,
      evidenceHash: evidence,
      requestedAt: tx.now,
      signer: actor.key,
    });
  }

  /** A REPAIR_AUTHORITY approves ("true") or rejects ("false") a requested repair. */
  @Transaction()
  async decideRepair(
    ctx: CredtrailContext,
    uid: string,
    approved: string,
    decisionHash: string,
  ): Promise<void> {
    const tx = ctx.tx;
    const id = bytes32Arg(uid, "uid");
    const approve = boolArg(approved, "approved");
    const decision = bytes32Arg(decisionHash, "decisionHash");
    const actor = await authorize(tx, Role.REPAIR_AUTHORITY);
    const r = await repairable(tx, id);
    const p = await tx.get<RepairState>(RecordKeys.repair(tx, id));
    if (p?.status !== RepairStatus.Requested) fail("RegistryNoRepairRequest", { uid: id });
    if (approve) {
      const earliest =
        BigInt(r.observedAt) + (await parameter(tx, repairPeriodParameter(r.severity)));
      if (tx.now < earliest) fail("RegistryRepairTooEarly", { uid: id, earliest });
      await putRecord(tx, { ...r, repaired: true }, false);
    }
    await tx.put(RecordKeys.repair(tx, id), {
      ...p,
      status: approve ? RepairStatus.Approved : RepairStatus.Rejected,
    });
    tx.emit({
      kind: "RepairDecided",
      uid: id,
      authority: actor.member.id,
      approved: approve,
      decisionHash: decision,
      signer: actor.key,
    });
  }

  // ----------------------------------------------------------------------------------------------
  // Scores, consent, query audit
  // ----------------------------------------------------------------------------------------------

  /** A SCORER anchors one Merkle root over `count` score leaves computed with `modelHash`. */
  @Transaction()
  async anchorScoreBatch(
    ctx: CredtrailContext,
    root: string,
    modelHash: string,
    count: string,
    asOfBlock: string,
  ): Promise<void> {
    const tx = ctx.tx;
    const rootHash = bytes32Arg(root, "root");
    const model = bytes32Arg(modelHash, "modelHash");
    const n = smallUintArg(count, 32, "count");
    const asOf = uint64Arg(asOfBlock, "asOfBlock");
    const actor = await authorize(tx, Role.SCORER);
    if ((await modelScorer(tx, model)) === undefined)
      fail("RegistryUnknownModel", { modelHash: model });
    if (rootHash === ZERO_BYTES32 || n === 0) {
      fail("RegistryInvalidScoreBatch", { root: rootHash, count: n });
    }
    const key = RecordKeys.scoreBatch(tx, rootHash);
    if (await tx.has(key)) fail("RegistryScoreBatchExists", { root: rootHash });
    await tx.put(key, {
      root: rootHash,
      scorer: actor.member.id,
      count: n,
      anchoredAt: tx.now.toString(),
      asOfBlock: asOf.toString(),
      modelHash: model,
    });
    tx.emit({
      kind: "ScoreBatchAnchored",
      root: rootHash,
      scorer: actor.member.id,
      modelHash: model,
      count: n,
      asOfBlock: asOf,
      signer: actor.key,
    });
  }

  /** A LENDER records (or renews) a subject's consent for a purpose; returns the consent id. */
  @Transaction()
  @Returns("string")
  async recordConsent(
    ctx: CredtrailContext,
    subject: string,
    purposeHash: string,
    expiresAt: string,
    evidenceHash: string,
  ): Promise<string> {
    const tx = ctx.tx;
    const subjectId = bytes32Arg(subject, "subject");
    const purpose = bytes32Arg(purposeHash, "purposeHash");
    const expires = uint64Arg(expiresAt, "expiresAt");
    const evidence = bytes32Arg(evidenceHash, "evidenceHash");
    const actor = await authorize(tx, Role.LENDER);
    if (
      subjectId === ZERO_BYTES32 ||
      purpose === ZERO_BYTES32 ||
      expires <= tx.now ||
      expires > MAX_TIMESTAMP
    ) {
      fail("RegistryInvalidConsent", {
        subject: subjectId,
        purposeHash: purpose,
        expiresAt: expires,
      });
    }
    const lender = actor.member.id;
    const id = computeConsentId({ lender, subject: subjectId, purposeHash: purpose });
    const key = RecordKeys.consent(tx, id);
    const isNew = !(await tx.has(key));
    const consent: ConsentState = {
      consentId: id,
      lender,
      subject: subjectId,
      purposeHash: purpose,
      grantedAt: tx.now.toString(),
      expiresAt: expires.toString(),
      evidenceHash: evidence,
      revoked: false,
    };
    await tx.put(key, consent);
    if (isNew) await tx.putIndex(RecordKeys.consentBySubject(tx, subjectId, id));
    tx.emit({
      kind: "ConsentRecorded",
      consentId: id,
      subject: subjectId,
      lender,
      purposeHash: purpose,
      expiresAt: expires,
      evidenceHash: evidence,
      signer: actor.key,
    });
    return id;
  }

  /** The lender withdraws a consent it recorded. */
  @Transaction()
  async revokeConsent(ctx: CredtrailContext, subject: string, purposeHash: string): Promise<void> {
    const tx = ctx.tx;
    const subjectId = bytes32Arg(subject, "subject");
    const purpose = bytes32Arg(purposeHash, "purposeHash");
    const actor = await authorize(tx, Role.LENDER);
    const lender = actor.member.id;
    const id = computeConsentId({ lender, subject: subjectId, purposeHash: purpose });
    const key = RecordKeys.consent(tx, id);
    const c = await tx.get<ConsentState>(key);
    if (c === undefined || c.revoked) fail("RegistryNoConsent", { consentId: id });
    await tx.put(key, { ...c, revoked: true });
    tx.emit({
      kind: "ConsentRevoked",
      consentId: id,
      subject: subjectId,
      lender,
      signer: actor.key,
    });
  }

  /** An OPERATOR's gateway node anchors a Merkle root over `count` query-audit entries. */
  @Transaction()
  async anchorAuditLog(
    ctx: CredtrailContext,
    root: string,
    count: string,
    fromTime: string,
    toTime: string,
  ): Promise<void> {
    const tx = ctx.tx;
    const rootHash = bytes32Arg(root, "root");
    const n = smallUintArg(count, 32, "count");
    const from = uint64Arg(fromTime, "fromTime");
    const to = uint64Arg(toTime, "toTime");
    const actor = await authorize(tx, Role.OPERATOR);
    if (rootHash === ZERO_BYTES32 || n === 0 || from > to || to > tx.now) {
      fail("RegistryInvalidAuditAnchor", { root: rootHash, count: n });
    }
    const key = RecordKeys.auditAnchor(tx, rootHash);
    if (await tx.has(key)) fail("RegistryAuditAnchorExists", { root: rootHash });
    await tx.put(key, {
      root: rootHash,
      node: actor.member.id,
      count: n,
      anchoredAt: tx.now.toString(),
      fromTime: from.toString(),
      toTime: to.toString(),
    });
    tx.emit({
      kind: "AuditAnchored",
      root: rootHash,
      node: actor.member.id,
      count: n,
      fromTime: from,
      toTime: to,
      signer: actor.key,
    });
  }

  // ----------------------------------------------------------------------------------------------
  // Reads (JSON; "null" when absent)
  // ----------------------------------------------------------------------------------------------

  /** A record with the status it has now (a recorded leaf of a revoked batch is Revoked). */
  @Transaction(false)
  @Returns("string")
  async record(ctx: CredtrailContext, uid: string): Promise<string> {
    const tx = ctx.tx;
    const r = await findRecord(tx, bytes32Arg(uid, "uid"));
    return stableJson(r === undefined ? null : { ...r, status: await statusOf(tx, r) });
  }

  /** The uids of a subject's records, in key order. */
  @Transaction(false)
  @Returns("string")
  async recordsBySubject(ctx: CredtrailContext, subject: string): Promise<string> {
    const tx = ctx.tx;
    const entries = await tx.list("subject~record", [bytes32Arg(subject, "subject")]);
    return stableJson(entries.map((e) => tx.splitKey(e.key)[1]));
  }

  /** The ids of the consents recorded for a subject, in key order. */
  @Transaction(false)
  @Returns("string")
  async consentsBySubject(ctx: CredtrailContext, subject: string): Promise<string> {
    const tx = ctx.tx;
    const entries = await tx.list("subject~consent", [bytes32Arg(subject, "subject")]);
    return stableJson(entries.map((e) => tx.splitKey(e.key)[1]));
  }

  @Transaction(false)
  @Returns("string")
  async batch(ctx: CredtrailContext, root: string): Promise<string> {
    return ctx.tx.json(RecordKeys.batch(ctx.tx, bytes32Arg(root, "root")));
  }

  /** Whether a leaf (JSON LeafInput) is in its anchored batch. */
  @Transaction(false)
  @Returns("string")
  async verifyLeaf(ctx: CredtrailContext, leaf: string): Promise<string> {
    const l = parseLeaf(leaf, "leaf");
    const b = await findBatch(ctx.tx, l.root);
    return (b !== undefined && verifyLeafProof(l)).toString();
  }

  @Transaction(false)
  @Returns("string")
  async dispute(ctx: CredtrailContext, uid: string): Promise<string> {
    const tx = ctx.tx;
    return tx.json(RecordKeys.dispute(tx, bytes32Arg(uid, "uid")));
  }

  @Transaction(false)
  @Returns("string")
  async repair(ctx: CredtrailContext, uid: string): Promise<string> {
    const tx = ctx.tx;
    return tx.json(RecordKeys.repair(tx, bytes32Arg(uid, "uid")));
  }

  @Transaction(false)
  @Returns("string")
  async scoreBatch(ctx: CredtrailContext, root: string): Promise<string> {
    const tx = ctx.tx;
    return tx.json(RecordKeys.scoreBatch(tx, bytes32Arg(root, "root")));
  }

  @Transaction(false)
  @Returns("string")
  async consent(ctx: CredtrailContext, consentId: string): Promise<string> {
    const tx = ctx.tx;
    return tx.json(RecordKeys.consent(tx, bytes32Arg(consentId, "consentId")));
  }

  /** Whether `lender`'s consent for `subject` and `purposeHash` is in force at the tx time. */
  @Transaction(false)
  @Returns("string")
  async hasConsent(
    ctx: CredtrailContext,
    lender: string,
    subject: string,
    purposeHash: string,
  ): Promise<string> {
    const tx = ctx.tx;
    const id = computeConsentId({
      lender: bytes32Arg(lender, "lender"),
      subject: bytes32Arg(subject, "subject"),
      purposeHash: bytes32Arg(purposeHash, "purposeHash"),
    });
    const c = await tx.get<ConsentState>(RecordKeys.consent(tx, id));
    return (c !== undefined && !c.revoked && BigInt(c.expiresAt) > tx.now).toString();
  }

  @Transaction(false)
  @Returns("string")
  async auditAnchor(ctx: CredtrailContext, root: string): Promise<string> {
    const tx = ctx.tx;
    return tx.json(RecordKeys.auditAnchor(tx, bytes32Arg(root, "root")));
  }

  @Transaction(false)
  @Returns("string")
  async nonceUsed(ctx: CredtrailContext, signer: string, nonce: string): Promise<string> {
    const tx = ctx.tx;
    const key = RecordKeys.nonce(tx, addressArg(signer, "signer"), uintArg(nonce, 256, "nonce"));
    return (await tx.has(key)).toString();
  }

  private async openDisputeOf(ctx: CredtrailContext, uid: Hex): Promise<DisputeState> {
    const d = await ctx.tx.get<DisputeState>(RecordKeys.dispute(ctx.tx, uid));
    if (d?.status !== DisputeStatus.Open) fail("RegistryNoOpenDispute", { uid });
    return d;
  }
}
