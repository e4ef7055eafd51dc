/**
 * The read models the indexer projects from the ledger's events, as the read API returns them.
 * Hashes are lowercase Hex, addresses as the ledger adapter gave them (checksummed on the EVM),
 * times in unix seconds (bigint), block numbers bigint.
 */
import type {
  DisputeOutcome,
  GovernanceAction,
  Hex,
  ParameterName,
  RoleName,
} from "../core/index.js";

/** Where an object came from on the ledger: the event that created or changed it. */
export interface Audit {
  block: bigint;
  blockHash: Hex;
  tx: Hex;
  logIndex: number;
  /** The key that sent the transaction (the event's `signer`), when the event names one. */
  sender: string | null;
}

export type AttestationStatus = "active" | "revoked" | "superseded";

/** How a record got onto the ledger. */
export type AttestationSource =
  | { type: "single" }
  | {
      type: "batchLeaf";
      root: Hex;
      /** The leaf's position in the uploaded batch file; null until the file is uploaded. */
      index: number | null;
      /** Whether the leaf has its own record on the ledger (LeafRecorded). */
      recorded: boolean;
      /** Whether the whole batch was revoked (every leaf stops counting). */
      batchRevoked: boolean;
    }
  | { type: "derived"; modelHash: Hex; inputs: Hex[] };

export type StaleReason = "revoked" | "superseded" | "repaired" | "batchRevoked";

/** A derived record whose inputs changed after it was computed. */
export interface StaleMark {
  reason: StaleReason;
  /** The record whose change made this one stale (an input, or an input's input, …). */
  trigger: Hex;
  /** The event that made it stale. */
  audit: Audit;
}

export interface Revocation {
  reasonHash: Hex;
  /** The owner member who revoked it. */
  by: Hex;
  /** Set when the record was revoked with its whole batch. */
  batchRoot: Hex | null;
  audit: Audit;
}

export interface Supersession {
  newUid: Hex;
  owner: Hex;
  audit: Audit;
}

export interface Attestation {
  uid: Hex;
  schema: Hex;
  /** The schema's data category id (null if the schema is unknown to the indexer). */
  category: Hex | null;
  subject: Hex;
  /** The provider member (for derived records: the scorer that derived it). */
  provider: Hex;
  signer: string | null;
  /** The relayer of a signed attestation (zero address when the provider sent it itself). */
  relayer: string | null;
  dataHash: Hex;
  observedAt: bigint;
  /** 0 when it does not expire. */
  expiresAt: bigint;
  severity: number;
  status: AttestationStatus;
  supersededBy: Hex | null;
  supersedes: Hex | null;
  revocation: Revocation | null;
  supersession: Supersession | null;
  disputed: boolean;
  /** Sequence number of the latest dispute (0: never disputed). */
  disputeSeq: number;
  repaired: boolean;
  /** Sequence number of the latest repair request (0: none). */
  repairSeq: number;
  stale: StaleMark | null;
  source: AttestationSource;
  /** The event that created the record (for a batch leaf: the batch anchor). */
  audit: Audit;
  /** For a batch leaf with its own record: the LeafRecorded event. */
  recordedAudit: Audit | null;
}

export interface BatchRevocation {
  reasonHash: Hex;
  by: Hex;
  audit: Audit;
}

export interface Batch {
  root: Hex;
  provider: Hex;
  schema: Hex;
  category: Hex | null;
  count: number;
  uri: string;
  signer: string;
  revoked: boolean;
  revocation: BatchRevocation | null;
  /** Whether the batch file was uploaded and its leaves projected as attestations. */
  leavesUploaded: boolean;
  /** How many leaves got their own record (LeafRecorded). */
  recordedLeaves: number;
  audit: Audit;
}

/**
 * `lapsed`: left unanswered past its deadline and replaced by a newer dispute on the same record
 * (the ledger lets a new dispute open once the previous one is overdue).
 */
export type DisputeStatusName = "open" | "answered" | "withdrawn" | "lapsed";
export type DisputeOutcomeName = "none" | "upheld" | "corrected";

export interface Dispute {
  uid: Hex;
  seq: number;
  opener: Hex;
  reasonHash: Hex;
  openedAt: bigint;
  deadline: bigint;
  status: DisputeStatusName;
  outcome: DisputeOutcomeName;
  outcomeCode: DisputeOutcome;
  responseHash: Hex | null;
  answeredBy: Hex | null;
  audit: Audit;
  closedAudit: Audit | null;
}

