/**
 * Batch anchors, their leaves, batch revocation, and score batches.
 *
 * Leaves of a batch travel off the ledger (the provider's batch file). An accepted upload is stored
 * under the batch root outside the undo log (`up:`/`ul:` keys); its leaves are projected as
 * attestations whenever both the upload and the anchor exist: at upload time when the batch is
 * anchored already, and again when a BatchAnchored event arrives (or survives a reorg) for a root
 * whose file is stored. `batch.leavesUploaded` records that the projection happened; it lives in
 * the undo log like every projection, so a rollback that drops it lets the leaves be projected again.
 */
import type {
  BatchAnchoredEvent,
  BatchRevokedEvent,
  Hex,
  PositionedEvent,
  ScoreBatchAnchoredEvent,
} from "../../core/index.js";
import { attestationUid } from "../../core/index.js";
import { decodeValue } from "../codec.js";
import { PREFIX, keys, lastPart, prefixEnd, prefixOf } from "../keys.js";
import type { Attestation, Batch, Schema, ScoreBatch, StoredLeaf, StoredUpload } from "../types.js";
import { getAttestation, putAttestation } from "./attestations.js";
import type { ProjectionContext } from "./context.js";
import { anomaly, auditOf, hex } from "./context.js";
import { propagateStaleFrom } from "./stale.js";

type At<E> = E & { position: PositionedEvent["position"] };

export async function onBatchAnchored(
  ctx: ProjectionContext,
  event: At<BatchAnchoredEvent>,
): Promise<void> {
  const root = hex(event.root);
  const schema = hex(event.schema);
  const audit = auditOf(event);
  if ((await ctx.overlay.get(keys.batch(root))) !== undefined)
    anomaly(ctx, event, `batch ${root} exists already`);
  const schemaRecord = await ctx.overlay.getJson<Schema>(keys.schema(schema));
  const batch: Batch = {
    root,
    provider: hex(event.provider),
    schema,
    category: schemaRecord?.category ?? null,
    count: event.count,
    uri: event.uri,
    signer: event.signer,
    revoked: false,
    revocation: null,
    leavesUploaded: false,
    recordedLeaves: 0,
    audit,
  };
  ctx.overlay.putJson(keys.batch(root), batch);
  ctx.overlay.put(keys.batchByProvider(batch.provider, audit.block, audit.logIndex, root), "");
  await projectStoredUpload(ctx, root);
}

/** Projects the stored upload of `root`, if there is one and its batch is anchored and not yet projected. */
export async function projectStoredUpload(ctx: ProjectionContext, root: Hex): Promise<boolean> {
  const uploadText = await ctx.overlay.get(keys.upload(root));
  if (uploadText === undefined) return false;
  const upload = decodeValue<StoredUpload>(uploadText);
  const batch = await ctx.overlay.getJson<Batch>(keys.batch(root));
  if (batch === undefined || batch.leavesUploaded) return false;
  if (batch.count !== upload.count) {
    ctx.logger.warn(
      "indexer: stored batch file does not match the anchored count; leaves not projected",
      {
        root,
        anchoredCount: batch.count,
        uploadedCount: upload.count,
      },
    );
    return false;
  }
  const prefix = prefixOf(PREFIX.uploadLeaf, root);
  const leaves: StoredLeaf[] = [];
  for await (const [, value] of ctx.store.entries({ gte: prefix, lt: prefixEnd(prefix) }))
    leaves.push(decodeValue<StoredLeaf>(value));
  await projectLeaves(ctx, batch, leaves);
  return true;
}

/**
 * Projects the leaves of an uploaded batch file (in file order) as attestations of `batch`, merging
 * with leaves that already have their own record (LeafRecorded), then marks the batch uploaded.
 */
