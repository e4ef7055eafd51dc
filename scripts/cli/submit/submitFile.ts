/**
 * `credtrail submit`: a provider's CSV or NDJSON file of records for one schema. Every row is
 * checked first (USCC, schema fields); one bad row and nothing is sent, each bad row reported with
 * its line number. A small file goes as signed attestations (the gateway's submitAttestation), a
 * larger one as a batch: anchored through the gateway's relay (a forward request signed with the
 * key), then its leaves uploaded (POST /batches/:root/leaves). A receipts file records each step
 * and each row's uid (and batch root, leaf index and proof), so a rerun resumes without sending
 * anything twice.
 */
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

import { AbiCoder, keccak256 } from "ethers";

import {
  attestationUid,
  buildRecordBatch,
  registryDomain,
  schemaDefinitionByName,
  schemaRegistration,
  SCHEMAS,
  signAttest,
  type Hex,
  type RecordLeafInput,
  type SchemaDefinition,
} from "../../../core/index.js";
import type { CliContext } from "../context.js";
import { CliError, ExitCode } from "../errors.js";
import type { GatewayClient } from "../gatewayClient.js";
import { relay } from "../relay.js";
import { readRows, type FileRow, type RowProblem } from "./readRows.js";
import {
  appendReceipts,
  loadReceipts,
  RECEIPTS_FORMAT,
  type ReceiptsHeader,
  type RowReceipt,
} from "./receipts.js";

export interface SubmitOptions {
  schema: string;
  format?: string;
  receipts?: string;
  /** Files with at most this many rows go as single attestations. */
  batchThreshold: string;
  uri?: string;
  /** Only check the rows. */
  dryRun?: boolean;
  /** False with --no-contents: do not upload the record contents. */
  contents?: boolean;
}

/** Bad rows printed before "… and N more". */
const SHOWN_PROBLEMS = 20;
/** Receipt lines written per append in batch mode. */
const RECEIPT_CHUNK = 1_000;
/** Uploads retried while the node has not indexed the anchor (about a minute in all). */
const UPLOAD_RETRIES = 15;

export function schemaByName(name: string): SchemaDefinition {
  const definition =
    schemaDefinitionByName(name) ?? (SCHEMAS as Partial<Record<string, SchemaDefinition>>)[name];
  if (definition === undefined)
    throw new CliError(`unknown schema ${name}: one of ${Object.keys(SCHEMAS).join(", ")}`);
  return definition;
}

function formatOf(file: string, given: string | undefined): "csv" | "ndjson" {
  const format =
    given ??
    (/\.(ndjson|jsonl)$/i.test(file) ? "ndjson" : /\.csv$/i.test(file) ? "csv" : undefined);
  if (format !== "csv" && format !== "ndjson")
    throw new CliError(`cannot tell the format of ${file}: pass --format csv or --format ndjson`);
  return format;
}

function reportProblems(ctx: CliContext, file: string, problems: readonly RowProblem[]): never {
  const shown = problems.slice(0, SHOWN_PROBLEMS);
  for (const p of shown) ctx.streams.stderr.write(`${file}:${p.line}: ${p.problem}\n`);
  if (problems.length > shown.length)
    ctx.streams.stderr.write(`… and ${problems.length - shown.length} more bad rows\n`);
  throw new CliError(
    `${problems.length} bad row${problems.length === 1 ? "" : "s"} in ${file}: nothing was sent`,
    ExitCode.USAGE,
  );
}

/** The nonce of a row's Attest message: fixed per file, line and key, so a resend is refused as used. */
function rowNonce(fileHash: string, line: number, signer: string): bigint {
  return BigInt(
    keccak256(
      AbiCoder.defaultAbiCoder().encode(
        ["bytes32", "uint256", "address"],
        [fileHash, line, signer],
      ),
    ),
  );
}

const ALREADY = new Set(["RECORD_EXISTS", "NONCE_USED"]);

