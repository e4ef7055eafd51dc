/**
 * How attestations are stored: positionally. They are most of the store (one per record), and
 * their canonical JSON is half field names; here the values come in the canonical JSON's key order,
 * without the names, bigints as decimal strings, behind the tag `@1` — a third fewer bytes, and
 * much less work to write and to read. `decodeValue` (codec.ts) reads both forms; an attestation
 * of a shape this file does not know (a field more or less, a value of another type) is stored as
 * canonical JSON instead, so nothing is ever lost.
 *
 *   @1[audit, category, dataHash, disputeSeq, disputed, expiresAt, observedAt, provider,
 *      recordedAudit, relayer, repairSeq, repaired, revocation, schema, severity, signer, source,
 *      stale, status, subject, supersededBy, supersedes, supersession, uid]
 *
 * audit: [block, blockHash, logIndex, sender, tx]; revocation: [audit, batchRoot, by, reasonHash];
 * supersession: [audit, newUid, owner]; stale: [audit, reason, trigger]; source: ["single"] |
 * ["batchLeaf", batchRevoked, index, recorded, root] | ["derived", inputs, modelHash]; null stays null.
 * Decoded objects have their keys in the same (sorted) order as decoded canonical JSON.
 */
import type { Hex } from "../core/index.js";
import type {
  Attestation,
  AttestationSource,
  AttestationStatus,
  Audit,
  Revocation,
  StaleMark,
  StaleReason,
  Supersession,
} from "./types.js";

/** The tag in front of a positional attestation (no JSON text starts with "@"). */
export const ATTESTATION_TAG = "@1";

type Json = string | number | boolean | null | Json[];

/** Whether `value` is a plain object with exactly `count` own enumerable keys. */
function hasKeys(value: unknown, count: number): value is Record<string, unknown> {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    Object.keys(value).length === count
  );
}

/** A value JSON keeps as it is (and canonical JSON would write the same way). */
function plain(value: unknown): value is string | number | boolean | null {
  return (
    value === null ||
    typeof value === "string" ||
    typeof value === "boolean" ||
    (typeof value === "number" && Number.isFinite(value))
  );
}

function text(value: unknown): value is string | null {
  return value === null || typeof value === "string";
}

/** Thrown inside the encoder when the shape is not the known one (caught: canonical JSON). */
class UnknownShape extends Error {}
const UNKNOWN = new UnknownShape("not the attestation shape this codec knows");

function auditTuple(audit: unknown): Json {
  if (!hasKeys(audit, 5)) throw UNKNOWN;
  const { block, blockHash, logIndex, sender, tx } = audit;
  if (
    typeof block !== "bigint" ||
    !text(blockHash) ||
    !plain(logIndex) ||
    !text(sender) ||
    !text(tx)
  )
    throw UNKNOWN;
  return [block.toString(), blockHash, logIndex, sender, tx];
}

function nullableAudit(audit: unknown): Json {
  return audit === null ? null : auditTuple(audit);
}

function revocationTuple(revocation: unknown): Json {
  if (revocation === null) return null;
  if (!hasKeys(revocation, 4)) throw UNKNOWN;
  const { audit, batchRoot, by, reasonHash } = revocation;
  if (!text(batchRoot) || !text(by) || !text(reasonHash)) throw UNKNOWN;
  return [auditTuple(audit), batchRoot, by, reasonHash];
}

function supersessionTuple(supersession: unknown): Json {
  if (supersession === null) return null;
  if (!hasKeys(supersession, 3)) throw UNKNOWN;
  const { audit, newUid, owner } = supersession;
  if (!text(newUid) || !text(owner)) throw UNKNOWN;
  return [auditTuple(audit), newUid, owner];
}

function staleTuple(stale: unknown): Json {
  if (stale === null) return null;
  if (!hasKeys(stale, 3)) throw UNKNOWN;
  const { audit, reason, trigger } = stale;
  if (!text(reason) || !text(trigger)) throw UNKNOWN;
  return [auditTuple(audit), reason, trigger];
}

function sourceTuple(source: unknown): Json {
  if (typeof source !== "object" || source === null) throw UNKNOWN;
  const { type } = source as { type?: unknown };
  if (type === "single" && hasKeys(source, 1)) return ["single"];
  if (type === "batchLeaf" && hasKeys(source, 5)) {
    const { batchRevoked, index, recorded, root } = source;
    if (!plain(batchRevoked) || !plain(index) || !plain(recorded) || !text(root)) throw UNKNOWN;
    return ["batchLeaf", batchRevoked, index, recorded, root];
  }
  if (type === "derived" && hasKeys(source, 3)) {
    const { inputs, modelHash } = source;
    if (!Array.isArray(inputs) || !inputs.every((input) => typeof input === "string"))
      throw UNKNOWN;
    if (!text(modelHash)) throw UNKNOWN;
    return ["derived", inputs, modelHash];
  }
  throw UNKNOWN;
}

/** A field stored as it is (the known shape has a plain value there). */
function p(value: unknown): Json {
  if (!plain(value)) throw UNKNOWN;
  return value;
}

