/**
 * POST /records — a provider uploads the contents of records it attested, as NDJSON: one line per
 * record, `{"uid": "0x…", "record": {…}}`. The node keeps contents only if they are the attested
 * ones (indexer checkRecordContents: the record is indexed, the caller's, valid for its schema,
 * about its subject and hashing to its dataHash), encrypted at rest (the record store), and the
 * scoring service rescores the subjects concerned.
 *
 * Like the batch-file upload, the body is streamed and checked line by line: the first bad line is
 * refused with its line number and code without reading the rest, and nothing of the upload is
 * stored (all or nothing). A record whose attestation is not indexed yet is refused with
 * `ATTESTATION_NOT_INDEXED` (404): retry once its block is indexed. Authenticated with the same
 * bearer login token as /graphql. Answers `{stored, alreadyStored}` or
 * `{error: {code, message, details}}` with 400/401/403/404/413/415/503.
 */
import type { RequestHandler } from "express";
import type { Logger } from "pino";

import type { Hex, JsonObject } from "../../core/index.js";
import { CredtrailError, ValidationError } from "../../core/index.js";
import type { ReadApi, RecordStore } from "../../indexer/index.js";
import {
  RecordStoreErrorCode,
  checkRecordContents,
  createSchemaDefinitions,
} from "../../indexer/index.js";
import type { Authenticator } from "../types.js";
import { errorStatus, readLines, refuse, uploadRoute, uploadingProvider } from "./ndjsonUpload.js";

export const RECORD_UPLOAD_PATH = "/records";

export interface RecordUploadOptions {
  authenticator: Authenticator;
  reads: Pick<ReadApi, "getAttestation" | "getSchema">;
  records: RecordStore;
  logger: Logger;
  /** Told the subjects whose records got contents (the scoring service rescores them). */
  onStored?: (subjects: Hex[]) => void;
  /** The longest line accepted, in bytes (default 16 KiB). */
  maxLineBytes?: number;
  /** The most records one upload may hold (default 100,000). */
  maxRecords?: number;
}

export const RecordUploadErrorCode = {
  /** A line that is not `{"uid", "record"}` JSON. */
  LINE_INVALID: "LINE_INVALID",
  LINE_TOO_LONG: "LINE_TOO_LONG",
  TOO_MANY_RECORDS: "TOO_MANY_RECORDS",
} as const;

/** Lines checked together (their attestations are read in parallel). */
const CHUNK = 256;

function statusOf(error: CredtrailError): number {
  return error.code === RecordStoreErrorCode.RECORD_KEY_MISSING ? 503 : errorStatus(error);
}

interface Line {
  line: number;
  uid: unknown;
  record: unknown;
}

export function recordUpload(options: RecordUploadOptions): RequestHandler {
  const { authenticator, reads, records, logger } = options;
  const maxLineBytes = options.maxLineBytes ?? 16 * 1024;
  const maxRecords = options.maxRecords ?? 100_000;
  const schemas = createSchemaDefinitions(reads);
  return uploadRoute(
    logger,
    "record upload",
    async (req, res) => {
      const began = Date.now();
      const principal = await uploadingProvider(
        authenticator,
        req,
        'record contents ({"uid", "record"})',
      );
      if (!records.enabled) {
        refuse(
          503,
          new CredtrailError(
            RecordStoreErrorCode.RECORD_KEY_MISSING,
            "this node keeps no record contents (it has no CREDTRAIL_RECORD_KEY)",
          ),
        );
      }
      const accepted = new Map<Hex, { record: JsonObject; subject: Hex }>();
      let duplicates = 0;
      let lines: Line[] = [];
      const check = async (): Promise<void> => {
        const batch = lines;
        lines = [];
        const results = await Promise.allSettled(
          batch.map((l) =>
            checkRecordContents({ reads, schemas }, principal.memberId, l.uid, l.record),
          ),
        );
        for (let i = 0; i < batch.length; i++) {
          const result = results[i];
          if (result.status === "rejected") {
            const cause: unknown = result.reason;
            if (!(cause instanceof CredtrailError)) throw cause;
            refuse(
              statusOf(cause),
              new CredtrailError(cause.code, `line ${batch[i].line}: ${cause.message}`, {
                details: { line: batch[i].line, ...cause.details },
              }),
            );
          }
          const { uid, record } = result.value;
          if (accepted.has(uid)) duplicates++;
          else accepted.set(uid, { record, subject: record.subject as Hex });
        }
      };
      await readLines(
        req,
        maxLineBytes,
        RecordUploadErrorCode.LINE_TOO_LONG,
        async (text, line) => {
          if (accepted.size + lines.length >= maxRecords) {
            refuse(
              400,
              new ValidationError(
                RecordUploadErrorCode.TOO_MANY_RECORDS,
                `an upload holds at most ${maxRecords} records; line ${line} is one more`,
                { details: { line, maxRecords } },
              ),
            );
          }
          let value: unknown;
          try {
            value = JSON.parse(text);
          } catch {
            refuse(
              400,
              new ValidationError(RecordUploadErrorCode.LINE_INVALID, `line ${line} is not JSON`, {
                details: { line },
              }),
            );
          }
          if (typeof value !== "object" || value === null || Array.isArray(value)) {
            refuse(
              400,
              new ValidationError(
                RecordUploadErrorCode.LINE_INVALID,
                `line ${line} must be an object {"uid", "record"}`,
                { details: { line } },
              ),
            );
          }
          const { uid, record } = value as { uid?: unknown; record?: unknown };
          lines.push({ line, uid, record });
          if (lines.length >= CHUNK) await check();
        },
      );
      await check();
      const entries = [...accepted].map(([uid, entry]) => ({ uid, ...entry }));
      const held = await Promise.all(entries.map((e) => records.has(e.uid)));
      const fresh = entries.filter((_, i) => !held[i]);
      await records.putMany(fresh);
      const subjects = [...new Set(fresh.map((e) => e.subject))];
      if (subjects.length > 0) options.onStored?.(subjects);
      const alreadyStored = entries.length - fresh.length + duplicates;
      logger.info(
        {
          provider: principal.memberId,
          stored: fresh.length,
          alreadyStored,
          ms: Date.now() - began,
        },
        "gateway: record contents uploaded",
      );
      res.json({ stored: fresh.length, alreadyStored });
    },
    statusOf,
  );
}
