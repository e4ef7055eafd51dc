/** Attestations, batch-leaf records, derived records (lineage), revocation and supersession. */
import type {
  AttestedEvent,
  DerivedEvent,
  Hex,
  LeafRecordedEvent,
  PositionedEvent,
  RevokedEvent,
  SupersededEvent,
} from "../../core/index.js";
import { keys } from "../keys.js";
import type { Attestation, Audit, Batch, Schema, StaleMark } from "../types.js";
import { getAttestation, putAttestation } from "./attestations.js";
import type { ProjectionContext } from "./context.js";
import { anomaly, auditOf, hex } from "./context.js";
import { compareStaleMarks, propagateStale } from "./stale.js";

type At<E> = E & { position: PositionedEvent["position"] };

function categoryOf(ctx: ProjectionContext, schema: Hex): Promise<Hex | null> {
  return ctx.overlay.getJson<Schema>(keys.schema(schema)).then((found) => found?.category ?? null);
}

/** What a new record is made of; every other field starts fresh (see {@link newRecord}). */
type RecordFields = Pick<
  Attestation,
  | "uid"
  | "schema"
  | "category"
  | "subject"
  | "provider"
  | "signer"
  | "relayer"
  | "dataHash"
  | "observedAt"
  | "expiresAt"
  | "severity"
  | "source"
  | "audit"
>;

/**
 * A new record: `fields`, and the state every record starts with (one object literal of one
 * shape — the hot path of a backfill builds one per attestation).
 */
function newRecord(fields: RecordFields, recordedAudit: Audit | null = null): Attestation {
  return {
    uid: fields.uid,
    schema: fields.schema,
    category: fields.category,
    subject: fields.subject,
    provider: fields.provider,
    signer: fields.signer,
    relayer: fields.relayer,
    dataHash: fields.dataHash,
    observedAt: fields.observedAt,
    expiresAt: fields.expiresAt,
    severity: fields.severity,
    status: "active",
    supersededBy: null,
    supersedes: null,
    revocation: null,
    supersession: null,
    disputed: false,
    disputeSeq: 0,
    repaired: false,
    repairSeq: 0,
    stale: null,
    source: fields.source,
    audit: fields.audit,
    recordedAudit,
  };
}

export async function onAttested(ctx: ProjectionContext, event: At<AttestedEvent>): Promise<void> {
  const uid = hex(event.uid);
  const schema = hex(event.schema);
  // (with no batch file uploaded, nothing can hold this uid yet: see ProjectionContext)
  const previous = ctx.batchFiles === false ? undefined : await getAttestation(ctx, uid);
  if (previous !== undefined) {
    // Only an uploaded batch leaf can hold this uid already (same content, provider and schema):
    // the ledger now has a record of its own for it, which decides from here on.
    anomaly(ctx, event, `uid ${uid} was known as a batch leaf; the attestation replaces it`);
  }
  const attestation = newRecord({
    uid,
    schema,
    category: await categoryOf(ctx, schema),
    subject: hex(event.subject),
    provider: hex(event.provider),
    signer: event.signer,
    relayer: event.relayer,
    dataHash: hex(event.dataHash),
    observedAt: event.observedAt,
    expiresAt: event.expiresAt,
    severity: event.severity,
    source: { type: "single" },
    audit: auditOf(event),
  });
  putAttestation(ctx, attestation, previous);
}

export async function onLeafRecorded(
  ctx: ProjectionContext,
  event: At<LeafRecordedEvent>,
): Promise<void> {
  const uid = hex(event.uid);
  const root = hex(event.root);
  const batch = await ctx.overlay.getJson<Batch>(keys.batch(root));
  if (batch === undefined) {
    anomaly(ctx, event, `batch ${root} is unknown`);
    return;
  }
  const audit = auditOf(event);
  const previous = await getAttestation(ctx, uid);
  let attestation: Attestation;
  if (previous !== undefined && previous.source.type === "batchLeaf") {
    // the leaf came with the uploaded batch file: it now has its own record
    attestation = {
      ...previous,
      source: { ...previous.source, recorded: true },
      recordedAudit: audit,
    };
  } else {
    if (previous !== undefined)
      anomaly(ctx, event, `uid ${uid} already holds a ${previous.source.type} record`);
    attestation = newRecord(
      {
        uid,
        schema: batch.schema,
        category: batch.category,
        subject: hex(event.subject),
        provider: batch.provider,
        signer: batch.signer,
        relayer: null,
        dataHash: hex(event.dataHash),
        observedAt: event.observedAt,
        expiresAt: event.expiresAt,
        severity: event.severity,
        source: {
          type: "batchLeaf",
          root,
          index: null,
          recorded: true,
          batchRevoked: batch.revoked,
        },
        audit: batch.audit,
      },
      audit,
    );
  }
  putAttestation(ctx, attestation, previous);
  ctx.overlay.put(keys.batchRecorded(root, uid), "");
  ctx.overlay.putJson(keys.batch(root), { ...batch, recordedLeaves: batch.recordedLeaves + 1 });
}

