/**
 * Whether uploaded record contents are the ones the ledger attests: the record must be indexed,
 * belong to the uploading provider, match its registered schema, be about the attested subject and
 * hash (core hashCanonical, RFC 8785) to the attested dataHash. Each refusal has its own code.
 */
import type { Hex, JsonObject } from "../../core/index.js";
import {
  ForbiddenError,
  NotFoundError,
  ValidationError,
  hashCanonical,
  isBytes32,
  validateRecord,
} from "../../core/index.js";
import type { ReadApi } from "../readModels.js";
import type { SchemaDefinitions } from "./schemaDefinitions.js";

export const RecordContentsErrorCode = {
  /** The uid is not 32 bytes of hex. */
  UID_INVALID: "UID_INVALID",
  /** No attestation with this uid is indexed (yet): retry once its block is indexed. */
  ATTESTATION_NOT_INDEXED: "ATTESTATION_NOT_INDEXED",
  /** The record is another provider's. */
  NOT_OWNER: "NOT_OWNER",
  /** The record's schema is not registered (the indexer holds no definition for it). */
  SCHEMA_UNKNOWN: "SCHEMA_UNKNOWN",
  /** The contents are about another subject than the attestation. */
  SUBJECT_MISMATCH: "SUBJECT_MISMATCH",
  /** The contents do not hash to the attested dataHash. */
  DATA_HASH_MISMATCH: "DATA_HASH_MISMATCH",
} as const;

export interface CheckedRecord {
  uid: Hex;
  record: JsonObject;
}

/** Checks one upload; throws a CredtrailError with one of the codes above or RECORD_INVALID. */
export async function checkRecordContents(
  deps: { reads: Pick<ReadApi, "getAttestation">; schemas: SchemaDefinitions },
  provider: Hex,
  uid: unknown,
  record: unknown,
): Promise<CheckedRecord> {
  if (!isBytes32(uid))
    throw new ValidationError(
      RecordContentsErrorCode.UID_INVALID,
      "uid must be 32 bytes of 0x-prefixed hex",
    );
  const id = uid.toLowerCase() as Hex;
  const attestation = await deps.reads.getAttestation(id);
  if (attestation === null)
    throw new NotFoundError(
      `no attestation ${id} is indexed on this node yet; retry once its block is indexed`,
      {
        code: RecordContentsErrorCode.ATTESTATION_NOT_INDEXED,
        details: { uid: id },
      },
    );
  if (attestation.provider !== provider)
    throw new ForbiddenError("the record is another provider's", {
      code: RecordContentsErrorCode.NOT_OWNER,
      details: { uid: id },
    });
  const definition = await deps.schemas.get(attestation.schema);
  if (definition === null)
    throw new ValidationError(
      RecordContentsErrorCode.SCHEMA_UNKNOWN,
      "the record's schema is not registered",
      {
        details: { uid: id, schema: attestation.schema },
      },
    );
  validateRecord(definition, record);
  const contents = record as JsonObject;
  if (contents.subject !== attestation.subject)
    throw new ValidationError(
      RecordContentsErrorCode.SUBJECT_MISMATCH,
      "the record is about another subject than its attestation",
      { details: { uid: id, subject: attestation.subject } },
    );
  const hash = hashCanonical(contents);
  if (hash !== attestation.dataHash)
    throw new ValidationError(
      RecordContentsErrorCode.DATA_HASH_MISMATCH,
      "the record does not hash to the attested dataHash",
      { details: { uid: id, dataHash: attestation.dataHash, hash } },
    );
  return { uid: id, record: contents };
}
