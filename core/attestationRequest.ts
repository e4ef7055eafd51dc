/**
 * What a provider attests: ICreditRegistry.AttestationRequest. The same values are signed
 * (EIP-712 `Attest`), hashed into the attestation uid and sent to either ledger; a batch leaf
 * carries the same record fields without the schema (the batch has one schema).
 */
import type { Hex, Uint64Like } from "./abiValues.js";
import { toNonZeroBytes32, toUint64 } from "./abiValues.js";
import { CredtrailError, ErrorCode, ValidationError } from "./errors.js";
import type { Severity } from "./severity.js";
import { toSeverity } from "./severity.js";

/** The fields of one attested record, as a caller gives them. */
export interface RecordFieldsInput {
  /** The subject id (see subjectId.ts), never a USCC. */
  subject: string;
  /** hashCanonical(record). */
  dataHash: string;
  /** When the behaviour was observed, unix seconds. */
  observedAt: Uint64Like;
  /** When the record stops counting, unix seconds; 0 when it does not expire. */
  expiresAt: Uint64Like;
  /** 0…3, see severity.ts. */
  severity: number;
}

/** Record fields checked and in normal form (lowercase hex, bigint seconds). */
export interface RecordFields {
  subject: Hex;
  dataHash: Hex;
  observedAt: bigint;
  expiresAt: bigint;
  severity: Severity;
}

export interface AttestationRequestInput extends RecordFieldsInput {
  schema: string;
}

export interface AttestationRequest extends RecordFields {
  schema: Hex;
}

/** Largest timestamp the ledger stores (uint40 seconds: the year 36812). */
export const MAX_TIMESTAMP = (1n << 40n) - 1n;

/**
 * Checks record fields as the ledger does (CreditRegistry._checkRecordFields, except the clock
 * check) and returns their normal form: subject and dataHash non-zero bytes32; observedAt in
 * 1…MAX_TIMESTAMP; expiresAt 0 (never) or after observedAt and at most MAX_TIMESTAMP; severity 0…3.
 * Throws the ValidationError of the first bad field (HEX_INVALID, INTEGER_INVALID, SEVERITY_INVALID,
 * ATTESTATION_INVALID for the time rules).
 */
export function checkRecordFields(input: RecordFieldsInput): RecordFields {
  const fields: RecordFields = {
    subject: toNonZeroBytes32(input.subject, "subject"),
    dataHash: toNonZeroBytes32(input.dataHash, "dataHash"),
    observedAt: toUint64(input.observedAt, "observedAt"),
    expiresAt: toUint64(input.expiresAt, "expiresAt"),
    severity: toSeverity(input.severity),
  };
  if (fields.observedAt === 0n || fields.observedAt > MAX_TIMESTAMP) {
    throw new ValidationError(
      ErrorCode.ATTESTATION_INVALID,
      "observedAt must be a time after 0 within uint40",
      {
        details: { field: "observedAt", observedAt: fields.observedAt.toString() },
      },
    );
  }
  if (
    fields.expiresAt !== 0n &&
    (fields.expiresAt <= fields.observedAt || fields.expiresAt > MAX_TIMESTAMP)
  ) {
    throw new ValidationError(
      ErrorCode.ATTESTATION_INVALID,
      "expiresAt must be 0 or after observedAt within uint40",
      {
        details: {
          field: "expiresAt",
          observedAt: fields.observedAt.toString(),
          expiresAt: fields.expiresAt.toString(),
        },
      },
    );
  }
  return fields;
}

/**
 * Checks an attestation request and returns its normal form (see {@link checkRecordFields}; schema
 * must be a non-zero bytes32). Throws ValidationError ATTESTATION_INVALID naming the field.
 */
export function normalizeAttestationRequest(input: AttestationRequestInput): AttestationRequest {
  try {
    return { schema: toNonZeroBytes32(input.schema, "schema"), ...checkRecordFields(input) };
  } catch (error) {
    if (error instanceof CredtrailError && error.code !== ErrorCode.ATTESTATION_INVALID) {
      throw new ValidationError(
        ErrorCode.ATTESTATION_INVALID,
        `attestation request: ${error.message}`,
        {
          details: error.details,
          cause: error,
        },
      );
    }
    throw error;
  }
}
