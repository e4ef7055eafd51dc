/**
 * Verifying a score without trusting the gateway that served it. {@link verifyScore} takes a score
 * response (GraphQL `subject { score { … } }`) and checks it against a ledger node of the caller's
 * choice, through a {@link ScoreLedgerReader} (ledger/evm createEvmScoreReader on the EVM):
 *
 * - the leaf hash recomputes from subject, value, grade, model, inputs and asOfBlock;
 * - the Merkle path leads from that leaf to the batch root;
 * - the root is an anchored score batch of that model and as-of block, anchored by the SCORER that
 *   registered the model, in the transaction, block number and block hash the proof names;
 * - asOf is the timestamp of the as-of block;
 * - every input existed at the as-of block, was active, unexpired and attested by a provider
 *   accredited for its schema (derived inputs: by an active scorer);
 * - with the model document: its hash is the model, and grade and pd follow from the value;
 * - with the input records: each hashes to its uid, and the score recomputes (value, grade, pd,
 *   reasons, reason details, inputs).
 *
 * Every field of the response is covered by at least one check. No I/O here: the reader does it.
 */
import type { Hex } from "../abiValues.js";
import { isBytes32, toUint64 } from "../abiValues.js";
import { ValidationError } from "../errors.js";
import { attestationUid, inputsHash, schemaId } from "../ids.js";
import { recordLeafUid, verifyRecordProof } from "../merkle.js";
import { Role } from "../roles.js";
import { recordDataHash, recordSeverity } from "../schemas.js";
import type { ScoringInput } from "./features.js";
import { scoreLeafHash, verifyScoreProof } from "./leaf.js";
import type { ScoreLeafInput } from "./leaf.js";
import { schemaDefinitionByName, SCORE_GRADES } from "./model.js";
import type { CompiledScorecard } from "./score.js";
import { compileModel, computeScore } from "./score.js";

// ------------------------------------------------------------------------------------------------
// The response
// ------------------------------------------------------------------------------------------------

export interface ScoreReasonDetail {
  code: string;
  text: string;
  feature: string;
  pointsLost: number;
}

export interface ScoreResponseProof {
  leaf: string;
  path: string[];
  root: string;
  batchTx: string;
  blockNumber: bigint;
  blockHash: string;
  modelHash: string;
  inputs: string[];
  /** Inputs that are batch leaves without a ledger record: fields and Merkle path to their root. */
  leafInputs: ScoreLeafInputProof[];
}

/** A batch-leaf input as the response carries it (GraphQL ScoreLeafInput). */
export interface ScoreLeafInputProof {
  uid: string;
  root: string;
  index: number;
  subject: string;
  dataHash: string;
  observedAt: bigint;
  expiresAt: bigint;
  severity: number;
  path: string[];
}

/** The GraphQL `Score` object, with BigInt fields as bigints. */
export interface ScoreResponse {
  subject: string;
  value: number;
  grade: string;
  pd: number;
  reasons: string[];
  reasonDetails: ScoreReasonDetail[];
  /** The model hash. */
  model: string;
  asOf: bigint;
  asOfBlock: bigint;
  /** Sorted input uids. */
  inputs: string[];
  verified: boolean;
  provisionalSince: string | null;
  provisionalReason: string | null;
  missingContents: string[];
  proof: ScoreResponseProof | null;
}

export const SCORE_RESPONSE_INVALID = "SCORE_RESPONSE_INVALID";

function shapeError(field: string, problem: string): ValidationError {
  return new ValidationError(SCORE_RESPONSE_INVALID, `score response: ${field} ${problem}`, {
    details: { field },
  });
}

type Fields = Record<string, unknown>;

