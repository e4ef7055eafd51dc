/**
 * The conformance scenario: every ledger operation of `LedgerWriter` and a rejection of each kind
 * of rule, as one list of steps run in order against a leg. A step's outcome is ledger-neutral —
 * the kinds of the events it emitted, or the name of the error that rejected it — so the outcomes
 * of both legs must be equal, and equal to what each step expects.
 */
import { Wallet, keccak256, toUtf8Bytes } from "ethers";

import {
  attestationUid,
  buildRecordBatch,
  categoryId,
  DisputeOutcome,
  memberId,
  modelHash,
  schemaRegistration,
  SCHEMAS,
  signAttest,
  type AttestationRequestInput,
  type Hex,
} from "../../core/index.js";
import { LedgerErrorCode } from "../../ledger/index.js";
import type { Leg } from "./legs.js";
import { MEMBER_NAMES, SCOPE_EXPIRES_AT, SIGNER_KEY } from "./legs.js";

export const h = (label: string): Hex => keccak256(toUtf8Bytes(label)) as Hex;

/** What a step did: "ok [Event, …]" or "rejected <ErrorName>". */
export type Outcome = string;

export interface Step {
  name: string;
  /** The outcome both legs must produce. */
  expect: Outcome;
  run(leg: Leg): Promise<unknown>;
}

const schema = (category: keyof typeof SCHEMAS): Hex =>
  schemaRegistration(SCHEMAS[category]).schemaId;

const MODEL = { name: "conformance-scorecard", version: 1 };
const MODEL_HASH = modelHash(MODEL);
const SUBJECT = h("subject:acme");
/** Long ago, so that every repair period has passed on both legs. */
const OBSERVED = 1_000_000_000n;

const request = (
  label: string,
  category: keyof typeof SCHEMAS = "tax.payment",
  severity = 0,
): AttestationRequestInput => ({
  schema: schema(category),
  subject: SUBJECT,
  dataHash: h(`data:${label}`),
  observedAt: OBSERVED,
  expiresAt: 0n,
  severity,
});

const uid = (r: AttestationRequestInput, actor: "provider" | "court" = "provider"): Hex =>
  attestationUid({ ...r, provider: memberId(MEMBER_NAMES[actor]) });

const a = request("a");
const b = request("b");
const b2 = request("b2");
const c = request("c", "tax.grade");
const signed = request("signed");
const penalty = request("penalty", "admin.penalty", 1);
const batch = buildRecordBatch(
  [0, 1, 2, 3].map((i) => ({
    subject: SUBJECT,
    dataHash: h(`leaf:${i}`),
    observedAt: OBSERVED,
    expiresAt: 0n,
    severity: 0,
  })),
);

/** The outcome of a step's promise. */
export async function outcomeOf(run: Promise<unknown>): Promise<Outcome> {
  try {
    const receipt = (await run) as { events?: { kind: string }[] };
    return `ok [${(receipt.events ?? []).map((e) => e.kind).join(", ")}]`;
  } catch (error) {
    const e = error as { code?: string; details?: { error?: string } };
    if (e.code === LedgerErrorCode.REVERTED && typeof e.details?.error === "string")
      return `rejected ${e.details.error}`;
    throw error;
  }
}

