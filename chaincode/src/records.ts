/**
 * The registry's state and the rules shared by its transactions (CreditRegistry.sol's internal
 * functions): record checks, the one attestation path, batch leaves and their proofs, derivation
 * inputs, record status.
 */
import type { Hex } from "../../core/index.js";
import {
  attestationUid,
  MAX_TIMESTAMP,
  merkleLeafHash,
  RECORD_LEAF_TYPES,
  RecordStatus,
  Role,
  Severity,
  verifyMerkle,
  ZERO_BYTES32,
} from "../../core/index.js";
import { ZeroAddress } from "ethers";

import { arrayArg, bytes32Arg, field, objectArg, smallUintArg, uint64Arg } from "./args.js";
import { fail } from "./errors.js";
import type { Actor } from "./membership.js";
import { authorize, authorizeProvider, hasActiveRole, isAccredited } from "./membership.js";
import type { Tx } from "./tx.js";

/** Clock skew tolerated between a provider's observation time and the ledger (1 hour). */
export const MAX_CLOCK_SKEW = 3_600n;
/** Inputs of one derived record at most. */
export const MAX_INPUTS = 128;

export interface RecordState {
  uid: Hex;
  /** The owner's member id: the provider, or the scorer of a derived record. */
  owner: Hex;
  schema: Hex;
  subject: Hex;
  dataHash: Hex;
  observedAt: string;
  expiresAt: string;
  severity: number;
  status: number;
  derived: boolean;
  disputed: boolean;
  repaired: boolean;
  batchLeaf: boolean;
  /** The batch of a recorded leaf. */
  root?: Hex;
  /** The record that replaced this one. */
  supersededBy?: Hex;
  /** Lineage of a derived record. */
  modelHash?: Hex;
  inputs?: Hex[];
}

export interface BatchState {
  root: Hex;
  provider: Hex;
  schema: Hex;
  count: number;
  anchoredAt: string;
  revoked: boolean;
  uri: string;
}

export interface AttestationRequestArg {
  schema: Hex;
  subject: Hex;
  dataHash: Hex;
  observedAt: bigint;
  expiresAt: bigint;
  severity: number;
}

export interface LeafArg {
  root: Hex;
  subject: Hex;
  dataHash: Hex;
  observedAt: bigint;
  expiresAt: bigint;
  severity: number;
  proof: Hex[];
}

export const RecordKeys = {
  record: (tx: Tx, uid: string) => tx.key("record", [uid]),
  bySubject: (tx: Tx, subject: string, uid: string) => tx.key("subject~record", [subject, uid]),
  batch: (tx: Tx, root: string) => tx.key("batch", [root]),
  dispute: (tx: Tx, uid: string) => tx.key("dispute", [uid]),
  repair: (tx: Tx, uid: string) => tx.key("repair", [uid]),
  scoreBatch: (tx: Tx, root: string) => tx.key("scoreBatch", [root]),
  consent: (tx: Tx, id: string) => tx.key("consent", [id]),
  consentBySubject: (tx: Tx, subject: string, id: string) =>
    tx.key("subject~consent", [subject, id]),
  auditAnchor: (tx: Tx, root: string) => tx.key("auditAnchor", [root]),
  nonce: (tx: Tx, signer: string, nonce: bigint) => tx.key("nonce", [signer, nonce.toString()]),
};

// ------------------------------------------------------------------------------------------------
// Arguments
// ------------------------------------------------------------------------------------------------

/** The record fields of a request or a leaf (types only; checkRecordFields has the rules). */
function parseRecordFields(
  o: Record<string, unknown>,
  name: string,
): Omit<LeafArg, "root" | "proof"> {
  return {
    subject: bytes32Arg(field(o, "subject"), `${name}.subject`),
    dataHash: bytes32Arg(field(o, "dataHash"), `${name}.dataHash`),
    observedAt: uint64Arg(field(o, "observedAt"), `${name}.observedAt`),
    expiresAt: uint64Arg(field(o, "expiresAt"), `${name}.expiresAt`),
    severity: smallUintArg(field(o, "severity"), 8, `${name}.severity`),
  };
}

export function parseRequest(value: unknown, name: string): AttestationRequestArg {
  const r = objectArg(value, name);
  const schema = bytes32Arg(field(r, "schema"), `${name}.schema`);
  return { schema, ...parseRecordFields(r, name) };
}

export function parseLeaf(value: unknown, name: string): LeafArg {
  const l = objectArg(value, name);
  const root = bytes32Arg(field(l, "root"), `${name}.root`);
  const fields = parseRecordFields(l, name);
  const proof = arrayArg(field(l, "proof"), `${name}.proof`).map((p, i) =>
    bytes32Arg(p, `${name}.proof[${i}]`),
  );
  return { root, ...fields, proof };
}

