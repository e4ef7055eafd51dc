/**
 * The consortium every registry test (and benchmarks) starts from:
 *
 * | member            | roles            | keys              | accredited for                              |
 * |-------------------|------------------|-------------------|---------------------------------------------|
 * | Tax Bureau        | PROVIDER         | tax, taxAlt       | tax.payment, tax.grade (2 years)            |
 * | People's Court    | PROVIDER         | court             | judicial.enforcement, admin.penalty (2 y.)  |
 * | Credit Scorer     | SCORER           | scorer            |                                             |
 * | Bank A, Bank B    | LENDER           | lenderA, lenderB  |                                             |
 * | Regulator         | REGULATOR        | regulator         |                                             |
 * | Repair Authority  | REPAIR_AUTHORITY | repairAuthority   |                                             |
 * | Operator          | OPERATOR         | operator          |                                             |
 *
 * Threshold 2. The operator registers core's schemas of those four categories and `credit.score` (for
 * derived records, which no provider is accredited for); the scorer registers one model. `relayer` and
 * `outsider` hold no key of the consortium.
 *
 * Use with `networkHelpers.loadFixture(deployFixture)`.
 */
import type { Signer } from "ethers";
import { keccak256, toUtf8Bytes } from "ethers";
import { network } from "hardhat";

import { deployContracts } from "../../scripts/deploy/deployContracts.js";
import type { CreditRegistry } from "../../types/ethers-contracts/index.js";
import type { ICreditRegistry } from "../../types/ethers-contracts/contracts/CreditRegistry.js";

import {
  attestationUid,
  categoryId,
  encodeAction,
  hashCanonical,
  memberId,
  modelHash,
  Role,
  schemaRegistration,
  SCHEMAS,
  type CategoryName,
  type GovernanceAction,
  type RecordBatch,
  type RecordLeafInput,
  type Hex,
} from "../../core/index.js";

export const { ethers, networkHelpers } = await network.getOrCreate();

export type AttestationRequestStruct = ICreditRegistry.AttestationRequestStruct;
export type LeafInputStruct = ICreditRegistry.LeafInputStruct;
export type DeriveRequestStruct = ICreditRegistry.DeriveRequestStruct;

export const DAY = 86_400n;
export const YEAR = 365n * DAY;
export const HOUR = 3_600n;

/** Member names; ids are core `memberId(name)`. */
export const NAMES = {
  tax: "State Taxation Administration",
  court: "People's Court",
  scorer: "Credit Scorer",
  lenderA: "Bank A",
  lenderB: "Bank B",
  regulator: "Regulator",
  repairAuthority: "Repair Authority",
  operator: "Operator",
} as const;

export type MemberName = keyof typeof NAMES;

/** The schemas the operator registers: core's current definition of each category. */
export const SCHEMA_CATEGORIES = {
  taxPayment: "tax.payment",
  taxGrade: "tax.grade",
  judicialEnforcement: "judicial.enforcement",
  adminPenalty: "admin.penalty",
  creditScore: "credit.score",
} as const satisfies Record<string, CategoryName>;

export type SchemaName = keyof typeof SCHEMA_CATEGORIES;

/** The scoring model the scorer registers. */
export const MODEL_DOCUMENT = {
  name: "credtrail-scorecard",
  version: 1,
  base: { points: 600, odds: 50, pdo: 20 },
  features: [{ name: "taxGrade", bins: [{ value: "A", points: 40 }] }],
};
export const MODEL_URI = "credtrail://models/scorecard-v1";

/** A bytes32 derived from a label: distinct labels give distinct subjects, data hashes, reasons. */
export function h(label: string): Hex {
  return keccak256(toUtf8Bytes(label)) as Hex;
}

/** Role bits of each member. */
export const ROLES: Record<MemberName, number> = {
  tax: Role.PROVIDER,
  court: Role.PROVIDER,
  scorer: Role.SCORER,
  lenderA: Role.LENDER,
  lenderB: Role.LENDER,
  regulator: Role.REGULATOR,
  repairAuthority: Role.REPAIR_AUTHORITY,
  operator: Role.OPERATOR,
};

