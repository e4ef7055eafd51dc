/**
 * A subject's records as the scorecard takes them (docs/scoring.md "What the scorer must be
 * given"): every attestation of the subject, its schema's name from the registered definition,
 * its status (repaired when active and marked repaired; stale for a derived record whose inputs
 * changed), and its contents from the node's record store. A record that could count but whose
 * contents the node does not hold is left out and named in `missing`; records that cannot count
 * anyway (revoked, superseded, stale, expired, schemas the model does not read) go in with their
 * subject only, so that the score lists them as excluded.
 */
import type {
  CompiledScorecard,
  Hex,
  JsonObject,
  ScoringInput,
  ScoringInputStatus,
} from "../../core/index.js";
import { decodeValue } from "../codec.js";
import { PREFIX, keys, lastPart, prefixEnd, prefixOf } from "../keys.js";
import type { KvReader } from "../kvStore.js";
import type { RecordStore } from "../records/recordStore.js";
import type { SchemaDefinitions } from "../records/schemaDefinitions.js";
import type { Attestation } from "../types.js";

export interface SubjectInputs {
  inputs: ScoringInput[];
  /** Records that would count but whose contents this node lacks, sorted. */
  missing: Hex[];
  /** Records the subject has at all (0: nothing to score). */
  records: number;
}

export function inputStatus(a: Attestation): ScoringInputStatus {
  if (a.status === "revoked") return "revoked";
  if (a.status === "superseded") return "superseded";
  if (a.stale !== null) return "stale";
  return a.repaired ? "repaired" : "active";
}

/**
 * Every attestation of a subject, straight from the indexer's store: the by-subject index, then
 * one getMany of the records (the read API reads them one by one; a rescoring run reads millions).
 */
export async function subjectAttestations(
  store: Pick<KvReader, "keys" | "getMany">,
  subject: Hex,
): Promise<Attestation[]> {
  const prefix = prefixOf(PREFIX.bySubject, subject);
  const uids: Hex[] = [];
  for await (const key of store.keys({ gte: prefix, lt: prefixEnd(prefix) }))
    uids.push(lastPart(key) as Hex);
  if (uids.length === 0) return [];
  const values = await store.getMany(uids.map((uid) => keys.attestation(uid)));
  const out: Attestation[] = [];
  for (const value of values) if (value !== undefined) out.push(decodeValue<Attestation>(value));
  return out;
}

/**
 * The scoring inputs of a subject's attestations, judged at `asOf` (only to tell which missing
 * contents matter: the score itself applies expiry again).
 */
export async function scoringInputs(
  deps: { schemas: SchemaDefinitions; records: RecordStore; model: CompiledScorecard },
  subject: Hex,
  attestations: readonly Attestation[],
  asOf: bigint,
): Promise<SubjectInputs> {
  const contents = await deps.records.getMany(attestations.map((a) => a.uid));
  const inputs: ScoringInput[] = [];
  const missing: Hex[] = [];
  for (let i = 0; i < attestations.length; i++) {
    const a = attestations[i];
    const definition = await deps.schemas.get(a.schema);
    const schema = definition?.name ?? a.schema;
    const status = inputStatus(a);
    const expired = a.expiresAt !== 0n && a.expiresAt <= asOf;
    const couldCount =
      (status === "active" || status === "repaired") &&
      !expired &&
      deps.model.features.schemas.has(schema);
    let record: JsonObject | undefined = contents[i];
    if (record === undefined) {
      if (couldCount) {
        missing.push(a.uid);
        continue;
      }
      record = { subject };
    }
    inputs.push({
      uid: a.uid,
      schema,
      record,
      observedAt: a.observedAt,
      expiresAt: a.expiresAt,
      status,
      disputed: a.disputed,
      provider: a.provider,
    });
  }
  missing.sort();
  return { inputs, missing, records: attestations.length };
}