// ------------------------------------------------------------------------------------------------
// Rules
// ------------------------------------------------------------------------------------------------

/** CreditRegistry._checkRecordFields. */
export function checkRecordFields(
  tx: Tx,
  subject: Hex,
  dataHash: Hex,
  observedAt: bigint,
  expiresAt: bigint,
  severity: number,
): void {
  if (subject === ZERO_BYTES32 || dataHash === ZERO_BYTES32) {
    fail("RegistryInvalidRecord", { subject, dataHash });
  }
  if (
    observedAt === 0n ||
    observedAt > tx.now + MAX_CLOCK_SKEW ||
    (expiresAt !== 0n && (expiresAt <= observedAt || expiresAt > MAX_TIMESTAMP))
  ) {
    fail("RegistryInvalidTimes", { observedAt, expiresAt });
  }
  if (severity > Severity.Serious) fail("RegistryInvalidSeverity", { severity });
}

export async function findRecord(tx: Tx, uid: string): Promise<RecordState | undefined> {
  return tx.get<RecordState>(RecordKeys.record(tx, uid));
}

export async function existingRecord(tx: Tx, uid: Hex): Promise<RecordState> {
  const r = await findRecord(tx, uid);
  if (r === undefined) fail("RegistryUnknownRecord", { uid });
  return r;
}

export async function findBatch(tx: Tx, root: string): Promise<BatchState | undefined> {
  return tx.get<BatchState>(RecordKeys.batch(tx, root));
}

/** A batch that exists and is not revoked. */
export async function liveBatch(tx: Tx, root: Hex): Promise<BatchState> {
  const b = await findBatch(tx, root);
  if (b === undefined) fail("RegistryUnknownBatch", { root });
  if (b.revoked) fail("RegistryBatchRevoked", { root });
  return b;
}

/** A record's status now: a recorded leaf of a revoked batch counts as revoked. */
export async function statusOf(tx: Tx, r: RecordState): Promise<number> {
  if (r.batchLeaf && r.status === RecordStatus.Active && r.root !== undefined) {
    if ((await findBatch(tx, r.root))?.revoked === true) return RecordStatus.Revoked;
  }
  return r.status;
}

export async function putRecord(tx: Tx, r: RecordState, isNew: boolean): Promise<void> {
  await tx.put(RecordKeys.record(tx, r.uid), r);
  if (isNew) await tx.putIndex(RecordKeys.bySubject(tx, r.subject, r.uid));
}

/** The one path every attestation takes (CreditRegistry._attest); returns the uid. */
export async function attestAs(
  tx: Tx,
  request: AttestationRequestArg,
  signer: Actor,
  relayer: string,
): Promise<Hex> {
  await authorizeProvider(tx, signer, request.schema);
  const { schema, subject, dataHash, observedAt, expiresAt, severity } = request;
  checkRecordFields(tx, subject, dataHash, observedAt, expiresAt, severity);
  const provider = signer.member.id;
  const uid = attestationUid({
    schema,
    subject,
    dataHash,
    provider,
    observedAt,
    expiresAt,
    severity,
  });
  if ((await findRecord(tx, uid)) !== undefined) fail("RegistryRecordExists", { uid });
  await putRecord(
    tx,
    {
      uid,
      owner: provider,
      schema,
      subject,
      dataHash,
      observedAt: observedAt.toString(),
      expiresAt: expiresAt.toString(),
      severity,
      status: RecordStatus.Active,
      derived: false,
      disputed: false,
      repaired: false,
      batchLeaf: false,
    },
    true,
  );
  tx.emit({
    kind: "Attested",
    uid,
    subject,
    schema,
    provider,
    dataHash,
    observedAt,
    expiresAt,
    severity,
    signer: signer.key,
    relayer,
  });
  return uid;
}

export const NO_RELAYER = ZeroAddress;

// ------------------------------------------------------------------------------------------------
// Batch leaves
// ------------------------------------------------------------------------------------------------

function leafTuple(leaf: LeafArg): unknown[] {
  return [leaf.subject, leaf.dataHash, leaf.observedAt, leaf.expiresAt, leaf.severity];
}

/** Whether the leaf is in the tree with its root (core's StandardMerkleTree check). */
export function verifyLeafProof(leaf: LeafArg): boolean {
  return verifyMerkle(RECORD_LEAF_TYPES, leaf.root, leafTuple(leaf), leaf.proof);
}

