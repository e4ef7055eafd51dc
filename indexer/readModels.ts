/**
 * The typed read API over the projections (what the gateway queries). Reads see committed blocks
 * only; lists are cursor-paginated (see pagination.ts).
 */
import type { Hex, RecordBatch, RoleName } from "../core/index.js";
import { Role, ValidationError, buildRecordBatch, consentId, toBytes32 } from "../core/index.js";
import { decodeValue } from "./codec.js";
import { IndexerErrorCode } from "./errors.js";
import { PREFIX, keys, lastPart, padTime, partOf, prefixEnd, prefixOf } from "./keys.js";
import type { KvStore } from "./kvStore.js";
import type { Page, PageArgs } from "./pagination.js";
import { paginate } from "./pagination.js";
import { readCheckpoint } from "./state.js";
import type {
  Attestation,
  AttestationSource,
  AttestationStatus,
  AuditAnchor,
  Batch,
  Consent,
  Dispute,
  DisputeStatusName,
  DisputeView,
  KeyOwner,
  Member,
  Model,
  Parameter,
  Proposal,
  ProposalStatusName,
  ProposalView,
  Repair,
  RepairStatusName,
  Schema,
  ScoreBatch,
  StoredLeaf,
  StoredCheckpoint,
  Threshold,
} from "./types.js";

export interface AttestationFilter {
  /** Only this schema. */
  schema?: string;
  /** Only this data category (category id). */
  category?: string;
  status?: AttestationStatus;
  /** Only records of this origin. */
  source?: AttestationSource["type"];
  /** Only (or never) stale records. */
  stale?: boolean;
}

export type LineageDirection = "inputs" | "dependents";

export interface LineageOptions {
  direction: LineageDirection;
  /** How many levels to walk (1…32, default 8). */
  depth?: number;
  /** Stop after this many nodes (default 1000); the result says `truncated`. */
  maxNodes?: number;
}

export interface LineageNode {
  uid: Hex;
  /** Levels from the root (0 = the root). */
  depth: number;
  /** Null when the indexer does not hold the record (e.g. a batch leaf whose file was not uploaded). */
  attestation: Attestation | null;
}

/** An edge of the lineage graph: `derived` lists `input` among its inputs. */
export interface LineageEdge {
  derived: Hex;
  input: Hex;
}

export interface Lineage {
  root: Hex;
  direction: LineageDirection;
  nodes: LineageNode[];
  edges: LineageEdge[];
  truncated: boolean;
}

export interface DisputeFilter {
  uid?: string;
  status?: DisputeStatusName;
  /** Only disputes overdue at this time (open, deadline before it), by deadline. */
  overdueAt?: bigint;
}

export interface RepairFilter {
  uid?: string;
  status?: RepairStatusName;
}

export interface MemberKeyView {
  key: KeyOwner;
  member: Member;
}

export interface Parameters {
  threshold: Threshold | null;
  parameters: Parameter[];
}

export interface BatchLeafProof {
  uid: Hex;
  root: Hex;
  index: number;
  subject: Hex;
  dataHash: Hex;
  observedAt: bigint;
  expiresAt: bigint;
  severity: number;
  /** Sibling hashes from the leaf up to the root. */
  path: Hex[];
}