/**
 * A record derived from stale inputs is stale from the start, with the earliest of their marks:
 * the same mark it would get had it existed when that mark was made (see ./stale.ts), so the
 * store does not depend on when a batch file was uploaded.
 */
async function inheritedStale(
  ctx: ProjectionContext,
  inputs: readonly Hex[],
): Promise<StaleMark | null> {
  let earliest: StaleMark | null = null;
  for (const input of inputs) {
    const mark = (await getAttestation(ctx, input))?.stale ?? null;
    if (mark !== null && (earliest === null || compareStaleMarks(mark, earliest) < 0))
      earliest = mark;
  }
  return earliest;
}

export async function onDerived(ctx: ProjectionContext, event: At<DerivedEvent>): Promise<void> {
  const uid = hex(event.uid);
  const schema = hex(event.schema);
  const inputs = event.inputs.map(hex);
  const previous = await getAttestation(ctx, uid);
  if (previous !== undefined) anomaly(ctx, event, `uid ${uid} already exists`);
  const attestation = newRecord({
    uid,
    schema,
    category: await categoryOf(ctx, schema),
    subject: hex(event.subject),
    provider: hex(event.deriver),
    signer: event.signer,
    relayer: null,
    dataHash: hex(event.dataHash),
    observedAt: event.observedAt,
    expiresAt: 0n,
    severity: 0,
    source: { type: "derived", modelHash: hex(event.modelHash), inputs },
    audit: auditOf(event),
  });
  attestation.stale = await inheritedStale(ctx, inputs);
  putAttestation(ctx, attestation, previous);
  for (const input of inputs) {
    ctx.overlay.put(keys.dependent(input, uid), "");
    ctx.overlay.put(keys.hasDependents(input), "");
  }
}

export async function onRevoked(ctx: ProjectionContext, event: At<RevokedEvent>): Promise<void> {
  const uid = hex(event.uid);
  const previous = await getAttestation(ctx, uid);
  if (previous === undefined) {
    anomaly(ctx, event, `record ${uid} is unknown`);
    return;
  }
  const audit = auditOf(event);
  putAttestation(
    ctx,
    {
      ...previous,
      status: "revoked",
      revocation: {
        reasonHash: hex(event.reasonHash),
        by: hex(event.owner),
        batchRoot: null,
        audit,
      },
    },
    previous,
  );
  ctx.overlay.put(keys.revocation(audit.block, audit.logIndex, uid), "");
  await propagateStale(ctx, uid, "revoked", audit);
}

export async function onSuperseded(
  ctx: ProjectionContext,
  event: At<SupersededEvent>,
): Promise<void> {
  const uid = hex(event.uid);
  const newUid = hex(event.newUid);
  const previous = await getAttestation(ctx, uid);
  if (previous === undefined) {
    anomaly(ctx, event, `record ${uid} is unknown`);
    return;
  }
  const audit: Audit = auditOf(event);
  putAttestation(
    ctx,
    {
      ...previous,
      status: "superseded",
      supersededBy: newUid,
      supersession: { newUid, owner: hex(event.owner), audit },
    },
    previous,
  );
  const replacement = await getAttestation(ctx, newUid);
  if (replacement === undefined) anomaly(ctx, event, `replacement ${newUid} is unknown`);
  else putAttestation(ctx, { ...replacement, supersedes: uid }, replacement);
  ctx.overlay.put(keys.supersession(audit.block, audit.logIndex, uid), "");
  await propagateStale(ctx, uid, "superseded", audit);
}