/** An attestation, positionally; undefined when `value` is not of the shape this file knows. */
export function encodeAttestation(value: unknown): string | undefined {
  if (!hasKeys(value, 24)) return undefined;
  const v = value as unknown as Attestation;
  if (typeof v.expiresAt !== "bigint" || typeof v.observedAt !== "bigint") return undefined;
  let tuple: Json[];
  try {
    tuple = [
      auditTuple(v.audit),
      p(v.category),
      p(v.dataHash),
      p(v.disputeSeq),
      p(v.disputed),
      v.expiresAt.toString(),
      v.observedAt.toString(),
      p(v.provider),
      nullableAudit(v.recordedAudit),
      p(v.relayer),
      p(v.repairSeq),
      p(v.repaired),
      revocationTuple(v.revocation),
      p(v.schema),
      p(v.severity),
      p(v.signer),
      sourceTuple(v.source),
      staleTuple(v.stale),
      p(v.status),
      p(v.subject),
      p(v.supersededBy),
      p(v.supersedes),
      supersessionTuple(v.supersession),
      p(v.uid),
    ];
  } catch (error) {
    if (error === UNKNOWN) return undefined;
    throw error;
  }
  return ATTESTATION_TAG + JSON.stringify(tuple);
}

class MalformedValue extends Error {}

function readAudit(tuple: unknown): Audit {
  if (!Array.isArray(tuple) || tuple.length !== 5 || typeof tuple[0] !== "string")
    throw new MalformedValue("audit");
  return {
    block: BigInt(tuple[0]),
    blockHash: tuple[1] as Hex,
    logIndex: tuple[2] as number,
    sender: tuple[3] as string | null,
    tx: tuple[4] as Hex,
  };
}

function readSource(tuple: unknown): AttestationSource {
  if (!Array.isArray(tuple)) throw new MalformedValue("source");
  switch (tuple[0]) {
    case "single":
      return { type: "single" };
    case "batchLeaf":
      return {
        batchRevoked: tuple[1] as boolean,
        index: tuple[2] as number | null,
        recorded: tuple[3] as boolean,
        root: tuple[4] as Hex,
        type: "batchLeaf",
      };
    case "derived":
      return { inputs: tuple[1] as Hex[], modelHash: tuple[2] as Hex, type: "derived" };
    default:
      throw new MalformedValue("source");
  }
}

function readRevocation(tuple: unknown): Revocation | null {
  if (tuple === null) return null;
  if (!Array.isArray(tuple)) throw new MalformedValue("revocation");
  return {
    audit: readAudit(tuple[0]),
    batchRoot: tuple[1] as Hex | null,
    by: tuple[2] as Hex,
    reasonHash: tuple[3] as Hex,
  };
}

function readSupersession(tuple: unknown): Supersession | null {
  if (tuple === null) return null;
  if (!Array.isArray(tuple)) throw new MalformedValue("supersession");
  return { audit: readAudit(tuple[0]), newUid: tuple[1] as Hex, owner: tuple[2] as Hex };
}

function readStale(tuple: unknown): StaleMark | null {
  if (tuple === null) return null;
  if (!Array.isArray(tuple)) throw new MalformedValue("stale");
  return {
    audit: readAudit(tuple[0]),
    reason: tuple[1] as StaleReason,
    trigger: tuple[2] as Hex,
  };
}

/** The attestation {@link encodeAttestation} stored (text starts with {@link ATTESTATION_TAG}). */
export function decodeAttestation(stored: string): Attestation {
  const t = JSON.parse(stored.slice(ATTESTATION_TAG.length)) as unknown;
  if (!Array.isArray(t) || t.length !== 24 || typeof t[5] !== "string" || typeof t[6] !== "string")
    throw new SyntaxError(`malformed stored attestation ${stored.slice(0, 80)}`);
  try {
    return {
      audit: readAudit(t[0]),
      category: t[1] as Hex | null,
      dataHash: t[2] as Hex,
      disputeSeq: t[3] as number,
      disputed: t[4] as boolean,
      expiresAt: BigInt(t[5]),
      observedAt: BigInt(t[6]),
      provider: t[7] as Hex,
      recordedAudit: t[8] === null ? null : readAudit(t[8]),
      relayer: t[9] as string | null,
      repairSeq: t[10] as number,
      repaired: t[11] as boolean,
      revocation: readRevocation(t[12]),
      schema: t[13] as Hex,
      severity: t[14] as number,
      signer: t[15] as string | null,
      source: readSource(t[16]),
      stale: readStale(t[17]),
      status: t[18] as AttestationStatus,
      subject: t[19] as Hex,
      supersededBy: t[20] as Hex | null,
      supersedes: t[21] as Hex | null,
      supersession: readSupersession(t[22]),
      uid: t[23] as Hex,
    };
  } catch (error) {
    if (!(error instanceof MalformedValue)) throw error;
    throw new SyntaxError(`malformed stored attestation (${error.message}) ${stored.slice(0, 80)}`);
  }
}