export interface ReadApi {
  checkpoint(): Promise<StoredCheckpoint>;
  getAttestation(uid: string): Promise<Attestation | null>;
  getAttestations(uids: readonly string[]): Promise<(Attestation | null)[]>;
  /** Newest first by observedAt. */
  listAttestationsBySubject(
    subject: string,
    args?: AttestationFilter & PageArgs,
  ): Promise<Page<Attestation>>;
  /** Newest first by observedAt. */
  listAttestationsByProvider(
    provider: string,
    args?: AttestationFilter & PageArgs,
  ): Promise<Page<Attestation>>;
  getBatch(root: string): Promise<Batch | null>;
  /** Newest first. */
  listBatchesByProvider(provider: string, args?: PageArgs): Promise<Page<Batch>>;
  /** In file order once the batch file is uploaded; before, the leaves with their own record. */
  listBatchLeaves(
    root: string,
    args?: PageArgs & { status?: AttestationStatus },
  ): Promise<Page<Attestation>>;
  lineage(uid: string, options: LineageOptions): Promise<Lineage>;
  /**
   * For a batch leaf known from an uploaded batch file: its fields, batch root, index and Merkle
   * path (anyone can check it against the root anchored on the ledger). Null for any other record.
   */
  batchLeafProof(uid: string): Promise<BatchLeafProof | null>;
  /** Newest first. */
  listRevocations(args?: PageArgs): Promise<Page<Attestation>>;
  /** Newest first; each item is the superseded record (its `supersededBy` names the replacement). */
  listSupersessions(args?: PageArgs): Promise<Page<Attestation>>;
  /** The dispute `seq` of a record, or its latest. */
  getDispute(uid: string, seq?: number): Promise<DisputeView | null>;
  /** By status, then deadline (earliest first); per record by sequence. */
  listDisputes(args?: DisputeFilter & PageArgs): Promise<Page<DisputeView>>;
  getRepair(uid: string, seq?: number): Promise<Repair | null>;
  /** By status, then request time (oldest first); per record by sequence. */
  listRepairs(args?: RepairFilter & PageArgs): Promise<Page<Repair>>;
  getMember(id: string): Promise<Member | null>;
  /** By member index. */
  listMembers(args?: PageArgs & { role?: RoleName; suspended?: boolean }): Promise<Page<Member>>;
  memberByKey(address: string): Promise<MemberKeyView | null>;
  getSchema(schema: string): Promise<Schema | null>;
  /** By registration index. */
  listSchemas(args?: PageArgs & { category?: string }): Promise<Page<Schema>>;
  getModel(modelHash: string): Promise<Model | null>;
  /** In registration order. */
  listModels(args?: PageArgs): Promise<Page<Model>>;
  getProposal(id: bigint): Promise<ProposalView | null>;
  /** Newest first. */
  listProposals(args?: PageArgs & { status?: ProposalStatusName }): Promise<Page<ProposalView>>;
  getParameters(): Promise<Parameters>;
  getScoreBatch(root: string): Promise<ScoreBatch | null>;
  /** Newest first. */
  listScoreBatches(args?: PageArgs): Promise<Page<ScoreBatch>>;
  getConsent(consentId: string): Promise<Consent | null>;
  /**
   * The consent `lender` holds for `subject` and `purposeHash`, with `inForce` = not revoked and
   * unexpired at the read clock (null when it never recorded one).
   */
  findConsent(
    lender: string,
    subject: string,
    purposeHash: string,
  ): Promise<(Consent & { inForce: boolean }) | null>;
  /** Every consent recorded for a subject (by lender), revoked and expired ones included. */
  listConsentsBySubject(subject: string, args?: PageArgs): Promise<Page<Consent>>;
  getAuditAnchor(root: string): Promise<AuditAnchor | null>;
  /** Newest first. */
  listAuditAnchors(args?: PageArgs): Promise<Page<AuditAnchor>>;
}

export interface ReadApiDeps {
  store: KvStore;
  /** Milliseconds since the epoch (for `overdue` and `expired`). */
  clock: () => number;
}

function argError(message: string, details: Record<string, unknown>): ValidationError {
  return new ValidationError(IndexerErrorCode.ARGUMENT_INVALID, message, { details });
}

function bytes32(value: string, name: string): Hex {
  return toBytes32(value, name);
}

