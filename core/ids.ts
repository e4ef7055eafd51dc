/**
 * Ledger-neutral ids. These must equal, byte for byte, what the contracts compute
 * (ICreditRegistry.sol, Tags.sol) and what the Fabric chaincode computes.
 *
 *   attestation uid = keccak256(abi.encode(ATTESTATION_TAG, schema, subject, dataHash, provider,
 *                                          uint64 observedAt, uint64 expiresAt, uint8 severity))
 *   derived uid     = keccak256(abi.encode(DERIVATION_TAG, schema, subject, dataHash, deriver, modelHash,
 *                                          uint64 observedAt, keccak256(abi.encode(bytes32[] inputs))))
 */
import { AbiCoder, getAddress, toUtf8Bytes } from "ethers";
import { keccak256 } from "./keccak.js";

import type { Hex, Uint64Like } from "./abiValues.js";
import { toBytes32, toUint64 } from "./abiValues.js";
import { canonicalJson, hashCanonical } from "./canonicalJson.js";
import { ErrorCode, ValidationError } from "./errors.js";
import { toSeverity } from "./severity.js";

const abi = AbiCoder.defaultAbiCoder();

/** keccak256("credtrail.attestation.v1") — Tags.ATTESTATION. */
export const ATTESTATION_TAG: Hex = keccak256(toUtf8Bytes("credtrail.attestation.v1"));
/** keccak256("credtrail.consent.v1") — Tags.CONSENT. */
export const CONSENT_TAG: Hex = keccak256(toUtf8Bytes("credtrail.consent.v1"));
/** keccak256("credtrail.derivation.v1") — Tags.DERIVATION. */
export const DERIVATION_TAG: Hex = keccak256(toUtf8Bytes("credtrail.derivation.v1"));

export interface AttestationUidParams {
  schema: string;
  subject: string;
  dataHash: string;
  /** The provider's member id. */
  provider: string;
  observedAt: Uint64Like;
  expiresAt: Uint64Like;
  severity: number;
}

export interface DerivedUidParams {
  schema: string;
  subject: string;
  dataHash: string;
  /** The scorer's member id. */
  deriver: string;
  modelHash: string;
  observedAt: Uint64Like;
  /** Input uids in the order the ledger sees them: stored uids first, then batch-leaf uids. */
  inputs: readonly string[];
}

/** The uid of an attestation, and of a batch leaf (with its batch's schema and provider). */
export function attestationUid(params: AttestationUidParams): Hex {
  // abi.encode of static words, concatenated directly (hot: every batch leaf gets a uid)
  return keccak256(
    `0x${ATTESTATION_TAG.slice(2)}${toBytes32(params.schema, "schema").slice(2)}${toBytes32(
      params.subject,
      "subject",
    ).slice(2)}${toBytes32(params.dataHash, "dataHash").slice(2)}${toBytes32(
      params.provider,
      "provider",
    ).slice(2)}${word(toUint64(params.observedAt, "observedAt"))}${word(
      toUint64(params.expiresAt, "expiresAt"),
    )}${word(BigInt(toSeverity(params.severity)))}`,
  );
}

/** A uint as one 32-byte ABI word (hex, no prefix). */
function word(value: bigint): string {
  return value.toString(16).padStart(64, "0");
}

/**
 * keccak256(abi.encode(bytes32[] inputs)) — the dynamic-array encoding (offset word, length word,
 * the uids), written out so that it costs one keccak and no ABI coder (a scoring run hashes the
 * inputs of every subject). Throws HEX_INVALID naming the first uid that is not bytes32.
 */
export function inputsHash(inputs: readonly string[]): Hex {
  const given: unknown = inputs;
  if (!Array.isArray(given)) {
    throw new ValidationError(ErrorCode.HEX_INVALID, "inputs must be an array of bytes32", {
      details: { field: "inputs" },
    });
  }
  const out = new Uint8Array(64 + 32 * inputs.length);
  out[31] = 0x20;
  let length = inputs.length;
  for (let i = 63; i >= 32 && length > 0; i--) {
    out[i] = length & 0xff;
    length = Math.floor(length / 256);
  }
  inputs.forEach((uid, i) => {
    out.set(Buffer.from(toBytes32(uid, `inputs[${i}]`).slice(2), "hex"), 64 + 32 * i);
  });
  return keccak256(out);
}

/** The uid of a derived record (a score, an index) with its lineage. */
export function derivedUid(params: DerivedUidParams): Hex {
  return keccak256(
    abi.encode(
      ["bytes32", "bytes32", "bytes32", "bytes32", "bytes32", "bytes32", "uint64", "bytes32"],
      [
        DERIVATION_TAG,
        toBytes32(params.schema, "schema"),
        toBytes32(params.subject, "subject"),
        toBytes32(params.dataHash, "dataHash"),
        toBytes32(params.deriver, "deriver"),
        toBytes32(params.modelHash, "modelHash"),
        toUint64(params.observedAt, "observedAt"),
        inputsHash(params.inputs),
      ],
    ),
  );
}

function nameHash(name: string, what: string): Hex {
  if (typeof name !== "string" || name.length === 0) {
    throw new ValidationError(ErrorCode.NAME_INVALID, `${what} name must be a non-empty string`, {
      details: { what },
    });
  }
  return keccak256(toUtf8Bytes(name));
}

/** A member's id: keccak256 of its name's UTF-8 bytes (exactly as given, no normalisation). */
export function memberId(name: string): Hex {
  return nameHash(name, "member");
}

/** A data category's id, e.g. categoryId("tax.payment"). */
export function categoryId(name: string): Hex {
  return nameHash(name, "category");
}

/** The hash of a purpose of use (e.g. "credit-assessment") that a consent and a query name. */
export function purposeHash(purpose: string): Hex {
  return nameHash(purpose, "purpose");
}

/** A consent's id: keccak256(abi.encode(CONSENT_TAG, lender, subject, purposeHash)). */
export function consentId(params: { lender: Hex; subject: Hex; purposeHash: Hex }): Hex {
  return keccak256(
    abi.encode(
      ["bytes32", "bytes32", "bytes32", "bytes32"],
      [
        CONSENT_TAG,
        toBytes32(params.lender, "lender"),
        toBytes32(params.subject, "subject"),
        toBytes32(params.purposeHash, "purposeHash"),
      ],
    ),
  );
}

/** The string registered on the ledger for a schema: its canonical JSON definition. */
export function schemaDefinitionString(definition: unknown): string {
  return canonicalJson(definition);
}

/** A schema's id: keccak256 of its canonical JSON definition (what IConsortium.registerSchema computes). */
export function schemaId(definition: unknown): Hex {
  return keccak256(toUtf8Bytes(schemaDefinitionString(definition)));
}

/** A scoring model's id: the hash of its canonical JSON document. */
export function modelHash(modelDocument: unknown): Hex {
  return hashCanonical(modelDocument);
}

/**
 * The key address of a Fabric identity: the last 20 bytes of keccak256("<mspId>\n<id>"), where id
 * is fabric-shim's `x509::<subject DN>::<issuer DN>`; checksummed. The chaincode gives its callers
 * this address (so governance payloads and events name keys as addresses on both ledgers), and a
 * Fabric client computes it from its certificate.
 */
export function fabricKeyAddress(mspId: string, id: string): string {
  const hash = keccak256(toUtf8Bytes(`${mspId}\n${id}`));
  return getAddress(`0x${hash.slice(-40)}`);
}