export async function projectLeaves(
  ctx: ProjectionContext,
  batch: Batch,
  leaves: readonly StoredLeaf[],
): Promise<void> {
  const root = batch.root;
  const uids = leaves.map((leaf) =>
    attestationUid({ schema: batch.schema, provider: batch.provider, ...leaf }),
  );
  await ctx.overlay.prefetch(uids.map((uid) => keys.attestation(uid)));
  const revokedLeaves: Hex[] = [];
  for (let index = 0; index < leaves.length; index++) {
    const leaf = leaves[index];
    const uid = uids[index];
    ctx.overlay.put(keys.batchLeaf(root, index), uid);
    const previous = await getAttestation(ctx, uid);
    if (previous !== undefined) {
      if (
        previous.source.type === "batchLeaf" &&
        previous.source.root === root &&
        previous.source.index === null
      ) {
        putAttestation(ctx, { ...previous, source: { ...previous.source, index } }, previous);
      }
      continue;
    }
    const revocation = batch.revocation;
    const attestation: Attestation = {
      uid,
      schema: batch.schema,
      category: batch.category,
      subject: leaf.subject,
      provider: batch.provider,
      signer: batch.signer,
      relayer: null,
      dataHash: leaf.dataHash,
      observedAt: leaf.observedAt,
      expiresAt: leaf.expiresAt,
      severity: leaf.severity,
      status: revocation === null ? "active" : "revoked",
      supersededBy: null,
      supersedes: null,
      revocation:
        revocation === null
          ? null
          : {
              reasonHash: revocation.reasonHash,
              by: revocation.by,
              batchRoot: root,
              audit: revocation.audit,
            },
      supersession: null,
      disputed: false,
      disputeSeq: 0,
      repaired: false,
      repairSeq: 0,
      stale: null,
      source: { type: "batchLeaf", root, index, recorded: false, batchRevoked: batch.revoked },
      audit: batch.audit,
      recordedAudit: null,
    };
    putAttestation(ctx, attestation, undefined);
    if (revocation !== null) revokedLeaves.push(uid);
  }
  // derived records may have used these leaves before their batch was revoked
  if (batch.revocation !== null && revokedLeaves.length > 0) {
    await propagateStaleFrom(ctx, revokedLeaves, "batchRevoked", batch.revocation.audit);
  }
  ctx.overlay.putJson(keys.batch(root), { ...batch, leavesUploaded: true });
}

export async function onBatchRevoked(
  ctx: ProjectionContext,
  event: At<BatchRevokedEvent>,
): Promise<void> {
  const root = hex(event.root);
  const batch = await ctx.overlay.getJson<Batch>(keys.batch(root));
  if (batch === undefined) {
    anomaly(ctx, event, `batch ${root} is unknown`);
    return;
  }
  const audit = auditOf(event);
  const revocation = { reasonHash: hex(event.reasonHash), by: hex(event.provider), audit };
  ctx.overlay.putJson(keys.batch(root), { ...batch, revoked: true, revocation });
  // every known leaf stops counting: the uploaded ones (bl:) or, without an upload, the recorded ones (br:)
  const leafKeys = await ctx.overlay.keysWithPrefix(
    prefixOf(batch.leavesUploaded ? PREFIX.batchLeaf : PREFIX.batchRecorded, root),
  );
  const uids = (
    batch.leavesUploaded
      ? await ctx.overlay.getMany(leafKeys)
      : leafKeys.map((key) => lastPart(key))
  ).filter((uid): uid is Hex => uid !== undefined);
  await ctx.overlay.prefetch(uids.map((uid) => keys.attestation(uid)));
  const revokedLeaves: Hex[] = [];
  for (const uid of uids) {
    const leaf = await getAttestation(ctx, uid);
    if (leaf?.source.type !== "batchLeaf" || leaf.source.root !== root) continue;
    // every active leaf is revoked with its batch, recorded or not (ICreditRegistry.revokeBatch)
    const revoke = leaf.status === "active";
    putAttestation(
      ctx,
      {
        ...leaf,
        source: { ...leaf.source, batchRevoked: true },
        ...(revoke
          ? { status: "revoked" as const, revocation: { ...revocation, batchRoot: root } }
          : {}),
      },
      leaf,
    );
    revokedLeaves.push(uid);
  }
  await propagateStaleFrom(ctx, revokedLeaves, "batchRevoked", audit);
}

export function onScoreBatchAnchored(
  ctx: ProjectionContext,
  event: At<ScoreBatchAnchoredEvent>,
): Promise<void> {
  const root = hex(event.root);
  const audit = auditOf(event);
  const scoreBatch: ScoreBatch = {
    root,
    scorer: hex(event.scorer),
    modelHash: hex(event.modelHash),
    count: event.count,
    asOfBlock: event.asOfBlock,
    signer: event.signer,
    audit,
  };
  ctx.overlay.putJson(keys.scoreBatch(root), scoreBatch);
  ctx.overlay.put(keys.scoreBatchByPosition(audit.block, audit.logIndex, root), "");
  return Promise.resolve();
}

/** After a rollback: projects every stored upload whose batch is anchored but not projected. */
export async function reprojectUploads(ctx: ProjectionContext): Promise<number> {
  const prefix = PREFIX.upload + ":";
  const roots: Hex[] = [];
  for await (const [key] of ctx.store.entries({ gte: prefix, lt: prefixEnd(prefix) }))
    roots.push(lastPart(key) as Hex);
  let projected = 0;
  for (const root of roots) if (await projectStoredUpload(ctx, root)) projected++;
  return projected;
}