export async function submitFile(
  ctx: CliContext,
  file: string,
  options: SubmitOptions,
): Promise<void> {
  const definition = schemaByName(options.schema);
  if (definition.derived === true)
    throw new CliError(
      `${definition.name} is a derived schema: scorers derive it, providers do not submit it`,
    );
  const format = formatOf(file, options.format);
  if (!/^\d+$/.test(options.batchThreshold))
    throw new CliError("--batch-threshold must be a number");
  const threshold = Number(options.batchThreshold);
  const consortiumKey = ctx.env.CREDTRAIL_CONSORTIUM_KEY;
  if (consortiumKey === undefined || consortiumKey === "")
    throw new CliError(
      "CREDTRAIL_CONSORTIUM_KEY is not set: it turns each USCC into the subject id",
    );
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(
      code === "ENOENT" ? `no such file: ${file}` : `cannot read ${file} (${code ?? "error"})`,
    );
  }
  const fileHash = keccak256(bytes);
  const receiptsPath = options.receipts ?? `${file}.receipts.ndjson`;
  const state = loadReceipts(receiptsPath);
  if (state.header !== undefined && state.header.fileHash !== fileHash)
    throw new CliError(
      `${receiptsPath} records another version of ${path.basename(file)}: pass --receipts with a new file`,
    );
  const observedAt = state.header !== undefined ? BigInt(state.header.observedAt) : ctx.now();

  let rows: FileRow[];
  let problems: RowProblem[];
  try {
    ({ rows, problems } = readRows(bytes.toString("utf8"), {
      format,
      definition,
      consortiumKey,
      defaultObservedAt: observedAt,
    }));
  } catch (error) {
    throw new CliError(`CREDTRAIL_CONSORTIUM_KEY: ${(error as Error).message}`);
  }
  // the same record twice would be one uid (single) or a duplicate leaf (batch)
  const seen = new Map<string, number>();
  for (const row of rows) {
    const key = `${row.subject}${row.dataHash}${row.observedAt}${row.expiresAt}${row.severity}`;
    const first = seen.get(key);
    if (first !== undefined) problems.push({ line: row.line, problem: `repeats line ${first}` });
    else seen.set(key, row.line);
  }
  problems.sort((a, b) => a.line - b.line);
  if (problems.length > 0) reportProblems(ctx, file, problems);
  if (rows.length === 0) throw new CliError(`${file} has no rows`);
  if (options.dryRun === true) {
    ctx.out.result({ file, rows: rows.length, valid: true }, () => {
      ctx.out.line(`${rows.length} rows of ${definition.name} are valid (dry run: nothing sent)`);
    });
    return;
  }

  const schemaId = schemaRegistration(definition).schemaId;
  const provider = await ctx.memberId();
  const mode = state.header?.mode ?? (rows.length <= threshold ? "single" : "batch");
  if (existsSync(receiptsPath)) {
    const text = readFileSync(receiptsPath, "utf8");
    // a crash tore the last line: end it, so the next entry starts on a line of its own
    if (text !== "" && !text.endsWith("\n")) appendFileSync(receiptsPath, "\n");
  }
  if (state.header === undefined) {
    const header: ReceiptsHeader = {
      type: "header",
      format: RECEIPTS_FORMAT,
      file: path.basename(file),
      fileHash,
      schema: definition.name,
      schemaId,
      provider,
      mode,
      observedAt: observedAt.toString(),
    };
    appendReceipts(receiptsPath, [header]);
  }

  const submitted =
    mode === "single"
      ? await submitSingly(ctx, rows, {
          schemaId,
          provider,
          fileHash,
          receiptsPath,
          done: state.rows,
        })
      : await submitBatch(ctx, rows, {
          schemaId,
          provider,
          receiptsPath,
          uri: options.uri ?? `credtrail-file:${path.basename(file)}#${fileHash}`,
          anchored: state.anchored !== undefined,
          uploaded: state.uploaded,
          rowsDone: state.rows.size === rows.length,
        });
  const contents =
    options.contents === false
      ? "not sent (--no-contents)"
      : state.contents !== undefined
        ? state.contents
        : await uploadContents(ctx, rows, submitted.uids, receiptsPath);
  ctx.out.result({ ...submitted.summary, contents }, () => {
    ctx.out.line(submitted.line);
    ctx.out.line(
      typeof contents === "string"
        ? `record contents: ${contents}`
        : `record contents: ${contents.stored} stored on the node (${contents.alreadyStored} already there)`,
    );
  });
}

/** Contents lines per POST /records request. */
const CONTENTS_CHUNK = 5_000;

/**
 * POST /records: the node keeps the contents (they hash to the attested dataHash) for scoring. A
 * node that keeps no contents is a warning, not a failure: the records are on the ledger.
 */
