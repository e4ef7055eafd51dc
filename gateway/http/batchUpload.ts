/**
 * POST /batches/:root/leaves — a provider uploads the leaves of a batch it anchored (its batch
 * file), as NDJSON: one leaf per line, in batch order, each
 * `{"subject","dataHash","observedAt","expiresAt","severity"}` (integers as numbers or decimal
 * strings). GraphQL is not for a million records: the body is streamed and parsed line by line,
 * each leaf checked as it arrives, so a bad line is reported (with its line number) without reading
 * the rest, and no more lines than the anchored count are ever held.
 *
 * Authenticated with the same bearer login token as /graphql; only the batch's own provider may
 * upload. The indexer then accepts the leaves only if they rebuild the anchored root; on any
 * refusal nothing is written. Answers JSON: `{root, count, projected}` or
 * `{error: {code, message, details}}` with 400/401/403/404/413/415.
 */
import type { RequestHandler } from "express";
import type { Logger } from "pino";

import type { Hex, RecordLeaf, RecordLeafInput } from "../../core/index.js";
import {
  CredtrailError,
  ValidationError,
  normalizeRecordLeaf,
  toBytes32,
} from "../../core/index.js";
import type { ReadApi } from "../../indexer/index.js";
import { requireOwnBatch } from "../access.js";
import type { Authenticator } from "../types.js";
import { readLines, refuse, uploadRoute, uploadingProvider } from "./ndjsonUpload.js";

export const BATCH_UPLOAD_PATH = "/batches/:root/leaves";

/** What the upload hands the leaves to (the indexer's uploadBatchLeaves). */
export type BatchUploader = (
  root: string,
  leaves: readonly RecordLeafInput[],
) => Promise<{ root: Hex; count: number; projected: boolean }>;

export interface BatchUploadOptions {
  authenticator: Authenticator;
  reads: Pick<ReadApi, "getBatch">;
  upload: BatchUploader;
  logger: Logger;
  /** The longest line accepted, in bytes (a leaf is ~250). */
  maxLineBytes?: number;
}

export const UploadErrorCode = {
  LEAF_INVALID: "LEAF_INVALID",
  TOO_MANY_LEAVES: "TOO_MANY_LEAVES",
  LINE_TOO_LONG: "LINE_TOO_LONG",
} as const;

/** Times may come as JSON numbers or as decimal strings (uint64 exceeds a JSON number). */
function leafInput(value: unknown): RecordLeafInput {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return value as RecordLeafInput;
  }
  const leaf = { ...(value as Record<string, unknown>) };
  for (const field of ["observedAt", "expiresAt"]) {
    const v = leaf[field];
    if (typeof v === "string" && /^(0|[1-9][0-9]{0,19})$/.test(v)) leaf[field] = BigInt(v);
  }
  return leaf as unknown as RecordLeafInput;
}

export function batchUpload(options: BatchUploadOptions): RequestHandler {
  const { authenticator, reads, upload, logger } = options;
  const maxLineBytes = options.maxLineBytes ?? 4_096;
  return uploadRoute(logger, "batch upload", async (req, res) => {
    const began = Date.now();
    const principal = await uploadingProvider(authenticator, req, "batch files");
    const root = toBytes32(req.params.root, "root");
    // 404 BATCH_NOT_FOUND, 403 NOT_OWNER (uploadRoute answers by the error's class)
    const batch = await requireOwnBatch(reads, root, principal);
    const leaves: RecordLeaf[] = [];
    await readLines(req, maxLineBytes, UploadErrorCode.LINE_TOO_LONG, (line, lineNumber) => {
      if (leaves.length >= batch.count) {
        refuse(
          400,
          new ValidationError(
            UploadErrorCode.TOO_MANY_LEAVES,
            `the batch was anchored with ${batch.count} leaves; line ${lineNumber} is one more`,
            { details: { line: lineNumber, anchored: batch.count } },
          ),
        );
      }
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        refuse(
          400,
          new ValidationError(UploadErrorCode.LEAF_INVALID, `line ${lineNumber} is not JSON`, {
            details: { line: lineNumber },
          }),
        );
      }
      try {
        leaves.push(normalizeRecordLeaf(leafInput(value), leaves.length));
      } catch (error) {
        const cause = error instanceof CredtrailError ? error : undefined;
        refuse(
          400,
          new ValidationError(
            UploadErrorCode.LEAF_INVALID,
            `line ${lineNumber}: ${cause?.message ?? "not a record leaf"}`,
            { details: { line: lineNumber, ...cause?.details } },
          ),
        );
      }
    });
    const result = await upload(root, leaves);
    logger.info(
      { root, count: result.count, projected: result.projected, ms: Date.now() - began },
      "gateway: batch file uploaded",
    );
    res.json({ root: result.root, count: result.count, projected: result.projected });
  });
}