export function createReadApi(deps: ReadApiDeps): ReadApi {
  const { store } = deps;
  const nowSeconds = (): bigint => BigInt(Math.floor(deps.clock() / 1000));

  async function getJson<T>(key: string): Promise<T | null> {
    const text = await store.get(key);
    return text === undefined ? null : decodeValue<T>(text);
  }

  const attestationAt = (uid: string): Promise<Attestation | null> =>
    getJson<Attestation>(keys.attestation(uid as Hex));

  function matches(a: Attestation, filter: AttestationFilter, schema: Hex | undefined): boolean {
    if (schema !== undefined && a.schema !== schema) return false;
    if (filter.status !== undefined && a.status !== filter.status) return false;
    if (filter.source !== undefined && a.source.type !== filter.source) return false;
    if (filter.stale !== undefined && (a.stale !== null) !== filter.stale) return false;
    return true;
  }

  async function listIndexed(
    prefix: string,
    args: AttestationFilter & PageArgs,
    schema: Hex | undefined,
  ): Promise<Page<Attestation>> {
    return paginate(store, prefix, args, async (key) => {
      const a = await attestationAt(lastPart(key));
      return a !== null && matches(a, args, schema) ? a : undefined;
    });
  }

  function disputeView(d: Dispute, now: bigint): DisputeView {
    return { ...d, overdue: d.status === "open" && d.deadline < now };
  }

  function proposalView(p: Proposal): ProposalView {
    return { ...p, expired: p.status === "open" && p.expiresAt < nowSeconds() };
  }

  async function withCategoryNames(member: Member): Promise<Member> {
    const scopes = await Promise.all(
      member.scopes.map(async (s) => ({
        ...s,
        categoryName: (await getJson<{ name: string }>(keys.category(s.category)))?.name ?? null,
      })),
    );
    return { ...member, scopes };
  }

  async function walkLineage(rootInput: string, options: LineageOptions): Promise<Lineage> {
    const root = bytes32(rootInput, "uid");
    const depth = options.depth ?? 8;
    const maxNodes = options.maxNodes ?? 1000;
    if (!Number.isInteger(depth) || depth < 1 || depth > 32)
      throw argError("depth must be an integer from 1 to 32", { depth });
    if (!Number.isInteger(maxNodes) || maxNodes < 1)
      throw argError("maxNodes must be a positive integer", { maxNodes });
    const direction: string = options.direction;
    if (direction !== "inputs" && direction !== "dependents") {
      throw argError('direction must be "inputs" or "dependents"', { direction });
    }
    const nodes = new Map<Hex, LineageNode>([
      [root, { uid: root, depth: 0, attestation: await attestationAt(root) }],
    ]);
    const edges: LineageEdge[] = [];
    let frontier: Hex[] = [root];
    let truncated = false;
    for (let level = 1; level <= depth && frontier.length > 0 && !truncated; level++) {
      const next: Hex[] = [];
      for (const uid of frontier) {
        let neighbours: Hex[];
        if (options.direction === "inputs") {
          const source = nodes.get(uid)?.attestation?.source;
          neighbours = source?.type === "derived" ? source.inputs : [];
        } else {
          neighbours = [];
          const prefix = prefixOf(PREFIX.dependents, uid);
          for await (const key of store.keys({ gte: prefix, lt: prefixEnd(prefix) }))
            neighbours.push(lastPart(key) as Hex);
        }
        for (const other of neighbours) {
          edges.push(
            options.direction === "inputs"
              ? { derived: uid, input: other }
              : { derived: other, input: uid },
          );
          if (nodes.has(other)) continue;
          if (nodes.size >= maxNodes) {
            truncated = true;
            continue;
          }
          nodes.set(other, { uid: other, depth: level, attestation: await attestationAt(other) });
          next.push(other);
        }
      }
      frontier = next;
    }
    if (!truncated && frontier.length > 0) {
      // the walk stopped at `depth`: say so if anything lies beyond
      for (const uid of frontier) {
        const source = nodes.get(uid)?.attestation?.source;
        if (
          options.direction === "inputs"
            ? source?.type === "derived" && source.inputs.length > 0
            : await hasDependents(uid)
        ) {
          truncated = true;
          break;
        }
      }
    }
    return { root, direction: options.direction, nodes: [...nodes.values()], edges, truncated };
  }

  // Batch trees by root, rebuilt from the uploaded file on first use: a root's leaves never change.
  const trees = new Map<Hex, Promise<RecordBatch>>();
  const TREES_KEPT = 8;
  function batchTree(root: Hex): Promise<RecordBatch> {
    let tree = trees.get(root);
    if (tree === undefined) {
      tree = (async () => {
        const prefix = prefixOf(PREFIX.uploadLeaf, root);
        const leaves: StoredLeaf[] = [];
        for await (const [, value] of store.entries({ gte: prefix, lt: prefixEnd(prefix) }))
          leaves.push(decodeValue<StoredLeaf>(value));
        return buildRecordBatch(leaves);
      })();
      tree.catch(() => trees.delete(root));
      if (trees.size >= TREES_KEPT) trees.delete(trees.keys().next().value as Hex);
      trees.set(root, tree);
    }
    return tree;
  }

  async function hasDependents(uid: Hex): Promise<boolean> {
    const prefix = prefixOf(PREFIX.dependents, uid);
    for await (const _key of store.keys({ gte: prefix, lt: prefixEnd(prefix), limit: 1 }))
      return true;
    return false;
  }

  return {
    checkpoint: () => readCheckpoint(store),

    getAttestation: (uid) => attestationAt(bytes32(uid, "uid")),

    async getAttestations(uids) {
      const values = await store.getMany(uids.map((uid) => keys.attestation(bytes32(uid, "uid"))));
      return values.map((text) => (text === undefined ? null : decodeValue<Attestation>(text)));
    },

    async listAttestationsBySubject(subjectInput, args = {}) {
      const subject = bytes32(subjectInput, "subject");
      let schema: Hex | undefined;
      let category = args.category === undefined ? undefined : bytes32(args.category, "category");
      if (args.schema !== undefined) {
        schema = bytes32(args.schema, "schema");
        const found = await getJson<Schema>(keys.schema(schema));
        if (found === null) return { items: [], nextCursor: null };
        if (category !== undefined && category !== found.category)
          return { items: [], nextCursor: null };
        category = found.category;
      }
      const prefix =
        category === undefined
          ? prefixOf(PREFIX.bySubject, subject)
          : prefixOf(PREFIX.bySubjectCategory, subject, category);
      return listIndexed(prefix, args, schema);
    },

    async listAttestationsByProvider(providerInput, args = {}) {
      const provider = bytes32(providerInput, "provider");
      const schema = args.schema === undefined ? undefined : bytes32(args.schema, "schema");
      const category = args.category === undefined ? undefined : bytes32(args.category, "category");
      return paginate(store, prefixOf(PREFIX.byProvider, provider), args, async (key) => {
        const a = await attestationAt(lastPart(key));
        if (a === null || !matches(a, args, schema)) return undefined;
        return category === undefined || a.category === category ? a : undefined;
      });
    },

    getBatch: (root) => getJson<Batch>(keys.batch(bytes32(root, "root"))),

    async listBatchesByProvider(providerInput, args = {}) {
      const provider = bytes32(providerInput, "provider");
      return paginate(
        store,
        prefixOf(PREFIX.batchByProvider, provider),
        args,
        async (key) => (await getJson<Batch>(keys.batch(lastPart(key) as Hex))) ?? undefined,
        {
          reverse: true,
        },
      );
    },

    async listBatchLeaves(rootInput, args = {}) {
      const root = bytes32(rootInput, "root");
      const batch = await getJson<Batch>(keys.batch(root));
      if (batch === null) return { items: [], nextCursor: null };
      const uploaded = batch.leavesUploaded;
      const prefix = prefixOf(uploaded ? PREFIX.batchLeaf : PREFIX.batchRecorded, root);
      return paginate(store, prefix, args, async (key, value) => {
        const a = await attestationAt(uploaded ? value : lastPart(key));
        return a !== null && (args.status === undefined || a.status === args.status)
          ? a
          : undefined;
      });
    },

    lineage: walkLineage,

    async batchLeafProof(uidInput) {
      const uid = bytes32(uidInput, "uid");
      const a = await attestationAt(uid);
      if (a?.source.type !== "batchLeaf" || a.source.index === null) return null;
      const { root, index } = a.source;
      const batch = await getJson<Batch>(keys.batch(root));
      if (batch?.leavesUploaded !== true) return null;
      const tree = await batchTree(root);
      const leaf = tree.leaves[index];
      return {
        uid,
        root,
        index,
        subject: leaf.subject,
        dataHash: leaf.dataHash,
        observedAt: leaf.observedAt,
        expiresAt: leaf.expiresAt,
        severity: leaf.severity,
        path: tree.proof(index),
      };
    },

    listRevocations: (args = {}) =>
      paginate(
        store,
        PREFIX.revocation + ":",
        args,
        async (key) => (await attestationAt(lastPart(key))) ?? undefined,
        { reverse: true },
      ),

    listSupersessions: (args = {}) =>
      paginate(
        store,
        PREFIX.supersession + ":",
        args,
        async (key) => (await attestationAt(lastPart(key))) ?? undefined,
        { reverse: true },
      ),

    async getDispute(uidInput, seq) {
      const uid = bytes32(uidInput, "uid");
      let wanted = seq;
      if (wanted === undefined) {
        const record = await attestationAt(uid);
        if (record === null || record.disputeSeq === 0) return null;
        wanted = record.disputeSeq;
      }
      const dispute = await getJson<Dispute>(keys.dispute(uid, wanted));
      return dispute === null ? null : disputeView(dispute, nowSeconds());
    },

    async listDisputes(args = {}) {
      const now = nowSeconds();
      const load = async (key: string): Promise<DisputeView | undefined> => {
        const dispute = await getJson<Dispute>(key);
        if (dispute === null) return undefined;
        if (args.status !== undefined && dispute.status !== args.status) return undefined;
        return disputeView(dispute, args.overdueAt ?? now);
      };
      if (args.uid !== undefined)
        return paginate(store, prefixOf(PREFIX.dispute, bytes32(args.uid, "uid")), args, load);
      const fromIndex = (key: string): Promise<DisputeView | undefined> =>
        load(keys.dispute(partOf(key, 3) as Hex, Number(partOf(key, 4))));
      if (args.overdueAt !== undefined) {
        if (args.status !== undefined && args.status !== "open")
          return { items: [], nextCursor: null };
        const prefix = prefixOf(PREFIX.disputeByStatus, "open");
        return paginate(store, prefix, args, fromIndex, { lt: prefix + padTime(args.overdueAt) });
      }
      const prefix =
        args.status === undefined
          ? PREFIX.disputeByStatus + ":"
          : prefixOf(PREFIX.disputeByStatus, args.status);
      return paginate(store, prefix, args, fromIndex);
    },

    async getRepair(uidInput, seq) {
      const uid = bytes32(uidInput, "uid");
      let wanted = seq;
      if (wanted === undefined) {
        const record = await attestationAt(uid);
        if (record === null || record.repairSeq === 0) return null;
        wanted = record.repairSeq;
      }
      return getJson<Repair>(keys.repair(uid, wanted));
    },

    async listRepairs(args = {}) {
      if (args.uid !== undefined) {
        return paginate(
          store,
          prefixOf(PREFIX.repair, bytes32(args.uid, "uid")),
          args,
          (_key, value) => {
            const repair = decodeValue<Repair>(value);
            return args.status === undefined || repair.status === args.status ? repair : undefined;
          },
        );
      }
      const prefix =
        args.status === undefined
          ? PREFIX.repairByStatus + ":"
          : prefixOf(PREFIX.repairByStatus, args.status);
      return paginate(
        store,
        prefix,
        args,
        async (key) =>
          (await getJson<Repair>(keys.repair(partOf(key, 3) as Hex, Number(partOf(key, 4))))) ??
          undefined,
      );
    },

    async getMember(id) {
      const member = await getJson<Member>(keys.member(bytes32(id, "member")));
      return member === null ? null : withCategoryNames(member);
    },

    async listMembers(args = {}) {
      const role = args.role === undefined ? undefined : Role[args.role];
      if (args.role !== undefined && role === undefined)
        throw argError(`unknown role ${args.role}`, { role: args.role });
      return paginate(store, PREFIX.memberByIndex + ":", args, async (_key, id) => {
        const member = await getJson<Member>(keys.member(id as Hex));
        if (member === null) return undefined;
        if (role !== undefined && (member.roles & role) === 0) return undefined;
        if (args.suspended !== undefined && member.suspended !== args.suspended) return undefined;
        return withCategoryNames(member);
      });
    },

    async memberByKey(address) {
      if (typeof address !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(address)) {
        throw argError("address must be a 20-byte 0x-prefixed address", { address });
      }
      const key = await getJson<KeyOwner>(keys.memberKey(address));
      if (key === null) return null;
      const member = await getJson<Member>(keys.member(key.member));
      return member === null ? null : { key, member: await withCategoryNames(member) };
    },

    getSchema: (schema) => getJson<Schema>(keys.schema(bytes32(schema, "schema"))),

    async listSchemas(args = {}) {
      const category = args.category === undefined ? undefined : bytes32(args.category, "category");
      return paginate(store, PREFIX.schemaByIndex + ":", args, async (_key, schema) => {
        const found = await getJson<Schema>(keys.schema(schema as Hex));
        return found !== null && (category === undefined || found.category === category)
          ? found
          : undefined;
      });
    },

    getModel: (modelHash) => getJson<Model>(keys.model(bytes32(modelHash, "modelHash"))),

    listModels: (args = {}) =>
      paginate(
        store,
        PREFIX.modelByPosition + ":",
        args,
        async (key) => (await getJson<Model>(keys.model(lastPart(key) as Hex))) ?? undefined,
      ),

    async getProposal(id) {
      if (typeof id !== "bigint" || id < 1n)
        throw argError("proposal id must be a positive bigint", { id: String(id) });
      const proposal = await getJson<Proposal>(keys.proposal(id));
      return proposal === null ? null : proposalView(proposal);
    },

    listProposals: (args = {}) =>
      paginate(
        store,
        PREFIX.proposal + ":",
        args,
        (_key, value) => {
          const proposal = decodeValue<Proposal>(value);
          return args.status === undefined || proposal.status === args.status
            ? proposalView(proposal)
            : undefined;
        },
        { reverse: true },
      ),

    async getParameters() {
      const parameters: Parameter[] = [];
      const prefix = PREFIX.parameter + ":";
      for await (const [, value] of store.entries({ gte: prefix, lt: PREFIX.parameter + ";" }))
        parameters.push(decodeValue<Parameter>(value));
      return { threshold: await getJson<Threshold>(keys.threshold()), parameters };
    },

    getScoreBatch: (root) => getJson<ScoreBatch>(keys.scoreBatch(bytes32(root, "root"))),

    listScoreBatches: (args = {}) =>
      paginate(
        store,
        PREFIX.scoreBatchByPosition + ":",
        args,
        async (key) =>
          (await getJson<ScoreBatch>(keys.scoreBatch(lastPart(key) as Hex))) ?? undefined,
        { reverse: true },
      ),

    getConsent: (id) => getJson<Consent>(keys.consent(bytes32(id, "consentId"))),

    async findConsent(lender, subject, purpose) {
      const id = consentId({
        lender: bytes32(lender, "lender"),
        subject: bytes32(subject, "subject"),
        purposeHash: bytes32(purpose, "purposeHash"),
      });
      const consent = await getJson<Consent>(keys.consent(id));
      if (consent === null) return null;
      const inForce = !consent.revoked && consent.expiresAt > nowSeconds();
      return { ...consent, inForce };
    },

    listConsentsBySubject: (subject, args = {}) =>
      paginate(
        store,
        prefixOf(PREFIX.consentBySubject, bytes32(subject, "subject")),
        args,
        async (key) => (await getJson<Consent>(keys.consent(lastPart(key) as Hex))) ?? undefined,
      ),

    getAuditAnchor: (root) => getJson<AuditAnchor>(keys.auditAnchor(bytes32(root, "root"))),

    listAuditAnchors: (args = {}) =>
      paginate(
        store,
        PREFIX.auditAnchorByPosition + ":",
        args,
        async (key) =>
          (await getJson<AuditAnchor>(keys.auditAnchor(lastPart(key) as Hex))) ?? undefined,
        { reverse: true },
      ),
  };
}
