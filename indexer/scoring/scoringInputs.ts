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

/** A subject and the uids of its attestations, in the by-subject index's order (newest first). */
export interface SubjectUids {
  subject: Hex;
  uids: Hex[];
}

/** The uids of a subject's attestations, from the by-subject index (one iterator). */
export async function subjectUids(store: Pick<KvReader, "keys">, subject: Hex): Promise<Hex[]> {
  const prefix = prefixOf(PREFIX.bySubject, subject);
  const uids: Hex[] = [];
  for await (const key of store.keys({ gte: prefix, lt: prefixEnd(prefix) }))
    uids.push(lastPart(key) as Hex);
  return uids;
}

/**
 * Every subject with at least one attestation and the uids of its attestations, in chunks of
 * about `chunkSize` subjects: one ordered scan of the whole by-subject index (`as:<subject>:…`),
 * for scoring every subject, rather than one seek per subject. The scan reads one snapshot of the
 * index (a LevelDB iterator's); a subject an update touches meanwhile is rescored after it.
 */
export async function* scanSubjectUids(
  store: Pick<KvReader, "keys">,
  chunkSize: number,
): AsyncGenerator<SubjectUids[]> {
  const prefix = `${PREFIX.bySubject}:`;
  // as:<subject (66)>:<inverted time (13)>:<uid (66)>
  const subjectEnd = prefix.length + 66;
  let chunk: SubjectUids[] = [];
  let group: SubjectUids | undefined;
  for await (const key of store.keys({ gte: prefix, lt: prefixEnd(prefix) })) {
    const subject = key.slice(prefix.length, subjectEnd) as Hex;
    if (group === undefined || group.subject !== subject) {
      if (chunk.length >= chunkSize) {
        yield chunk;
        chunk = [];
      }
      group = { subject, uids: [] };
      chunk.push(group);
    }
    group.uids.push(lastPart(key) as Hex);
  }
  if (chunk.length > 0) yield chunk;
}

/** The attestations of the uids, straight from the indexer's store (one getMany; gone: left out). */
export async function readAttestations(
  store: Pick<KvReader, "getMany">,
  groups: readonly SubjectUids[],
): Promise<Attestation[][]> {
  const values = await store.getMany(
    groups.flatMap((g) => g.uids.map((uid) => keys.attestation(uid))),
  );
  let at = 0;
  return groups.map((g) => {
    const out: Attestation[] = [];
    for (let i = 0; i < g.uids.length; i++) {
      const value = values[at++];
      if (value !== undefined) out.push(decodeValue<Attestation>(value));
    }
    return out;
  });
}

/** The registered name of every schema the attestations name (the id itself when unknown). */
export async function schemaNames(
  schemas: SchemaDefinitions,
  attestations: readonly (readonly Attestation[])[],
): Promise<Map<Hex, string>> {
  const names = new Map<Hex, string>();
  for (const list of attestations)
    for (const a of list)
      if (!names.has(a.schema))
        names.set(a.schema, (await schemas.get(a.schema))?.name ?? a.schema);
  return names;
}

/**
 * The scoring inputs of a subject's attestations, judged at `asOf` (only to tell which missing
 * contents matter: the score itself applies expiry again). `contents` are the subject's records
 * from the record store (RecordStore.getBySubjects), `names` its schemas' names (schemaNames).
 */
export function scoringInputs(
  model: CompiledScorecard,
  subject: Hex,
  attestations: readonly Attestation[],
  contents: ReadonlyMap<Hex, JsonObject>,
  names: ReadonlyMap<Hex, string>,
  asOf: bigint,
): SubjectInputs {
  const inputs: ScoringInput[] = [];
  const missing: Hex[] = [];
  for (const a of attestations) {
    const schema = names.get(a.schema) ?? a.schema;
    const status = inputStatus(a);
    const expired = a.expiresAt !== 0n && a.expiresAt <= asOf;
    const couldCount =
      (status === "active" || status === "repaired") &&
      !expired &&
      model.features.schemas.has(schema);
    let record: JsonObject | undefined = contents.get(a.uid.toLowerCase() as Hex);
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