export async function deployFixture() {
  const signers = (await ethers.getSigners()) as unknown as Signer[];
  const [
    deployer,
    tax,
    taxAlt,
    court,
    scorer,
    lenderA,
    lenderB,
    regulator,
    repairAuthority,
    operator,
    relayer,
    outsider,
  ] = signers;
  const addr = (s: Signer) => s.getAddress();

  const ids = Object.fromEntries(
    Object.entries(NAMES).map(([k, name]) => [k, memberId(name)]),
  ) as Record<MemberName, Hex>;
  const categories = Object.fromEntries(
    Object.entries(SCHEMA_CATEGORIES).map(([k, name]) => [k, categoryId(name)]),
  ) as Record<SchemaName, Hex>;

  const deployedAt = BigInt(await networkHelpers.time.latest());
  const scopeExpiresAt = deployedAt + 2n * YEAR;

  const founder = (name: MemberName, keys: string[], cats: Hex[] = []) => ({
    id: ids[name],
    name: NAMES[name],
    roles: ROLES[name],
    keys,
    categories: cats,
    scopeExpiresAt: cats.length > 0 ? scopeExpiresAt : 0n,
  });

  const { consortium, registry, forwarder, deployBlock } = await deployContracts(deployer, {
    threshold: 2,
    founders: [
      founder(
        "tax",
        [await addr(tax), await addr(taxAlt)],
        [categories.taxPayment, categories.taxGrade],
      ),
      founder(
        "court",
        [await addr(court)],
        [categories.judicialEnforcement, categories.adminPenalty],
      ),
      founder("scorer", [await addr(scorer)]),
      founder("lenderA", [await addr(lenderA)]),
      founder("lenderB", [await addr(lenderB)]),
      founder("regulator", [await addr(regulator)]),
      founder("repairAuthority", [await addr(repairAuthority)]),
      founder("operator", [await addr(operator)]),
    ],
  });

  const schemas = {} as Record<SchemaName, Hex>;
  for (const key of Object.keys(SCHEMA_CATEGORIES) as SchemaName[]) {
    const registration = schemaRegistration(SCHEMAS[SCHEMA_CATEGORIES[key]]);
    await (
      await consortium
        .connect(operator)
        .registerSchema(registration.categoryName, registration.definition)
    ).wait();
    schemas[key] = registration.schemaId;
  }
  /** Schema indexes as the consortium assigned them (registration order, from 1). */
  const schemaIndexes = {} as Record<SchemaName, bigint>;
  for (const key of Object.keys(SCHEMA_CATEGORIES) as SchemaName[]) {
    schemaIndexes[key] = await consortium.schemaIndex(schemas[key]);
  }

  const model = modelHash(MODEL_DOCUMENT);
  await (await consortium.connect(scorer).registerModel(model, MODEL_URI)).wait();

  /** Member indexes (the registry's compact owner handle). */
  const indexes = {} as Record<MemberName, bigint>;
  for (const key of Object.keys(NAMES) as MemberName[]) {
    indexes[key] = (await consortium.member(ids[key])).index;
  }

  const now = BigInt(await networkHelpers.time.latest());
  const chainId = (await ethers.provider.getNetwork()).chainId;

  /** An attestation request of the tax bureau (tax.payment, not negative); fields overridable. */
  const request = (
    overrides: Partial<AttestationRequestStruct> = {},
  ): AttestationRequestStruct => ({
    schema: schemas.taxPayment,
    subject: h("subject:acme"),
    dataHash: hashCanonical({
      periodEnd: "2025-12-31",
      periodStart: "2025-10-01",
      taxPaid: 125_000,
      arrears: false,
    }),
    observedAt: now - DAY,
    expiresAt: now + 5n * YEAR,
    severity: 0,
    ...overrides,
  });

  /**
   * Runs a governance action: the operator proposes, the regulator approves (threshold 2).
   * Returns the proposal id.
   */
  const govern = async (
    action: GovernanceAction,
    proposer: Signer = operator,
    approver: Signer = regulator,
  ) => {
    const { kind, payload } = encodeAction(action);
    const id = await consortium.connect(proposer).propose.staticCall(kind, payload);
    await (await consortium.connect(proposer).propose(kind, payload)).wait();
    await (await consortium.connect(approver).approve(id)).wait();
    return id;
  };

  return {
    consortium,
    registry,
    forwarder,
    deployBlock,
    chainId,
    signers: {
      deployer,
      tax,
      taxAlt,
      court,
      scorer,
      lenderA,
      lenderB,
      regulator,
      repairAuthority,
      operator,
      relayer,
      outsider,
    },
    ids,
    indexes,
    categories,
    schemas,
    schemaIndexes,
    model,
    scopeExpiresAt,
    now,
    request,
    govern,
  };
}