export const STEPS: Step[] = [
  ...(["tax.payment", "tax.grade", "admin.penalty", "credit.score"] as const).map(
    (category): Step => ({
      name: `registerSchema ${category}`,
      expect: "ok [SchemaRegistered]",
      run: ({ writers }) => {
        const r = schemaRegistration(SCHEMAS[category]);
        return writers.authority.registerSchema(r.categoryName, r.definition);
      },
    }),
  ),
  {
    name: "registerSchema twice",
    expect: "rejected ConsortiumSchemaExists",
    run: ({ writers }) => {
      const r = schemaRegistration(SCHEMAS["tax.payment"]);
      return writers.authority.registerSchema(r.categoryName, r.definition);
    },
  },
  {
    name: "registerSchema without OPERATOR",
    expect: "rejected ConsortiumMissingRole",
    run: ({ writers }) => {
      const r = schemaRegistration(SCHEMAS["judicial.enforcement"]);
      return writers.lender.registerSchema(r.categoryName, r.definition);
    },
  },
  {
    name: "registerModel",
    expect: "ok [ModelRegistered]",
    run: ({ writers }) => writers.authority.registerModel(MODEL_HASH, "credtrail://models/c1"),
  },
  {
    name: "attest",
    expect: "ok [Attested]",
    run: ({ writers }) => writers.provider.attest(a),
  },
  {
    name: "attest twice",
    expect: "rejected RegistryRecordExists",
    run: ({ writers }) => writers.provider.attest(a),
  },
  {
    name: "attest without PROVIDER",
    expect: "rejected ConsortiumMissingRole",
    run: ({ writers }) => writers.lender.attest(request("lender")),
  },
  {
    name: "attest outside the provider's scope",
    expect: "rejected ConsortiumNotAccredited",
    run: ({ writers }) => writers.provider.attest(request("scope", "admin.penalty", 1)),
  },
  {
    name: "attestMany",
    expect: "ok [Attested, Attested]",
    run: ({ writers }) => writers.provider.attestMany([b, c]),
  },
  {
    name: "attestBySig relayed by another member",
    expect: "ok [Attested]",
    run: async ({ writers, domain }) =>
      writers.lender.attestBySig({
        request: signed,
        signer: new Wallet(SIGNER_KEY).address,
        nonce: 1n,
        deadline: SCOPE_EXPIRES_AT,
        signature: await signAttest(new Wallet(SIGNER_KEY), domain, signed, 1n, SCOPE_EXPIRES_AT),
      }),
  },
  {
    name: "attestBySig replayed",
    expect: "rejected RegistryNonceUsed",
    run: async ({ writers, domain }) =>
      writers.lender.attestBySig({
        request: signed,
        signer: new Wallet(SIGNER_KEY).address,
        nonce: 1n,
        deadline: SCOPE_EXPIRES_AT,
        signature: await signAttest(new Wallet(SIGNER_KEY), domain, signed, 1n, SCOPE_EXPIRES_AT),
      }),
  },
  {
    name: "attest by the court",
    expect: "ok [Attested]",
    run: ({ writers }) => writers.court.attest(penalty),
  },
  {
    name: "anchorBatch",
    expect: "ok [BatchAnchored]",
    run: ({ writers }) =>
      writers.provider.anchorBatch(schema("tax.payment"), batch.root, batch.length, "s3://b1"),
  },
  {
    name: "anchorBatch twice",
    expect: "rejected RegistryBatchExists",
    run: ({ writers }) =>
      writers.provider.anchorBatch(schema("tax.payment"), batch.root, batch.length, "s3://b1"),
  },
  {
    name: "recordLeaf",
    expect: "ok [LeafRecorded]",
    run: ({ writers }) => writers.lender.recordLeaf(batch.leafProof(1)),
  },
  {
    name: "derive from a record and a batch leaf",
    expect: "ok [Derived]",
    run: ({ writers }) =>
      writers.authority.derive({
        schema: schema("credit.score"),
        subject: SUBJECT,
        dataHash: h("score:acme"),
        modelHash: MODEL_HASH,
        observedAt: OBSERVED + 10n,
        inputs: [uid(a)],
        leafInputs: [batch.leafProof(2)],
      }),
  },
  {
    name: "derive from an unknown record",
    expect: "rejected RegistryInputMissing",
    run: ({ writers }) =>
      writers.authority.derive({
        schema: schema("credit.score"),
        subject: SUBJECT,
        dataHash: h("score:unknown"),
        modelHash: MODEL_HASH,
        observedAt: OBSERVED + 10n,
        inputs: [h("nothing")],
        leafInputs: [],
      }),
  },
  {
    name: "anchorScoreBatch",
    expect: "ok [ScoreBatchAnchored]",
    run: ({ writers }) => writers.authority.anchorScoreBatch(h("scores:1"), MODEL_HASH, 3, 1n),
  },
  {
    name: "anchorScoreBatch with an unknown model",
    expect: "rejected RegistryUnknownModel",
    run: ({ writers }) => writers.authority.anchorScoreBatch(h("scores:2"), h("model?"), 3, 1n),
  },
  {
    name: "supersede",
    expect: "ok [Attested, Superseded]",
    run: ({ writers }) => writers.provider.supersede(uid(b), b2),
  },
  {
    name: "revoke",
    expect: "ok [Revoked]",
    run: ({ writers }) => writers.provider.revoke(uid(c), h("reason:c")),
  },
  {
    name: "revoke a revoked record",
    expect: "rejected RegistryNotActive",
    run: ({ writers }) => writers.provider.revoke(uid(c), h("reason:c")),
  },
  {
    name: "revoke another provider's record",
    expect: "rejected RegistryNotOwner",
    run: ({ writers }) => writers.court.revoke(uid(a), h("reason:a")),
  },
  {
    name: "openDispute",
    expect: "ok [DisputeOpened]",
    run: ({ writers }) => writers.lender.openDispute(uid(penalty, "court"), h("dispute:1")),
  },
  {
    name: "openDispute while one is open",
    expect: "rejected RegistryDisputeOpen",
    run: ({ writers }) => writers.lender.openDispute(uid(penalty, "court"), h("dispute:2")),
  },
  {
    name: "answerDispute",
    expect: "ok [DisputeAnswered]",
    run: ({ writers }) =>
      writers.court.answerDispute(uid(penalty, "court"), DisputeOutcome.Upheld, h("answer:1")),
  },
  {
    name: "openDispute, then withdrawDispute",
    expect: "ok [DisputeWithdrawn]",
    run: async ({ writers }) => {
      await writers.lender.openDispute(uid(a), h("dispute:a"));
      return writers.lender.withdrawDispute(uid(a));
    },
  },
  {
    name: "withdrawDispute without an open dispute",
    expect: "rejected RegistryNoOpenDispute",
    run: ({ writers }) => writers.lender.withdrawDispute(uid(a)),
  },
  {
    name: "requestRepair",
    expect: "ok [RepairRequested]",
    run: ({ writers }) => writers.lender.requestRepair(uid(penalty, "court"), h("evidence:1")),
  },
  {
    name: "decideRepair (approve)",
    expect: "ok [RepairDecided]",
    run: ({ writers }) =>
      writers.authority.decideRepair(uid(penalty, "court"), true, h("decision:1")),
  },
  {
    name: "decideRepair of a repaired record",
    expect: "rejected RegistryAlreadyRepaired",
    run: ({ writers }) =>
      writers.authority.decideRepair(uid(penalty, "court"), false, h("decision:2")),
  },
  {
    name: "decideRepair of a record that is not negative",
    expect: "rejected RegistryNotNegative",
    run: ({ writers }) => writers.authority.decideRepair(uid(a), false, h("decision:3")),
  },
  {
    name: "recordConsent",
    expect: "ok [ConsentRecorded]",
    run: ({ writers }) =>
      writers.lender.recordConsent(SUBJECT, h("purpose:loan"), SCOPE_EXPIRES_AT, h("consent:1")),
  },
  {
    name: "revokeConsent",
    expect: "ok [ConsentRevoked]",
    run: ({ writers }) => writers.lender.revokeConsent(SUBJECT, h("purpose:loan")),
  },
  {
    name: "revokeConsent twice",
    expect: "rejected RegistryNoConsent",
    run: ({ writers }) => writers.lender.revokeConsent(SUBJECT, h("purpose:loan")),
  },
  {
    name: "anchorAuditLog",
    expect: "ok [AuditAnchored]",
    run: ({ writers }) => writers.authority.anchorAuditLog(h("audit:1"), 10, 1_000n, 2_000n),
  },
  {
    name: "anchorAuditLog twice",
    expect: "rejected RegistryAuditAnchorExists",
    run: ({ writers }) => writers.authority.anchorAuditLog(h("audit:1"), 10, 1_000n, 2_000n),
  },
  {
    name: "revokeBatch",
    expect: "ok [BatchRevoked]",
    run: ({ writers }) => writers.provider.revokeBatch(batch.root, h("reason:batch")),
  },
  {
    name: "propose (SetScope)",
    expect: "ok [ProposalCreated, ProposalApproved]",
    run: ({ writers }) =>
      writers.authority.propose({
        kind: "SetScope",
        member: memberId(MEMBER_NAMES.court),
        category: categoryId("tax.grade"),
        expiresAt: SCOPE_EXPIRES_AT,
      }),
  },
  {
    name: "approve reaching the threshold executes",
    expect: "ok [ProposalApproved, ScopeSet, ProposalExecuted]",
    run: ({ writers }) => writers.lender.approve(1n),
  },
  {
    name: "approve an executed proposal",
    expect: "rejected ConsortiumProposalClosed",
    run: ({ writers }) => writers.court.approve(1n),
  },
  {
    name: "propose (SetThreshold), then cancel",
    expect: "ok [ProposalCancelled]",
    run: async ({ writers }) => {
      await writers.authority.propose({ kind: "SetThreshold", threshold: 3 });
      return writers.authority.cancel(2n);
    },
  },
  {
    name: "revokeOwnKey",
    expect: "ok [KeyRevoked]",
    run: ({ writers }) => writers.provider.revokeOwnKey(new Wallet(SIGNER_KEY).address),
  },
];