/** CreditRegistry._leafUid: checks the proof and the record fields; returns the leaf's uid. */
export function leafUid(tx: Tx, b: BatchState, leaf: LeafArg): Hex {
  if (!verifyLeafProof(leaf)) {
    fail("RegistryInvalidProof", {
      root: leaf.root,
      leaf: merkleLeafHash(RECORD_LEAF_TYPES, leafTuple(leaf)),
    });
  }
  checkRecordFields(
    tx,
    leaf.subject,
    leaf.dataHash,
    leaf.observedAt,
    leaf.expiresAt,
    leaf.severity,
  );
  return attestationUid({
    schema: b.schema,
    provider: b.provider,
    subject: leaf.subject,
    dataHash: leaf.dataHash,
    observedAt: leaf.observedAt,
    expiresAt: leaf.expiresAt,
    severity: leaf.severity,
  });
}

// ------------------------------------------------------------------------------------------------
// Derivation inputs
// ------------------------------------------------------------------------------------------------

async function checkStoredInput(tx: Tx, uid: Hex, r: RecordState): Promise<void> {
  const status = await statusOf(tx, r);
  if (status !== RecordStatus.Active) fail("RegistryInputNotActive", { uid, status });
  const expiresAt = BigInt(r.expiresAt);
  if (expiresAt !== 0n && expiresAt <= tx.now) fail("RegistryInputExpired", { uid, expiresAt });
  const accredited = r.derived
    ? await hasActiveRole(tx, r.owner, Role.SCORER)
    : await isAccredited(tx, r.owner, r.schema);
  if (!accredited) fail("RegistryInputNotAccredited", { uid });
}

/** CreditRegistry._checkInputs: every input checked; returns the uids (stored, then leaves). */
export async function checkInputs(
  tx: Tx,
  stored: readonly Hex[],
  leaves: readonly LeafArg[],
): Promise<Hex[]> {
  const n = stored.length + leaves.length;
  if (n === 0) fail("RegistryNoInputs");
  if (n > MAX_INPUTS) fail("RegistryTooManyInputs", { count: n, max: MAX_INPUTS });
  const uids: Hex[] = [];
  for (const uid of stored) {
    const r = await findRecord(tx, uid);
    if (r === undefined) fail("RegistryInputMissing", { uid });
    await checkStoredInput(tx, uid, r);
    uids.push(uid);
  }
  for (const leaf of leaves) {
    const b = await findBatch(tx, leaf.root);
    if (b === undefined) fail("RegistryUnknownBatch", { root: leaf.root });
    const uid = leafUid(tx, b, leaf);
    const r = await findRecord(tx, uid);
    if (r !== undefined) {
      // the leaf has its own record (revoked, superseded, ...): that record decides
      await checkStoredInput(tx, uid, r);
    } else {
      if (b.revoked) fail("RegistryInputNotActive", { uid, status: RecordStatus.Revoked });
      if (leaf.expiresAt !== 0n && leaf.expiresAt <= tx.now) {
        fail("RegistryInputExpired", { uid, expiresAt: leaf.expiresAt });
      }
      if (!(await isAccredited(tx, b.provider, b.schema))) {
        fail("RegistryInputNotAccredited", { uid });
      }
    }
    uids.push(uid);
  }
  const seen = new Set<Hex>();
  for (const uid of uids) {
    if (seen.has(uid)) fail("RegistryDuplicateInput", { uid });
    seen.add(uid);
  }
  return uids;
}

// ------------------------------------------------------------------------------------------------
// Ownership
// ------------------------------------------------------------------------------------------------

/** The caller, as SCORER for a derived record or PROVIDER otherwise, must be `r`'s owner. */
export async function ownerActor(tx: Tx, r: RecordState): Promise<Actor> {
  const actor = await authorize(tx, r.derived ? Role.SCORER : Role.PROVIDER);
  if (r.owner !== actor.member.id)
    fail("RegistryNotOwner", { uid: r.uid, member: actor.member.id });
  return actor;
}

/**
 * The caller's member must own the active record `uid` (providers their attestations, scorers
 * their derived records): CreditRegistry._ownedActive.
 */
export async function ownedActive(tx: Tx, uid: Hex): Promise<{ r: RecordState; actor: Actor }> {
  const r = await existingRecord(tx, uid);
  const actor = await ownerActor(tx, r);
  const status = await statusOf(tx, r);
  if (status !== RecordStatus.Active) fail("RegistryNotActive", { uid, status });
  return { r, actor };
}

/** CreditRegistry._repairable: a negative, active, not yet repaired record. */
export async function repairable(tx: Tx, uid: Hex): Promise<RecordState> {
  const r = await existingRecord(tx, uid);
  if (r.severity === 0) fail("RegistryNotNegative", { uid });
  const status = await statusOf(tx, r);
  if (status !== RecordStatus.Active) fail("RegistryNotActive", { uid, status });
  if (r.repaired) fail("RegistryAlreadyRepaired", { uid });
  return r;
}