export type Fixture = Awaited<ReturnType<typeof deployFixture>>;

/** Loads the fixture (snapshot-reverted between tests). */
export function loadDeployFixture(): Promise<Fixture> {
  return networkHelpers.loadFixture(deployFixture);
}

/** A record as plain values (the registry's `record(uid)` view), for deep equality. */
export interface RecordView {
  owner: bigint;
  schema: bigint;
  observedAt: bigint;
  expiresAt: bigint;
  severity: bigint;
  status: bigint;
  derived: boolean;
  disputed: boolean;
  repaired: boolean;
  batchLeaf: boolean;
}

export async function recordOf(registry: CreditRegistry, uid: string): Promise<RecordView> {
  const r = await registry.record(uid);
  return {
    owner: r.owner,
    schema: r.schema,
    observedAt: r.observedAt,
    expiresAt: r.expiresAt,
    severity: r.severity,
    status: r.status,
    derived: r.derived,
    disputed: r.disputed,
    repaired: r.repaired,
    batchLeaf: r.batchLeaf,
  };
}

/** core's attestation uid of `request` attested by member `provider`. */
export function coreAttestationUid(request: AttestationRequestStruct, provider: Hex): Hex {
  return attestationUid({
    schema: request.schema as Hex,
    subject: request.subject as Hex,
    dataHash: request.dataHash as Hex,
    provider,
    observedAt: BigInt(request.observedAt),
    expiresAt: BigInt(request.expiresAt),
    severity: Number(request.severity),
  });
}

/** `count` distinct requests (subject and dataHash vary with `label` and the index). */
export function distinctRequests(
  request: (overrides?: Partial<AttestationRequestStruct>) => AttestationRequestStruct,
  label: string,
  count: number,
  overrides: Partial<AttestationRequestStruct> = {},
): AttestationRequestStruct[] {
  return Array.from({ length: count }, (_, i) =>
    request({
      subject: h(`${label}:subject:${i}`),
      dataHash: h(`${label}:data:${i}`),
      ...overrides,
    }),
  );
}

/** `count` distinct batch leaves observed a day before `now` (fields overridable). */
export function recordLeaves(
  label: string,
  count: number,
  now: bigint,
  overrides: Partial<RecordLeafInput> = {},
): RecordLeafInput[] {
  return Array.from({ length: count }, (_, i) => ({
    subject: h(`${label}:leaf-subject:${i}`),
    dataHash: h(`${label}:leaf-data:${i}`),
    observedAt: now - DAY - BigInt(i),
    expiresAt: now + 5n * YEAR,
    severity: i % 4,
    ...overrides,
  }));
}

/** A LeafInput for the registry: leaf `index` of `batch` with its proof (core `leafProof`). */
export function leafInput(batch: RecordBatch, index: number): LeafInputStruct {
  const p = batch.leafProof(index);
  return {
    root: p.root,
    subject: p.subject,
    dataHash: p.dataHash,
    observedAt: p.observedAt,
    expiresAt: p.expiresAt,
    severity: p.severity,
    proof: p.proof,
  };
}