async function uploadContents(
  ctx: CliContext,
  rows: readonly FileRow[],
  uids: readonly Hex[],
  receiptsPath: string,
): Promise<{ stored: number; alreadyStored: number } | string> {
  const total = { stored: 0, alreadyStored: 0 };
  const bar = ctx.out.progress("contents", rows.length);
  for (let start = 0; start < rows.length; start += CONTENTS_CHUNK) {
    const lines = rows
      .slice(start, start + CONTENTS_CHUNK)
      .map((row, i) => JSON.stringify({ uid: uids[start + i], record: row.record }));
    for (let attempt = 0; ; attempt++) {
      try {
        const answer = await ctx.gateway().uploadRecords(`${lines.join("\n")}\n`);
        total.stored += answer.stored;
        total.alreadyStored += answer.alreadyStored;
        break;
      } catch (error) {
        const code = error instanceof CliError ? error.code : undefined;
        if (code === "ROUTE_NOT_FOUND" || code === "RECORD_KEY_MISSING") {
          bar.done();
          ctx.out.warn(
            `the node keeps no record contents (${code}): only the attestations were sent`,
          );
          return `not kept by this node (${code})`;
        }
        if (code !== "ATTESTATION_NOT_INDEXED" || attempt >= UPLOAD_RETRIES) throw error;
        await sleep(Math.min(250 * 2 ** attempt, 5_000));
      }
    }
    bar.tick(Math.min(start + CONTENTS_CHUNK, rows.length));
  }
  bar.done();
  appendReceipts(receiptsPath, [{ type: "contents", ...total }]);
  return total;
}

interface SingleParams {
  schemaId: Hex;
  provider: Hex;
  fileHash: string;
  receiptsPath: string;
  done: ReadonlyMap<number, RowReceipt>;
}

/** What a submission did, for the summary. */
interface Submitted {
  summary: Record<string, unknown>;
  line: string;
  /** Each row's uid, in file order. */
  uids: Hex[];
}

async function submitSingly(
  ctx: CliContext,
  rows: readonly FileRow[],
  p: SingleParams,
): Promise<Submitted> {
  const wallet = ctx.wallet();
  const gateway = ctx.gateway();
  const { relayInfo } = await gateway.request<{ relayInfo: { chainId: string; registry: string } }>(
    "query($key: String!) { relayInfo(key: $key) { chainId registry } }",
    { key: wallet.address },
  );
  const domain = registryDomain(BigInt(relayInfo.chainId), relayInfo.registry);
  const todo = rows.filter((r) => !p.done.has(r.line));
  const bar = ctx.out.progress("attesting", rows.length);
  let count = rows.length - todo.length;
  let already = 0;
  bar.tick(count);
  for (const row of todo) {
    const request = {
      schema: p.schemaId,
      subject: row.subject,
      dataHash: row.dataHash,
      observedAt: row.observedAt,
      expiresAt: row.expiresAt,
      severity: row.severity,
    };
    const uid = attestationUid({ ...request, provider: p.provider });
    const nonce = rowNonce(p.fileHash, row.line, wallet.address);
    const deadline = ctx.now() + 600n;
    const signature = await signAttest(wallet, domain, request, nonce, deadline);
    let receipt: RowReceipt;
    try {
      const { submitAttestation } = await gateway.request<{
        submitAttestation: { uid: string; txHash: string; blockNumber: string };
      }>(
        "mutation($input: SignedAttestationInput!) { submitAttestation(input: $input) { uid txHash blockNumber } }",
        {
          input: {
            request: {
              ...request,
              observedAt: request.observedAt.toString(),
              expiresAt: request.expiresAt.toString(),
            },
            signer: wallet.address,
            nonce: nonce.toString(),
            deadline: deadline.toString(),
            signature,
          },
        },
      );
      receipt = {
        type: "row",
        line: row.line,
        uid: submitAttestation.uid,
        txHash: submitAttestation.txHash,
        blockNumber: submitAttestation.blockNumber,
      };
    } catch (error) {
      if (!(error instanceof CliError && error.code !== undefined && ALREADY.has(error.code))) {
        bar.done();
        throw new CliError(
          `line ${row.line}: ${error instanceof Error ? error.message : String(error)}`,
          ExitCode.FAILED,
          error instanceof CliError ? error.code : undefined,
        );
      }
      // an earlier, interrupted run sent it
      receipt = { type: "row", line: row.line, uid, already: true };
      already++;
    }
    appendReceipts(p.receiptsPath, [receipt]);
    bar.tick(++count);
  }
  bar.done();
  return {
    summary: {
      mode: "single",
      rows: rows.length,
      sent: todo.length - already,
      alreadyOnLedger: already,
      skipped: rows.length - todo.length,
      receipts: p.receiptsPath,
    },
    line: `${rows.length} rows attested one by one (${todo.length - already} sent now, ${rows.length - todo.length + already} already done); receipts in ${p.receiptsPath}`,
    uids: rows.map((row) =>
      attestationUid({
        schema: p.schemaId,
        provider: p.provider,
        subject: row.subject,
        dataHash: row.dataHash,
        observedAt: row.observedAt,
        expiresAt: row.expiresAt,
        severity: row.severity,
      }),
    ),
  };
}