/** A dispute as read: `overdue` is computed at read time from its deadline. */
export interface DisputeView extends Dispute {
  overdue: boolean;
}

export type RepairStatusName = "requested" | "approved" | "rejected";

export interface Repair {
  uid: Hex;
  seq: number;
  requester: Hex;
  evidenceHash: Hex;
  requestedAt: bigint;
  status: RepairStatusName;
  authority: Hex | null;
  decisionHash: Hex | null;
  audit: Audit;
  decidedAudit: Audit | null;
}

export interface MemberKey {
  address: string;
  active: boolean;
  revokedBy: string | null;
  audit: Audit;
  revokedAudit: Audit | null;
}

export interface MemberScope {
  category: Hex;
  /** The category's name, when a schema of that category is registered. */
  categoryName: string | null;
  expiresAt: bigint;
  audit: Audit;
}

export interface Member {
  id: Hex;
  name: string;
  index: number;
  roles: number;
  roleNames: RoleName[];
  suspended: boolean;
  keys: MemberKey[];
  /** Accreditation scopes (PROVIDER), one per category; removed scopes are not listed. */
  scopes: MemberScope[];
  audit: Audit;
  updatedAudit: Audit;
}

export interface KeyOwner {
  address: string;
  member: Hex;
  active: boolean;
}

export interface Schema {
  schema: Hex;
  category: Hex;
  categoryName: string;
  index: number;
  definition: string;
  registrant: Hex;
  audit: Audit;
}

export interface Model {
  modelHash: Hex;
  scorer: Hex;
  uri: string;
  audit: Audit;
}

export type ProposalStatusName = "open" | "executed" | "cancelled";

export interface ProposalApproval {
  member: Hex;
  approvals: number;
  required: number;
  audit: Audit;
}

export interface Proposal {
  id: bigint;
  proposer: Hex;
  actionKind: number;
  actionName: string;
  payload: Hex;
  /** The decoded payload (core.decodeAction), or null when it does not decode. */
  action: GovernanceAction | null;
  decodeError: string | null;
  expiresAt: bigint;
  approvals: ProposalApproval[];
  required: number | null;
  status: ProposalStatusName;
  audit: Audit;
  closedAudit: Audit | null;
}

/** A proposal as read: an open proposal past its expiry is `expired`. */
export interface ProposalView extends Proposal {
  expired: boolean;
}

export interface Parameter {
  /** The decoded name, or the bytes32 key when it is not a known parameter. */
  name: ParameterName | Hex;
  key: Hex;
  value: bigint;
  audit: Audit;
}

export interface Threshold {
  threshold: number;
  audit: Audit;
}

export interface ScoreBatch {
  root: Hex;
  scorer: Hex;
  modelHash: Hex;
  count: number;
  asOfBlock: bigint;
  signer: string;
  audit: Audit;
}

/** A lender's record of a subject's consent for a purpose (in force while not revoked and unexpired). */
export interface Consent {
  consentId: Hex;
  subject: Hex;
  lender: Hex;
  purposeHash: Hex;
  expiresAt: bigint;
  evidenceHash: Hex;
  revoked: boolean;
  /** the latest ConsentRecorded (renewals replace it) */
  audit: Audit;
  revokedAudit: Audit | null;
}

/** A gateway node's anchor of its query audit log. */
export interface AuditAnchor {
  root: Hex;
  node: Hex;
  count: number;
  fromTime: bigint;
  toTime: bigint;
  signer: string;
  audit: Audit;
}

/** Where the indexer is (the stored checkpoint). Zero values: nothing applied yet. */
export interface StoredCheckpoint {
  number: bigint;
  hash: Hex;
  /** The checkpoint block's timestamp (0 when unknown). */
  timestamp: bigint;
}

/** One undo entry: the key a block wrote and its value before (null: absent); stored by undoLog.encodeUndo. */
export interface UndoEntry {
  k: string;
  v: string | null;
}

/** What `bh:<block>` holds. */
export interface StoredBlock {
  hash: Hex;
  parentHash: Hex;
  timestamp: bigint;
}

/** An uploaded batch file's header (`up:<root>`); its leaves are under `ul:<root>:<index>`. */
export interface StoredUpload {
  root: Hex;
  count: number;
}

/** A leaf as the upload stores it. */
export interface StoredLeaf {
  subject: Hex;
  dataHash: Hex;
  observedAt: bigint;
  expiresAt: bigint;
  severity: number;
}