function isObject(value: unknown): value is Fields {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function str(o: Fields, key: string, where = ""): string {
  const v = o[key];
  if (typeof v !== "string") throw shapeError(where + key, "must be a string");
  return v;
}

function optStr(o: Fields, key: string): string | null {
  const v = o[key];
  if (v === null || v === undefined) return null;
  if (typeof v !== "string") throw shapeError(key, "must be a string or null");
  return v;
}

function strList(o: Fields, key: string, where = ""): string[] {
  const v = o[key];
  if (!Array.isArray(v) || !v.every((s) => typeof s === "string"))
    throw shapeError(where + key, "must be a list of strings");
  return v;
}

function int(o: Fields, key: string, where = ""): number {
  const v = o[key];
  if (typeof v !== "number" || !Number.isSafeInteger(v))
    throw shapeError(where + key, "must be an integer");
  return v;
}

function num(o: Fields, key: string, where = ""): number {
  const v = o[key];
  if (typeof v !== "number" || !Number.isFinite(v))
    throw shapeError(where + key, "must be a number");
  return v;
}

function big(o: Fields, key: string, where = ""): bigint {
  const v = o[key];
  if (typeof v === "string" && /^\d{1,20}$/.test(v)) return BigInt(v);
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  throw shapeError(where + key, "must be a non-negative integer (a decimal string)");
}

/** `proof.leafInputs` (absent in responses from before it existed: none). */
function leafInputsOf(p: Fields): ScoreLeafInputProof[] {
  const list = p.leafInputs;
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw shapeError("proof.leafInputs", "must be a list");
  return list.map((item: unknown, i): ScoreLeafInputProof => {
    const where = `proof.leafInputs[${i}].`;
    if (!isObject(item)) throw shapeError(`proof.leafInputs[${i}]`, "must be an object");
    return {
      uid: str(item, "uid", where),
      root: str(item, "root", where),
      index: int(item, "index", where),
      subject: str(item, "subject", where),
      dataHash: str(item, "dataHash", where),
      observedAt: big(item, "observedAt", where),
      expiresAt: big(item, "expiresAt", where),
      severity: int(item, "severity", where),
      path: strList(item, "path", where),
    };
  });
}

/**
 * The score object of a response: the `Score` itself, or a GraphQL answer around it
 * (`{data: {subject: {score}}}`, `{subject: {score}}`, `{score}`). Throws SCORE_RESPONSE_INVALID
 * when there is none (e.g. `score: null`).
 */
export function extractScoreResponse(input: unknown): unknown {
  let node = input;
  if (isObject(node) && isObject(node.data)) node = node.data;
  if (isObject(node) && isObject(node.subject) && "score" in node.subject) node = node.subject;
  if (isObject(node) && "score" in node) node = node.score;
  if (!isObject(node)) throw shapeError("score", "is missing (null or not an object)");
  return node;
}

/** Checks the shape of a score response (types only) and reads it; throws SCORE_RESPONSE_INVALID. */
export function parseScoreResponse(input: unknown): ScoreResponse {
  const o = extractScoreResponse(input) as Fields;
  const subject = str(o, "subject");
  const value = int(o, "value");
  const grade = str(o, "grade");
  const pd = o.pd;
  if (typeof pd !== "number" || !Number.isFinite(pd)) throw shapeError("pd", "must be a number");
  const reasons = strList(o, "reasons");
  const details = o.reasonDetails;
  if (!Array.isArray(details)) throw shapeError("reasonDetails", "must be a list");
  const reasonDetails = details.map((d: unknown, i): ScoreReasonDetail => {
    const where = `reasonDetails[${i}].`;
    if (!isObject(d)) throw shapeError(`reasonDetails[${i}]`, "must be an object");
    return {
      code: str(d, "code", where),
      text: str(d, "text", where),
      feature: str(d, "feature", where),
      pointsLost: num(d, "pointsLost", where),
    };
  });
  const model = str(o, "model");
  const asOf = big(o, "asOf");
  const asOfBlock = big(o, "asOfBlock");
  const inputs = strList(o, "inputs");
  if (typeof o.verified !== "boolean") throw shapeError("verified", "must be a boolean");
  let proof: ScoreResponseProof | null = null;
  if (o.proof !== null && o.proof !== undefined) {
    const p = o.proof;
    if (!isObject(p)) throw shapeError("proof", "must be an object or null");
    proof = {
      leaf: str(p, "leaf", "proof."),
      path: strList(p, "path", "proof."),
      root: str(p, "root", "proof."),
      batchTx: str(p, "batchTx", "proof."),
      blockNumber: big(p, "blockNumber", "proof."),
      blockHash: str(p, "blockHash", "proof."),
      modelHash: str(p, "modelHash", "proof."),
      inputs: strList(p, "inputs", "proof."),
      leafInputs: leafInputsOf(p),
    };
  }
  return {
    subject,
    value,
    grade,
    pd,
    reasons,
    reasonDetails,
    model,
    asOf,
    asOfBlock,
    inputs,
    verified: o.verified,
    provisionalSince: optStr(o, "provisionalSince"),
    provisionalReason: optStr(o, "provisionalReason"),
    missingContents: strList(o, "missingContents"),
    proof,
  };
}

// ------------------------------------------------------------------------------------------------
// The ledger, as the verifier reads it
// ------------------------------------------------------------------------------------------------

export interface LedgerBlockInfo {
  number: bigint;
  hash: Hex;
  /** Unix seconds. */
  timestamp: bigint;
}

export interface ScoreBatchInfo {
  /** The scorer's member id and index. */
  scorer: Hex;
  scorerIndex: number;
  modelHash: Hex;
  count: number;
  asOfBlock: bigint;
  anchoredAt: bigint;
}

/** A ScoreBatchAnchored event. */
export interface ScoreBatchAnchoredLog {
  root: Hex;
  scorer: Hex;
  modelHash: Hex;
  count: number;
  asOfBlock: bigint;
}

export interface AnchorReceiptInfo {
  txHash: Hex;
  blockNumber: bigint;
  blockHash: Hex;
  /** Whether the transaction succeeded. */
  succeeded: boolean;
  /** The ScoreBatchAnchored events the registry emitted in it. */
  anchors: ScoreBatchAnchoredLog[];
}

export type LedgerRecordStatus = "active" | "revoked" | "superseded";

export interface LedgerRecordInfo {
  status: LedgerRecordStatus;
  /** The owner's member id and index (the provider; the scorer of a derived record). */
  owner: Hex;
  ownerIndex: number;
  schemaIndex: number;
  derived: boolean;
  disputed: boolean;
  repaired: boolean;
  batchLeaf: boolean;
  observedAt: bigint;
  /** 0 when it does not expire. */
  expiresAt: bigint;
  severity: number;
}

export interface RecordBatchInfo {
  provider: Hex;
  providerIndex: number;
  /** The schema id and index. */
  schema: Hex;
  schemaIndex: number;
  count: number;
  revoked: boolean;
}

/**
 * Read-only access to the ledger a verifier trusts. `at` is a block number: the state as of that
 * block (omitted: the newest). Null/false for what does not exist; throws when the node fails.
 */
export interface ScoreLedgerReader {
  block(number: bigint): Promise<LedgerBlockInfo | null>;
  anchorReceipt(txHash: Hex): Promise<AnchorReceiptInfo | null>;
  scoreBatch(root: Hex, at?: bigint): Promise<ScoreBatchInfo | null>;
  /** The member that registered the model, or null. */
  modelScorer(modelHash: Hex, at?: bigint): Promise<Hex | null>;
  hasActiveRole(memberIndex: number, role: number, at?: bigint): Promise<boolean>;
  record(uid: Hex, at?: bigint): Promise<LedgerRecordInfo | null>;
  recordBatch(root: Hex, at?: bigint): Promise<RecordBatchInfo | null>;
  /** Whether the member is an active PROVIDER accredited for the schema's category. */
  isAccredited(memberIndex: number, schemaIndex: number, at?: bigint): Promise<boolean>;
}

// ------------------------------------------------------------------------------------------------
// Options and result
// ------------------------------------------------------------------------------------------------

/** One input record as the caller holds it: its contents and the attested fields. */
export interface VerifyInputRecord {
  uid: string;
  /** Schema name, e.g. "tax.payment.v1". */
  schema: string;
  record: Record<string, unknown>;
  /** The provider's member id. */
  provider: string;
  observedAt: bigint | number | string;
  /** 0 when it does not expire. */
  expiresAt: bigint | number | string;
  /** Defaults to the severity the schema's rules give the record. */
  severity?: number;
  /** A batch leaf without a ledger record of its own: the batch root and the leaf's Merkle path. */
  batch?: { root: string; proof: string[] };
}

export interface VerifyScoreOptions {
  /** The model document (JSON) the model hash names: checks grade and pd, and enables recompute. */
  model?: unknown;
  /** The input records: with the model, the score is recomputed from them. */
  records?: readonly VerifyInputRecord[];
  /** Inputs checked concurrently. Default 16. */
  concurrency?: number;
}

export type ScoreCheckStatus = "passed" | "failed" | "warning" | "skipped";

export interface ScoreCheck {
  name: string;
  /** False only for a failed check (warnings and skipped checks do not fail the score). */
  ok: boolean;
  status: ScoreCheckStatus;
  detail: string;
}

export interface ScoreVerification {
  ok: boolean;
  checks: ScoreCheck[];
}

/** The checks verifyScore makes, in order. */
export const SCORE_CHECKS = [
  "response.shape",
  "response.status",
  "response.inputs",
  "response.reasons",
  "response.missingContents",
  "proof.fields",
  "leaf",
  "merkle",
  "batch.anchored",
  "batch.scorer",
  "anchor.transaction",
  "asOf",
  "inputs.ledger",
  "inputs.current",
  "model.document",
  "model.gradePd",
  "records",
  "recompute",
] as const;
export type ScoreCheckName = (typeof SCORE_CHECKS)[number];

// ------------------------------------------------------------------------------------------------
// Verification
// ------------------------------------------------------------------------------------------------

const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();
const sameList = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((x, i) => same(x, b[i]));
const short = (hex: string): string => (hex.length > 14 ? `${hex.slice(0, 10)}…` : hex);
const NO_RECORDS = "not checked (no records)";

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

/** What an input was at the as-of block, as the ledger (and the caller's records) show it. */
interface InputState {
  uid: Hex;
  problem?: string;
  status?: ScoringInput["status"];
  disputed?: boolean;
  /** Whether it is still active now (stored records only). */
  currentProblem?: string;
}

class Checks {
  readonly list: ScoreCheck[] = [];
  add(name: ScoreCheckName, status: ScoreCheckStatus, detail: string): boolean {
    this.list.push({ name, ok: status !== "failed", status, detail });
    return status !== "failed";
  }
  pass(name: ScoreCheckName, detail: string): boolean {
    return this.add(name, "passed", detail);
  }
  fail(name: ScoreCheckName, detail: string): boolean {
    return this.add(name, "failed", detail);
  }
  check(name: ScoreCheckName, problems: readonly string[], okDetail: string): boolean {
    return problems.length === 0 ? this.pass(name, okDetail) : this.fail(name, problems.join("; "));
  }
  result(): ScoreVerification {
    return { ok: this.list.every((c) => c.ok), checks: this.list };
  }
}

function responseChecks(r: ScoreResponse, checks: Checks): void {
  const status: string[] = [];
  if (r.verified && r.proof === null) status.push("verified is true but there is no proof");
  if (!r.verified && r.proof !== null)
    status.push("verified is false but a proof is given (a provisional score has no proof)");
  if (!r.verified) status.push("the score is provisional: nothing is anchored to verify");
  if (r.verified && r.provisionalSince !== null)
    status.push("provisionalSince is set on a verified score");
  if (r.verified && r.provisionalReason !== null)
    status.push("provisionalReason is set on a verified score");
  checks.check(
    "response.status",
    status,
    "verified, with a proof, not provisional (provisionalSince and provisionalReason are null)",
  );

  const inputs: string[] = [];
  r.inputs.forEach((uid, i) => {
    if (!isBytes32(uid)) inputs.push(`inputs[${i}] is not a bytes32`);
    else if (i > 0 && uid.toLowerCase() <= r.inputs[i - 1].toLowerCase())
      inputs.push(`inputs[${i}] is out of order or repeated`);
  });
  checks.check("response.inputs", inputs, `${r.inputs.length} uids, sorted and distinct`);

  const reasons: string[] = [];
  if (!(SCORE_GRADES as readonly string[]).includes(r.grade))
    reasons.push(`grade ${r.grade} is not a grade`);
  if (
    !sameList(
      r.reasons,
      r.reasonDetails.map((d) => d.code),
    )
  )
    reasons.push("reasons are not the codes of reasonDetails");
  for (let i = 1; i < r.reasonDetails.length; i++)
    if (r.reasonDetails[i].pointsLost > r.reasonDetails[i - 1].pointsLost)
      reasons.push(`reasonDetails[${i}] lost more points than the one before it`);
  if (r.reasonDetails.some((d) => d.pointsLost <= 0)) reasons.push("a reason lost no points");
  checks.check("response.reasons", reasons, "reasons match reasonDetails, most points lost first");

  const inputSet = new Set(r.inputs.map((u) => u.toLowerCase()));
  const missing: string[] = [];
  r.missingContents.forEach((uid, i) => {
    if (!isBytes32(uid)) missing.push(`missingContents[${i}] is not a bytes32`);
    else if (inputSet.has(uid.toLowerCase()))
      missing.push(`missingContents[${i}] is an input, yet left out of the score`);
    else if (i > 0 && uid.toLowerCase() <= r.missingContents[i - 1].toLowerCase())
      missing.push(`missingContents[${i}] is out of order or repeated`);
  });
  checks.check(
    "response.missingContents",
    missing,
    `${r.missingContents.length} records left out for lack of contents, none of them an input (the node's own account: not on the ledger)`,
  );
}

function leafOf(r: ScoreResponse): ScoreLeafInput {
  return {
    subject: r.subject,
    score: r.value,
    grade: r.grade,
    modelHash: r.model,
    inputsHash: inputsHash(r.inputs),
    asOfBlock: r.asOfBlock,
  };
}

async function anchorChecks(
  r: ScoreResponse,
  proof: ScoreResponseProof,
  reader: ScoreLedgerReader,
  checks: Checks,
): Promise<void> {
  const root = proof.root as Hex;
  const batch = isBytes32(root) ? await reader.scoreBatch(root) : null;
  if (batch === null) {
    checks.fail("batch.anchored", `no score batch with root ${proof.root} on the ledger`);
    checks.fail("batch.scorer", "no batch, no scorer");
  } else {
    const problems: string[] = [];
    if (!same(batch.modelHash, r.model))
      problems.push(`the batch is of model ${short(batch.modelHash)}, not ${short(r.model)}`);
    if (batch.asOfBlock !== r.asOfBlock)
      problems.push(`the batch is as of block ${batch.asOfBlock}, not ${r.asOfBlock}`);
    checks.check(
      "batch.anchored",
      problems,
      `root ${short(root)} anchored with model ${short(batch.modelHash)}, ${batch.count} scores as of block ${batch.asOfBlock}`,
    );
    const scorerProblems: string[] = [];
    const registeredBy = isBytes32(r.model) ? await reader.modelScorer(r.model) : null;
    if (registeredBy === null) scorerProblems.push(`model ${short(r.model)} is not registered`);
    else if (!same(registeredBy, batch.scorer))
      scorerProblems.push(
        `the batch was anchored by ${short(batch.scorer)}, the model registered by ${short(registeredBy)}`,
      );
    if (!(await reader.hasActiveRole(batch.scorerIndex, Role.SCORER, proof.blockNumber)))
      scorerProblems.push("the anchoring member was not an active SCORER at the anchor block");
    checks.check(
      "batch.scorer",
      scorerProblems,
      `anchored by SCORER ${short(batch.scorer)}, who registered the model`,
    );
  }

  const receipt = isBytes32(proof.batchTx) ? await reader.anchorReceipt(proof.batchTx) : null;
  const tx: string[] = [];
  if (receipt === null) tx.push(`no transaction ${proof.batchTx} on the ledger`);
  else {
    if (!receipt.succeeded) tx.push("the transaction failed");
    if (receipt.blockNumber !== proof.blockNumber)
      tx.push(`it is in block ${receipt.blockNumber}, not ${proof.blockNumber}`);
    if (!same(receipt.blockHash, proof.blockHash))
      tx.push(`its block hash is ${short(receipt.blockHash)}, not ${short(proof.blockHash)}`);
    const event = receipt.anchors.find((a) => same(a.root, proof.root));
    if (event === undefined) tx.push(`it did not anchor root ${short(proof.root)}`);
    else if (!same(event.modelHash, r.model) || event.asOfBlock !== r.asOfBlock)
      tx.push("its ScoreBatchAnchored event names another model or as-of block");
    const block = await reader.block(proof.blockNumber);
    if (block === null || !same(block.hash, proof.blockHash))
      tx.push(`block ${proof.blockNumber} of the chain is not ${short(proof.blockHash)}`);
  }
  checks.check(
    "anchor.transaction",
    tx,
    `ScoreBatchAnchored in ${short(proof.batchTx)}, block ${proof.blockNumber} (${short(proof.blockHash)})`,
  );

  const asOf: string[] = [];
  const asOfBlock = await reader.block(r.asOfBlock);
  if (asOfBlock === null) asOf.push(`block ${r.asOfBlock} does not exist`);
  else if (asOfBlock.timestamp !== r.asOf)
    asOf.push(`block ${r.asOfBlock} has timestamp ${asOfBlock.timestamp}, not ${r.asOf}`);
  if (r.asOfBlock > proof.blockNumber) asOf.push("the as-of block is after the anchor block");
  checks.check("asOf", asOf, `asOf ${r.asOf} is the timestamp of block ${r.asOfBlock}`);
}

/** A record's timestamp as core {@link toUint64} takes it, also from a decimal string (JSON). */
function uint(value: bigint | number | string, name: string): bigint {
  return toUint64(
    typeof value === "string" && /^\d{1,20}$/.test(value) ? BigInt(value) : value,
    name,
  );
}

/** The uid the caller's record hashes to (and, for a batch leaf, the batch that holds it). */
async function recordUid(
  given: VerifyInputRecord,
  reader: ScoreLedgerReader,
  at: bigint,
): Promise<{ uid: Hex; batch?: RecordBatchInfo; problem?: string }> {
  const definition = schemaDefinitionByName(given.schema);
  if (definition === undefined) throw new Error(`unknown schema ${given.schema}`);
  const dataHash = recordDataHash(definition, given.record);
  const fields = {
    subject: String(given.record.subject),
    dataHash,
    observedAt: uint(given.observedAt, "observedAt"),
    expiresAt: uint(given.expiresAt, "expiresAt"),
    severity: given.severity ?? recordSeverity(definition, given.record),
  };
  if (given.batch === undefined) {
    return {
      uid: attestationUid({ ...fields, schema: schemaId(definition), provider: given.provider }),
    };
  }
  const root = given.batch.root as Hex;
  const batch = isBytes32(root) ? await reader.recordBatch(root, at) : null;
  if (batch === null) return { uid: given.uid as Hex, problem: `no batch ${short(root)}` };
  if (!same(schemaId(definition), batch.schema))
    return { uid: given.uid as Hex, problem: `the batch is not of schema ${given.schema}` };
  if (!verifyRecordProof(root, fields, given.batch.proof))
    return { uid: given.uid as Hex, problem: "its Merkle proof does not lead to the batch root" };
  return {
    uid: recordLeafUid(fields, { schema: batch.schema, provider: batch.provider }),
    batch,
  };
}

/** A leaf's uid from the response's leaf proof: the batch on the ledger, the path to its root. */
async function leafProofUid(
  p: ScoreLeafInputProof,
  reader: ScoreLedgerReader,
  at: bigint,
): Promise<{ uid: Hex; batch?: RecordBatchInfo; problem?: string }> {
  const batch = isBytes32(p.root) ? await reader.recordBatch(p.root, at) : null;
  if (batch === null)
    return { uid: p.uid as Hex, problem: `no batch ${short(p.root)} on the ledger` };
  const fields = {
    subject: p.subject,
    dataHash: p.dataHash,
    observedAt: p.observedAt,
    expiresAt: p.expiresAt,
    severity: p.severity,
  };
  if (!verifyRecordProof(p.root, fields, p.path))
    return { uid: p.uid as Hex, problem: "its Merkle path does not lead to the batch root" };
  return { uid: recordLeafUid(fields, { schema: batch.schema, provider: batch.provider }), batch };
}

async function inputState(
  uid: Hex,
  reader: ScoreLedgerReader,
  at: bigint,
  asOf: bigint,
  given: VerifyInputRecord | undefined,
  leafProof?: ScoreLeafInputProof,
): Promise<InputState> {
  const record = await reader.record(uid, at);
  if (record === null) {
    if (given?.batch === undefined && leafProof === undefined)
      return {
        uid,
        problem: `${short(uid)} is not on the ledger (a batch leaf needs its Merkle proof: proof.leafInputs, or its record with batch root and proof)`,
      };
    const leaf =
      given?.batch !== undefined
        ? await recordUid(given, reader, at)
        : await leafProofUid(leafProof as ScoreLeafInputProof, reader, at);
    if (leaf.problem !== undefined) return { uid, problem: `${short(uid)}: ${leaf.problem}` };
    if (!same(leaf.uid, uid) || leaf.batch === undefined)
      return { uid, problem: `${short(uid)}: the leaf given for it is another leaf` };
    if (leaf.batch.revoked) return { uid, problem: `${short(uid)}: its batch was revoked` };
    const expiresAt =
      given?.batch !== undefined
        ? uint(given.expiresAt, "expiresAt")
        : (leafProof as ScoreLeafInputProof).expiresAt;
    if (expiresAt !== 0n && expiresAt <= asOf) return { uid, problem: `${short(uid)} had expired` };
    if (!(await reader.isAccredited(leaf.batch.providerIndex, leaf.batch.schemaIndex, at)))
      return { uid, problem: `${short(uid)}: its provider was not accredited for its schema` };
    const now = await reader.recordBatch(
      (given?.batch?.root ?? (leafProof as ScoreLeafInputProof).root) as Hex,
    );
    return {
      uid,
      status: "active",
      disputed: false,
      currentProblem: now?.revoked === true ? `${short(uid)}: its batch is revoked now` : undefined,
    };
  }
  if (record.status !== "active") return { uid, problem: `${short(uid)} was ${record.status}` };
  if (record.expiresAt !== 0n && record.expiresAt <= asOf)
    return { uid, problem: `${short(uid)} had expired` };
  const accredited = record.derived
    ? await reader.hasActiveRole(record.ownerIndex, Role.SCORER, at)
    : await reader.isAccredited(record.ownerIndex, record.schemaIndex, at);
  if (!accredited)
    return {
      uid,
      problem: record.derived
        ? `${short(uid)}: its deriver was not an active SCORER`
        : `${short(uid)}: its provider was not accredited for its schema`,
    };
  const now = await reader.record(uid);
  return {
    uid,
    status: record.repaired ? "repaired" : "active",
    disputed: record.disputed,
    currentProblem:
      now !== null && now.status !== "active" ? `${short(uid)} is ${now.status} now` : undefined,
  };
}

async function inputChecks(
  r: ScoreResponse,
  reader: ScoreLedgerReader,
  records: ReadonlyMap<string, VerifyInputRecord>,
  concurrency: number,
  checks: Checks,
): Promise<InputState[] | null> {
  if (!r.inputs.every((uid) => isBytes32(uid))) {
    checks.fail("inputs.ledger", "the inputs are not all bytes32 uids");
    checks.add("inputs.current", "skipped", "not checked (bad inputs)");
    return null;
  }
  const asOfBlock = await reader.block(r.asOfBlock);
  if (asOfBlock === null) {
    checks.fail("inputs.ledger", `block ${r.asOfBlock} does not exist`);
    checks.add("inputs.current", "skipped", "not checked (no as-of block)");
    return null;
  }
  const leafProofs = new Map(
    (r.proof?.leafInputs ?? []).map((p) => [p.uid.toLowerCase(), p] as const),
  );
  const states = await mapLimit(r.inputs, concurrency, (uid) =>
    inputState(
      uid.toLowerCase() as Hex,
      reader,
      r.asOfBlock,
      asOfBlock.timestamp,
      records.get(uid.toLowerCase()),
      leafProofs.get(uid.toLowerCase()),
    ).catch((error: unknown): InputState => ({ uid: uid, problem: message(error) })),
  );
  checks.check(
    "inputs.ledger",
    states.flatMap((s) => (s.problem === undefined ? [] : [s.problem])),
    `${states.length} inputs existed at block ${r.asOfBlock}, active, unexpired, from accredited providers`,
  );
  const changed = states.flatMap((s) => (s.currentProblem === undefined ? [] : [s.currentProblem]));
  checks.add(
    "inputs.current",
    changed.length === 0 ? "passed" : "warning",
    changed.length === 0
      ? "every input is still active"
      : `the score is out of date: ${changed.join("; ")}`,
  );
  return states;
}

function modelChecks(
  r: ScoreResponse,
  document: unknown,
  checks: Checks,
): CompiledScorecard | null {
  if (document === undefined) {
    checks.add("model.document", "skipped", "not checked (no model document)");
    checks.add("model.gradePd", "skipped", "not checked (no model document)");
    return null;
  }
  let compiled: CompiledScorecard;
  try {
    compiled = compileModel(document);
  } catch (error) {
    checks.fail("model.document", `the model document is invalid: ${message(error)}`);
    checks.add("model.gradePd", "skipped", "not checked (invalid model document)");
    return null;
  }
  if (!same(compiled.modelHash, r.model)) {
    checks.fail(
      "model.document",
      `the document hashes to ${short(compiled.modelHash)}, not the model`,
    );
    checks.add("model.gradePd", "skipped", "not checked (another model)");
    return null;
  }
  checks.pass("model.document", `the document hashes to the model ${short(r.model)}`);
  const { minScore, maxScore } = compiled.model.scaling;
  if (r.value < minScore || r.value > maxScore) {
    checks.fail("model.gradePd", `value ${r.value} is outside ${minScore}…${maxScore}`);
    return compiled;
  }
  const grade = compiled.gradeTable[r.value - minScore];
  const pd = compiled.pdTable[r.value - minScore];
  const problems: string[] = [];
  if (grade !== r.grade) problems.push(`value ${r.value} is grade ${grade}, not ${r.grade}`);
  if (pd !== r.pd) problems.push(`value ${r.value} has pd ${pd}, not ${r.pd}`);
  checks.check(
    "model.gradePd",
    problems,
    `grade ${grade} and pd ${pd} follow from value ${r.value}`,
  );
  return compiled;
}

async function recomputeChecks(
  r: ScoreResponse,
  reader: ScoreLedgerReader,
  compiled: CompiledScorecard | null,
  records: ReadonlyMap<string, VerifyInputRecord>,
  states: InputState[] | null,
  given: number,
  checks: Checks,
): Promise<void> {
  if (given === 0) {
    checks.add("records", "skipped", NO_RECORDS);
    checks.add("recompute", "skipped", `${NO_RECORDS}: pd, reasons and reasonDetails unchecked`);
    return;
  }
  const problems: string[] = [];
  const inputs: ScoringInput[] = [];
  for (const uid of r.inputs) {
    const record = records.get(uid.toLowerCase());
    if (record === undefined) {
      problems.push(`no record given for input ${short(uid)}`);
      continue;
    }
    try {
      if (record.batch === undefined) {
        const own = await recordUid(record, reader, r.asOfBlock);
        if (!same(own.uid, uid))
          problems.push(`the record given for ${short(uid)} hashes to another uid`);
      }
      // batch leaves were matched to their uid by inputs.ledger
    } catch (error) {
      problems.push(`the record given for ${short(uid)} is invalid: ${message(error)}`);
      continue;
    }
    const state = states?.find((s) => same(s.uid, uid));
    inputs.push({
      uid,
      schema: record.schema,
      record: record.record,
      observedAt: uint(record.observedAt, "observedAt"),
      expiresAt: uint(record.expiresAt, "expiresAt"),
      status: state?.status ?? "active",
      disputed: state?.disputed ?? false,
      provider: record.provider,
    });
  }
  const authentic = checks.check(
    "records",
    problems,
    `${inputs.length} records given, each hashing to its input uid`,
  );
  if (!authentic) {
    checks.add("recompute", "skipped", "not checked (records missing or not authentic)");
    return;
  }
  if (compiled === null) {
    checks.add("recompute", "skipped", "not checked (no model document of this model)");
    return;
  }
  let result;
  try {
    result = computeScore(compiled, inputs, {
      asOf: r.asOf,
      asOfBlock: r.asOfBlock,
      subject: r.subject,
    });
  } catch (error) {
    checks.fail("recompute", `the records do not score: ${message(error)}`);
    return;
  }
  const diff: string[] = [];
  if (result.value !== r.value) diff.push(`value ${result.value}, not ${r.value}`);
  if (result.grade !== r.grade) diff.push(`grade ${result.grade}, not ${r.grade}`);
  if (result.pd !== r.pd) diff.push(`pd ${result.pd}, not ${r.pd}`);
  if (!sameList(result.inputUids, r.inputs)) diff.push("other inputs count");
  if (
    !sameList(
      result.reasons.map((x) => x.code),
      r.reasons,
    )
  )
    diff.push(`reasons ${result.reasons.map((x) => x.code).join(",")}, not ${r.reasons.join(",")}`);
  const detailsMatch =
    result.reasons.length === r.reasonDetails.length &&
    result.reasons.every((x, i) => {
      const d = r.reasonDetails[i];
      return (
        x.code === d.code &&
        x.text === d.text &&
        x.feature === d.feature &&
        x.pointsLost === d.pointsLost
      );
    });
  if (!detailsMatch) diff.push("reasonDetails differ");
  checks.check(
    "recompute",
    diff,
    `recomputed from ${inputs.length} records: ${result.value} ${result.grade}, pd ${result.pd}, reasons ${result.reasons.map((x) => x.code).join(",") || "none"}`,
  );
}

/**
 * Verifies a score response against the ledger `reader` reads. Never throws for a bad response
 * (that is a failed check); throws only when the reader fails (node unreachable).
 */
export async function verifyScore(
  response: unknown,
  reader: ScoreLedgerReader,
  options: VerifyScoreOptions = {},
): Promise<ScoreVerification> {
  const checks = new Checks();
  let r: ScoreResponse;
  try {
    r = parseScoreResponse(response);
  } catch (error) {
    checks.fail("response.shape", message(error));
    return checks.result();
  }
  checks.pass("response.shape", "every field is present and well typed");
  responseChecks(r, checks);

  const proof = r.proof;
  if (proof === null) {
    for (const name of SCORE_CHECKS.slice(5, 12))
      checks.add(name, "failed", "not checked: the response has no proof");
  } else {
    const fields: string[] = [];
    if (!same(proof.modelHash, r.model)) fields.push("proof.modelHash is not the model");
    if (!sameList(proof.inputs, r.inputs)) fields.push("proof.inputs are not the inputs");
    checks.check("proof.fields", fields, "proof.modelHash and proof.inputs match the score");

    let leaf: ScoreLeafInput | null = null;
    try {
      leaf = leafOf(r);
      const hash = scoreLeafHash(leaf);
      checks.check(
        "leaf",
        same(hash, proof.leaf)
          ? []
          : [`the score hashes to leaf ${short(hash)}, not ${short(proof.leaf)}`],
        `leaf ${short(hash)} commits to subject, value, grade, model, inputs and asOfBlock`,
      );
    } catch (error) {
      checks.fail("leaf", `the score is not a valid leaf: ${message(error)}`);
    }
    try {
      const valid = leaf !== null && verifyScoreProof(leaf, proof.path, proof.root);
      checks.check(
        "merkle",
        valid ? [] : ["the path does not lead from the leaf to the root"],
        `path of ${proof.path.length} nodes leads to root ${short(proof.root)}`,
      );
    } catch (error) {
      checks.fail("merkle", `the path or root is malformed: ${message(error)}`);
    }
    await anchorChecks(r, proof, reader, checks);
  }

  const records = new Map<string, VerifyInputRecord>();
  for (const rec of options.records ?? []) records.set(rec.uid.toLowerCase(), rec);
  const states = await inputChecks(r, reader, records, options.concurrency ?? 16, checks);
  const compiled = modelChecks(r, options.model, checks);
  await recomputeChecks(r, reader, compiled, records, states, records.size, checks);
  return checks.result();
}