/** A batch's leaves as the NDJSON body of POST /batches/:root/leaves. */
export function leavesNdjson(leaves: readonly RecordLeafInput[]): string {
  const lines = leaves.map((l) =>
    JSON.stringify({
      subject: l.subject,
      dataHash: l.dataHash,
      observedAt: l.observedAt.toString(),
      expiresAt: l.expiresAt.toString(),
      severity: l.severity,
    }),
  );
  return `${lines.join("\n")}\n`;
}

/**
 * Uploads a batch's leaves. The node's indexer may not have seen the anchor yet: BATCH_NOT_FOUND is
 * retried (with backoff) for a while.
 */
export async function uploadWhenIndexed(
  gateway: GatewayClient,
  root: string,
  ndjson: string,
): Promise<{ root: string; count: number }> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await gateway.uploadLeaves(root, ndjson);
    } catch (error) {
      if (
        !(error instanceof CliError && error.code === "BATCH_NOT_FOUND") ||
        attempt >= UPLOAD_RETRIES
      )
        throw error;
      await sleep(Math.min(250 * 2 ** attempt, 5_000));
    }
  }
}

interface BatchParams {
  schemaId: Hex;
  provider: Hex;
  receiptsPath: string;
  uri: string;
  anchored: boolean;
  uploaded: boolean;
  rowsDone: boolean;
}

async function submitBatch(
  ctx: CliContext,
  rows: readonly FileRow[],
  p: BatchParams,
): Promise<Submitted> {
  const leaves = rows.map((r) => ({
    subject: r.subject,
    dataHash: r.dataHash,
    observedAt: r.observedAt,
    expiresAt: r.expiresAt,
    severity: r.severity,
  }));
  const batch = buildRecordBatch(leaves);
  let txHash: string | undefined;
  if (!p.anchored) {
    try {
      const result = await relay(ctx, "anchorBatch", "anchorBatch", [
        p.schemaId,
        batch.root,
        rows.length,
        p.uri,
      ]);
      txHash = result.txHash;
      appendReceipts(p.receiptsPath, [
        {
          type: "anchored",
          root: batch.root,
          count: rows.length,
          txHash: result.txHash,
          blockNumber: result.blockNumber,
        },
      ]);
    } catch (error) {
      if (!(error instanceof CliError && /RegistryBatchExists/.test(error.message))) throw error;
      // anchored by an earlier, interrupted run
      appendReceipts(p.receiptsPath, [
        { type: "anchored", root: batch.root, count: rows.length, txHash: "", blockNumber: "" },
      ]);
    }
  }
  if (!p.uploaded) {
    const answer = await uploadWhenIndexed(ctx.gateway(), batch.root, leavesNdjson(leaves));
    appendReceipts(p.receiptsPath, [{ type: "uploaded", root: answer.root, count: answer.count }]);
  }
  if (!p.rowsDone) {
    const bar = ctx.out.progress("receipts", rows.length);
    const leafAnchor = { schema: p.schemaId, provider: p.provider };
    let chunk: RowReceipt[] = [];
    for (let i = 0; i < rows.length; i++) {
      chunk.push({
        type: "row",
        line: rows[i].line,
        uid: batch.leafUid(i, leafAnchor),
        root: batch.root,
        leafIndex: i,
        proof: batch.proof(i),
      });
      if (chunk.length === RECEIPT_CHUNK) {
        appendReceipts(p.receiptsPath, chunk);
        chunk = [];
        bar.tick(i + 1);
      }
    }
    appendReceipts(p.receiptsPath, chunk);
    bar.done();
  }
  const anchor = { schema: p.schemaId, provider: p.provider };
  return {
    summary: {
      mode: "batch",
      root: batch.root,
      rows: rows.length,
      ...(txHash === undefined ? {} : { txHash }),
      receipts: p.receiptsPath,
    },
    line: `${rows.length} rows anchored as batch ${batch.root}${txHash === undefined ? "" : ` (tx ${txHash})`} and uploaded; receipts in ${p.receiptsPath}`,
    uids: rows.map((_, i) => batch.leafUid(i, anchor)),
  };
}
